/**
 * HPACK integers (RFC 7541 section 5.1): an N-bit prefix, then 7-bit continuation octets.
 *
 * We cap decoded values at 2^32-1 (and so at 5 continuation octets): nothing in HPACK
 * (lengths, indexes, table sizes) needs more, and a cap keeps a hostile peer from making us
 * loop or lose precision.
 */
import { HpackDecodingError } from '../errors.js';
import { HpackErrorToken } from './errors.js';

/** The largest integer we decode. */
export const MAX_HPACK_INTEGER = 0xffffffff;

/** A read position in a header block; one per decoder, reused for every block. */
export class Cursor {
  data: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
}

/**
 * Writes `value` with an N-bit prefix at `out[pos]`; `flags` holds the representation's bits
 * above the prefix. Returns the position after it. The caller guarantees room (at most 6 octets
 * for a 32-bit value).
 */
export function writeInteger(out: Uint8Array, pos: number, flags: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | max;
  value -= max;
  while (value >= 128) {
    out[pos++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Number of octets `writeInteger` uses for `value` with an N-bit prefix. */
export function integerLength(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let n = 2;
  value -= max;
  while (value >= 128) {
    n++;
    value = Math.floor(value / 128);
  }
  return n;
}

/** Reads an integer with an N-bit prefix at the cursor (the prefix octet's high bits are ignored). */
export function readInteger(c: Cursor, prefixBits: number): number {
  const data = c.data;
  const max = (1 << prefixBits) - 1;
  let pos = c.pos;
  let value = data[pos++] & max;
  if (value < max) {
    c.pos = pos;
    return value;
  }
  // Continuation octets: at most 5 (7 * 5 = 35 bits covers 2^32-1 plus the prefix).
  let shift = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= c.end) {
      throw new HpackDecodingError(`header block ends inside an integer (at octet ${pos})`, HpackErrorToken.TRUNCATED_INTEGER);
    }
    const b = data[pos++];
    value += (b & 127) * shift;
    if (value > MAX_HPACK_INTEGER) {
      throw new HpackDecodingError(`integer at octet ${c.pos} exceeds 2^32-1`, HpackErrorToken.INTEGER_OVERFLOW);
    }
    if (b < 128) {
      c.pos = pos;
      return value;
    }
    shift *= 128;
  }
  throw new HpackDecodingError(`integer at octet ${c.pos} has more than 5 continuation octets`, HpackErrorToken.INTEGER_OVERFLOW);
}

/** Decodes one integer from `data` at `offset`; for tools and tests (the decoder uses a Cursor). */
export function decodeInteger(data: Uint8Array, prefixBits: number, offset = 0): { value: number; length: number } {
  if (offset >= data.length) {
    throw new HpackDecodingError(`no integer at octet ${offset}: the block has ${data.length}`, HpackErrorToken.TRUNCATED_INTEGER);
  }
  const c = new Cursor();
  c.data = data;
  c.pos = offset;
  c.end = data.length;
  const value = readInteger(c, prefixBits);
  return { value, length: c.pos - offset };
}

/** Encodes one integer (for tools and tests). `flags` are the bits above the prefix in the first octet. */
export function encodeInteger(value: number, prefixBits: number, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(integerLength(prefixBits, value));
  writeInteger(out, 0, flags, prefixBits, value);
  return out;
}
