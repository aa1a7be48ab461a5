import type { IncomingHttpHeaders } from 'node:http';
import { finished, type Readable } from 'node:stream';
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
    // Browsers and curl send a non-ASCII filename as raw UTF-8, not in RFC 2231 form.
    parser = busboy({ headers, defParamCharset: 'utf8', limits: { ...FIELD_LIMITS, files: 1 } });
  } catch {
    throw invalidMultipart();
  }

  // No prototype: a field named __proto__ must stay a plain field.
  const fields = Object.create(null) as Record<string, unknown>;
  let filename: string | undefined;
  let stored: Promise<StoredBlob> | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_field, stream, info) => {
      filename = info.filename;
      const metadata = withName(fields, filename);
      // Its failures reach the upload through storeStream; this only keeps a late one from
      // becoming an uncaught 'error' event once nothing reads the stream any more.
      stream.on('error', () => undefined);
      stored = (async () => {
        if (metadata.type !== undefined) await checkUpload(owner, metadata, true);
        return storeStream(stream, maxBytes);
      })();
      // A rejected upload (a failed check, 413) is answered without waiting for the rest of its body.
      stored.catch(reject);
    });
    parser.on('close', resolve);
    parser.on('error', () => reject(invalidMultipart()));
  });
  // A client that disconnects mid-body takes the parser down, and the file stream with it.
  const stopWatching = finished(body, (error) => {
    if (error) parser.destroy(error);
  });
  body.pipe(parser);
  try {
    await parsed;
  } catch (error) {
    // Whatever is left of a rejected request is read and dropped, so the response can still go out.
    body.unpipe(parser);
    body.resume();
    const blob = await stored?.catch(() => undefined);
    if (blob !== undefined) await removeBlob(blob.localPath);
    throw error;
  } finally {
    stopWatching();
  }
  return createFromBlob(owner, withName(fields, filename), await stored);
}

function withName(fields: Record<string, unknown>, filename: string | undefined): Record<string, unknown> {
  return fields.name === undefined && filename ? { ...fields, name: filename } : fields;
}
