/** Types shared by the deflater, the inflater and their users. */

/** Per-field options of `HDDeflater.deflate`. */
export interface HeaderFieldOptions {
  /**
   * Never index this field, here or in any intermediary (RFC 7541 section 7.1.3): for secrets a
   * compression-based attack could otherwise guess. Sent as a never-indexed literal.
   */
  sensitive?: boolean;
}

/** A name or value: a `string` is sent as UTF-8; bytes are sent as they are. */
export type HeaderString = string | Uint8Array;

/** `[name, value]` or `[name, value, { sensitive: true }]`. */
export type HeaderField =
  | readonly [name: HeaderString, value: HeaderString]
  | readonly [name: HeaderString, value: HeaderString, options: HeaderFieldOptions | undefined];

/** One dynamic table entry, as `getHdTable()` returns them (newest first, index 1 first). */
export interface HDTableEntry {
  name: Buffer;
  value: Buffer;
  /** name + value + 32, the entry's size in the table (RFC 7541 section 4.1). */
  size: number;
}
