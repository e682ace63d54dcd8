/** The seed's constants (SPEC.md section 1). */

/** The initial dynamic table size of every HTTP/2 connection (RFC 9113 section 6.5.2). */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/** The default upper bound of the table a deflater uses, whatever larger size the peer allows. */
export const DEFLATE_MAX_HEADER_TABLE_SIZE = 4096;

/** The default maximum decoded header list size of an inflater (name + value + 32 per field). */
export const DEFAULT_MAX_HEADER_LIST_SIZE = 65536;
