import type { IncomingHttpHeaders } from 'node:http';
import { finished, type Readable } from 'node:stream';
import busboy from 'busboy';
import { badRequest, MESSAGES } from '../../errors';
import { parseUploadMetadata, type UploadMetadata } from '../input';
import type { Place } from './create';
import type { StagedBytes } from './stagedBytes';

const invalidMultipart = () => badRequest(MESSAGES.invalidMultipart);

/** Bounds on everything but the file part, which the byte store bounds by UPLOAD_MAX_BYTES. */
const LIMITS = { fields: 20, fieldSize: 64 * 1024, parts: 40, headerPairs: 100, files: 1 } as const;

function withName(fields: Record<string, unknown>, filename: string | undefined): Record<string, unknown> {
  return fields.name === undefined && filename !== undefined ? { ...fields, name: filename } : fields;
}

/**
 * `POST /files` as multipart/form-data: fields `name`, `type`, `parentId`, `isPublic` and one
 * file part, in any order; without a `name` field the part's filename is the name. When the
 * fields come first, they and the parent are checked before the file's bytes are accepted (and
 * a folder's are never written); when they come after, the bytes are staged first.
 */
export async function stageMultipartUpload(place: Place, body: Readable, headers: IncomingHttpHeaders, bytes: StagedBytes): Promise<UploadMetadata> {
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
  let hasFile = false;
  let staged: Promise<unknown> | undefined;

  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_field, stream, info) => {
      [filename, hasFile] = [info.filename, true];
      const known = withName(fields, filename);
      // Its failures reach the upload through the store; this only keeps a late one from
      // becoming an uncaught 'error' event once nothing reads the stream any more.
      stream.on('error', () => undefined);
      staged = (async () => {
        const metadata = known.type === undefined ? undefined : parseUploadMetadata(known, true);
        if (metadata !== undefined) await place(metadata);
        if (metadata?.type === 'folder') stream.resume();
        else await bytes.receive(stream);
      })();
      // A rejected upload (a failed check, 413) is answered without waiting for the rest of its body.
      staged.catch(reject);
    });
    parser.on('filesLimit', () => reject(badRequest(MESSAGES.oneFilePart)));
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
    await staged;
    return parseUploadMetadata(withName(fields, filename), hasFile);
  } catch (error) {
    // Whatever is left of a rejected request is read and dropped, so the response can still go out.
    body.unpipe(parser);
    body.resume();
    // A file part still open would never end; destroying the parser fails it, so its write stops and cleans up.
    parser.destroy(invalidMultipart());
    // A check still running would start its write after the upload's bytes were discarded.
    await staged?.catch(() => undefined);
    throw error;
  } finally {
    stopWatching();
  }
}
