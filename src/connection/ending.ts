/**
 * `ConnectionEnding`: how a connection ends (RFC 9113 sections 5.4.1, 6.8). It owns the GOAWAY
 * state both ways, the two-step graceful shutdown (a first GOAWAY with last-stream-id 2^31-1 and
 * a PING; the final GOAWAY when the PING comes back or its deadline passes), the decision that
 * the connection is finished (`closed` once no stream is left after a GOAWAY), and the abrupt end
 * (`fail`: a connection error becomes GOAWAY + `connectionError`; `terminate`: every stream
 * closes at once and input is ignored from then on).
 *
 * Why apart from the connection: ending is one concept with state of its own that every other
 * path only asks about (`dead`, `goingAway`, `lastId`), and its rules (which GOAWAY goes out
 * when, when `closed` is due, what a shutdown's PING means) are the same whatever is open. The
 * connection keeps single-stream closes (END_STREAM, RST_STREAM, the streams a received GOAWAY
 * refuses) and tells this part when one happened (`maybeFinish`). Everything it uses is given at
 * construction: no back-pointer; the events array is passed in, as the connection swaps it.
 *
 * Hot path: `dead` is read on every received frame and command; it is a plain field.
 */
import { EMPTY_BUFFER } from '../buffer-pool.js';
import { ConnectionError, ErrorCode, H2Error, HpackDecodingError, StreamError } from '../errors.js';
import type { GoawayFrame } from '../frame/types.js';
import type { FrameWriter } from '../frame/writer.js';
import type { ConnectionEvent } from './events.js';
import type { FloodGuard } from './flood-guard.js';
import type { HeaderBlockAssembler } from './header-block.js';
import type { SendScheduler } from './send-scheduler.js';
import { MAX_STREAM_ID, type StreamStore } from './stream-store.js';
import { StreamState } from './stream-state.js';

/**
 * A connection error for something that is not one (a non-protocol H2Error such as a UsageError,
 * or an exception): GOAWAY(INTERNAL_ERROR). An H2Error keeps its message and token (the GOAWAY's
 * debug data); the original is the `cause`.
 */
function internalError(err: unknown): ConnectionError {
  const own = err instanceof H2Error && !(err instanceof StreamError);
  const error = own
    ? new ConnectionError(err.message, ErrorCode.INTERNAL_ERROR, err.token)
    : new ConnectionError(`internal error: ${err instanceof Error ? err.message : String(err)}`, ErrorCode.INTERNAL_ERROR, 'internal_error');
  error.cause = err;
  return error;
}

/** The opaque data of a graceful shutdown's PING, told apart from the application's when it comes back. */
const SHUTDOWN_PING = Buffer.from('h2kshutd', 'latin1');

export class ConnectionEnding {
  /** A connection error happened (or we sent a GOAWAY with an error, or `closed` was emitted): input is ignored. Written only here. */
  dead = false;
  /** `closed` was emitted. Written only here. */
  closedEmitted = false;
  /** We sent a GOAWAY (the shutdown's first one counts). Written only here. */
  goawaySent = false;
  /** The peer sent a GOAWAY. Written only here. */
  goawayReceived = false;
  /** The last stream id our GOAWAY lets the peer open (requests above it are ignored). Written only here. */
  lastId = MAX_STREAM_ID;
  /**
   * A graceful shutdown's first GOAWAY (last-stream-id 2^31-1) is out and its PING not yet
   * acknowledged: until then (or this deadline) requests are still accepted and the final GOAWAY
   * waits. Infinity when no shutdown drains. Written only here.
   */
  drainUntil = Infinity;

  private readonly isServer: boolean;
  private readonly writer: FrameWriter;
  private readonly streams: StreamStore;
  private readonly scheduler: SendScheduler;
  private readonly blocks: HeaderBlockAssembler;
  private readonly flood: FloodGuard;

  constructor(isServer: boolean, writer: FrameWriter, streams: StreamStore, scheduler: SendScheduler, blocks: HeaderBlockAssembler, flood: FloodGuard) {
    this.isServer = isServer;
    this.writer = writer;
    this.streams = streams;
    this.scheduler = scheduler;
    this.blocks = blocks;
    this.flood = flood;
  }

  /** We sent or received GOAWAY: no new streams. */
  get goingAway(): boolean {
    return this.goawaySent || this.goawayReceived;
  }

