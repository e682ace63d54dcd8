/**
 * Open streams by id: an open-addressing hash table (linear probing, deletion by backward shift,
 * so there are no tombstones and lookups stay short).
 *
 * Why not a Map: a connection that serves one request at a time takes its Map from empty to one
 * entry and back on every request, and V8 rebuilds a Map's table in its runtime whenever a
 * delete leaves it under a quarter full (Runtime_MapShrink): the perf profile of
 * `h2load -c 100 -m 1` showed that once per request for each Map keyed by stream id. This
 * table only ever grows (to twice the most streams it held at once), and set/delete allocate nothing.
 */
export class StreamTable<T extends { readonly id: number }> {
  /** Stream id per slot; 0 is an empty slot (stream 0 is the connection, never a stream). */
  private ids: Uint32Array;
  private values_: Array<T | undefined>;
  private mask: number;
  /** 32 - log2(capacity): Fibonacci hashing takes the top bits of id * 2^32/phi. */
  private shift: number;
  private count = 0;

  constructor(capacity = 8) {
    let size = 8;
    while (size < capacity) size *= 2;
    this.ids = new Uint32Array(size);
    this.values_ = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  get size(): number {
    return this.count;
  }

  private home(id: number): number {
    return Math.imul(id, 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding `id`, or -1. */
  private find(id: number): number {
    const ids = this.ids;
    const mask = this.mask;
    for (let i = this.home(id); ; i = (i + 1) & mask) {
      const k = ids[i]!;
      if (k === id) return i;
      if (k === 0) return -1;
    }
  }

  get(id: number): T | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.values_[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /** Adds `value` under its stream id `id` (or replaces the value already there). */
  set(id: number, value: T): void {
    if (id <= 0 || id > 0x7fffffff || !Number.isInteger(id)) throw new RangeError(`not a stream id: ${id}`);
    if ((this.count + 1) * 2 > this.ids.length) this.grow();
    const ids = this.ids;
    const mask = this.mask;
    let i = this.home(id);
    for (; ids[i] !== 0; i = (i + 1) & mask) {
      if (ids[i] === id) {
        this.values_[i] = value;
        return;
      }
    }
    ids[i] = id;
    this.values_[i] = value;
    this.count++;
  }

  delete(id: number): boolean {
    let i = this.find(id);
    if (i < 0) return false;
    const ids = this.ids;
    const values = this.values_;
    const mask = this.mask;
    // Backward shift: walk the run after the hole; an entry whose home is not cyclically in
    // (hole, its slot] would be unreachable past the hole, so it moves into it.
    for (let j = (i + 1) & mask; ids[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(ids[j]!);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      ids[i] = ids[j]!;
      values[i] = values[j];
      i = j;
    }
    ids[i] = 0;
    values[i] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.ids.fill(0);
    this.values_.fill(undefined);
    this.count = 0;
  }

  /** The values in stream id order, as an array made now: callers may delete while going through it. */
  values(): T[] {
    const out: T[] = [];
    const values = this.values_;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== undefined) out.push(v);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  private grow(): void {
    const oldIds = this.ids;
    const oldValues = this.values_;
    const size = oldIds.length * 2;
    this.ids = new Uint32Array(size);
    this.values_ = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
    this.count = 0;
    for (let i = 0; i < oldIds.length; i++) {
      if (oldIds[i] !== 0) this.set(oldIds[i]!, oldValues[i]!);
    }
  }
}
