import { badRequest, HttpError, MESSAGES, payloadTooLarge } from '../../errors';

/**
 * The members of an upload's JSON object, read chunk by chunk as they arrive, split anywhere:
 * every member but `data` is small, kept, and judged by JSON.parse; `data`, the file itself,
 * is unescaped and handed on piece by piece as UTF-8, never held whole. A body that is not an
 * object is kept (up to a bound) only to tell "Invalid JSON" from an upload without fields.
 */

export const invalidJson = (): HttpError => badRequest(MESSAGES.invalidJson);

/** Past this, a member other than `data` is not kept: no name, type, id or flag is that long. */
const MEMBER_LIMIT = 64 * 1024;
/** Stands for a member too long to keep: it fails every field's rules (a name over 255 bytes, no id, no flag). */
const OVERSIZED = 'x'.repeat(1024);
/** A body that is not an object is no upload; it is kept only to tell "Invalid JSON" from "Missing name". */
const NON_OBJECT_LIMIT = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** What JSON forbids raw in a string: U+0000 to U+001F, no more (bytes of UTF-8 sequences are fine). */
// eslint-disable-next-line no-control-regex -- these characters are the point
const CONTROL_CHARACTER = /[\x00-\x1f]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

type Expect = 'body' | 'key' | 'keyOrEnd' | 'colon' | 'value' | 'commaOrEnd' | 'end';

/** Where the `data` member goes. */
export interface DataSink {
  /** A `data` member begins, of any kind: it replaces any before it, as JSON.parse keeps the last. */
  begin(isString: boolean): Promise<void>;
  /** The next piece of a `data` string's content, as the UTF-8 of the text JSON.parse would give. */
  write(bytes: Buffer): Promise<void>;
}

/** A JSON value read byte by byte only to find where it ends; JSON.parse judges it. */
class ValueScanner {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private oversized = false;

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

  /** Keeps the rest of the chunk whatever it holds: a body that is not an object is judged whole, trailing bytes included. */
  keepAll(chunk: Buffer, start: number, keepLimit: number): void {
    this.keep(chunk.subarray(start), keepLimit);
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

/** The content of a JSON string, unescaped as it streams; a surrogate pair may come as two escapes, in two chunks. */
class StringUnescaper {
  /** An unfinished escape: `\` and what followed so far. */
  private escape = '';
  /** A high surrogate from a `\u` escape, waiting to see whether a low one follows. */
  private highSurrogate = '';

  constructor(private readonly sink: DataSink) {}

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
        await this.finishEscape();
        continue;
      }
      if (quote >= 0 && quote < index) quote = chunk.indexOf(QUOTE, index);
      if (backslash >= 0 && backslash < index) backslash = chunk.indexOf(BACKSLASH, index);
      const stop = Math.min(quote < 0 ? chunk.length : quote, backslash < 0 ? chunk.length : backslash);
      if (stop > index) {
        const raw = chunk.subarray(index, stop);
        if (CONTROL_CHARACTER.test(raw.toString('latin1'))) throw invalidJson();
        await this.flushSurrogate();
        await this.sink.write(raw);
      }
      if (stop === chunk.length) return -1;
      if (stop === quote) {
        await this.flushSurrogate();
        return quote + 1;
      }
      this.escape = '\\';
      index = stop + 1;
    }
    return -1;
  }

  private async finishEscape(): Promise<void> {
    const [, kind = ''] = this.escape;
    if (kind === 'u' && this.escape.length < 6) return;
    const text = kind === 'u' ? /^\\u([0-9a-fA-F]{4})$/.exec(this.escape)?.[1] : SIMPLE_ESCAPES[kind];
    if (text === undefined) throw invalidJson();
    this.escape = '';
    if (kind !== 'u') {
      await this.flushSurrogate();
      await this.sink.write(Buffer.from(text, 'utf8'));
      return;
    }
    const unit = parseInt(text, 16);
    if (unit >= 0xdc00 && unit <= 0xdfff && this.highSurrogate !== '') {
      const pair = this.highSurrogate + String.fromCharCode(unit);
      this.highSurrogate = '';
      await this.sink.write(Buffer.from(pair, 'utf8'));
      return;
    }
    await this.flushSurrogate();
    if (unit >= 0xd800 && unit <= 0xdbff) this.highSurrogate = String.fromCharCode(unit);
    else await this.sink.write(Buffer.from(String.fromCharCode(unit), 'utf8'));
  }

  /** A high surrogate with no low one after it stands alone, as U+FFFD in UTF-8 (as Buffer.from has it). */
  private async flushSurrogate(): Promise<void> {
    if (this.highSurrogate === '') return;
    const lone = this.highSurrogate;
    this.highSurrogate = '';
    await this.sink.write(Buffer.from(lone, 'utf8'));
  }
}

/** Reads an upload's JSON body: what is being read now (a key, a value, the `data` string, or a body that is not an object) and what comes next. */
export class UploadJsonTokenizer {
  // No prototype: a member named __proto__ must stay a plain field.
  readonly fields = Object.create(null) as Record<string, unknown>;
  /** `data` when it is not a string: judged with the other checks. */
  dataValue: unknown;
  /** Whether the last `data` member was a string, whose content went to the sink. */
  dataIsString = false;
  private expect: Expect = 'body';
  private currentKey = '';
  private key: ValueScanner | undefined;
  private value: ValueScanner | undefined;
  private dataString: StringUnescaper | undefined;
  private other: ValueScanner | undefined;
  private received = 0;

  constructor(
    private readonly bodyLimit: number,
    private readonly sink: DataSink,
  ) {}

  async read(chunk: Buffer): Promise<void> {
    this.received += chunk.length;
    if (this.received > this.bodyLimit) throw payloadTooLarge();
    let index = 0;
    while (index < chunk.length) {
      if (this.other !== undefined) {
        this.other.keepAll(chunk, index, NON_OBJECT_LIMIT);
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
    if (this.dataString !== undefined) {
      const end = await this.dataString.consume(chunk, index);
      if (end >= 0) [this.dataString, this.expect] = [undefined, 'commaOrEnd'];
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
          [this.dataValue, this.dataIsString] = [undefined, byte === QUOTE];
          await this.sink.begin(this.dataIsString);
          if (this.dataIsString) {
            this.dataString = new StringUnescaper(this.sink);
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
    return this.dataIsString || (this.dataValue !== undefined && this.dataValue !== null);
  }
}
