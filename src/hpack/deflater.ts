/**
 * HDDeflater: the HPACK encoder (RFC 7541), with the seed's API.
 *
 * One reusable scratch buffer receives every block; `deflate` returns an exact-size copy, so
 * the per-call cost is one allocation. Each field is encoded in the cheapest form the tables
 * allow, following the policy in `index-policy.ts` (what to index, what never to index).
 */
import { HpackEncodingError, UsageError } from '../errors.js';
import { DEFAULT_HEADER_TABLE_SIZE, DEFLATE_MAX_HEADER_TABLE_SIZE } from './constants.js';
import { ENTRY_OVERHEAD, EncoderTable } from './dynamic-table.js';
import { huffmanEncodedLengthOfString, huffmanEncodeStringInto } from './huffman.js';
import { isNeverIndexed, shouldIndex } from './index-policy.js';
import { MAX_HPACK_INTEGER, writeInteger } from './integer.js';
import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX, STATIC_TABLE_LENGTH } from './static-table.js';
import type { HDTableEntry, HeaderField, HeaderString } from './types.js';

/**
 * Representation choices, for tests and tools that need a given encoding (e.g. RFC 7541
 * Appendix C). The defaults are what a connection should use.
 */
export interface DeflaterOptions {
  /** `'shorter'` (default): Huffman-code a string only when that is strictly shorter. */
  huffman?: 'shorter' | 'always' | 'never';
  /**
   * `'auto'` (default): index what is likely to repeat (see index-policy.ts). `'always'`: index
   * every field that is not sensitive. `'never'`: literals without indexing only.
   */
  indexing?: 'auto' | 'always' | 'never';
}

/** True if every char is below 0x80, so the string is its own UTF-8 and latin1 octets. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** An octet string (chars 0-255, one per octet) from a UTF-8 string or bytes. */
function toOctets(x: HeaderString, what: string): string {
  if (typeof x === 'string') {
    return isAscii(x) ? x : Buffer.from(x, 'utf8').toString('latin1');
  }
  if (x instanceof Uint8Array) {
    return (x instanceof Buffer ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength)).toString('latin1');
  }
  throw new HpackEncodingError(`header ${what} must be a string or Uint8Array, got ${typeof x}`, 'hpack_bad_field_type');
}

function checkTableSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_HPACK_INTEGER) {
    throw new UsageError(`${what} must be an integer from 0 to 2^32-1, got ${n}`, 'hpack_bad_table_size');
  }
}

export class HDDeflater {
  private readonly hdTableBufsizeMax: number;
  private readonly table: EncoderTable;
  private readonly huffman: 'shorter' | 'always' | 'never';
  private readonly indexing: 'auto' | 'always' | 'never';
  private out: Buffer = Buffer.allocUnsafe(4096);
  /** Size updates owed at the start of the next block (RFC 7541 section 4.2). */
  private updatePending = false;
  private updateMin = 0;

  /**
   * @param hdTableBufsizeMax the most table memory this encoder will use, whatever the peer
   *   allows (the seed's `hd_table_bufsize_max`).
   */
  constructor(hdTableBufsizeMax: number = DEFLATE_MAX_HEADER_TABLE_SIZE, options: DeflaterOptions = {}) {
    checkTableSize(hdTableBufsizeMax, 'hdTableBufsizeMax');
    this.hdTableBufsizeMax = hdTableBufsizeMax;
    this.huffman = options.huffman ?? 'shorter';
    this.indexing = options.indexing ?? 'auto';
    // The peer's decoder starts at 4096; if we want less, we must say so in the first block.
    const initial = Math.min(DEFAULT_HEADER_TABLE_SIZE, hdTableBufsizeMax);
    this.table = new EncoderTable(initial);
    if (initial < DEFAULT_HEADER_TABLE_SIZE) {
      this.updatePending = true;
      this.updateMin = initial;
    }
  }

  /**
   * RFC 7541 has no reference set (it existed only in HPACK drafts), so there is nothing to turn
   * off: accepted for the seed's API, changes nothing.
   */
  setNoRefset(_noRefset: boolean): void {}

  /**
   * The peer's decoder allows `n` octets (its SETTINGS_HEADER_TABLE_SIZE): use
   * `min(n, hdTableBufsizeMax)` from now on. The next block starts with the size update(s) RFC
   * 7541 section 4.2 requires: the smallest size since the last block, then the final one.
   */
  changeTableSize(n: number): void {
    checkTableSize(n, 'table size');
    const size = Math.min(n, this.hdTableBufsizeMax);
    this.updateMin = this.updatePending ? Math.min(this.updateMin, size) : size;
    this.updatePending = true;
    this.table.setMaxSize(size);
  }

