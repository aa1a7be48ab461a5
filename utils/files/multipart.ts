import type { IncomingHttpHeaders } from 'node:http';
import { finished, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { ObjectId } from 'mongodb';
import { config } from '../config';
import { badRequest } from '../errors';
import { parseUploadMetadata } from './input';
import { removeBlob, storeUpload, type StagedBytes } from './storage';
import { resolveParent } from './tree';
import type { Upload } from './upload';

const invalidMultipart = () => badRequest('Invalid multipart body');

/** Bounds on everything but the file part, which the byte store bounds by UPLOAD_MAX_BYTES. */
const LIMITS = { fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100, files: 1 } as const;

function withName(fields: Record<string, unknown>, filename: string | undefined): Record<string, unknown> {
  return fields.name === undefined && filename !== undefined ? { ...fields, name: filename } : fields;
}

/**
 * `POST /files` as multipart/form-data: fields `name`, `type`, `parentId`, `isPublic` and one
 * file part, in any order; without a `name` field the part's filename is the name. When the
 * fields come first, they and the parent are checked before the file's bytes are accepted;
 * when they come after, the bytes are staged first and removed if a check fails.
 */
export async function parseMultipartUpload(owner: ObjectId, body: Readable, headers: IncomingHttpHeaders): Promise<Upload> {
  let parser: busboy.Busboy;
  try {
    // Browsers and curl send a non-ASCII filename as raw UTF-8, not in RFC 2231 form.
    parser = busboy({ headers, defParamCharset: 'utf8', limits: LIMITS });
  } catch {
    throw invalidMultipart();
  }

  // No prototype: a field named __proto__ must stay a plain field.
  const fields = Object.create(null) as Record<string, unknown>;
  let filename: string | undefined;
  let staged: Promise<StagedBytes> | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_field, stream, info) => {
      filename = info.filename;
      const known = withName(fields, filename);
      // Its failures reach the upload through the store; this only keeps a late one from
      // becoming an uncaught 'error' event once nothing reads the stream any more.
      stream.on('error', () => undefined);
      staged = (async () => {
        if (known.type !== undefined) await resolveParent(owner, parseUploadMetadata(known, true).parent);
        return storeUpload(stream, config().uploadMaxBytes);
      })();
      // A rejected upload (a failed check, 413) is answered without waiting for the rest of its body.
      staged.catch(reject);
    });
    parser.on('filesLimit', () => reject(badRequest('Only one file part allowed')));
    parser.on('close', resolve);
    parser.on('error', () => reject(invalidMultipart()));
  });
  // A client that disconnects mid-body takes the parser down, and the file stream with it.
  const stopWatching = finished(body, (error) => {
    if (error) parser.destroy(error);
  });
  body.pipe(parser);
  let bytes: StagedBytes | undefined;
  try {
    await parsed;
    bytes = await staged;
    return { ...parseUploadMetadata(withName(fields, filename), bytes !== undefined), content: bytes ? { kind: 'staged', bytes } : { kind: 'none' } };
  } catch (error) {
    // Whatever is left of a rejected request is read and dropped, so the response can still go out.
    body.unpipe(parser);
    body.resume();
    // A file part still open would never end; destroying the parser fails it, so its write stops and cleans up.
    parser.destroy(invalidMultipart());
    const leftover = bytes ?? (await staged?.catch(() => undefined));
    if (leftover !== undefined) await removeBlob(leftover);
    throw error;
  } finally {
    stopWatching();
  }
}
