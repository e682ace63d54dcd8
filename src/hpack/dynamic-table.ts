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
 * The encoder's table: the ring plus O(1) lookups by name and by name+value (the id trick
 * described above). A map holds the newest id for its key; eviction removes the key only if it
 * still points at the evicted id, so the maps never need rewriting when indexes shift.
 */
export class EncoderTable extends DynamicTable {
  /** name -> newest id with that name. */
  private readonly byName = new Map<string, number>();
  /** name -> (value -> newest id with that pair). */
  private readonly byPair = new Map<string, Map<string, number>>();

  /** Dynamic index (1 = newest) of an entry equal to (name, value), or 0. */
  findPair(name: string, value: string): number {
    const values = this.byPair.get(name);
    if (values === undefined) return 0;
    const id = values.get(value);
    return id === undefined ? 0 : this.insertCount - id;
  }

  /** Dynamic index of the newest entry named `name`, or 0. */
  findName(name: string): number {
    const id = this.byName.get(name);
    return id === undefined ? 0 : this.insertCount - id;
  }

  protected override onAdd(name: string, value: string, id: number): void {
    this.byName.set(name, id);
    let values = this.byPair.get(name);
    if (values === undefined) {
      values = new Map();
      this.byPair.set(name, values);
    }
    values.set(value, id);
  }

  protected override onEvict(name: string, value: string, id: number): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
    const values = this.byPair.get(name);
    if (values !== undefined && values.get(value) === id) {
      values.delete(value);
      if (values.size === 0) this.byPair.delete(name);
    }
  }
}