  /** The dynamic table, newest entry first (index 1 first). */
  getHdTable(): HDTableEntry[] {
    const entries: HDTableEntry[] = [];
    for (let i = 1; i <= this.table.length; i++) {
      const name = this.table.nameAt(i);
      const value = this.table.valueAt(i);
      entries.push({ name: Buffer.from(name, 'latin1'), value: Buffer.from(value, 'latin1'), size: name.length + value.length + ENTRY_OVERHEAD });
    }
    return entries;
  }

  /** Current maximum size of the dynamic table, and octets in use. */
  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  get tableSize(): number {
    return this.table.size;
  }

  /** Encodes one header block. */
  deflate(headers: Iterable<HeaderField>): Buffer {
    let pos = 0;
    if (this.updatePending) {
      this.ensure(0, 12);
      const size = this.table.maxSize;
      if (this.updateMin < size) pos = writeInteger(this.out, pos, 0x20, 5, this.updateMin);
      pos = writeInteger(this.out, pos, 0x20, 5, size);
      this.updatePending = false;
    }
    for (const field of headers) {
      if (!Array.isArray(field)) {
        throw new HpackEncodingError(`a header field must be [name, value] or [name, value, options], got ${typeof field}`, 'hpack_bad_field_type');
      }
      const name = toOctets(field[0], 'name');
      const value = toOctets(field[1], 'value');
      const sensitive = (field.length > 2 && field[2]?.sensitive === true) || isNeverIndexed(name, value);
      // Bound: three integers (6 octets each at most) and the strings (Huffman only if shorter,
      // or at most 30/8 per octet when forced).
      const strings = name.length + value.length;
      this.ensure(pos, 18 + (this.huffman === 'always' ? strings * 4 : strings));
      pos = this.encodeField(pos, name, value, sensitive);
    }
    const block = Buffer.allocUnsafe(pos);
    this.out.copy(block, 0, 0, pos);
    return block;
  }

  private encodeField(pos: number, name: string, value: string, sensitive: boolean): number {
    const out = this.out;
    const table = this.table;
    let nameIndex = 0;
    if (!sensitive) {
      const staticValues = STATIC_PAIR_INDEX.get(name);
      if (staticValues !== undefined) {
        const index = staticValues.get(value);
        if (index !== undefined) return writeInteger(out, pos, 0x80, 7, index);
      }
      const dynamic = table.findPair(name, value);
      if (dynamic !== 0) return writeInteger(out, pos, 0x80, 7, STATIC_TABLE_LENGTH + dynamic);
    }
    // A literal; refer to the name by index when we can, the static one first (smaller index).
    nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
    if (nameIndex === 0) {
      const dynamic = table.findName(name);
      if (dynamic !== 0) nameIndex = STATIC_TABLE_LENGTH + dynamic;
    }
    let index = false;
    if (sensitive) {
      pos = writeInteger(out, pos, 0x10, 4, nameIndex);
    } else {
      const entrySize = name.length + value.length + ENTRY_OVERHEAD;
      index =
        this.indexing === 'always'
          ? entrySize <= table.maxSize
          : this.indexing === 'auto' && shouldIndex(name, value, entrySize, table.maxSize);
      pos = index ? writeInteger(out, pos, 0x40, 6, nameIndex) : writeInteger(out, pos, 0x00, 4, nameIndex);
    }
    if (nameIndex === 0) pos = this.writeString(pos, name);
    pos = this.writeString(pos, value);
    if (index) table.add(name, value);
    return pos;
  }

  private writeString(pos: number, s: string): number {
    const out = this.out;
    const len = s.length;
    if (this.huffman !== 'never') {
      const huffmanLength = huffmanEncodedLengthOfString(s);
      if (huffmanLength < len || this.huffman === 'always') {
        pos = writeInteger(out, pos, 0x80, 7, huffmanLength);
        return huffmanEncodeStringInto(s, out, pos);
      }
    }
    pos = writeInteger(out, pos, 0, 7, len);
    if (len < 32) {
      for (let i = 0; i < len; i++) out[pos + i] = s.charCodeAt(i);
    } else {
      out.write(s, pos, len, 'latin1');
    }
    return pos + len;
  }

  /** Makes room for `extra` more octets after `pos`, keeping what is written. */
  private ensure(pos: number, extra: number): void {
    if (pos + extra <= this.out.length) return;
    let size = this.out.length * 2;
    while (size < pos + extra) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.out.copy(grown, 0, 0, pos);
    this.out = grown;
  }
}
