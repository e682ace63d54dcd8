/**
 * HDInflater: the HPACK decoder (RFC 7541), safe on hostile input.
 *
 * `decodeTo(block, emit)` is the one implementation: it walks the block once and calls
 * `emit(name, value, neverIndexed)` per field with latin1 strings (one char per octet, lossless,
 * as node:http2 does); names and values from the static table are the table's own (interned)
 * strings. `inflate(block)` wraps it and returns `Buffer` pairs (the seed's API).
 *
 * Limits are checked before anything is allocated:
 *   - maxStringLength: a longer string literal (encoded or decoded) is rejected.
 *   - maxHeaderListSize: once the fields' total (name + value + 32 each) passes it, no more
 *     fields are emitted or materialized, but the rest of the block is still decoded (table
 *     updates applied) and then HeaderListTooLargeError is thrown: the connection stays usable.
 * Memory per block is thus bounded by the limits and the table size, whatever the block holds
 * (an indexed field of a big entry repeated a thousand times costs nothing past the limit).
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import { HpackDecodingError, UsageError } from '../errors.js';
import { DEFAULT_HEADER_TABLE_SIZE, DEFAULT_MAX_HEADER_LIST_SIZE } from './constants.js';
import { DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.js';
import { HeaderListTooLargeError, HpackErrorToken } from './errors.js';
import { huffmanDecodedBound, huffmanDecodeInto } from './huffman.js';
import { Cursor, MAX_HPACK_INTEGER, readInteger } from './integer.js';
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js';
import type { HDTableEntry } from './types.js';
import { EMPTY_BUFFER, HUFFMAN_SCRATCH } from '../buffer-pool.js';

export interface InflaterOptions {
  /** Largest decoded header list, name + value + 32 per field (default 65536). */
  maxHeaderListSize?: number;
  /** Largest string literal, encoded or decoded (default: maxHeaderListSize). */
  maxStringLength?: number;
  /**
   * The dynamic table size the peer may use at most (our SETTINGS_HEADER_TABLE_SIZE), and the
   * table's initial size (default 4096). A connection keeps the default and calls
   * `changeTableSize` when the peer acknowledges a different setting.
   */
  maxTableSize?: number;
}

/** Called once per decoded field; `neverIndexed` is true for never-indexed literals. */
export type HeaderEmitter = (name: string, value: string, neverIndexed: boolean) => void;

const STATIC_NAMES: readonly string[] = STATIC_TABLE.map(([name]) => name);
const STATIC_VALUES: readonly string[] = STATIC_TABLE.map(([, value]) => value);

