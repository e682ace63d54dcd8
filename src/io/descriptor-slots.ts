/**
 * DescriptorSlots: a cap on file descriptors held at once, with a queue instead of failures.
 *
 * A body that wants to open a file takes a slot first; when none is free it waits in a FIFO
 * queue (a client asking for a thousand files is served more slowly, never refused), and it
 * gives the slot back once its descriptor is closed. File bodies hold two: one of their
 * connection's (so one connection cannot fill the process's queue) and one of the process's.
 *
 * A holder whose descriptor is open but not in use (its stream's window is shut, or the socket
 * is full) tells the slots it is idle. Idle holders are the ones that make room:
 *   - a waiter that finds no free slot evicts the longest-idle holder (its descriptor is closed
 *     and reopened when its stream may send again), so streams that cannot send never keep
 *     streams that can from their files;
 *   - with `lingerMs`, a holder idle that long is closed even when nobody waits, so stalled
 *     streams hold no descriptor for long (one timer for all holders, not one per stream).
 * A descriptor with a read in flight is never evicted: slots are handed back only once closed,
 * so the count of open descriptors never exceeds the limit.
 */
import { UsageError } from '../errors.js';

/** What holds or waits for a slot. */
export interface SlotHolder {
  /** The slot this holder waited for is now its own (called from another holder's `release`). */
  slotGranted(slots: DescriptorSlots): void;
  /** Close the (idle) descriptor, then `release` every slot held. Called only while idle. */
  evict(): void;
}

export interface DescriptorSlotsStats {
  /** Slots taken now (descriptors open, opening or closing). */
  used: number;
  /** Most slots ever taken at once. */
  peak: number;
  /** Holders queued now. */
  waiting: number;
  /** Holders that ever had to queue. */
  queued: number;
  /** Idle descriptors closed for a waiter. */
  evictions: number;
  /** Idle descriptors closed after `lingerMs`. */
  lingerCloses: number;
}

export class DescriptorSlots {
  private limitValue: number;
  private lingerValue: number;
  private used = 0;
  private peak = 0;
  private queued = 0;
  private evictions = 0;
  private lingerCloses = 0;
  /** FIFO of holders waiting for a slot (a Set: insertion order, O(1) removal of a destroyed one). */
  private readonly waiters = new Set<SlotHolder>();
  /** Holders whose descriptor is open and unused, oldest first, with the time they became idle. */
  private readonly idle = new Map<SlotHolder, number>();
  /** Holders told to close (evicted or lingered out) whose slot has not come back yet. */
  private readonly closing = new Set<SlotHolder>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly now: () => number;

  /**
   * @param limit most slots taken at once (at least 1)
   * @param lingerMs close an idle holder after this long; Infinity: only when a waiter needs its slot
   * @param now the clock (tests pass their own)
   */
  constructor(limit: number, lingerMs = Infinity, now: () => number = performance.now.bind(performance)) {
    this.limitValue = checkLimit(limit);
    this.lingerValue = checkLinger(lingerMs);
    this.now = now;
  }

  get limit(): number {
    return this.limitValue;
  }

  /** A new limit applies to slots taken from now on; a larger one serves waiters at once. */
  set limit(limit: number) {
    this.limitValue = checkLimit(limit);
    this.serveWaiters();
    this.makeRoom();
  }

  get lingerMs(): number {
    return this.lingerValue;
  }

  set lingerMs(ms: number) {
    this.lingerValue = checkLinger(ms);
    this.armLinger();
  }

  get stats(): DescriptorSlotsStats {
    return {
      used: this.used,
      peak: this.peak,
      waiting: this.waiters.size,
      queued: this.queued,
      evictions: this.evictions,
      lingerCloses: this.lingerCloses,
    };
  }

  /**
   * Takes a slot for `holder` if one is free and nobody is queued before it; otherwise queues it
   * (its `slotGranted` is called later) and returns false.
   */
  acquire(holder: SlotHolder): boolean {
    if (this.waiters.size === 0 && this.used < this.limitValue) {
      this.take();
      return true;
    }
    this.waiters.add(holder);
    this.queued++;
    this.makeRoom();
    return false;
  }

  /** Leaves the queue (the body was destroyed while waiting). */
  cancel(holder: SlotHolder): void {
    this.waiters.delete(holder);
  }

  /** Gives `holder`'s slot back (its descriptor is closed, or was never opened); the first waiter gets it. */
  release(holder: SlotHolder): void {
    this.idle.delete(holder);
    this.closing.delete(holder);
    this.used--;
    this.serveWaiters();
  }

  /** `holder`'s descriptor is open and unused from now: it may be closed to make room. */
  setIdle(holder: SlotHolder): void {
    if (this.closing.has(holder)) return;
    this.idle.delete(holder); // re-inserted last: the map stays ordered by idle time
    this.idle.set(holder, this.now());
    if (this.waiters.size > 0) this.makeRoom();
    if (this.timer === null) this.armLinger();
  }

  /** `holder` uses its descriptor again (a read starts): it is not closed under it. */
  setBusy(holder: SlotHolder): void {
    this.idle.delete(holder);
  }

  /** Whether a holder is queued for a slot (one given back now would serve it). */
  get hasWaiters(): boolean {
    return this.waiters.size > 0;
  }

  /** `from`'s slot (and its descriptor) is `to`'s from now, busy: a parked descriptor taken by a body. */
  handOver(from: SlotHolder, to: SlotHolder): void {
    this.idle.delete(from);
    this.idle.delete(to);
  }

  /** `holder` closes its descriptor of its own accord: not evicted again, its slot counted as coming back. */
  markClosing(holder: SlotHolder): void {
    this.idle.delete(holder);
    this.closing.add(holder);
  }

  private take(): void {
    this.used++;
    if (this.used > this.peak) this.peak = this.used;
  }

  private serveWaiters(): void {
    while (this.used < this.limitValue && this.waiters.size > 0) {
      const next = this.waiters.values().next().value as SlotHolder;
      this.waiters.delete(next);
      this.take();
      next.slotGranted(this);
    }
  }

  /** Evicts idle holders until every waiter has a slot coming (one being closed for it). */
  private makeRoom(): void {
    while (this.idle.size > 0 && this.waiters.size > 0 && this.used - this.closing.size + this.waiters.size > this.limitValue) {
      const oldest = this.idle.keys().next().value as SlotHolder;
      this.evictions++;
      this.close(oldest);
    }
  }

  private close(holder: SlotHolder): void {
    this.idle.delete(holder);
    this.closing.add(holder);
    holder.evict();
  }

  private armLinger(): void {
    if (this.lingerValue === Infinity || this.idle.size === 0) return;
    const oldest = this.idle.values().next().value as number;
    const at = oldest + this.lingerValue;
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onLinger, Math.max(1, Math.ceil(at - this.now())));
    // A descriptor left open at exit is harmless: this timer must not keep a process alive.
    this.timer.unref();
  }

  private readonly onLinger = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    for (const [holder, since] of this.idle) {
      if (now - since < this.lingerValue) break;
      this.lingerCloses++;
      this.close(holder);
    }
    this.armLinger();
  };
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`a descriptor limit must be an integer >= 1, got ${String(limit)}`, 'file_limit_bad');
  return limit;
}

function checkLinger(ms: number): number {
  if (!(ms >= 0)) throw new UsageError(`a linger must be >= 0 ms (Infinity: none), got ${String(ms)}`, 'file_linger_bad');
  return ms;
}
