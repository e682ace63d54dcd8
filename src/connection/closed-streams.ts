/**
 * Memory of recently closed streams: how each closed (so a late frame can be judged, RFC 9113
 * section 5.1 "closed"), for a bounded number of ids.
 *
 * Stream ids only grow, so the recent ones are dense: a direct-mapped table indexed by
 * `id & mask`, holding the id itself to detect a slot reused by a newer id. No hashing, no
 * allocation per close. An id whose slot was taken by one at least `capacity` higher is
 * forgotten; a forgotten id is treated as "closed, cause unknown" by the connection, which is
 * the conservative answer. The table starts small and doubles up to its limit as ids grow, so an
 * idle connection costs a few hundred octets.
 */
export class ClosedStreams {
  private ids: Uint32Array;
  private causes: Uint8Array;
  private mask: number;
  private readonly maxCapacity: number;

  /** @param remember how many recent ids to keep at least (rounded up to a power of two, per parity). */
  constructor(remember: number) {
    let max = 16;
    // Odd (client) and even (server) ids share the table: twice the slots.
    while (max < remember * 2) max *= 2;
    this.maxCapacity = max;
    this.ids = new Uint32Array(16);
    this.causes = new Uint8Array(16);
    this.mask = 15;
  }

  /** Records that `id` closed with `cause`. */
  set(id: number, cause: number): void {
    if (id > this.mask && this.ids.length < this.maxCapacity) this.grow(id);
    const slot = id & this.mask;
    this.ids[slot] = id;
    this.causes[slot] = cause;
  }

  /** How `id` closed, or -1 if it is not remembered. */
  get(id: number): number {
    const slot = id & this.mask;
    return this.ids[slot] === id && id !== 0 ? this.causes[slot]! : -1;
  }

  /** Ids the table can hold at most now. */
  get capacity(): number {
    return this.ids.length;
  }

  private grow(id: number): void {
    let size = this.ids.length;
    while (size <= id && size < this.maxCapacity) size *= 2;
    const oldIds = this.ids;
    const oldCauses = this.causes;
    this.ids = new Uint32Array(size);
    this.causes = new Uint8Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldIds.length; i++) {
      const old = oldIds[i]!;
      if (old !== 0) {
        const slot = old & this.mask;
        this.ids[slot] = old;
        this.causes[slot] = oldCauses[i]!;
      }
    }
  }
}
