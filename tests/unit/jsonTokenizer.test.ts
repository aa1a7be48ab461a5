import { expect } from 'chai';
import fc from 'fast-check';
import { UploadJsonTokenizer, type DataSink } from '../../utils/files/upload/jsonTokenizer';

/** Keeps the last `data` string's content, as the upload would stage it. */
class CollectingSink implements DataSink {
  parts: Buffer[] = [];

  begin(): Promise<void> {
    this.parts = [];
    return Promise.resolve();
  }

  write(bytes: Buffer): Promise<void> {
    this.parts.push(Buffer.from(bytes));
    return Promise.resolve();
  }
}

interface Tokenized {
  fields: [string, unknown][];
  data: Buffer | undefined;
  dataValue: unknown;
}

/** Feeds `body` cut at `cuts` (sorted offsets), then judges it whole, as the upload reader does. */
async function tokenize(body: Buffer, cuts: readonly number[]): Promise<Tokenized> {
  const sink = new CollectingSink();
  const tokenizer = new UploadJsonTokenizer(Number.POSITIVE_INFINITY, sink);
  let start = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > start) await tokenizer.read(body.subarray(start, cut));
    start = Math.max(start, cut);
  }
  tokenizer.checkComplete();
  return { fields: Object.entries(tokenizer.fields), data: tokenizer.dataIsString ? Buffer.concat(sink.parts) : undefined, dataValue: tokenizer.dataValue };
}

/** What JSON.parse makes of `body`, in the tokenizer's terms. */
function oracle(body: Buffer): Tokenized {
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { fields: [], data: undefined, dataValue: undefined };
  const { data } = parsed as Record<string, unknown>;
  const fields = Object.entries(parsed).filter(([key]) => key !== 'data');
  return { fields, data: typeof data === 'string' ? Buffer.from(data, 'utf8') : undefined, dataValue: typeof data === 'string' ? undefined : data };
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A JSON string literal of `text` in one of the many ways JSON allows: each UTF-16 unit raw,
 * as a short escape, or as `\uXXXX` (so a surrogate pair may come as two escapes), chosen by `salt`.
 */
function stringLiteral(text: string, salt: number): string {
  let literal = '"';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    const unit = text.charCodeAt(index);
    const mode = (index * 7 + salt) % 5;
    const mustEscape = char === '"' || char === '\\' || unit < 0x20;
    if (mode === 0 || (mustEscape && SHORT_ESCAPES[char] === undefined)) literal += `\\u${unit.toString(16).padStart(4, '0')}`;
    else if ((mode === 1 || mustEscape) && SHORT_ESCAPES[char] !== undefined) literal += SHORT_ESCAPES[char];
    else literal += char;
  }
  return `${literal}"`;
}

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ');

/** Number literals JSON.stringify never writes: exponents, signs, leading zeros of fractions. */
const numberLiteral = fc
  .tuple(fc.constantFrom('', '-'), fc.constantFrom('0', '7', '42', '9007199254740993'), fc.constantFrom('', '.0', '.5', '.000125'), fc.constantFrom('', 'e5', 'E-3', 'e+0', 'E21'))
  .map((parts) => parts.join(''));

/** JSON text of any value, its strings written by stringLiteral. */
const valueText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('true', 'false', 'null'),
    numberLiteral,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
    fc.tuple(fc.string({ unit: 'binary' }), fc.nat()).map(([text, salt]) => stringLiteral(text, salt)),
    fc.tuple(fc.array(tie('value'), { maxLength: 3 }), whitespace).map(([items, space]) => `[${space}${items.join(`${space},`)}]`),
    fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), fc.nat()), { maxLength: 3 }).map((members) => `{${members.map(([key, value, salt]) => `${stringLiteral(key, salt)}:${value}`).join(',')}}`),
  ),
})).value;

