/**
 * The HPACK dynamic table (RFC 7541 sections 2.3.2 and 4): a FIFO of (name, value) entries whose
 * total size (name + value + 32 per entry, in octets) stays within a maximum.
 *
 * Stored as a ring buffer, so adding and evicting are O(1) per entry; the ring doubles when
 * full. Names and values are "octet strings": JS strings whose chars are 0-255, one per octet
 * (latin1), so `length` is the size in octets and strings can serve as map keys.
 *
 * Every entry ever added gets an id, `insertCount` at the time of adding. The newest entry has
 * dynamic index 1, so an entry's index is `insertCount - id`. The encoder keeps maps from
 * name and name+value to ids (see EncoderTable): indexes shift on every insert, ids never do.
 */

import { STATIC_NAME_INDEX, STATIC_PAIR_INDEX, STATIC_TABLE_LENGTH } from './static-table.js';
import type { HDTableEntry } from './types.js';

/**
 * True if an octet string has no octet >= 0x80. Short strings by hand; long ones by
 * Buffer.byteLength (UTF-8 length equals length only for ASCII), a native scan.
 */
export function isAsciiString(s: string): boolean {
  const len = s.length;
  if (len >= 16) return Buffer.byteLength(s, 'utf8') === len;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Per-entry overhead of RFC 7541 section 4.1. */
export const ENTRY_OVERHEAD = 32;

export class DynamicTable {
  protected names: string[] = new Array<string>(16).fill('');
  protected values: string[] = new Array<string>(16).fill('');
  protected mask = 15;
  /** Slot of the oldest entry. */
  protected head = 0;
  /** Number of entries. */
  length = 0;
  /** Sum of entry sizes, in octets. */
  size = 0;
  /** Current maximum size (what the last size update set). */
  maxSize: number;
  /** Number of entries ever added: the id the next entry gets. */
  insertCount = 0;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  /** Name of the entry at dynamic index i (1 = newest); the caller checks 1 <= i <= length. */
  nameAt(i: number): string {
    return this.names[(this.head + this.length - i) & this.mask];
  }

  valueAt(i: number): string {
    return this.values[(this.head + this.length - i) & this.mask];
  }

  /** Adds an entry, evicting old ones to make room (section 4.4); too large an entry empties the table. */
  /** A copy of the entries as the seed's getHdTable returns them: newest first (index 1 first). */
  entries(): HDTableEntry[] {
    const entries: HDTableEntry[] = [];
    for (let i = 1; i <= this.length; i++) {
      const name = this.nameAt(i);
      const value = this.valueAt(i);
      entries.push({ name: Buffer.from(name, 'latin1'), value: Buffer.from(value, 'latin1'), size: name.length + value.length + ENTRY_OVERHEAD });
    }
    return entries;
  }

  add(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      while (this.length > 0) this.evictOldest();
      return;
    }
    while (this.size + entrySize > this.maxSize) this.evictOldest();
    if (this.length === this.names.length) this.grow();
    const slot = (this.head + this.length) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.length++;
    this.size += entrySize;
    this.onAdd(name, value, this.insertCount++);
  }

  /** Sets the maximum size, evicting as needed (section 4.3). */
  setMaxSize(maxSize: number): void {
    this.maxSize = maxSize;
    while (this.size > maxSize) this.evictOldest();
  }

  protected evictOldest(): void {
    const slot = this.head;
    const name = this.names[slot];
    const value = this.values[slot];
    this.names[slot] = '';
    this.values[slot] = '';
    this.head = (slot + 1) & this.mask;
    this.length--;
    this.size -= name.length + value.length + ENTRY_OVERHEAD;
    this.onEvict(name, value, this.insertCount - this.length - 1);
  }

  /** Hooks for the encoder's index maps. */
  protected onAdd(_name: string, _value: string, _id: number): void {}
  protected onEvict(_name: string, _value: string, _id: number): void {}

  private grow(): void {
    const capacity = this.names.length * 2;
    const names = new Array<string>(capacity).fill('');
    const values = new Array<string>(capacity).fill('');
    for (let i = 0; i < this.length; i++) {
      names[i] = this.names[(this.head + i) & this.mask];
      values[i] = this.values[(this.head + i) & this.mask];
    }
    this.names = names;
    this.values = values;
    this.mask = capacity - 1;
    this.head = 0;
  }
}

/**
 * What the encoder knows about one name: its static table entries, its policy flags, and its
 * live dynamic entries (the id trick). One Map lookup per field finds it all.
 */
