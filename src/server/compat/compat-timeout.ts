/**
 * `setTimeout(ms[, callback])` of a compatibility request or response (node's semantics): after
 * `ms` without the stream closing, 'timeout' is emitted on the object; with no listener the
 * stream is reset instead. Made only when an application asks for one.
 */
import type { EventEmitter } from 'node:events';

export class StreamTimeout {
  private timer: NodeJS.Timeout | null = null;
  private readonly owner: EventEmitter;
  private readonly abort: () => void;

  constructor(owner: EventEmitter, abort: () => void) {
    this.owner = owner;
    this.abort = abort;
  }

  /** (Re)arms for `ms` (0: cleared); `callback` becomes a 'timeout' listener. */
  set(ms: number, callback: (() => void) | undefined, open: boolean): void {
    this.clear();
    if (callback !== undefined) this.owner.on('timeout', callback);
    if (ms <= 0 || !open) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.owner.emit('timeout')) this.abort();
    }, ms);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
