import { PassThrough } from 'node:stream';
import { Base64Stream } from './base64Stream';
import type { DataSink } from './jsonTokenizer';
import type { StagedBytes } from './stagedBytes';

/**
 * Room for a MiB between the request, the parser and the byte store: with the default 16 KiB
 * every chunk paused the request until the store had taken its bytes, and the upload went at
 * the pace of those pauses.
 */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/**
 * The JSON `data` string, decoded from base64 as it arrives. When `accept` says yes as the
 * string begins, the bytes are staged; otherwise they are only judged, so a body refused for
 * its metadata still gets the contract's answer about its data, and costs no write.
 */
export class Base64Sink implements DataSink {
  private base64 = new Base64Stream();
  private decoded: PassThrough | undefined;
  private failed = false;
  /** Bytes the last `data` string decoded to, written or not: a refused body is still held to UPLOAD_MAX_BYTES. */
  decodedSize = 0;

  constructor(
    private readonly bytes: StagedBytes,
    /** Whether the bytes of a `data` string beginning now should be written. */
    private readonly accept: () => Promise<boolean>,
  ) {}

  async begin(isString: boolean): Promise<void> {
    this.base64 = new Base64Stream();
    this.decoded?.end();
    [this.decoded, this.failed, this.decodedSize] = [undefined, false, 0];
    if (!isString || !(await this.accept())) return;
    const decoded = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
    this.decoded = decoded;
    this.bytes.receive(decoded).catch(() => {
      if (this.decoded === decoded) this.failed = true;
    });
  }

  async write(utf8: Buffer): Promise<void> {
    const bytes = this.base64.write(utf8.toString('latin1'));
    this.decodedSize += bytes?.length ?? 0;
    if (bytes === undefined || this.decoded === undefined || this.failed) return;
    if (this.decoded.write(bytes)) return;
    const decoded = this.decoded;
    // Back-pressure from the byte store; a write that failed closes the stream instead.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        decoded.off('drain', done).off('close', done);
        resolve();
      };
      decoded.on('drain', done).on('close', done);
    });
  }

  /** Ends the last `data` string; false when it was not valid base64. */
  finish(): boolean {
    const last = this.base64.end();
    this.decodedSize += last?.length ?? 0;
    if (last !== undefined) this.decoded?.end(last);
    return last !== undefined;
  }
}
