/**
 * HDDeflater: the HPACK encoder (RFC 7541), with the seed's API.
 *
 * Blocks are written one after another into HPACK_BLOCK_ARENA (src/buffer-pool.ts: 4 KiB slabs,
 * or bigger for a bigger block), shared by every deflater in the process, and returned as views
 * of it: no copy and no allocation per block besides the view. Each block is one run of the
 * arena (acquire, grow per field, commitSlice): `deflate()` is synchronous, so blocks of
 * different deflaters never interleave, and a returned block is never written again (a full slab
 * is dropped, not reused; a returned block keeps its slab alive). Between calls a deflater holds
 * no slab. Each field is encoded in the cheapest form the tables allow, following the policy in
 * `index-policy.ts` (what to index, what never to index).
 *
 * A server sends the same response fields over and over (a static file's 200: the same dozen
 * fields, `date` changing once a second). After a block that changed nothing (no entry added or
 * evicted, no size update, no indexing decision taken), the strings it was made from are kept:
 * the same list again, with the table unchanged since, encodes to the same octets. The second
 * time, the block is encoded as usual and a copy of it kept; from the third, that copy is
 * returned after a comparison of the strings instead of a lookup per field. See `repeatOf`.
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import { HpackEncodingError, UsageError } from '../errors.js';
import { DEFAULT_HEADER_TABLE_SIZE, DEFLATE_MAX_HEADER_TABLE_SIZE } from './constants.js';
import { ENTRY_OVERHEAD, EncoderTable, isAsciiString, type NameRecord } from './dynamic-table.js';
import { huffmanEncodedLengthOfString, huffmanEncodeShorter, huffmanEncodeStringInto } from './huffman.js';
import { fitsPolicy, namePolicy, stillWorthIndexing, POLICY_DO_NOT_INDEX, POLICY_NEVER_INDEX, POLICY_NEVER_INDEX_IF_SHORT, SHORT_SECRET_LENGTH } from './index-policy.js';
import { MAX_HPACK_INTEGER, writeInteger } from './integer.js';
import type { HDTableEntry, HeaderField, HeaderString } from './types.js';
import { EMPTY_BUFFER, HPACK_BLOCK_ARENA } from '../buffer-pool.js';

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

/** An octet string (chars 0-255, one per octet) from a UTF-8 string or bytes. */
function toOctets(x: HeaderString): string {
  if (typeof x === 'string') {
    // All chars below 0x80: the string is its own octet string (UTF-8 = latin1 = ASCII).
    return isAsciiString(x) ? x : Buffer.from(x, 'utf8').toString('latin1');
  }
  return (x instanceof Buffer ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength)).toString('latin1');
}

/** What a deflater holds between calls: nothing. */
const NO_SLAB = EMPTY_BUFFER;

