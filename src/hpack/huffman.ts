/**
 * The HPACK Huffman code (RFC 7541 section 5.2 and Appendix B), table-driven both ways.
 *
 * Encoding: each symbol's code and length come from the generated table and are shifted into
 * a 32-bit accumulator; whole octets are flushed as they fill. No per-bit loop.
 *
 * Decoding: a finite-state machine walked one input octet at a time. The code is a complete
 * prefix code over 257 symbols, so its tree has 256 internal nodes; a state is "the internal
 * node we are at", 0 is the root. For every (state, octet) a precomputed entry says which
 * state we end in, which symbols (at most 2: the shortest code has 5 bits) were completed on
 * the way, and whether EOS was hit. The table (256 x 256 entries of 32 bits, 256 KiB) is built
 * once at module load from the generated code table (a few milliseconds), rather than
 * committed: it is derived mechanically and would be a 65536-number file.
 *
 * A string is valid when it ends in the root (no padding) or in a node reached from the root
 * by 1 to 7 one-bits: the padding must be the most significant bits of EOS (all ones) and
 * shorter than an octet.
 */
import { HpackDecodingError } from '../errors.js';
import { HpackErrorToken } from './errors.js';
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.generated.js';

// Entry layout: bits 0-7 next state, 8-9 number of symbols emitted, 10 EOS seen,
// 16-23 first symbol, 24-31 second symbol.
const EMIT_SHIFT = 8;
const FAIL_EOS = 1 << 10;

const DECODE_TABLE = new Uint32Array(256 * 256);
/** 1: a string may end in this state; 2: the state is on the all-ones path deeper than 7 bits. */
const END_STATE = new Uint8Array(256);

function buildDecoder(): void {
  // The tree: child[node * 2 + bit] is an internal node id (>= 0) or ~symbol (< 0).
  const child = new Int32Array(256 * 2).fill(0x7fffffff);
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = HUFFMAN_CODES[sym];
    const len = HUFFMAN_LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = node * 2 + ((code >>> i) & 1);
      if (i === 0) {
        child[slot] = ~sym;
      } else {
        if (child[slot] === 0x7fffffff) child[slot] = nodes++;
        node = child[slot];
      }
    }
  }
  if (nodes !== 256 || child.includes(0x7fffffff)) throw new Error('HPACK Huffman code is not a complete prefix code');

  // The all-ones path from the root: depth 0..29 (EOS is 30 ones).
  let node = 0;
  for (let depth = 0; depth < 30; depth++) {
    END_STATE[node] = depth <= 7 ? 1 : 2;
    node = child[node * 2 + 1];
  }

  for (let state = 0; state < 256; state++) {
    for (let octet = 0; octet < 256; octet++) {
      let n = state;
      let emitted = 0;
      let syms = 0;
      let fail = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const next = child[n * 2 + ((octet >>> bit) & 1)];
        if (next >= 0) {
          n = next;
          continue;
        }
        const sym = ~next;
        if (sym === HUFFMAN_EOS) {
          fail = FAIL_EOS;
          n = 0;
          break;
        }
        syms |= sym << (16 + 8 * emitted);
        emitted++;
        n = 0;
      }
      DECODE_TABLE[(state << 8) | octet] = (n | (emitted << EMIT_SHIFT) | fail | syms) >>> 0;
    }
  }
}
buildDecoder();

/** Upper bound of the decoded length of `encodedLength` Huffman octets (codes are >= 5 bits). */
export function huffmanDecodedBound(encodedLength: number): number {
  return Math.floor((encodedLength * 8) / 5) + 1;
}

/**
 * Decodes `src[start, end)` into `out` from offset 0; `out` must hold `huffmanDecodedBound(end - start)`
 * octets. Returns the decoded length. Throws HpackDecodingError on EOS or bad padding.
 */
export function huffmanDecodeInto(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const table = DECODE_TABLE;
  let state = 0;
  let o = 0;
  for (let i = start; i < end; i++) {
    const e = table[(state << 8) | src[i]];
    if (e & 0x700) {
      if (e & FAIL_EOS) {
        throw new HpackDecodingError(`Huffman string contains the EOS symbol (octet ${i - start} of ${end - start})`, HpackErrorToken.HUFFMAN_EOS);
      }
      out[o++] = e >>> 16;
      if (e & 0x200) out[o++] = e >>> 24;
    }
    state = e & 0xff;
  }
  const endState = END_STATE[state];
  if (endState !== 1) {
    throw new HpackDecodingError(
      endState === 2
        ? `Huffman string of ${end - start} octets ends with padding longer than 7 bits`
        : `Huffman string of ${end - start} octets ends with padding that is not a prefix of EOS`,
      HpackErrorToken.HUFFMAN_BAD_PADDING,
    );
  }
  return o;
}

