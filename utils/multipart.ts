import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { FileDoc, UserDoc } from './db';
import { badRequest } from './errors';
import { checkUpload, createFromBlob } from './files';
import { removeBlob, storeStream, type StoredBlob } from './storage';

const invalidMultipart = () => badRequest('Invalid multipart body');

/** Bounds on everything but the file part, which storeStream bounds by UPLOAD_MAX_BYTES. */
const FIELD_LIMITS = { fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 } as const;

/**
 * `POST /files` as multipart/form-data: fields `name`, `type`, `parentId`, `isPublic` and one
 * file part, in any order; without a `name` field the part's filename is the name. When the
 * fields come first, the request is checked before the file's bytes are accepted; when they
 * come after, the bytes are stored first and removed if the checks fail.
 */
export async function receiveMultipart(
  owner: UserDoc,
  body: Readable,
  headers: IncomingHttpHeaders,
  maxBytes: number,
): Promise<FileDoc> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers, limits: { ...FIELD_LIMITS, files: 1 } });
  } catch {
    throw invalidMultipart();
  }

  // No prototype: a field named __proto__ must stay a plain field.
  const fields = Object.create(null) as Record<string, unknown>;
  let filename: string | undefined;
  let stored: Promise<StoredBlob> | undefined;

  parser.on('field', (name, value) => {
    fields[name] = value;
  });
  parser.on('file', (_field, stream, info) => {
    filename = info.filename;
    const metadata = withName(fields, filename);
    stored = (async () => {
      if (metadata.type !== undefined) await checkUpload(owner, metadata);
      return storeStream(stream, maxBytes);
    })();
    // A rejected upload's remaining bytes are read and dropped so the parser can finish.
    stored.catch(() => stream.resume());
  });

  try {
    // pipeline destroys the parser, and with it the file stream, if the client goes away.
    await pipeline(body, parser);
  } catch {
    const blob = await stored?.catch(() => undefined);
    if (blob !== undefined) await removeBlob(blob.localPath);
    // The upload's own verdict (a failed check, 413) says more than the parser's.
    const verdict = await stored?.then(() => undefined, (error: unknown) => error);
    throw verdict instanceof Error ? verdict : invalidMultipart();
  }
  return createFromBlob(owner, withName(fields, filename), await stored);
}

function withName(fields: Record<string, unknown>, filename: string | undefined): Record<string, unknown> {
  return fields.name === undefined && filename ? { ...fields, name: filename } : fields;
}