function isHeaderString(x: unknown): x is HeaderString {
  return typeof x === 'string' || x instanceof Uint8Array;
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
  /** During `deflate()`: the arena's slab the block is written into (re-read after every grow). */
  private out: Buffer = NO_SLAB;
  /** Size updates owed at the start of the next block (RFC 7541 section 4.2). */
  private updatePending = false;
  private updateMin = 0;
  /**
   * The last block's fields when it may be repeated (see `repeatOf`): names and values, one
   * after the other (reused, not reallocated), and the table's `insertCount` it was made at (-1:
   * none); `lastBlock`, its octets once the same list came twice (a copy of our own: a view
   * would keep its 4 KiB arena slab alive as long as the connection lives).
   */
  private lastBlock: Buffer | null = null;
  private readonly lastStrings: string[] = [];
  private lastInsertCount = -1;
  /** During `deflate()`: the fields are the kept ones, but no block was kept yet. */
  private sameAsLast = false;
  /** During `deflate()`: the block took a decision that depends on counters (see `repeatOf`). */
  private blockDecided = false;

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
    this.table = new EncoderTable(initial, namePolicy);
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
    this.forget();
  }

  /** The dynamic table, newest entry first (index 1 first). */
  getHdTable(): HDTableEntry[] {
    return this.table.entries();
  }

  /** Current maximum size of the dynamic table, and octets in use. */
  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  get tableSize(): number {
    return this.table.size;
  }

  /** Encodes one header block. The buffer returned is not to be written into (a repeat of a block may return it again). */
  deflate(headers: Iterable<HeaderField>): Buffer {
    const fields: readonly HeaderField[] = Array.isArray(headers) ? headers : Array.from(headers);
    // Before the checks: a repeat's fields equal the strings of a block that passed them.
    const repeated = this.repeatOf(fields);
    if (repeated !== null) return repeated;
    // Check every field before encoding any: a throw halfway would leave entries in our table
    // that the peer never saw.
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      if (!Array.isArray(field) || !isHeaderString(field[0]) || !isHeaderString(field[1])) {
        throw new HpackEncodingError(
          `header field ${i} must be [name, value] or [name, value, options] with string or Uint8Array name and value`,
          'hpack_bad_field_type',
        );
      }
    }
    const arena = HPACK_BLOCK_ARENA;
    const insertCount = this.table.insertCount;
    const updated = this.updatePending;
    this.blockDecided = false;
    let pos = arena.acquire(12, 0);
    this.out = arena.buffer;
    try {
      pos = this.encodeFields(fields, pos);
    } catch (error) {
      // Only a caller's object can throw here (a getter, a Proxy): close the run, keep nothing.
      arena.release();
      this.out = NO_SLAB;
      this.forget();
      throw error;
    }
    this.out = NO_SLAB;
    const block = arena.commitSlice(pos);
    return this.remember(fields, block, !updated && !this.blockDecided && this.table.insertCount === insertCount);
  }

  /**
   * The last block again, if `fields` are its fields (the same strings, compared by value) and
   * encoding them now would give the same octets; else null. That holds when the last block
   * changed nothing and nothing changed since: it added no entry and none was added after
   * (`insertCount` is the same; an eviction comes only with an add or a size change, and a size
   * change forgets the block), it owed no size update, and it took no indexing decision (those
   * count attempts: `stillWorthIndexing`). Encoding again would only count its dynamic-table hits
   * in `NameRecord.reuses`, which the policy reads as zero or not: the first encoding counted
   * them already, so they are not zero. Sensitive fields and byte strings are never repeated.
   */
  private repeatOf(fields: readonly HeaderField[]): Buffer | null {
    this.sameAsLast = false;
    if (this.lastInsertCount < 0 || this.table.insertCount !== this.lastInsertCount || this.updatePending) return null;
    const strings = this.lastStrings;
    if (strings.length !== fields.length * 2) return null;
    for (let i = 0, j = 0; i < fields.length; i++, j += 2) {
      const field: unknown = fields[i];
      if (!Array.isArray(field) || field.length !== 2 || field[0] !== strings[j] || field[1] !== strings[j + 1]) return null;
    }
    if (this.lastBlock !== null) return this.lastBlock;
    // Seen twice: encode it once more (`remember` keeps a copy of the block).
    this.sameAsLast = true;
    return null;
  }

  private forget(): void {
    this.lastInsertCount = -1;
    this.lastBlock = null;
    this.sameAsLast = false;
  }

  /**
   * After `block` was made from `fields`: keeps the fields for `repeatOf` when it may be repeated
   * (`repeatable`) and they are plain strings, and a copy of the block when they came twice in a
   * row. Returns what `deflate` returns: that copy, or `block`.
   */
  private remember(fields: readonly HeaderField[], block: Buffer, repeatable: boolean): Buffer {
    if (!repeatable) {
      this.forget();
      return block;
    }
    if (this.sameAsLast) {
      // The strings kept are these fields already. Made about once per second per response
      // kind (when `date` changes), so the copy costs nothing that shows.
      const own = Buffer.allocUnsafeSlow(block.length);
      block.copy(own);
      this.lastBlock = own;
      this.sameAsLast = false;
      return own;
    }
    this.forget();
    const strings = this.lastStrings;
    strings.length = 0;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const name = field[0];
      const value = field[1];
      if (field.length !== 2 || typeof name !== 'string' || typeof value !== 'string') return block;
      strings.push(name, value);
    }
    this.lastInsertCount = this.table.insertCount;
    return block;
  }

  /** The block's fields from `pos` (the run is open; the size updates first if owed); returns its end. */
  private encodeFields(fields: readonly HeaderField[], pos: number): number {
    if (this.updatePending) {
      const size = this.table.maxSize;
      if (this.updateMin < size) pos = writeInteger(this.out, pos, 0x20, 5, this.updateMin);
      pos = writeInteger(this.out, pos, 0x20, 5, size);
      this.updatePending = false;
    }
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const rawName: HeaderString = field[0];
      const rawValue: HeaderString = field[1];
      if (!isHeaderString(rawName) || !isHeaderString(rawValue)) throw new HpackEncodingError(`header field ${i} changed while being encoded`, 'hpack_bad_field_type');
      const sensitive = field.length > 2 && field[2]?.sensitive === true;
      // Fast path, the common case on a connection: a field already in a table, given as
      // strings. A hit on an ASCII key proves the caller's string ASCII, hence its own octet
      // string, so no conversion or scan is needed (see NameRecord).
      let record: NameRecord | undefined | null = null; // null: not looked up
      let valueLookedUp = false;
      if (typeof rawName === 'string' && typeof rawValue === 'string' && !sensitive) {
        record = this.table.record(rawName);
        if (record !== undefined && record.asciiName && (record.policy & ~POLICY_DO_NOT_INDEX) === 0) {
          const staticIndex = record.staticValues?.get(rawValue);
          const id = staticIndex === undefined ? record.values?.get(rawValue) : undefined;
          if (staticIndex !== undefined || (id !== undefined && id >= 0)) {
            pos = this.ensure(pos, 6);
            if (staticIndex === undefined) record.reuses++;
            pos = writeInteger(this.out, pos, 0x80, 7, staticIndex ?? this.table.indexOfId(id!));
            continue;
          }
          valueLookedUp = id === undefined; // a negative id needs a second look with the octets
        }
      }
      // A string name found with an ASCII record is ASCII (see NameRecord): no need to scan it.
      const name = record !== null && record !== undefined && record.asciiName ? (rawName as string) : toOctets(rawName);
      const value = toOctets(rawValue);
      // What we looked up with the caller's strings holds for the octet strings if they are equal.
      if (name !== rawName) record = null;
      if (value !== rawValue) valueLookedUp = false;
      // Bound: three integers (6 octets each at most) and the strings (Huffman only if shorter,
      // or at most 30/8 per octet when forced).
      const strings = name.length + value.length;
      pos = this.ensure(pos, 18 + (this.huffman === 'always' ? strings * 4 : strings));
      // A string caller value equal to its octets is ASCII: the table need not scan it again.
      const valueAscii = typeof rawValue === 'string' && value === rawValue;
      pos = this.encodeField(pos, name, value, sensitive, record === null ? this.table.record(name) : record, valueLookedUp, valueAscii);
    }
    return pos;
  }

  /** One field, by the policy; `valueLookedUp`: the caller already found no entry equal to the field. */
  private encodeField(
    pos: number,
    name: string,
    value: string,
    sensitive: boolean,
    record: NameRecord | undefined,
    valueLookedUp: boolean,
    valueAscii: boolean,
  ): number {
    const out = this.out;
    const table = this.table;
    const policy = record !== undefined ? record.policy : namePolicy(name);
    if (policy !== 0 && (policy & POLICY_NEVER_INDEX || (policy & POLICY_NEVER_INDEX_IF_SHORT && value.length < SHORT_SECRET_LENGTH))) {
      sensitive = true;
    }
    let nameIndex = 0;
    if (record !== undefined) {
      if (!sensitive && !valueLookedUp) {
        const staticIndex = record.staticValues?.get(value);
        if (staticIndex !== undefined) return writeInteger(out, pos, 0x80, 7, staticIndex);
        const id = record.values?.get(value);
        if (id !== undefined) {
          record.reuses++;
          return writeInteger(out, pos, 0x80, 7, table.indexOfId(id < 0 ? ~id : id));
        }
      }
      // A literal: refer to the name by index, the static one first (smaller index).
      nameIndex = record.staticIndex !== 0 ? record.staticIndex : record.newestId >= 0 ? table.indexOfId(record.newestId) : 0;
    }
    let index = false;
    if (sensitive) {
      pos = writeInteger(out, pos, 0x10, 4, nameIndex);
    } else {
      const entrySize = name.length + value.length + ENTRY_OVERHEAD;
      if (this.indexing === 'auto') {
        index = (policy & POLICY_DO_NOT_INDEX) === 0 && fitsPolicy(entrySize, table.maxSize);
        if (index && record !== undefined) {
          index = stillWorthIndexing(++record.indexAttempts, record.reuses);
          this.blockDecided = true;
        }
      }
      else index = this.indexing === 'always' && entrySize <= table.maxSize;
      pos = index ? writeInteger(out, pos, 0x40, 6, nameIndex) : writeInteger(out, pos, 0x00, 4, nameIndex);
    }
    if (nameIndex === 0) pos = this.writeString(pos, name);
    pos = this.writeString(pos, value);
    if (index) {
      if (valueAscii) table.addField(name, value, true);
      else table.add(name, value);
    }
    return pos;
  }

  /**
   * A string literal, Huffman-coded if strictly shorter. For strings under 127 octets (the
   * common case) both lengths fit the 1-octet prefix, so we Huffman-encode straight after it and
   * fall back to the raw octets if the code reached the raw length: one pass, not two.
   */
  private writeString(pos: number, s: string): number {
    const out = this.out;
    const len = s.length;
    if (this.huffman === 'shorter' && len < 127) {
      const end = huffmanEncodeShorter(s, out, pos + 1, pos + 1 + len);
      if (end >= 0) {
        out[pos] = 0x80 | (end - pos - 1);
        return end;
      }
    } else if (this.huffman !== 'never') {
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

  /**
   * Makes room for `extra` more octets after `pos`: if the slab is full, the arena moves the block
   * so far to a new slab. Returns the (possibly moved) position.
   */
  private ensure(pos: number, extra: number): number {
    pos = HPACK_BLOCK_ARENA.grow(pos, extra);
    this.out = HPACK_BLOCK_ARENA.buffer;
    return pos;
  }
}
