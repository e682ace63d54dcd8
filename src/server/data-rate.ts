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

/** Why the heartbeat ends a stream. */
export type Lateness = 'request_timeout' | 'request_too_slow' | 'response_timeout' | 'response_too_slow';

/** What the rules read of a stream (the server's stream record has these fields). */
export interface TimedStream {
  readonly id: number;
  /** END_STREAM of the request has arrived. */
  readonly requestEnded: boolean;
  readonly bytesReceived: number;
  /** The stream's callbacks: one pending or queued holds the request body's flow-control credit. */
  readonly calls: { readonly busy: boolean; readonly queue: readonly unknown[] | null };
  readonly responded: boolean;
  /** The response body still being pulled, if any. */
  readonly body: { readonly waitingForDrain: boolean } | null;
  /** Response body octets handed to the connection. */
  readonly bytesSent: number;
}

/** What the rules read of the connection. */
export interface SendState {
  queuedBytes(streamId: number): number;
  sendWindow(streamId: number): number;
}

export interface TimeLimits {
  requestTimeout: number;
  /** A response must have started this long after the request arrived, ms; 0: no limit. */
  responseTimeout: number;
  minRequestDataRate: MinDataRate | null;
  minResponseDataRate: MinDataRate | null;
}

/** Which of the request deadline and the floors `stream` breaks at `now`, if any (sampling its meters). */
export function latenessOf(stream: TimedStream, timing: StreamTiming, conn: SendState, limits: TimeLimits, now: number): Lateness | null {
  if (!stream.requestEnded) {
    if (limits.requestTimeout > 0 && now - timing.firstSeen >= limits.requestTimeout) return 'request_timeout';
    const floor = limits.minRequestDataRate;
    if (floor !== null) {
      const meter = (timing.request ??= new RateMeter(now, stream.bytesReceived));
      // The client is the one holding things up unless a callback still holds the credit.
      meter.sample(now, stream.bytesReceived, !stream.calls.busy && stream.calls.queue === null);
      if (meter.tooSlow(floor)) return 'request_too_slow';
    }
  }
  if (!stream.responded && limits.responseTimeout > 0 && now - timing.firstSeen >= limits.responseTimeout) return 'response_timeout';
  const floor = limits.minResponseDataRate;
  if (floor !== null && stream.responded) {
    const queued = conn.queuedBytes(stream.id);
    if (stream.body !== null || queued > 0) {
      const sent = stream.bytesSent - queued;
      const meter = (timing.response ??= new RateMeter(now, sent));
      // Data waits for the client's window or for the socket to drain: the client is slow.
      // Otherwise the application is (its body source has nothing yet), which does not count.
      const clientBound = queued > 0 || (stream.body !== null && stream.body.waitingForDrain) || conn.sendWindow(stream.id) <= 0;
      meter.sample(now, sent, clientBound);
      if (meter.tooSlow(floor)) return 'response_too_slow';
    }
  }
  return null;
}