/** The data members JSON.parse can tell apart: base64 text, any text at all, or not a string. */
const dataText = fc.oneof(
  fc.tuple(fc.base64String(), fc.nat()).map(([text, salt]) => stringLiteral(text, salt)),
  fc.tuple(fc.string({ unit: 'binary' }), fc.nat()).map(([text, salt]) => stringLiteral(text, salt)),
  valueText,
);

const memberKey = fc.oneof(fc.constantFrom('name', 'type', 'parentId', 'isPublic', 'data', 'd\\u0061ta', '__proto__'), fc.string({ unit: 'binary', maxLength: 8 }).map((key) => stringLiteral(key, 3).slice(1, -1)));

/** An upload's JSON object: upload members and others, `data` possibly repeated, white space anywhere JSON allows it. */
const uploadBody = fc
  .tuple(fc.array(fc.tuple(memberKey, fc.oneof(valueText, dataText), whitespace, whitespace), { maxLength: 6 }), whitespace)
  .map(([members, space]) => `${space}{${members.map(([key, value, before, after]) => `${before}"${key}"${after}:${before}${value}${after}`).join(',')}}${space}`)
  .map((text) => Buffer.from(text, 'utf8'));

/** A body and every way of cutting it in two, and in three. */
async function expectSameAsOracleAtEveryCut(body: Buffer): Promise<void> {
  const expected = oracle(body);
  for (let cut = 0; cut <= body.length; cut += 1) {
    expect(await tokenize(body, [cut]), `cut at ${cut} of ${body.toString('utf8')}`).to.deep.equal(expected);
  }
  const oneByteAtATime = Array.from({ length: body.length }, (_, index) => index);
  expect(await tokenize(body, oneByteAtATime)).to.deep.equal(expected);
}

describe('the streaming JSON tokenizer of uploads', () => {
  it('reads what JSON.parse reads, whatever the chunks: members, escapes, surrogate pairs, numbers, nesting', async () => {
    await fc.assert(fc.asyncProperty(uploadBody, expectSameAsOracleAtEveryCut), { numRuns: 150 });
  });

  it('reads bodies that are not objects as no fields, once they are JSON', async () => {
    await fc.assert(fc.asyncProperty(valueText.filter((text) => !text.startsWith('{')), (text) => expectSameAsOracleAtEveryCut(Buffer.from(text, 'utf8'))), { numRuns: 100 });
  });

  it('rejects exactly the bodies JSON.parse rejects: cut short, a byte changed, or a byte added', async () => {
    const mutated = fc.tuple(uploadBody, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'replace', 'insert')).map(([body, at, byte, how]) => {
      const index = body.length === 0 ? 0 : at % body.length;
      if (how === 'truncate') return body.subarray(0, index);
      if (how === 'replace') return Buffer.concat([body.subarray(0, index), Buffer.from([byte]), body.subarray(index + 1)]);
      return Buffer.concat([body.subarray(0, index), Buffer.from([byte]), body.subarray(index)]);
    });
    await fc.assert(
      fc.asyncProperty(mutated.filter((body) => body.length > 0), async (body) => {
        let parsed = true;
        try {
          JSON.parse(body.toString('utf8'));
        } catch {
          parsed = false;
        }
        for (const cut of [0, body.length >> 1, body.length]) {
          const read = await tokenize(body, [cut]).then(
            () => true,
            () => false,
          );
          expect(read, `${body.toString('utf8')} cut at ${cut}`).to.equal(parsed);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the last of a repeated data member, as JSON.parse does', async () => {
    expect((await tokenize(Buffer.from('{"data":"QUFB","data":"QkJC"}'), [12])).data?.toString()).to.equal('QkJC');
    expect(await tokenize(Buffer.from('{"data":"QUFB","data":7}'), [5])).to.deep.include({ data: undefined, dataValue: 7 });
  });

  it('joins a surrogate pair written as two escapes split across chunks', async () => {
    const body = Buffer.from('{"data":"\\ud83d\\ude00"}');
    for (let cut = 0; cut <= body.length; cut += 1) expect((await tokenize(body, [cut])).data?.toString('utf8')).to.equal('😀');
  });
});
