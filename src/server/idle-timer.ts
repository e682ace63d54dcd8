/**
 * The idle timer of a server connection. Idleness is judged by streams, not socket bytes, so
 * PINGs or other control frames cannot keep an unused connection open (as Go's IdleTimeout).
 * The timer is armed when the connection has no stream and is not cleared when one opens: when
 * it fires it looks at when the last stream went and whether one is open, so a busy connection
 * costs no timer call per request.
 */
import { performance } from 'node:perf_hooks';
import { failpoint } from '../io/failpoints.js';

/** What the timer asks of its connection. */
export interface IdleOwner {
  /** Streams open now. */
  readonly openStreams: number;
  /** Idle for a whole period: close gracefully. */
  idleExpired(): void;
  /** The timer's own work threw: end the connection. */
  idleFault(err: unknown): void;
}

/** A shared function rather than a closure per connection (setTimeout passes the timer). */
function fireIdleTimer(timer: IdleTimer): void {
  timer.fire();
}

export class IdleTimer {
  private readonly owner: IdleOwner;
  private readonly timeout: number;
  private timer: NodeJS.Timeout | null = null;
  /** When the connection last had no stream (performance.now()). */
  private idleSince = performance.now();
  private stopped = false;

  /** `timeout` ms; 0 or less: never. */
  constructor(owner: IdleOwner, timeout: number) {
    this.owner = owner;
    this.timeout = timeout;
    this.arm(timeout);
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  /** The last stream closed: idleness starts now. */
  becameIdle(): void {
    this.idleSince = performance.now();
    this.arm(this.timeout);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Arms the timer to fire in `delay` ms, unless it is already armed (it re-checks when it fires). */
  private arm(delay: number): void {
    if (this.timeout <= 0 || this.stopped || this.timer !== null) return;
    this.timer = setTimeout(fireIdleTimer, delay, this);
    this.timer.unref();
  }

  /** @internal */
  fire(): void {
    this.timer = null;
    try {
      failpoint('session-idle-timer');
      // Streams open: becameIdle() arms the timer again when the last one closes.
      if (this.owner.openStreams > 0 || this.stopped) return;
      // Streams came and went since the timer was armed: wait out the rest from the last one.
      const left = this.idleSince + this.timeout - performance.now();
      if (left >= 1) {
        this.arm(Math.ceil(left));
        return;
      }
      this.owner.idleExpired();
    } catch (err) {
      this.owner.idleFault(err);
    }
  }
}
