/**
 * HPACK's rejection tokens and the one error that is not fatal to the connection.
 *
 * Every malformed block throws `HpackDecodingError` (COMPRESSION_ERROR, RFC 9113 section 4.3)
 * with one of these tokens. After such an error the decoder's dynamic table may be out of step
 * with the peer's encoder, so the connection must end with GOAWAY(COMPRESSION_ERROR); the one
 * exception is `HeaderListTooLargeError`, see below.
 */
import { HpackDecodingError } from '../errors.js';

export const HpackErrorToken = Object.freeze({
  /** The block ended inside an integer (RFC 7541 section 5.1). */
  TRUNCATED_INTEGER: 'hpack_truncated_integer',
  /** An integer above 2^32-1 or longer than 5 continuation octets. */
  INTEGER_OVERFLOW: 'hpack_integer_overflow',
  /** A string literal's length runs past the end of the block (section 5.2). */
  TRUNCATED_STRING: 'hpack_truncated_string',
  /** Index 0 in an indexed header field (section 6.1). */
  INDEX_ZERO: 'hpack_index_zero',
  /** An index past the end of the static + dynamic tables (section 2.3.3). */
  INDEX_OUT_OF_RANGE: 'hpack_index_out_of_range',
  /** Huffman padding longer than 7 bits or not the most significant bits of EOS (section 5.2). */
  HUFFMAN_BAD_PADDING: 'hpack_huffman_bad_padding',
  /** The EOS symbol inside a Huffman string (section 5.2). */
  HUFFMAN_EOS: 'hpack_huffman_eos',
  /** A dynamic table size update above the maximum we allow (section 6.3). */
  SIZE_UPDATE_TOO_LARGE: 'hpack_size_update_too_large',
  /** A dynamic table size update after the first header field of a block (section 4.2). */
  SIZE_UPDATE_NOT_AT_START: 'hpack_size_update_not_at_start',
  /** We lowered the maximum table size and the next block did not start with a size update (section 4.2). */
  SIZE_UPDATE_MISSING: 'hpack_size_update_missing',
  /** The decoded header list exceeds maxHeaderListSize (name + value + 32 per field). Not fatal: see HeaderListTooLargeError. */
  HEADER_LIST_TOO_LARGE: 'hpack_header_list_too_large',
  /** A string literal longer than maxStringLength. */
  STRING_TOO_LONG: 'hpack_string_too_long',
} as const);
export type HpackErrorToken = (typeof HpackErrorToken)[keyof typeof HpackErrorToken];

/**
 * The decoded header list is larger than `maxHeaderListSize`. Unlike every other decoding error
 * this one leaves the decoder consistent: the whole block was still processed (dynamic table
 * updated exactly as the peer's encoder did), only the fields past the limit were not delivered.
 * So the connection can answer it per stream (RFC 9113 section 10.5.1: a server sends 431 or
 * RST_STREAM, a client resets the stream) and keep the connection. Fields emitted before the
 * limit was reached were already passed to `decodeTo`'s callback: discard them.
 */
export class HeaderListTooLargeError extends HpackDecodingError {
  /** The size counted when the limit was crossed (name + value + 32 per field). */
  readonly listSize: number;
  readonly maxHeaderListSize: number;

  constructor(listSize: number, maxHeaderListSize: number) {
    super(
      `header list of at least ${listSize} octets exceeds maxHeaderListSize ${maxHeaderListSize}`,
      HpackErrorToken.HEADER_LIST_TOO_LARGE,
    );
    this.listSize = listSize;
    this.maxHeaderListSize = maxHeaderListSize;
  }
}
