/**
 * Validators and conditional requests for static files (RFC 9110 sections 8.8, 13 and 14).
 *
 * - ETag: strong, from size and modification time (`"<size hex>-<mtime ms hex>"`): cheap (no
 *   hashing of the file) and it changes whenever the file is rewritten. A content-coded
 *   representation has its own (site.ts), since its bytes differ (section 8.8.3).
 * - 304: `if-none-match` (weak comparison, `*` included) decides when present; otherwise
 *   `if-modified-since` (second precision, as HTTP dates have).
 * - Ranges: one `bytes=` range (`a-b`, `a-`, `-n`) gives 206; an unsatisfiable one 416; several
 *   ranges, a bad syntax or a stale `if-range` give the whole file (200), as RFC 9110 allows.
 */
/** What the validators are made from: a file's size and modification time (a Stats will do). */
export interface Validated {
  size: number;
  mtimeMs: number;
}

export function etagOf(file: Validated): string {
  return `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}

export function lastModifiedOf(file: Pick<Validated, 'mtimeMs'>): string {
  return new Date(file.mtimeMs).toUTCString();
}

/** The opaque tag of an entity-tag, without `W/` (weak comparison, RFC 9110 section 8.8.3.2). */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** Whether `if-none-match` lists this etag (or `*`). */
export function noneMatchHits(ifNoneMatch: string, etag: string): boolean {
  const want = opaque(etag);
  for (const part of ifNoneMatch.split(',')) {
    const tag = part.trim();
    if (tag === '*' || (tag.length > 0 && opaque(tag) === want)) return true;
  }
  return false;
}

/** Whether the file is unmodified since the `if-modified-since` date (an unparsable date never matches). */
export function notModifiedSince(ifModifiedSince: string, file: Pick<Validated, 'mtimeMs'>): boolean {
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false;
  return Math.floor(file.mtimeMs / 1000) <= Math.floor(since / 1000);
}

/** The request fields that make a GET/HEAD conditional (undefined: absent). */
export interface Conditions {
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
}

/** Whether a GET/HEAD with these request fields is answered 304 Not Modified (`etag`: the selected representation's). */
export function isNotModified(conditions: Conditions, file: Pick<Validated, 'mtimeMs'>, etag: string): boolean {
  const inm = conditions.ifNoneMatch;
  if (inm !== undefined) return noneMatchHits(inm, etag);
  const ims = conditions.ifModifiedSince;
  return ims !== undefined && notModifiedSince(ims, file);
}

export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number /* inclusive */ }
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/** Parses a `range` field against a file of `size` bytes. */
export function parseRange(range: string, size: number): RangeAnswer {
  const m = SINGLE_RANGE.exec(range);
  if (m === null) return { kind: 'full' }; // several ranges, other units or bad syntax: ignored
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  let start: number;
  let end: number;
  if (first === '') {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return { kind: 'full' }; // invalid: ignore the field
  }
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** Whether `if-range` (absent, an etag or a date) still allows the range to apply. */
export function ifRangeAllows(ifRange: string | undefined, file: Pick<Validated, 'mtimeMs'>, etag: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  // An etag must match strongly (RFC 9110 section 13.1.5); a weak one never does.
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const date = Date.parse(v);
  return !Number.isNaN(date) && Math.floor(file.mtimeMs / 1000) === Math.floor(date / 1000);
}
