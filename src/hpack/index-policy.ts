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
 */

/**
 * Names whose values rarely repeat across messages; indexing them churns the table. Measured on
 * the hpack-test-case raw-data corpus (3384 blocks): each of these, when indexed, costs more
 * octets than it saves, while indexing `etag`, `location`, `if-none-match` or
 * `if-modified-since` pays (a client revalidates the same resources, a site redirects the same way).
 * `set-cookie` would save a little (0.3%) but is left out of the table: its values are session
 * secrets and rarely the same twice.
 */
const CHURNING_NAMES = new Set<string>([':path', 'age', 'content-length', 'last-modified', 'set-cookie']);

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
