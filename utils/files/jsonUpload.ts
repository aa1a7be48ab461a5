import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { config } from '../config';
import { badRequest, HttpError, payloadTooLarge, uploadAborted } from '../errors';
import { Base64Stream } from './base64Stream';
import { parseUploadMetadata } from './input';
import { removeBlob, storeUpload, type StagedBytes } from './storage';
import type { Upload } from './upload';

/**
 * `POST /files` with a JSON body, read as a stream: the base64 `data` string is decoded as it
 * arrives and written straight to the byte store, like a raw upload, so memory stays flat
 * whatever the file's size; every other member is small and parsed with JSON.parse. Members
 * may come in any order: bytes that arrive before the metadata are staged, and removed if a
 * check fails. The checks, their order and their messages are the ones of a parsed body.
 */

const invalidJson = (): HttpError => badRequest('Invalid JSON');
const invalidData = (): HttpError => badRequest('Invalid data');

/** Past this, a member other than `data` is not kept: no name, type, id or flag is that long. */
const MEMBER_LIMIT = 64 * 1024;
/** Stands for a member too long to keep: it fails every field's rules (a name over 255 bytes, no id, no flag). */
const OVERSIZED = 'x'.repeat(1024);
/** A body that is not an object is no upload; it is kept only to tell "Invalid JSON" from "Missing name". */
const NON_OBJECT_LIMIT = 1024 * 1024;

/**
 * Room for a MiB between the request, the parser and the byte store: with the default 16 KiB
 * every chunk paused the request until the store had taken its bytes, and the upload went at
 * the pace of those pauses.
 */
const STREAM_BUFFER_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** What JSON forbids raw in a string: U+0000 to U+001F, no more (bytes of UTF-8 sequences are fine). */
// eslint-disable-next-line no-control-regex -- these characters are the point
const CONTROL_CHARACTER = /[\x00-\x1f]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

type Expect = 'body' | 'key' | 'keyOrEnd' | 'colon' | 'value' | 'commaOrEnd' | 'end';

/** A JSON value read byte by byte only to find where it ends; JSON.parse judges it. */
class ValueScanner {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  oversized = false;

  /**
   * Feeds bytes from `start`; returns the index just past the value (a primitive ends before
   * the byte that ends it), or -1 when the value goes on into the next chunk.
   */
  scan(chunk: Buffer, start: number, keepLimit: number): number {
    let end = -1;
    for (let index = start; index < chunk.length && end < 0; index += 1) {
      const byte = chunk[index] as number;
      if (!this.started) {
        this.started = true;
        if (byte === QUOTE) this.inString = true;
        else if (byte === 0x7b || byte === 0x5b) this.depth = 1;
      } else if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          if (this.depth === 0) end = index + 1;
        }
      } else if (byte === QUOTE) this.inString = true;
      else if (byte === 0x7b || byte === 0x5b) this.depth += 1;
      else if (this.depth > 0 && (byte === 0x7d || byte === 0x5d)) {
        this.depth -= 1;
        if (this.depth === 0) end = index + 1;
      } else if (this.depth === 0 && (byte === 0x2c || byte === 0x7d || byte === 0x5d || WHITESPACE.has(byte))) end = index;
    }
    this.keep(chunk.subarray(start, end < 0 ? chunk.length : end), keepLimit);
    return end;
  }

  private keep(part: Buffer, limit: number): void {
    this.kept += part.length;
    if (this.kept > limit) this.oversized = true;
    else this.parts.push(Buffer.from(part));
  }

  /** The value; `whenOversized` when it was too long to keep. Throws "Invalid JSON" for a malformed one. */
  value(whenOversized: unknown = OVERSIZED): unknown {
    if (this.oversized) return whenOversized;
    try {
      return JSON.parse(Buffer.concat(this.parts).toString('utf8'));
    } catch {
      throw invalidJson();
    }
  }
}

/** The `data` string, unescaped and decoded as it streams into the byte store. */
class DataStream {
  readonly base64 = new Base64Stream();
  readonly decoded = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  readonly staged: Promise<StagedBytes>;
  /** An unfinished escape: `\` and what followed so far. */
  private escape = '';
  failed: unknown;

  constructor() {
    this.staged = storeUpload(this.decoded, config().uploadMaxBytes);
    this.staged.catch((error: unknown) => {
      this.failed = error;
    });
  }

