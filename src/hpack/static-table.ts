/**
 * Lookups into the static table (RFC 7541 Appendix A) for the encoder, built once.
 * The table itself is generated from the RFC: see static-table.generated.ts.
 */
import { STATIC_TABLE } from './static-table.generated.js';

// The table is public (exported from h2kit/hpack) and every encoder and decoder reads it:
// frozen, entries included, so no caller can change it under them.
for (const entry of STATIC_TABLE) Object.freeze(entry);
Object.freeze(STATIC_TABLE);

export { STATIC_TABLE };

/** Number of static entries (61): dynamic entries start at index STATIC_TABLE_LENGTH + 1. */
export const STATIC_TABLE_LENGTH = STATIC_TABLE.length;

// The two maps below are module-internal (not exported from h2kit/hpack); a Map cannot be frozen
// (Object.freeze leaves set() working), hence the ReadonlyMap types.
/** Name -> lowest static index with that name. */
export const STATIC_NAME_INDEX: ReadonlyMap<string, number> = new Map();
/** Name -> (value -> static index) for exact matches. */
export const STATIC_PAIR_INDEX: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map();

for (let i = STATIC_TABLE.length - 1; i >= 0; i--) {
  const [name, value] = STATIC_TABLE[i];
  (STATIC_NAME_INDEX as Map<string, number>).set(name, i + 1);
  let values = STATIC_PAIR_INDEX.get(name) as Map<string, number> | undefined;
  if (values === undefined) {
    values = new Map();
    (STATIC_PAIR_INDEX as Map<string, Map<string, number>>).set(name, values);
  }
  values.set(value, i + 1);
}
