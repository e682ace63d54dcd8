/**
 * Flood limits (RFC 9113 section 10.5: activity that is legal but useless may be treated as a
 * connection error ENHANCE_YOUR_CALM). One token bucket per kind of abuse, as nghttp2 and
 * hyperium/h2 do: a burst allowed at once, refilled at a steady rate, so an attacker cannot
 * double its allowance at the edge of a fixed window, and a steady trickle above the rate is cut
 * off in burst / (rate of abuse - refill rate) seconds.
 *
 * Glitches (frames that cost us work and do none) are also refilled by the work the peer asks
 * for: each request it opens and each DATA frame we send earn credit, because honest clients send
 * a few such frames per request (a PRIORITY_UPDATE, a late RST_STREAM, a WINDOW_UPDATE for each
 * DATA frame they read) and attackers send them instead of requests.
 *
 * Crossing a limit throws the ConnectionError the connection turns into GOAWAY; its token (the
 * GOAWAY debug data) names the bucket.
 */
import { ConnectionError, ErrorCode } from '../errors.js';
import type { ResolvedOptions } from './options.js';

/** A token bucket: `burst` tokens at most, `perSecond` added back over time. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

/** The glitch budget: a rate limit that the peer's real requests and our DATA frames also refill. */
export interface GlitchLimit extends RateLimit {
  /** Tokens earned by each request the peer opens. */
  perRequest: number;
  /** Tokens earned by each DATA frame we send. */
  perDataFrameSent: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly perMs: number;

  constructor(limit: RateLimit, now: number) {
    this.burst = limit.burst;
    this.tokens = limit.burst;
    this.perMs = limit.perSecond / 1000;
    this.last = now;
  }

  /** Takes one token at time `now`; false when none is left. */
  take(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Gives back `n` tokens (up to the burst). */
  credit(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + n);
  }
}

export class FloodGuard {
  private readonly options: ResolvedOptions;
  private readonly controlFrames: TokenBucket;
  private readonly glitches: TokenBucket;
  private readonly resets: TokenBucket;
  private readonly streamErrors: TokenBucket;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.controlFrames = new TokenBucket(options.controlFrameLimit, options.now);
    this.glitches = new TokenBucket(options.glitchLimit, options.now);
    this.resets = new TokenBucket(options.resetLimit, options.now);
    this.streamErrors = new TokenBucket(options.streamErrorLimit, options.now);
  }

  /** PING and SETTINGS frames we must answer (PING/SETTINGS floods, CVE-2019-9512/9515). */
  controlFrame(now: number): void {
    if (!this.controlFrames.take(now)) throw this.error('PING/SETTINGS frames', this.options.controlFrameLimit, 'flood_control_frames');
  }

  /** A frame that costs work and does none (`what` names it in the message). */
  glitch(now: number, what: string): void {
    if (!this.glitches.take(now)) throw this.error(`frames without useful work (last: ${what})`, this.options.glitchLimit, 'flood_glitches');
  }

  /** A stream reset the peer sent, provoked, or caused by failing our application (Rapid Reset CVE-2023-44487, MadeYouReset CVE-2025-8671). */
  reset(now: number): void {
    if (!this.resets.take(now)) throw this.error('stream resets', this.options.resetLimit, 'flood_resets');
  }

  /** A stream error only a broken or hostile peer causes (malformed or forbidden input, 431). */
  streamError(now: number): void {
    if (!this.streamErrors.take(now)) {
      throw this.error('malformed or forbidden stream frames', this.options.streamErrorLimit, 'flood_stream_errors');
    }
  }

  /** The peer opened a request: real work, which earns glitch credit. */
  requestOpened(): void {
    this.glitches.credit(this.options.glitchLimit.perRequest);
  }

  /** We sent a DATA frame: the peer may answer it with WINDOW_UPDATEs. */
  dataFrameSent(): void {
    this.glitches.credit(this.options.glitchLimit.perDataFrameSent);
  }

  private error(what: string, limit: RateLimit, token: string): ConnectionError {
    return new ConnectionError(`more ${what} than the limit (${limit.burst} at once, then ${limit.perSecond} a second)`, ErrorCode.ENHANCE_YOUR_CALM, token);
  }
}
