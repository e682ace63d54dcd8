/**
 * Minimum data rates (Kestrel's MinRequestBodyDataRate and MinResponseDataRate, nginx's
 * client_body_timeout and send_timeout): a client that sends its request body, or reads its
 * response, slower than a floor holds a stream, its handler and buffers for as long as it likes;
 * the idle timeout cannot see it because bytes keep moving.
 *
 * Only time the client is holding things up counts: a request body while the application has
 * given its flow-control credit back (not while a callback is pending), a response while data
 * waits for the client's window or for the socket to drain (not while the application is slow
 * to produce it). Over that time, after a grace period, the average must reach the floor.
 */

/** A floor: at least `bytesPerSecond` on average, enforced once `graceMs` of peer-bound time has passed. */
export interface MinDataRate {
  bytesPerSecond: number;
  graceMs: number;
}

/** Meters one direction of one stream, sampled by the server's heartbeat. */
export class RateMeter {
  private boundMs = 0;
  private boundBytes = 0;
  private lastAt: number;
  private lastBytes: number;
  /** Whether the peer held things up since the last sample. */
  private bound = false;

  constructor(now: number, bytes: number) {
    this.lastAt = now;
    this.lastBytes = bytes;
  }

  /**
   * Records `bytes` (the running total moved so far) at `now`; the interval since the last
   * sample counts if the peer was the one holding things up then. `peerBound` is the state now,
   * which decides whether the next interval counts.
   */
  sample(now: number, bytes: number, peerBound: boolean): void {
    if (this.bound) {
      this.boundMs += now - this.lastAt;
      this.boundBytes += bytes - this.lastBytes;
    }
    this.lastAt = now;
    this.lastBytes = bytes;
    this.bound = peerBound;
  }

  /** Whether, past the grace period, the average over the peer-bound time is below the floor. */
  tooSlow(rate: MinDataRate): boolean {
    return this.boundMs > rate.graceMs && this.boundBytes < (rate.bytesPerSecond * this.boundMs) / 1000;
  }

  /** Average over the peer-bound time, bytes per second (for messages). */
  get average(): number {
    return this.boundMs === 0 ? 0 : Math.round((this.boundBytes * 1000) / this.boundMs);
  }
}

/** What the heartbeat keeps of a stream it has seen (none for the many that finish before a beat). */
export class StreamTiming {
  /** When the heartbeat first saw the stream (the request timeout counts from here: at most one beat late). */
  readonly firstSeen: number;
  request: RateMeter | null = null;
  response: RateMeter | null = null;

  constructor(now: number) {
    this.firstSeen = now;
  }
}