/** Buffer's native latin1 decoder; present on every Buffer, missing from @types/node. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

function checkLimit(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_HPACK_INTEGER) {
    throw new UsageError(`${what} must be an integer from 0 to 2^32-1, got ${n}`, 'hpack_bad_option');
  }
  return n;
}

export class HDInflater {
  readonly maxHeaderListSize: number;
  readonly maxStringLength: number;
  private readonly table: DynamicTable;
  /** The largest size update we accept (section 6.3): our SETTINGS_HEADER_TABLE_SIZE. */
  private allowedTableSize: number;
  /** We lowered allowedTableSize below the table's size: the next block must start with an update. */
  private expectSizeUpdate = false;
  private readonly cursor = new Cursor();
  /** Where the last scanned string is: `stringSource[stringStart, stringStart + stringLength)`. */
  private stringSource: Buffer = EMPTY;
  private stringStart = 0;
  private stringLength = 0;

  constructor(options: InflaterOptions = {}) {
    this.maxHeaderListSize = checkLimit(options.maxHeaderListSize ?? DEFAULT_MAX_HEADER_LIST_SIZE, 'maxHeaderListSize');
    this.maxStringLength = checkLimit(options.maxStringLength ?? this.maxHeaderListSize, 'maxStringLength');
    this.allowedTableSize = checkLimit(options.maxTableSize ?? DEFAULT_HEADER_TABLE_SIZE, 'maxTableSize');
    this.table = new DynamicTable(this.allowedTableSize);
  }

  /**
   * Sets the largest table size the peer's encoder may use (call when the peer acknowledged our
   * SETTINGS_HEADER_TABLE_SIZE). If that is below the table's current size, the table shrinks
   * now and the peer's next block must start with a size update (RFC 7541 section 4.2).
   */
  changeTableSize(n: number): void {
    checkLimit(n, 'table size');
    this.allowedTableSize = n;
    if (n < this.table.maxSize) {
      this.table.setMaxSize(n);
      this.expectSizeUpdate = true;
    }
  }

  /** The dynamic table, newest entry first (index 1 first). */
  getHdTable(): HDTableEntry[] {
    return this.table.entries();
  }

  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  get tableSize(): number {
    return this.table.size;
  }

  /**
   * Decodes one header block into `[name, value]` Buffer pairs, in order (the seed's API). The
   * Buffers are views into one buffer allocated per block (one allocation, not two per field).
   */
  inflate(data: Uint8Array): Array<[Buffer, Buffer]> {
    const strings: string[] = [];
    let total = 0;
    this.decodeTo(data, (name, value) => {
      strings.push(name, value);
      total += name.length + value.length;
    });
    const slab = Buffer.allocUnsafe(total);
    const headers: Array<[Buffer, Buffer]> = new Array(strings.length >>> 1);
    let offset = 0;
    for (let i = 0; i < strings.length; i += 2) {
      const nameStart = offset;
      offset = writeLatin1(slab, offset, strings[i]);
      const valueStart = offset;
      offset = writeLatin1(slab, offset, strings[i + 1]);
      headers[i >>> 1] = [slab.subarray(nameStart, valueStart), slab.subarray(valueStart, offset)];
    }
    return headers;
  }

  /**
   * Decodes one complete header block, calling `emit` per field. Throws HpackDecodingError for a
   * malformed block (then the table may be out of step: end the connection with
   * COMPRESSION_ERROR), or HeaderListTooLargeError after processing the whole block.
   */
  decodeTo(data: Uint8Array, emit: HeaderEmitter): void {
    const buf = data instanceof Buffer ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const c = this.cursor;
    c.data = buf;
    c.pos = 0;
    c.end = buf.length;
    const table = this.table;
    const maxListSize = this.maxHeaderListSize;
    let listSize = 0;
    let tooLarge = false;
    let fieldSeen = false;
    try {
      while (c.pos < c.end) {
        const b = buf[c.pos];
        let name: string;
        let value: string;
        let neverIndexed = false;
        if (b >= 0x80) {
          // Indexed header field (section 6.1).
          const index = readInteger(c, 7);
          if (fieldSeen === false) this.startFields(c.pos);
          fieldSeen = true;
          if (index <= STATIC_TABLE_LENGTH) {
            if (index === 0) throw new HpackDecodingError(`indexed header field with index 0 at octet ${c.pos - 1}`, HpackErrorToken.INDEX_ZERO);
            name = STATIC_NAMES[index - 1];
            value = STATIC_VALUES[index - 1];
          } else {
            const i = index - STATIC_TABLE_LENGTH;
            if (i > table.length) throw this.indexError(index);
            name = table.nameAt(i);
            value = table.valueAt(i);
          }
          if (tooLarge) continue;
        } else if (b >= 0x20 && b < 0x40) {
          // Dynamic table size update (section 6.3): only before the first field.
          const size = readInteger(c, 5);
          if (fieldSeen) {
            throw new HpackDecodingError(`dynamic table size update (${size}) after a header field, at octet ${c.pos}`, HpackErrorToken.SIZE_UPDATE_NOT_AT_START);
          }
          if (size > this.allowedTableSize) {
            throw new HpackDecodingError(`dynamic table size update to ${size} exceeds the allowed ${this.allowedTableSize}`, HpackErrorToken.SIZE_UPDATE_TOO_LARGE);
          }
          table.setMaxSize(size);
          this.expectSizeUpdate = false;
          continue;
        } else {
          // Literal header field: with incremental indexing (01xxxxxx, section 6.2.1), without
          // indexing (0000xxxx, 6.2.2) or never indexed (0001xxxx, 6.2.3).
          const indexing = b >= 0x40;
          neverIndexed = b >= 0x10 && !indexing;
          const nameIndex = readInteger(c, indexing ? 6 : 4);
          if (fieldSeen === false) this.startFields(c.pos);
          fieldSeen = true;
          if (nameIndex === 0) {
            this.scanString(c);
            name = this.takeString();
          } else if (nameIndex <= STATIC_TABLE_LENGTH) {
            name = STATIC_NAMES[nameIndex - 1];
          } else {
            const i = nameIndex - STATIC_TABLE_LENGTH;
            if (i > table.length) throw this.indexError(nameIndex);
            name = table.nameAt(i);
          }
          const valueLength = this.scanString(c);
          const fits = !tooLarge && listSize + name.length + valueLength + ENTRY_OVERHEAD <= maxListSize;
          if (indexing) {
            value = this.takeString();
            table.add(name, value);
          } else if (fits) {
            value = this.takeString();
          } else {
            // Past the limit: validated (scanString) but not materialized.
            HUFFMAN_SCRATCH.release();
            listSize += name.length + valueLength + ENTRY_OVERHEAD;
            tooLarge = true;
            continue;
          }
          if (tooLarge) continue;
        }
        listSize += name.length + value.length + ENTRY_OVERHEAD;
        if (listSize > maxListSize) {
          tooLarge = true;
          continue;
        }
        emit(name, value, neverIndexed);
      }
    } finally {
      c.data = EMPTY;
      this.stringSource = EMPTY;
      // A throw between scanString and takeString (a bad string, a caller's emit) left it open.
      HUFFMAN_SCRATCH.release();
    }
    if (tooLarge) throw new HeaderListTooLargeError(listSize, maxListSize);
  }

  /** The first field of a block: a size update we required must have come before it. */
  private startFields(pos: number): void {
    if (this.expectSizeUpdate) {
      throw new HpackDecodingError(
        `header block must start with a dynamic table size update to at most ${this.allowedTableSize} (field at octet ${pos})`,
        HpackErrorToken.SIZE_UPDATE_MISSING,
      );
    }
  }

  private indexError(index: number): HpackDecodingError {
    return new HpackDecodingError(
      `index ${index} is past the end of the tables (${STATIC_TABLE_LENGTH} static + ${this.table.length} dynamic entries)`,
      HpackErrorToken.INDEX_OUT_OF_RANGE,
    );
  }

  /**
   * Reads a string literal (section 5.2) at the cursor: checks it, Huffman-decodes it into a run
   * of HUFFMAN_SCRATCH if needed, and records where its octets are. Returns its decoded length.
   * `takeString()` then makes the JS string and releases the run; a caller that does not want the
   * string releases it itself (the scratch is shared by every inflater: see src/buffer-pool.ts).
   */
  private scanString(c: Cursor): number {
    if (c.pos >= c.end) {
      throw new HpackDecodingError(`header block ends where a string literal should start (octet ${c.pos})`, HpackErrorToken.TRUNCATED_STRING);
    }
    const huffman = c.data[c.pos] >= 0x80;
    const length = readInteger(c, 7);
    if (length > this.maxStringLength) {
      throw new HpackDecodingError(`string literal of ${length} octets exceeds maxStringLength ${this.maxStringLength}`, HpackErrorToken.STRING_TOO_LONG);
    }
    const start = c.pos;
    if (length > c.end - start) {
      throw new HpackDecodingError(
        `string literal of ${length} octets at octet ${start} runs past the end of the ${c.end}-octet block`,
        HpackErrorToken.TRUNCATED_STRING,
      );
    }
    c.pos = start + length;
    if (!huffman) {
      this.stringSource = c.data as Buffer;
      this.stringStart = start;
      this.stringLength = length;
      return length;
    }
    const scratch = HUFFMAN_SCRATCH;
    const at = scratch.acquire(huffmanDecodedBound(length), 0);
    // Nothing is ever committed to the scratch, so a run starts at 0; a view only if that changes
    // (huffmanDecodeInto writes from offset 0: an offset parameter measurably slowed its loop).
    const out = at === 0 ? scratch.buffer : scratch.buffer.subarray(at);
    // Throws on EOS or bad padding; decodeTo's `finally` releases the run.
    const decoded = huffmanDecodeInto(c.data, start, start + length, out);
    if (decoded > this.maxStringLength) {
      throw new HpackDecodingError(`Huffman string decodes to ${decoded} octets, over maxStringLength ${this.maxStringLength}`, HpackErrorToken.STRING_TOO_LONG);
    }
    this.stringSource = out;
    this.stringStart = 0;
    this.stringLength = decoded;
    return decoded;
  }

  /**
   * The string scanString found, as a JS string. Its octets may be in the shared Huffman
   * scratch: the run is released here, before `emit` runs any caller code (which may decode with
   * another inflater, reusing the scratch).
   */
  private takeString(): string {
    const start = this.stringStart;
    const s = (this.stringSource as unknown as Latin1Slicer).latin1Slice(start, start + this.stringLength);
    HUFFMAN_SCRATCH.release();
    return s;
  }
}

const EMPTY = EMPTY_BUFFER;

/** Writes an octet string at `offset`; returns the end. Short strings by hand: a native call costs more. */
function writeLatin1(out: Buffer, offset: number, s: string): number {
  const len = s.length;
  if (len < 24) {
    for (let i = 0; i < len; i++) out[offset + i] = s.charCodeAt(i);
  } else {
    out.write(s, offset, len, 'latin1');
  }
  return offset + len;
}
