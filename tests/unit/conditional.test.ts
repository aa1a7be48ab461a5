import { expect } from 'chai';
import { evaluatePreconditions, selectRange, type Validators } from '../../controllers/conditional';

const current: Validators = { etag: '"abc"', lastModified: new Date('2026-01-02T03:04:05.678Z') };
const weakCurrent: Validators = { ...current, etag: 'W/"abc"' };
const at = (iso: string): string => new Date(iso).toUTCString();
const SAME_SECOND = at('2026-01-02T03:04:05Z');
const BEFORE = at('2026-01-02T03:04:04Z');
const AFTER = at('2026-01-02T03:04:06Z');

describe('evaluatePreconditions (RFC 9110 §13.2.2)', () => {
  const cases: [string, Record<string, string>, string, Validators?][] = [
    ['no conditions', {}, 'proceed'],
    ['If-None-Match with the strong tag', { 'if-none-match': '"abc"' }, 'not-modified'],
    ['If-None-Match with the weak form of the tag (weak comparison)', { 'if-none-match': 'W/"abc"' }, 'not-modified'],
    ['If-None-Match with a list holding the tag', { 'if-none-match': '"x", W/"y" ,"abc"' }, 'not-modified'],
    ['If-None-Match: *', { 'if-none-match': '*' }, 'not-modified'],
    ['If-None-Match with other tags', { 'if-none-match': '"x", "y"' }, 'proceed'],
    ['a malformed If-None-Match', { 'if-none-match': 'abc' }, 'proceed'],
    ['If-Modified-Since the same second', { 'if-modified-since': SAME_SECOND }, 'not-modified'],
    ['If-Modified-Since a later second', { 'if-modified-since': AFTER }, 'not-modified'],
    ['If-Modified-Since an earlier second', { 'if-modified-since': BEFORE }, 'proceed'],
    ['an invalid If-Modified-Since', { 'if-modified-since': 'yesterday' }, 'proceed'],
    ['If-None-Match that fails, which makes If-Modified-Since ignored', { 'if-none-match': '"x"', 'if-modified-since': AFTER }, 'proceed'],
    ['If-Match with the tag', { 'if-match': '"abc"' }, 'proceed'],
    ['If-Match: *', { 'if-match': '*' }, 'proceed'],
    ['If-Match with another tag', { 'if-match': '"x"' }, 'failed'],
    ['If-Match with the weak form (strong comparison)', { 'if-match': 'W/"abc"' }, 'failed'],
    ['If-Match against a weak current tag', { 'if-match': 'W/"abc"' }, 'failed', weakCurrent],
    ['If-Unmodified-Since an earlier second', { 'if-unmodified-since': BEFORE }, 'failed'],
    ['If-Unmodified-Since the same second', { 'if-unmodified-since': SAME_SECOND }, 'proceed'],
    ['If-Match that passes, which makes If-Unmodified-Since ignored', { 'if-match': '"abc"', 'if-unmodified-since': BEFORE }, 'proceed'],
    ['Cache-Control: no-cache beside a matching If-None-Match (Node fetch, a forced reload)', { 'cache-control': 'no-cache', pragma: 'no-cache', 'if-none-match': '"abc"' }, 'not-modified'],
  ];
  for (const [what, headers, expected, validators] of cases) {
    it(`gives ${expected} on GET for ${what}`, () => {
      expect(evaluatePreconditions('GET', headers, validators ?? current)).to.equal(expected);
    });
  }

  it('gives the same answers on HEAD', () => {
    expect(evaluatePreconditions('HEAD', { 'if-none-match': '"abc"' }, current)).to.equal('not-modified');
    expect(evaluatePreconditions('HEAD', { 'if-match': '"x"' }, current)).to.equal('failed');
  });

  it('fails a matching If-None-Match on methods that change state', () => {
    expect(evaluatePreconditions('DELETE', { 'if-none-match': '*' }, current)).to.equal('failed');
    expect(evaluatePreconditions('DELETE', { 'if-modified-since': AFTER }, current)).to.equal('proceed');
  });
});

describe('selectRange (RFC 9110 §14.2)', () => {
  const size = 1000;
  const cases: [string, Record<string, string>, ReturnType<typeof selectRange>][] = [
    ['no Range', {}, undefined],
    ['bytes=0-99', { range: 'bytes=0-99' }, { start: 0, end: 99 }],
    ['bytes=990- (open-ended)', { range: 'bytes=990-' }, { start: 990, end: 999 }],
    ['bytes=-10 (suffix)', { range: 'bytes=-10' }, { start: 990, end: 999 }],
    ['bytes=-5000 (a suffix longer than the file)', { range: 'bytes=-5000' }, { start: 0, end: 999 }],
    ['bytes=900-5000 (an end past the file)', { range: 'bytes=900-5000' }, { start: 900, end: 999 }],
    ['bytes=1000- (a start past the file)', { range: 'bytes=1000-' }, 'unsatisfiable'],
    ['bytes=-0', { range: 'bytes=-0' }, 'unsatisfiable'],
    ['several ranges, served whole', { range: 'bytes=0-1,5-6' }, undefined],
    ['another unit', { range: 'items=0-1' }, undefined],
    ['a reversed range', { range: 'bytes=9-1' }, undefined],
    ['If-Range with the current strong tag', { range: 'bytes=0-9', 'if-range': '"abc"' }, { start: 0, end: 9 }],
    ['If-Range with another tag, served whole', { range: 'bytes=0-9', 'if-range': '"x"' }, undefined],
    ['If-Range with a weak tag, served whole', { range: 'bytes=0-9', 'if-range': 'W/"abc"' }, undefined],
    ['If-Range with the Last-Modified date', { range: 'bytes=0-9', 'if-range': SAME_SECOND }, { start: 0, end: 9 }],
    ['If-Range with another date, served whole', { range: 'bytes=0-9', 'if-range': BEFORE }, undefined],
  ];
  for (const [what, headers, expected] of cases) {
    it(`reads ${what}`, () => {
      expect(selectRange(headers, size, current)).to.deep.equal(expected);
    });
  }

  it('finds no byte to serve of an empty file', () => {
    expect(selectRange({ range: 'bytes=0-' }, 0, current)).to.equal('unsatisfiable');
  });
});