  /** See `Connection.goaway`: GOAWAY naming the last peer stream processed; an error code ends the connection now. */
  goaway(code: number, debug: string | Buffer | undefined, events: ConnectionEvent[]): void {
    if (this.dead) return;
    this.drainUntil = Infinity;
    const debugData = debug === undefined ? EMPTY_BUFFER : typeof debug === 'string' ? Buffer.from(debug) : debug;
    const lastPeerId = this.streams.lastPeerId;
    this.writer.goaway(lastPeerId, code, debugData);
    this.goawaySent = true;
    this.lastId = Math.min(this.lastId, lastPeerId);
    if (code !== ErrorCode.NO_ERROR) {
      this.terminate(code, events);
      return;
    }
    this.maybeFinish(events);
  }

  /** See `Connection.shutdown`: a server's first GOAWAY and its PING, the final GOAWAY after the round trip (or at `now + timeoutMs`). */
  shutdown(timeoutMs: number, now: number, events: ConnectionEvent[]): void {
    if (this.dead || this.goawaySent) return;
    if (!this.isServer) {
      this.goaway(ErrorCode.NO_ERROR, undefined, events);
      return;
    }
    this.writer.goaway(MAX_STREAM_ID, ErrorCode.NO_ERROR, EMPTY_BUFFER);
    this.writer.ping(SHUTDOWN_PING, false);
    this.goawaySent = true;
    this.drainUntil = now + timeoutMs;
  }

  /** A PING ACK arrived: the shutdown's own ends the drain. */
  pingAck(data: Buffer, events: ConnectionEvent[]): void {
    if (this.drainUntil !== Infinity && data.equals(SHUTDOWN_PING)) this.finishDrain(events);
  }

  /** Time passed: a drain past its deadline ends as if its PING had come back. */
  tick(now: number, events: ConnectionEvent[]): void {
    if (this.drainUntil <= now && !this.dead) this.finishDrain(events);
  }

  /**
   * The peer's GOAWAY (before the connection refuses the streams we opened above its
   * last-stream-id and asks `maybeFinish`). Each GOAWAY walks the streams; after the first,
   * only a lower last-stream-id means anything: a repeat is a glitch.
   */
  received(f: GoawayFrame, events: ConnectionEvent[], now: number): void {
    if (this.goawayReceived) this.flood.glitch(now, 'goaway_repeated');
    this.goawayReceived = true;
    events.push({ type: 'goaway', lastStreamId: f.lastStreamId, errorCode: f.errorCode, debugData: f.debugData });
  }

  /** After GOAWAY (either way), the connection is finished when no stream is left. */
  maybeFinish(events: ConnectionEvent[]): void {
    // While a graceful shutdown drains, requests may still be on their way: not finished yet.
    if (this.closedEmitted || this.streams.size > 0 || this.drainUntil !== Infinity) return;
    // `closed` is final: the transport is about to close, later input changes nothing.
    this.dead = true;
    this.closedEmitted = true;
    events.push({ type: 'closed' });
  }

  /** A connection error: GOAWAY with its code and token, then every stream closes and `closed`. */
  fail(err: unknown, events: ConnectionEvent[]): void {
    if (this.dead) return;
    const error = err instanceof ConnectionError || err instanceof HpackDecodingError ? err : internalError(err);
    // Frames gathered before the failing one stay in the output: the peer may use them.
    this.writer.goaway(this.streams.lastPeerId, error.code, Buffer.from(error.token));
    this.goawaySent = true;
    events.push({ type: 'connectionError', error });
    this.terminate(error.code, events);
  }

  /** The shutdown's round trip is over: the final GOAWAY. */
  private finishDrain(events: ConnectionEvent[]): void {
    this.drainUntil = Infinity;
    this.goaway(ErrorCode.NO_ERROR, undefined, events);
  }

  /** Closes every stream with `code` and emits `closed`; input is ignored from now on. */
  private terminate(code: number, events: ConnectionEvent[]): void {
    this.dead = true;
    this.blocks.reset();
    for (const s of this.streams.values()) {
      s.state = StreamState.CLOSED;
      if (s.seenByUser) events.push({ type: 'streamClosed', streamId: s.id, errorCode: code });
    }
    this.streams.clear();
    this.scheduler.clear();
    if (!this.closedEmitted) {
      this.closedEmitted = true;
      events.push({ type: 'closed' });
    }
  }
}
