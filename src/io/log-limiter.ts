/**
 * A log line a remote peer can trigger (a handler failing on every request, a connection ended
 * by an unexpected error) must not let that peer fill the disk or spend our CPU on formatting:
 * at most `burst` lines per `intervalMs` for each kind; the lines held back are counted and
 * reported with the next line that gets through.
 */

export interface LineSink {
  error(message: string, ...details: unknown[]): void;
}

export interface LogLimiterOptions {
  /** Lines of one kind let through per interval. Default 10. */
  burst?: number;
  /** Default 1000 ms. */
  intervalMs?: number;
  /** The clock, ms. Default Date.now. */
  now?: () => number;
}

interface KindState {
  windowStart: number;
  lines: number;
  suppressed: number;
}

export class LogLimiter {
  private readonly sink: LineSink;
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly kinds = new Map<string, KindState>();
  /** Lines held back since the start, over all kinds (for stats). */
  suppressedTotal = 0;

  constructor(sink: LineSink, options: LogLimiterOptions = {}) {
    this.sink = sink;
    this.burst = options.burst ?? 10;
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Logs `message` under `kind`, unless that kind has used up its lines for this interval. */
  error(kind: string, message: string, ...details: unknown[]): void {
    const now = this.now();
    let state = this.kinds.get(kind);
    if (state === undefined) {
      state = { windowStart: now, lines: 0, suppressed: 0 };
      this.kinds.set(kind, state);
    } else if (now - state.windowStart >= this.intervalMs) {
      state.windowStart = now;
      state.lines = 0;
    }
    if (state.lines >= this.burst) {
      state.suppressed++;
      this.suppressedTotal++;
      return;
    }
    state.lines++;
    if (state.suppressed > 0) {
      message += ` (${state.suppressed} similar line${state.suppressed === 1 ? '' : 's'} suppressed)`;
      state.suppressed = 0;
    }
    this.sink.error(message, ...details);
  }
}