  /** Consumes string content from `start`; returns the index past the closing quote, or -1. */
  async consume(chunk: Buffer, start: number): Promise<number> {
    let index = start;
    // Each found once and looked for again only once passed: escapes may be many (PHP escapes every '/').
    let quote = chunk.indexOf(QUOTE, index);
    let backslash = chunk.indexOf(BACKSLASH, index);
    while (index < chunk.length) {
      if (this.escape !== '') {
        this.escape += String.fromCharCode(chunk[index] as number);
        index += 1;
        this.finishEscape();
        continue;
      }
      if (quote >= 0 && quote < index) quote = chunk.indexOf(QUOTE, index);
      if (backslash >= 0 && backslash < index) backslash = chunk.indexOf(BACKSLASH, index);
      const stop = Math.min(quote < 0 ? chunk.length : quote, backslash < 0 ? chunk.length : backslash);
      const text = chunk.toString('latin1', index, stop);
      const bytes = this.base64.write(text);
      // A raw control character cannot stand in a JSON string; plain base64 holds none.
      if (!this.base64.plain && CONTROL_CHARACTER.test(text)) throw invalidJson();
      await this.push(bytes);
      if (stop === chunk.length) return -1;
      if (stop === quote) return quote + 1;
      this.escape = '\\';
      index = stop + 1;
    }
    return -1;
  }

  private finishEscape(): void {
    const [, kind = ''] = this.escape;
    if (kind === 'u') {
      if (this.escape.length < 6) return;
      const code = /^\\u([0-9a-fA-F]{4})$/.exec(this.escape)?.[1];
      if (code === undefined) throw invalidJson();
      void this.push(this.base64.write(String.fromCharCode(parseInt(code, 16))));
    } else {
      const plain = SIMPLE_ESCAPES[kind];
      if (plain === undefined) throw invalidJson();
      void this.push(this.base64.write(plain));
    }
    this.escape = '';
  }

  private async push(bytes: Buffer | undefined): Promise<void> {
    if (bytes === undefined || this.failed !== undefined) return;
    if (this.decoded.write(bytes)) return;
    // Back-pressure from the byte store; a write that failed closes the stream instead.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.decoded.off('drain', done).off('close', done);
        resolve();
      };
      this.decoded.on('drain', done).on('close', done);
    });
  }

  /** Ends the bytes; resolves to the staged bytes, or undefined when the base64 was invalid. */
  async finish(): Promise<StagedBytes | undefined> {
    const last = this.base64.end();
    if (last === undefined) {
      this.decoded.destroy(invalidData());
      await this.discard();
      return undefined;
    }
    this.decoded.end(last);
    return this.staged;
  }

  /** Stops the write and removes whatever it stored. */
  async discard(): Promise<void> {
    if (!this.decoded.writableEnded) this.decoded.destroy(invalidData());
    const bytes = await this.staged.catch(() => undefined);
    if (bytes !== undefined) await removeBlob(bytes);
  }
}

/** Undoes a Content-Encoding, as express.json does; anything else is 415. */
function decodedBody(body: Readable, headers: IncomingHttpHeaders): Readable {
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return body;
  const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (decoder === undefined) throw new HttpError(415, 'Unsupported media type');
  body.pipe(decoder);
  body.once('error', (error) => decoder.destroy(error));
  return decoder;
}

/**
 * The members of an upload's JSON object, read chunk by chunk: what is being read now (a key,
 * a value, the `data` string, or a body that is not an object) and what comes next.
 */
class UploadReader {
  // No prototype: a member named __proto__ must stay a plain field.
  readonly fields = Object.create(null) as Record<string, unknown>;
  /** The last `data` string (JSON.parse keeps the last of a repeated member). */
  data: DataStream | undefined;
  /** `data` when it is not a string: judged with the other checks. */
  dataValue: unknown;
  private expect: Expect = 'body';
  private currentKey = '';
  private key: ValueScanner | undefined;
  private value: ValueScanner | undefined;
  private inData = false;
  private other: ValueScanner | undefined;
  private received = 0;

  constructor(private readonly bodyLimit: number) {}

  async read(chunk: Buffer): Promise<void> {
    this.received += chunk.length;
    if (this.received > this.bodyLimit) throw payloadTooLarge();
    let index = 0;
    while (index < chunk.length) {
      if (this.other !== undefined) {
        // Judged whole at the end, trailing bytes included.
        this.other.scan(chunk, index, NON_OBJECT_LIMIT);
        return;
      }
      const end = await this.continueMember(chunk, index);
      if (end === undefined) index = await this.structure(chunk, index);
      else if (end < 0) return;
      else index = end;
    }
  }