export class NameRecord {
  /** Lowest static index with this name, or 0. */
  readonly staticIndex: number;
  /** value -> static index, or null. */
  readonly staticValues: ReadonlyMap<string, number> | null;
  /** index-policy.ts flags. */
  readonly policy: number;
  /**
   * The name has no octet >= 0x80. Then a caller's string equal to it is ASCII, so is its own
   * octet string: the encoder can skip converting it (see HDDeflater.deflate).
   */
  readonly asciiName: boolean;
  /** Newest live dynamic entry with this name, or -1. */
  newestId = -1;
  /** Live dynamic entries with this name. */
  live = 0;
  /** Times the encoder wanted to index a field of this name, and times such an entry was reused. */
  indexAttempts = 0;
  reuses = 0;
  /**
   * value -> newest live id with that value, as `id` for values without an octet >= 0x80 and
   * `~id` (negative) for the others: a hit on a non-negative key proves the caller's string
   * equal to it is ASCII, like `asciiName`.
   */
  values: Map<string, number> | null = null;

  constructor(name: string, staticIndex: number, staticValues: ReadonlyMap<string, number> | null, policy: number) {
    this.staticIndex = staticIndex;
    this.staticValues = staticValues;
    this.policy = policy;
    this.asciiName = isAsciiString(name);
  }
}

/**
 * The encoder's table: the ring plus O(1) lookups by name and by name+value (the id trick
 * described above). A record holds the newest id for its name and for each of its values;
 * eviction removes a key only if it still points at the evicted id, so nothing is rewritten
 * when indexes shift. Records of static names live forever; others go with their last entry.
 */
export class EncoderTable extends DynamicTable {
  private readonly records = new Map<string, NameRecord>();
  /** Set by addField for onAdd: the value is known to be ASCII (-1: unknown, test it). */
  private valueAscii = -1;
  private readonly policyOf: (name: string) => number;

  constructor(maxSize: number, policyOf: (name: string) => number = () => 0) {
    super(maxSize);
    this.policyOf = policyOf;
  }

  /** add(), when the caller knows whether `value` is ASCII (saves a scan). */
  addField(name: string, value: string, valueAscii: boolean): void {
    this.valueAscii = valueAscii ? 1 : 0;
    this.add(name, value);
    this.valueAscii = -1;
  }

  /** The record of `name`, if it is in either table (static names' records are made on first use). */
  record(name: string): NameRecord | undefined {
    const record = this.records.get(name);
    if (record !== undefined) return record;
    const staticValues = STATIC_PAIR_INDEX.get(name);
    if (staticValues === undefined) return undefined;
    const created = new NameRecord(name, STATIC_NAME_INDEX.get(name) ?? 0, staticValues, this.policyOf(name));
    this.records.set(name, created);
    return created;
  }

  /** HPACK index (static + dynamic address space) of a live entry id. */
  indexOfId(id: number): number {
    return STATIC_TABLE_LENGTH + this.insertCount - id;
  }

  /** Dynamic index (1 = newest) of an entry equal to (name, value), or 0. */
  findPair(name: string, value: string): number {
    const id = this.records.get(name)?.values?.get(value);
    return id === undefined ? 0 : this.insertCount - (id < 0 ? ~id : id);
  }

  /** Dynamic index of the newest entry named `name`, or 0. */
  findName(name: string): number {
    const record = this.records.get(name);
    return record === undefined || record.newestId < 0 ? 0 : this.insertCount - record.newestId;
  }

  protected override onAdd(name: string, value: string, id: number): void {
    let record = this.record(name);
    if (record === undefined) {
      record = new NameRecord(name, 0, null, this.policyOf(name));
      this.records.set(name, record);
    }
    record.newestId = id;
    record.live++;
    if (record.values === null) record.values = new Map();
    const ascii = this.valueAscii === -1 ? isAsciiString(value) : this.valueAscii === 1;
    record.values.set(value, ascii ? id : ~id);
  }

  protected override onEvict(name: string, value: string, id: number): void {
    const record = this.records.get(name);
    if (record === undefined) return;
    if (record.newestId === id) record.newestId = -1;
    if (record.values !== null) {
      const stored = record.values.get(value);
      if (stored === id || stored === ~id) record.values.delete(value);
    }
    if (--record.live === 0) {
      record.values = null;
      if (record.staticIndex === 0) this.records.delete(name);
    }
  }
}
