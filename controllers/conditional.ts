import type { IncomingHttpHeaders } from 'node:http';

/**
 * Conditional and range requests as an origin server evaluates them (RFC 9110 §13.2.2,
 * §14.2): whatever the request's Cache-Control says. Express's `req.fresh` follows a cache's
 * rules instead, and answers 200 to Node's fetch, which adds `Cache-Control: no-cache` to
 * every conditional request.
 */

export interface Validators {
  /** A strong tag `"…"` or a weak one `W/"…"`. */
  etag: string;
  lastModified: Date;
}

export type Precondition = 'proceed' | 'not-modified' | 'failed';

const ENTITY_TAG = /\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/gy;

/** The tags of an If-Match or If-None-Match list; null when it is malformed. */
function parseTagList(header: string): string[] | null {
  const tags: string[] = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < header.length) {
    const match = ENTITY_TAG.exec(header);
    if (match?.[1] === undefined) return null;
    tags.push(match[1]);
  }
  return tags;
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
const isWeak = (tag: string): boolean => tag.startsWith('W/');

function strongMatch(a: string, b: string): boolean {
  return !isWeak(a) && !isWeak(b) && a === b;
}

function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

/** HTTP dates have whole seconds; so does the comparison. */
function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function parseHttpDate(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const time = Date.parse(header);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

function listMatches(header: string, etag: string, match: (a: string, b: string) => boolean): boolean {
  const tags = parseTagList(header);
  // A malformed list matches nothing, so it can neither hide a change nor fake one.
  return tags !== null && tags.some((tag) => tag === '*' || match(tag, etag));
}

/** RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since. */
export function evaluatePreconditions(method: string, headers: IncomingHttpHeaders, current: Validators): Precondition {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!listMatches(ifMatch, current.etag, strongMatch)) return 'failed';
  } else {
    const unmodifiedSince = parseHttpDate(headers['if-unmodified-since']);
    if (unmodifiedSince !== undefined && seconds(current.lastModified) > unmodifiedSince) return 'failed';
  }
  const safe = method === 'GET' || method === 'HEAD';
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (listMatches(ifNoneMatch, current.etag, weakMatch)) return safe ? 'not-modified' : 'failed';
  } else if (safe) {
    const modifiedSince = parseHttpDate(headers['if-modified-since']);
    if (modifiedSince !== undefined && seconds(current.lastModified) <= modifiedSince) return 'not-modified';
  }
  return 'proceed';
}

/** Inclusive byte offsets of one range, within the representation. */
export interface Range {
  start: number;
  end: number;
}

/**
 * The range to serve: undefined for the whole representation (no Range, a malformed or
 * multi-range one, or an If-Range that no longer holds), 'unsatisfiable' for a 416.
 */
export function selectRange(headers: IncomingHttpHeaders, size: number, current: Validators): Range | 'unsatisfiable' | undefined {
  const header = headers.range;
  if (header === undefined) return undefined;
  const ifRange = headers['if-range']?.toString().trim();
  if (ifRange !== undefined) {
    const isTag = ifRange.startsWith('"') || ifRange.startsWith('W/');
    const stillValid = isTag ? strongMatch(ifRange, current.etag) : parseHttpDate(ifRange) === seconds(current.lastModified);
    if (!stillValid) return undefined;
  }
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
