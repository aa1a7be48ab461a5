import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { HttpError } from '../../utils/errors';
import { Base64Stream } from '../../utils/files/upload/base64Stream';
import { parseFileChanges, parseIsPublic, parsePage, parseParentRef, parseThumbnailWidth, parseUploadMetadata } from '../../utils/files/input';
import { fileFieldsOf, parseTusMetadata, parseUploadChecksum, parseUploadLength, parseUploadOffset } from '../../utils/files/resumable/protocol';
import { parseSignUp } from '../../utils/users/input';

/** The public message a parser throws with. */
function messageOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof HttpError) return `${error.status} ${error.message}`;
    throw error;
  }
  throw new Error('expected the parser to reject');
}

describe('parseUploadMetadata', () => {
  it('checks name, then type, then data, in the contract order', () => {
    expect(messageOf(() => parseUploadMetadata({}, false))).to.equal('400 Missing name');
    expect(messageOf(() => parseUploadMetadata({ name: '' }, false))).to.equal('400 Missing name');
    expect(messageOf(() => parseUploadMetadata({ name: 'a' }, false))).to.equal('400 Missing type');
    expect(messageOf(() => parseUploadMetadata({ name: 'a', type: 'dir' }, false))).to.equal('400 Missing type');
    expect(messageOf(() => parseUploadMetadata({ name: 'a', type: 'file' }, false))).to.equal('400 Missing data');
    expect(parseUploadMetadata({ name: 'a', type: 'folder' }, false).type).to.equal('folder');
  });

  it('takes names of up to 255 UTF-8 bytes without control characters', () => {
    expect(parseUploadMetadata({ name: 'é'.repeat(127) + 'x', type: 'folder' }, false).name).to.have.length(128);
    expect(parseUploadMetadata({ name: 'a'.repeat(255), type: 'folder' }, false).name).to.have.length(255);
    for (const name of ['a'.repeat(256), 'é'.repeat(128), '😀'.repeat(64), 'a\u0000b', 'line\nbreak', 'tab\there', 'del\u007f', 'c1\u0085']) {
      expect(messageOf(() => parseUploadMetadata({ name, type: 'folder' }, false)), JSON.stringify(name)).to.equal('400 Invalid name');
    }
  });

  it('reads the parent without judging it: the database does, after the data checks', () => {
    const id = new ObjectId();
    expect(parseUploadMetadata({ name: 'a', type: 'folder', parentId: id.toHexString() }, false).parent).to.deep.equal({ kind: 'folder', id });
    expect(parseUploadMetadata({ name: 'a', type: 'folder', parentId: { $gt: '' } }, false).parent).to.deep.equal({ kind: 'none' });
  });
});

describe('parseParentRef', () => {
  it('reads absent, 0, "0", "" and null as the root, 24 hex digits as a folder, anything else as no folder', () => {
    for (const value of [undefined, 0, '0', '', null]) expect(parseParentRef(value), String(value)).to.deep.equal({ kind: 'root' });
    expect(parseParentRef('0123456789abcdefABCDEF01')).to.deep.equal({ kind: 'folder', id: new ObjectId('0123456789abcdefABCDEF01') });
    for (const value of [1, '1', 'nope', '0123456789abcdef0123456', ['0'], { $ne: null }, true]) {
      expect(parseParentRef(value), JSON.stringify(value)).to.deep.equal({ kind: 'none' });
    }
  });
});

describe('parseIsPublic', () => {
  it('accepts booleans, "true"/"false", 1/0 and "1"/"0"; absent and null are false', () => {
    const cases: [unknown, boolean][] = [[true, true], ['true', true], [1, true], ['1', true], [false, false], ['false', false], [0, false], ['0', false], [undefined, false], [null, false]];
    for (const [value, expected] of cases) expect(parseIsPublic(value), JSON.stringify(value)).to.deep.equal({ ok: true, value: expected });
  });

  it('answers anything else with "Invalid isPublic", to be thrown after the contract\'s checks', () => {
    for (const value of ['yes', 'TRUE', '', 2, -1, [true], {}]) {
      const parsed = parseIsPublic(value);
      expect(parsed.ok, JSON.stringify(value)).to.equal(false);
      if (!parsed.ok) expect(parsed.error.message).to.equal('Invalid isPublic');
    }
  });
});

describe('parseFileChanges (PATCH)', () => {
  it('names unknown fields and fields of the wrong type in one answer', () => {
    expect(messageOf(() => parseFileChanges({ userId: 'x', owner: 1 }))).to.equal('400 Unknown fields: userId, owner');
    expect(messageOf(() => parseFileChanges({ name: 5, isPublic: 'yes' }))).to.equal('400 Invalid fields: name, isPublic');
    expect(messageOf(() => parseFileChanges({ name: 5, extra: true }))).to.equal('400 Unknown fields: extra; Invalid fields: name');
    expect(messageOf(() => parseFileChanges([1]))).to.equal('400 Expected a JSON object');
  });

  it('applies the upload rules to a new name', () => {
    expect(messageOf(() => parseFileChanges({ name: '' }))).to.equal('400 Missing name');
    expect(messageOf(() => parseFileChanges({ name: 'x'.repeat(256) }))).to.equal('400 Invalid name');
  });

  it('reads the fields it knows', () => {
    expect(parseFileChanges(undefined)).to.deep.equal({});
    expect(parseFileChanges({ name: 'b', isPublic: 1, parentId: 0 })).to.deep.equal({ name: 'b', isPublic: true, parent: { kind: 'root' } });
  });
});

