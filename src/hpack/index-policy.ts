/**
 * The deflater's policy: which fields go into the dynamic table, and which must never be
 * indexed anywhere.
 *
 * Indexing pays when a field repeats: the next occurrence costs one octet. It costs when the
 * value changes every time: the entry is never reused and pushes out entries that would have
 * been. So we index by default and skip
 *   - fields whose entry would take more than 3/4 of the table (it would flush nearly all else),
 *   - fields whose values are unique per message by nature (lengths, dates, validators,
 *     paths with query strings ...), listed below.
 * The list was checked against the hpack-test-case corpus: see the README of bench/hpack.
 */

/** Names whose values rarely repeat across messages; indexing them churns the table. */
const CHURNING_NAMES = new Set<string>([
  ':path',
  'age',
  'content-length',
  'etag',
  'if-modified-since',
  'if-none-match',
  'location',
  'set-cookie',
]);

/**
 * Fields sent as never-indexed literals (RFC 7541 section 7.1.3) even when the caller does not
 * mark them: credentials, and short cookies (a short secret is guessable by a compression
 * oracle; long cookies are not, and indexing them saves a lot).
 */
export function isNeverIndexed(name: string, value: string): boolean {
  switch (name) {
    case 'authorization':
    case 'proxy-authorization':
      return true;
    case 'cookie':
      return value.length < 20;
    default:
      return false;
  }
}

/** Should a (non-sensitive) field be added to the dynamic table? */
export function shouldIndex(name: string, _value: string, entrySize: number, tableMaxSize: number): boolean {
  if (entrySize * 4 > tableMaxSize * 3) return false;
  return !CHURNING_NAMES.has(name);
}