  /** Reads on in the member under way; undefined when none is. */
  private async continueMember(chunk: Buffer, index: number): Promise<number | undefined> {
    if (this.inData && this.data !== undefined) {
      const end = await this.data.consume(chunk, index);
      if (end >= 0) [this.inData, this.expect] = [false, 'commaOrEnd'];
      return end;
    }
    if (this.key !== undefined) {
      const end = this.key.scan(chunk, index, MEMBER_LIMIT);
      if (end >= 0) [this.currentKey, this.key, this.expect] = [String(this.key.value()), undefined, 'colon'];
      return end;
    }
    if (this.value !== undefined) {
      const end = this.value.scan(chunk, index, MEMBER_LIMIT);
      if (end >= 0) {
        if (this.currentKey === 'data') this.dataValue = this.value.value();
        else this.fields[this.currentKey] = this.value.value();
        [this.value, this.expect] = [undefined, 'commaOrEnd'];
      }
      return end;
    }
    return undefined;
  }

  /** One byte of the object's own syntax; returns where to go on. */
  private async structure(chunk: Buffer, index: number): Promise<number> {
    const byte = chunk[index] as number;
    if (WHITESPACE.has(byte)) return index + 1;
    switch (this.expect) {
      case 'body':
        if (byte !== 0x7b) {
          this.other = new ValueScanner();
          return index;
        }
        this.expect = 'keyOrEnd';
        return index + 1;
      case 'keyOrEnd':
      case 'key':
        if (byte === 0x7d && this.expect === 'keyOrEnd') {
          this.expect = 'end';
          return index + 1;
        }
        if (byte !== QUOTE) throw invalidJson();
        this.key = new ValueScanner();
        return index;
      case 'colon':
        if (byte !== 0x3a) throw invalidJson();
        this.expect = 'value';
        return index + 1;
      case 'value':
        if (this.currentKey === 'data') {
          // A repeated `data` replaces the first, as JSON.parse would have it.
          await this.data?.discard();
          [this.data, this.dataValue] = [undefined, undefined];
          if (byte === QUOTE) {
            [this.data, this.inData] = [new DataStream(), true];
            return index + 1;
          }
        }
        this.value = new ValueScanner();
        return index;
      case 'commaOrEnd':
        if (byte === 0x2c) this.expect = 'key';
        else if (byte === 0x7d) this.expect = 'end';
        else throw invalidJson();
        return index + 1;
      case 'end':
        throw invalidJson();
    }
  }

  /** Throws "Invalid JSON" unless the whole body was one JSON value, or nothing at all. */
  checkComplete(): void {
    // An empty body has no fields, as express.json has it; one of white space only is no JSON.
    if (this.received === 0) return;
    // Not an object: no upload fields, once it is known to be JSON at all.
    if (this.other !== undefined) this.other.value(undefined);
    else if (this.expect !== 'end') throw invalidJson();
  }

  get hasData(): boolean {
    return this.data !== undefined || (this.dataValue !== undefined && this.dataValue !== null);
  }
}

/**
 * Base64 grows data by 4/3; the rest of an upload's JSON (name, type, parentId, isPublic) fits
 * in the margin. The decoded size is held to UPLOAD_MAX_BYTES itself by the byte store.
 */
export function jsonUploadLimit(uploadMaxBytes: number): number {
  return Math.ceil(uploadMaxBytes / 3) * 4 + 64 * 1024;
}

/** Reads the upload's JSON body; see the module's comment. */
export async function parseJsonUpload(body: Readable, headers: IncomingHttpHeaders): Promise<Upload> {
  const bodyLimit = jsonUploadLimit(config().uploadMaxBytes);
  const charset = /charset=([^;\s]+)/i.exec(headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new HttpError(415, 'Unsupported media type');
  if (Number(headers['content-length'] ?? 0) > bodyLimit) throw payloadTooLarge();

  const upload = new UploadReader(bodyLimit);
  const reader = new Writable({
    highWaterMark: STREAM_BUFFER_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      upload.read(chunk).then(() => callback(), callback);
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
    upload.checkComplete();
    const metadata = parseUploadMetadata(upload.fields, upload.hasData);
    if (metadata.type === 'folder') {
      await upload.data?.discard();
      return { ...metadata, content: { kind: 'none' } };
    }
    const bytes = await upload.data?.finish();
    if (bytes === undefined) throw invalidData();
    return { ...metadata, content: { kind: 'staged', bytes } };
  } catch (error) {
    body.unpipe();
    body.resume();
    await upload.data?.discard();
    throw error;
  }
}