/** Decodes a whole Huffman string (for tools and tests). */
export function huffmanDecode(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(huffmanDecodedBound(src.length));
  const n = huffmanDecodeInto(src, 0, src.length, out);
  return out.subarray(0, n);
}

/** Length in octets of the Huffman encoding of `s`, a string of octets (chars 0-255). */
export function huffmanEncodedLengthOfString(s: string): number {
  const lengths = HUFFMAN_LENGTHS;
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += lengths[s.charCodeAt(i)];
  return (bits + 7) >>> 3;
}

/** Length in octets of the Huffman encoding of `src`. */
export function huffmanEncodedLength(src: Uint8Array): number {
  const lengths = HUFFMAN_LENGTHS;
  let bits = 0;
  for (let i = 0; i < src.length; i++) bits += lengths[src[i]];
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encodes `s` (chars 0-255) into `out` at `pos`; returns the position after it.
 * `out` must have room for huffmanEncodedLengthOfString(s) octets. The same loop as
 * huffmanEncodeShorter, with a limit it never reaches (a Smi, so the comparison stays an
 * integer one).
 */
export function huffmanEncodeStringInto(s: string, out: Uint8Array, pos: number): number {
  return huffmanEncodeShorter(s, out, pos, NO_LIMIT);
}
const NO_LIMIT = 0x3fffffff;

// Pairs of ASCII octets coded at once: half the loop iterations for typical header text.
// Entry (c1 << 7) | c2 holds the two codes concatenated, and their total length, or 0 when
// that exceeds 24 bits (then the pair goes symbol by symbol).
const PAIR_CODES = new Uint32Array(128 * 128);
const PAIR_LENGTHS = new Uint8Array(128 * 128);
for (let c1 = 0; c1 < 128; c1++) {
  for (let c2 = 0; c2 < 128; c2++) {
    const len = HUFFMAN_LENGTHS[c1] + HUFFMAN_LENGTHS[c2];
    if (len > 24) continue;
    PAIR_CODES[(c1 << 7) | c2] = (HUFFMAN_CODES[c1] << HUFFMAN_LENGTHS[c2]) | HUFFMAN_CODES[c2];
    PAIR_LENGTHS[(c1 << 7) | c2] = len;
  }
}

/**
 * Huffman-encodes `s` into `out` from `pos`, giving up as soon as the code would reach `limit`
 * (the end the raw string would have): returns the end position, or -1 if not shorter.
 * `out` must have room up to `limit`. The accumulator keeps fewer than 8 pending bits between
 * steps, so a step of up to 24 bits (a pair, or one symbol) fits in 32 bits; the rare longer
 * codes (26-30 bits) go in two parts.
 */
export function huffmanEncodeShorter(s: string, out: Uint8Array, pos: number, limit: number): number {
  const codes = HUFFMAN_CODES;
  const lengths = HUFFMAN_LENGTHS;
  const pairCodes = PAIR_CODES;
  const pairLengths = PAIR_LENGTHS;
  const length = s.length;
  let acc = 0;
  let n = 0;
  let i = 0;
  while (i < length) {
    const c1 = s.charCodeAt(i);
    if (i + 1 < length) {
      const c2 = s.charCodeAt(i + 1);
      if ((c1 | c2) < 128) {
        const pair = (c1 << 7) | c2;
        const len = pairLengths[pair];
        if (len !== 0) {
          acc = (acc << len) | pairCodes[pair];
          n += len;
          i += 2;
          while (n >= 8) {
            if (pos >= limit) return -1;
            n -= 8;
            out[pos++] = acc >>> n;
          }
          continue;
        }
      }
    }
    const code = codes[c1];
    const len = lengths[c1];
    i++;
    if (len <= 24) {
      acc = (acc << len) | code;
      n += len;
    } else {
      const high = len - 16;
      acc = (acc << high) | (code >>> 16);
      n += high;
      while (n >= 8) {
        if (pos >= limit) return -1;
        n -= 8;
        out[pos++] = acc >>> n;
      }
      acc = (acc << 16) | (code & 0xffff);
      n += 16;
    }
    while (n >= 8) {
      if (pos >= limit) return -1;
      n -= 8;
      out[pos++] = acc >>> n;
    }
  }
  if (n > 0) {
    if (pos >= limit) return -1;
    out[pos++] = (acc << (8 - n)) | (0xff >>> n);
  }
  return pos < limit ? pos : -1;
}

/** Huffman-encodes `src` (for tools and tests). */
export function huffmanEncode(src: Uint8Array): Buffer {
  const s = Buffer.from(src.buffer, src.byteOffset, src.byteLength).toString('latin1');
  const out = Buffer.allocUnsafe(huffmanEncodedLengthOfString(s));
  huffmanEncodeStringInto(s, out, 0);
  return out;
}
