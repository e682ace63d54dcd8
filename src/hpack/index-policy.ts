/**
 * The deflater's policy: which fields go into the dynamic table, and which must never be
 * indexed anywhere. Expressed as flags per name, looked up once per name (the encoder table
 * caches them in its per-name record), plus the size rule.
 *
 * Indexing pays when a field repeats: the next occurrence costs one octet. It costs when the
 * value changes every time: the entry is never reused and pushes out entries that would have
 * been. So we index by default and skip
 *   - fields whose entry would take more than 3/4 of the table (it would flush nearly all else),
 *   - names whose values are unique per message by nature, listed below,
 *   - names that prove so on this connection: after 8 entries of a name were added and none
 *     was ever reused, only every 16th is indexed (to notice if that changes). On the corpus
 *     this saves a further 0.8% (e.g. request ids, timestamps under custom names).
 */

/** Never index, whatever the value: credentials (RFC 7541 section 7.1.3). */
export const POLICY_NEVER_INDEX = 1;
/** Never index when the value is short (< 20 octets): a short cookie is guessable by a compression oracle. */
export const POLICY_NEVER_INDEX_IF_SHORT = 2;
/** Send as a literal without indexing: the values churn. */
export const POLICY_DO_NOT_INDEX = 4;

/** Values shorter than this are "short" for POLICY_NEVER_INDEX_IF_SHORT. */
export const SHORT_SECRET_LENGTH = 20;

/**
 * Churning names were measured on the hpack-test-case raw-data corpus (3384 blocks): each of
 * `:path`, `age`, `content-length`, `last-modified`, when indexed, costs more octets than it
 * saves, while indexing `etag`, `location`, `if-none-match` or `if-modified-since` pays (clients
 * revalidate the same resources, sites redirect the same way). `set-cookie` would save a little
 * (0.3%) but stays out of the table: its values are session secrets and rarely the same twice.
 */
const POLICIES = new Map<string, number>([
  ['authorization', POLICY_NEVER_INDEX],
  ['proxy-authorization', POLICY_NEVER_INDEX],
  ['cookie', POLICY_NEVER_INDEX_IF_SHORT],
  [':path', POLICY_DO_NOT_INDEX],
  ['age', POLICY_DO_NOT_INDEX],
  ['content-length', POLICY_DO_NOT_INDEX],
  ['last-modified', POLICY_DO_NOT_INDEX],
  ['set-cookie', POLICY_DO_NOT_INDEX],
]);

/** The policy flags of a name (0: index freely). */
export function namePolicy(name: string): number {
  return POLICIES.get(name) ?? 0;
}

/** Is a field of this size worth a table entry? Not if it would take over 3/4 of the table. */
export function fitsPolicy(entrySize: number, tableMaxSize: number): boolean {
  return entrySize * 4 <= tableMaxSize * 3;
}

/** Entries of a name added without any reuse before we stop indexing it... */
const LEARN_AFTER = 8;
/** ...except one in this many, to notice when its values start repeating. */
const RECHECK_EVERY = 16;

/**
 * The adaptive part, given a name's counters: `attempts` fields of this name were worth
 * indexing by the static rules (this one included), `reuses` times such an entry was hit.
 */
export function stillWorthIndexing(attempts: number, reuses: number): boolean {
  return reuses !== 0 || attempts <= LEARN_AFTER || attempts % RECHECK_EVERY === 0;
}
