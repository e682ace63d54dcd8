/**
 * The open exchanges of one HTTP/1.1 connection, found by handler `streamId`.
 *
 * Ids are handed out in request order (1, 3, 5...) and exchanges end nearly always in that
 * order too (node:http answers pipelined requests in turn), so the open ones are a short run of
 * consecutive ids: kept in an array indexed by `(id - firstId) / 2`. A `Map` did the same job at
 * several times the cost: with one id added and one deleted per request, its table keeps
 * filling with deleted entries and is rehashed every few requests.
 */
import type { Http1Exchange, Http1Response } from './http1-exchange.js';

export class Http1ExchangeList {
  /** Slot k holds the exchange with id `firstId + 2k`; null for a closed one (or an id no exchange took) behind an open one. */
  private readonly slots: Array<Http1Exchange | null> = [];
  private firstId = 1;
  /** Exchanges in the list. */
  size = 0;

  /** Adds `ex`, whose id is above every id added before. */
  add(ex: Http1Exchange): void {
    const slots = this.slots;
    if (slots.length === 0) this.firstId = ex.id;
    // An id in between that got no exchange (a refused request) keeps its slot, empty.
    else while (this.firstId + 2 * slots.length < ex.id) slots.push(null);
    slots.push(ex);
    this.size++;
  }

  get(id: number): Http1Exchange | undefined {
    const slot = this.slots[(id - this.firstId) >> 1];
    // The check also turns a foreign id (even, below firstId, past the end) into undefined.
    return slot !== undefined && slot !== null && slot.id === id ? slot : undefined;
  }

  /** Removes the exchange with `id`, if it is in the list. */
  delete(id: number): void {
    const slots = this.slots;
    const k = (id - this.firstId) >> 1;
    const slot = slots[k];
    if (slot === undefined || slot === null || slot.id !== id) return;
    this.size--;
    if (slots.length === 1) {
      // The one open exchange closed (a connection without pipelining): the list is empty; add() sets firstId.
      slots.pop();
      return;
    }
    slots[k] = null;
    // Only the front is let go of: behind an open exchange, a closed one's slot stays (rare: pipelining).
    while (slots.length > 0 && slots[0] === null) {
      slots.shift();
      this.firstId += 2;
    }
  }

  /** The open exchange answered by `res`: nearly always the first (node:http finishes responses in order). */
  withResponse(res: Http1Response): Http1Exchange | undefined {
    for (const slot of this.slots) if (slot !== null && slot.res === res) return slot;
    return undefined;
  }

  /** The open exchanges, in id order. */
  *values(): IterableIterator<Http1Exchange> {
    for (const slot of this.slots) if (slot !== null) yield slot;
  }
}