describe('other request values', () => {
  it('reads pages as integers from 0, anything else as page 0', () => {
    expect(parsePage('3')).to.equal(3);
    for (const value of [undefined, '', '-1', '1.5', 'x', ['2'], '9'.repeat(30)]) expect(parsePage(value), String(value)).to.equal(0);
  });

  it('reads thumbnail sizes 500, 250 and 100 only', () => {
    expect(parseThumbnailWidth(undefined)).to.equal(undefined);
    expect(parseThumbnailWidth('250')).to.equal(250);
    for (const value of ['', '50', '250px', ['250']]) expect(messageOf(() => parseThumbnailWidth(value))).to.equal('400 Invalid size');
  });

  /** `text` fed in pieces of `piece` characters; undefined when the whole is not valid base64. */
  function decode(text: string, piece: number): string | undefined {
    const decoder = new Base64Stream();
    const parts: Buffer[] = [];
    for (let at = 0; at < text.length; at += piece) parts.push(decoder.write(text.slice(at, at + piece)) ?? Buffer.alloc(0));
    const last = decoder.end();
    return last === undefined ? undefined : Buffer.concat([...parts, last]).toString();
  }

  it('decodes base64 in pieces of any length, with or without padding and line breaks, and refuses anything else', () => {
    for (const piece of [1, 2, 3, 4, 5, 100]) {
      expect(decode('aGVsbG8=', piece), `padded, by ${piece}`).to.equal('hello');
      expect(decode('aGVsbG8', piece), `unpadded, by ${piece}`).to.equal('hello');
      expect(decode('aGVs\nbG8=', piece), `line break, by ${piece}`).to.equal('hello');
      expect(decode('', piece)).to.equal('');
      for (const text of ['***', 'a', 'aGVsbG8==x', 'aGVsbG8===', 'aGVs-G8=', 'aGVs\u0001bG8=']) expect(decode(text, piece), `${text} by ${piece}`).to.equal(undefined);
    }
  });

  it('checks a sign-up email before its password', () => {
    expect(messageOf(() => parseSignUp(undefined))).to.equal('400 Missing email');
    expect(messageOf(() => parseSignUp({ password: 'x' }))).to.equal('400 Missing email');
    expect(messageOf(() => parseSignUp({ email: 'a@b', password: 7 }))).to.equal('400 Missing password');
    expect(parseSignUp({ email: 'a@b', password: 'x', extra: 1 })).to.deep.equal({ email: 'a@b', password: 'x' });
  });
});

describe('the tus headers (utils/files/resumable/protocol.ts)', () => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');

  it('reads Upload-Metadata pairs, a key alone as empty, and keeps __proto__ a plain key', () => {
    const fields = parseTusMetadata(`name ${b64('ünï.txt')},flag, __proto__ ${b64('x')}`);
    expect(Object.entries(fields)).to.deep.equal([
      ['name', 'ünï.txt'],
      ['flag', ''],
      ['__proto__', 'x'],
    ]);
    expect(Object.getPrototypeOf(fields)).to.equal(null);
    expect(parseTusMetadata(undefined)).to.deep.equal({});
  });

  it('refuses a malformed Upload-Metadata: bad base64, a repeated key, an empty pair, a third part', () => {
    for (const header of ['name !!!', `name ${b64('a')},name ${b64('b')}`, `name ${b64('a')},,type ${b64('file')}`, `name ${b64('a')} extra`]) {
      expect(messageOf(() => parseTusMetadata(header)), header).to.equal('400 Invalid Upload-Metadata');
    }
  });

  it("judges the file's fields as POST /files does: filename for a missing name, a MIME type as image or file, no folder", () => {
    expect(fileFieldsOf({ filename: 'a.png', type: 'image/png' })).to.include({ name: 'a.png', type: 'image' });
    expect(fileFieldsOf({ name: 'a.pdf', filename: 'b.pdf', type: 'application/pdf' })).to.include({ name: 'a.pdf', type: 'file' });
    expect(messageOf(() => fileFieldsOf({ type: 'file' }))).to.equal('400 Missing name');
    expect(messageOf(() => fileFieldsOf({ name: 'a' }))).to.equal('400 Missing type');
    expect(messageOf(() => fileFieldsOf({ name: 'a', type: 'folder' }))).to.equal('400 Missing type');
  });

  it('reads lengths and offsets as plain decimal integers, the length within its maximum', () => {
    expect(parseUploadLength('0', 10)).to.equal(0);
    expect(messageOf(() => parseUploadLength(undefined, 10))).to.equal('400 Missing Upload-Length');
    for (const value of ['-1', '1e3', ' 5', '0x10', '99999999999999999']) expect(messageOf(() => parseUploadLength(value, 10)), value).to.equal('400 Invalid Upload-Length');
    expect(messageOf(() => parseUploadLength('11', 10))).to.equal('413 Payload too large');
    expect(parseUploadOffset('42')).to.equal(42);
    expect(messageOf(() => parseUploadOffset(undefined))).to.equal('400 Invalid Upload-Offset');
  });

  it('reads Upload-Checksum: a known algorithm with a digest of its size, else 400', () => {
    const digest = Buffer.alloc(20, 1);
    expect(parseUploadChecksum(`sha1 ${digest.toString('base64')}`)).to.deep.equal({ algorithm: 'sha1', digest });
    expect(messageOf(() => parseUploadChecksum(`crc32 ${digest.toString('base64')}`))).to.equal('400 Unsupported checksum algorithm');
    expect(messageOf(() => parseUploadChecksum(`sha256 ${digest.toString('base64')}`))).to.equal('400 Invalid Upload-Checksum');
    expect(messageOf(() => parseUploadChecksum('sha1'))).to.equal('400 Invalid Upload-Checksum');
  });
});
