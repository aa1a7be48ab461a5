import type { IncomingHttpHeaders } from 'node:http';
import { Writable, type Readable } from 'node:stream';
import { config } from '../../config';
import { badRequest, MESSAGES, payloadTooLarge, uploadAborted } from '../../errors';
import { parseUploadMetadata, type UploadMetadata } from '../input';
import { Base64Sink, STREAM_BUFFER_BYTES } from './base64Sink';
import { assertUtf8, decodedBody } from './bodyEncoding';
import type { Place } from './create';
import { invalidJson, UploadJsonTokenizer } from './jsonTokenizer';
import type { StagedBytes } from './stagedBytes';

/**
 * `POST /files` with a JSON body, read as a stream: the base64 `data` string is decoded as it
 * arrives and staged straight into the byte store, so memory stays flat whatever the file's
 * size. Members may come in any order. When `name`, `type` and `parentId` come before `data`,
 * the parent is checked before any byte is written, and a wrong one costs no write; the answer
 * is still the one a parsed body gets, its checks in the same order.
 */

const invalidData = () => badRequest(MESSAGES.invalidData);

/**
 * Base64 grows data by 4/3; the rest of an upload's JSON (name, type, parentId, isPublic) fits
 * in the margin. The decoded size is held to UPLOAD_MAX_BYTES itself by the byte store.
 */
function jsonUploadLimit(uploadMaxBytes: number): number {
  return Math.ceil(uploadMaxBytes / 3) * 4 + 64 * 1024;
}

/** Reads the upload's JSON body into `bytes`; see the module's comment. */
export async function stageJsonUpload(place: Place, body: Readable, headers: IncomingHttpHeaders, bytes: StagedBytes): Promise<UploadMetadata> {
  const bodyLimit = jsonUploadLimit(config().uploadMaxBytes);
  assertUtf8(headers);
  if (Number(headers['content-length'] ?? 0) > bodyLimit) throw payloadTooLarge();

  /** Why the bytes of the last `data` string were not written, judged with the members before it. */
  let refusal: { error: unknown } | undefined;
  const acceptBytes = async (): Promise<boolean> => {
    refusal = undefined;
    if (tokenizer.fields.type === undefined) return true;
    let metadata: UploadMetadata;
    try {
      metadata = parseUploadMetadata(tokenizer.fields, true);
    } catch {
      // Name or type is wrong so far, but a later member may mend it: the answer waits for the end.
      return true;
    }
    try {
      await place(metadata);
    } catch (error) {
      refusal = { error };
      return false;
    }
    return true;
  };
  const sink = new Base64Sink(bytes, acceptBytes);
  const tokenizer = new UploadJsonTokenizer(bodyLimit, sink);
  let stopped = false;
  const reader = new Writable({
    highWaterMark: STREAM_BUFFER_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      // Chunks already buffered when the upload failed must start no write.
      if (stopped) callback();
      else tokenizer.read(chunk).then(() => callback(), callback);
    },
  });
  try {
    const input = decodedBody(body, headers);
    // Piped, never destroyed: the request's socket must stay open for the answer.
    await new Promise<void>((resolve, reject) => {
      reader.once('finish', resolve).once('error', reject);
      input.once('error', () => reject(invalidJson()));
      body.once('aborted', () => reject(uploadAborted()));
      input.pipe(reader);
    });
    tokenizer.checkComplete();
    const metadata = parseUploadMetadata(tokenizer.fields, tokenizer.hasData);
    if (metadata.type === 'folder') return metadata;
    if (!tokenizer.dataIsString || !sink.finish()) throw invalidData();
    if (refusal !== undefined) {
      // What the byte store would have said had the bytes been written, in the order it would have.
      if (sink.decodedSize > config().uploadMaxBytes) throw payloadTooLarge();
      await place(metadata);
      // Only a later `parentId` or `isPublic` member could have mended what was refused; its bytes are gone.
      throw refusal.error;
    }
    // A write that failed (413, a client gone) answers before the parent is looked at, as it always has.
    await bytes.stored();
    return metadata;
  } catch (error) {
    stopped = true;
    body.unpipe();
    body.resume();
    throw error;
  }
}
