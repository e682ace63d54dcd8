/**
 * `SendScheduler`: outgoing DATA under flow control (RFC 9113 sections 5.2, 6.9). It queues what
 * the windows do not let out at once, sends the queues round-robin (one frame per stream per
 * round, so one big response does not starve the others), puts trailers and END_STREAM behind
 * the last queued octet, tells producers when to resume (`writable`), and times streams whose
 * DATA the peer's flow control holds back (`maxSendStallMs`).
 *
 * Why apart from the connection: this is the one part of the send side with its own state (the
 * set of streams with something to send, the set of stalled ones) and its own policy (fairness,
 * stall limits); the connection only says what the application sent and when windows open.
 * When END_STREAM leaves it calls `endSent`, the connection's state move, so stream lifecycle
 * stays in one place. Everything it uses is given at construction: no back-pointer.
 */
import { EMPTY_BUFFER } from '../buffer-pool.js';
import { ConnectionError, ErrorCode, FlowControlError, StreamError } from '../errors.js';
import type { ConnectionEvent } from './events.js';
import type { FloodGuard } from './flood-guard.js';
import type { FlowWindows } from './flow-control.js';
import { adjustSendWindow, increaseSendWindow } from './flow-control.js';
import type { FrameWriter } from '../frame/writer.js';
import type { HDDeflater } from '../hpack/deflater.js';
import type { HeaderList } from './options.js';
import type { Settings } from './settings.js';
import { NO_QUEUE, Stream } from './stream.js';
import { nextState, StreamInput, StreamState } from './stream-state.js';

/** A send window this small, with more than it queued, after a WINDOW_UPDATE is a dribble glitch. */
export const DRIBBLE_WINDOW = 1024;
const EMPTY = EMPTY_BUFFER;
/**
 * Who hears that END_STREAM went out: the Connection, which owns stream lifecycle. An object with
 * a method rather than a closure: one method on one class stays a monomorphic, inlinable call,
 * where a closure per connection makes the call site megamorphic on a server with many.
 */
export interface StreamEnds {
  endSent(s: Stream): void;
}

/** The empty set `sendSet` and `stalled` share until a stream is added (never added to itself). */
const NO_STREAMS: Set<Stream> = new Set();

export class SendScheduler {
  /**
   * Streams with data, trailers, END_STREAM or a `writable` notice pending. Like `stalled`, it
   * starts as the shared NO_STREAMS (an empty Set costs ~120 B, and most connections never
   * queue): the one place that adds gives the scheduler its own Set first.
   */
  private sendSet: Set<Stream> = NO_STREAMS;
  /** Streams whose queued DATA flow control holds back (see `maxSendStallMs`). */
  private stalled: Set<Stream> = NO_STREAMS;
  private readonly writer: FrameWriter;
  private readonly deflater: HDDeflater;
  /** The connection-level windows (stream 0): every DATA octet counts against `sendWindow` too. */
  private readonly flow: FlowWindows;
  /** The peer's settings, read live (SETTINGS_MAX_FRAME_SIZE). */
  private readonly peer: Readonly<Settings>;
  private readonly flood: FloodGuard;
  private readonly maxStallMs: number;
  /** Told when END_STREAM went out on a stream: moves it to its next state (the connection's). */
  private readonly ends: StreamEnds;

  constructor(
    writer: FrameWriter,
    deflater: HDDeflater,
    flow: FlowWindows,
    peer: Readonly<Settings>,
    flood: FloodGuard,
    maxStallMs: number,
    ends: StreamEnds,
  ) {
    this.writer = writer;
    this.deflater = deflater;
    this.flow = flow;
    this.peer = peer;
    this.flood = flood;
    this.maxStallMs = maxStallMs;
    this.ends = ends;
  }

  /** Some stream has something to send (or waits to be told it may). */
  get pending(): boolean {
    return this.sendSet.size > 0;
  }

  /**
   * Sends `data` on `s` (already checked to be sendable), or queues it. Returns true when the
   * producer may go on, false when it is to wait for `writable`. See Connection.sendData.
   */
  send(s: Stream, data: Buffer, endStream: boolean, events: ConnectionEvent[], now: number): boolean {
    const length = data.length;
    if (s.queuedBytes === 0 && (length > 0 || endStream) && length <= s.sendWindow && length <= this.flow.sendWindow && length <= this.peer.maxFrameSize) {
      // Fast path (most responses): nothing queued ahead and the windows take it all in one frame.
      // Streams waiting in line are waiting on their own window or on a shut connection window,
      // so going first here takes nothing from them.
      s.sendWindow -= length;
      this.flow.sendWindow -= length;
      this.clearStall(s);
      this.writer.data(s.id, data, endStream);
      if (length >= DRIBBLE_WINDOW || endStream) this.flood.dataFrameSent();
      if (endStream) {
        s.endQueued = true;
        this.ends.endSent(s);
        return true;
      }
      if (s.sendWindow > 0 && this.flow.sendWindow > 0) return true;
      s.wantWritable = true;
      this.markStalled(s, now);
      if (s.sendWindow > 0) this.schedule(s);
      return false;
    }
    if (length > 0) {
      if (s.queue === NO_QUEUE) s.queue = [];
      s.queue.push(data);
      s.queuedBytes += length;
    }
    if (endStream) s.endQueued = true;
    this.schedule(s);
    this.flush(events, now);
    if (s.state === StreamState.CLOSED || endStream) return true;
    if (s.queuedBytes > 0 || s.sendWindow <= 0 || this.flow.sendWindow <= 0) {
      s.wantWritable = true;
      if (s.sendWindow <= 0 || this.flow.sendWindow <= 0) this.markStalled(s, now);
      // Blocked on the connection window only: wait in line for its WINDOW_UPDATE (a stream
      // WINDOW_UPDATE reschedules streams blocked on their own window).
      if (s.sendWindow > 0) this.schedule(s);
      return false;
    }
    return true;
  }

  /** Trailers (with END_STREAM) wait behind the DATA queued on `s`. */
  queueTrailers(s: Stream, trailers: HeaderList): void {
    s.trailers = trailers;
    s.endQueued = true;
    this.schedule(s);
  }

  schedule(s: Stream): void {
    if (!s.scheduled) {
      s.scheduled = true;
      if (this.sendSet === NO_STREAMS) this.sendSet = new Set();
      this.sendSet.add(s);
    }
  }

  /**
   * Sends queued DATA round-robin, one frame per stream per round, each frame at most
   * min(stream window, connection window, peer's SETTINGS_MAX_FRAME_SIZE), until the queues or
   * the windows run out. A stream leaves the set when it has nothing more to do or its own window
   * is shut (a WINDOW_UPDATE puts it back); streams blocked on the connection window stay.
   */
  flush(events: ConnectionEvent[], now: number): void {
    const set = this.sendSet;
    while (set.size > 0) {
      let progressed = false;
      // At most one visit per stream per round, even if an entry were deleted and re-added
      // while iterating (a Set iterator visits re-added entries again).
      let budget = set.size;
      for (const s of set) {
        if (this.sendOneFrame(s, events, now)) progressed = true;
        if (--budget === 0) break;
      }
      if (!progressed) return;
    }
  }

  /** Sends at most one DATA (or trailers) frame for `s`; true if a frame was written. */
  private sendOneFrame(s: Stream, events: ConnectionEvent[], now: number): boolean {
    if (s.queuedBytes > 0) {
      const window = Math.min(s.sendWindow, this.flow.sendWindow);
      if (window <= 0) {
        this.markStalled(s, now);
        if (s.sendWindow <= 0) this.unschedule(s);
        return false;
      }
      this.clearStall(s);
      const buf = s.queue[s.queueHead]!;
      const offset = s.queueOffset;
      const n = Math.min(buf.length - offset, window, this.peer.maxFrameSize);
      const chunk = n === buf.length ? buf : buf.subarray(offset, offset + n);
      if (offset + n === buf.length) {
        s.queue[s.queueHead++] = EMPTY;
        s.queueOffset = 0;
        if (s.queueHead === s.queue.length) {
          s.queue = NO_QUEUE;
          s.queueHead = 0;
        }
      } else {
        s.queueOffset = offset + n;
      }
      s.queuedBytes -= n;
      s.sendWindow -= n;
      this.flow.sendWindow -= n;
      const last = s.queuedBytes === 0 && s.endQueued && s.trailers === null;
      this.writer.data(s.id, chunk, last);
      // Tiny frames forced by a dribbled window earn the peer nothing (CVE-2019-9511).
      if (n >= DRIBBLE_WINDOW || last) this.flood.dataFrameSent();
      if (last) {
        this.unschedule(s);
        this.ends.endSent(s);
      }
      return true;
    }
    // Queue empty: trailers, a bare END_STREAM, or a `writable` notice. (Never unschedule and
    // reschedule here: `flush` is iterating the set, and a re-added entry is visited again.)
    if (s.trailers !== null) {
      this.unschedule(s);
      const trailers = s.trailers;
      s.trailers = null;
      this.writer.headers(s.id, this.deflater.deflate(trailers), true, this.peer.maxFrameSize);
      this.ends.endSent(s);
      return true;
    }
    if (s.endQueued) {
      this.unschedule(s);
      // END_STREAM may already have gone out (the state says we can no longer send).
      if (nextState(s.state, StreamInput.SEND_END_STREAM) >= 0 && s.state !== StreamState.HALF_CLOSED_LOCAL && s.state !== StreamState.CLOSED) {
        // Section 6.9.1: an empty DATA frame with END_STREAM needs no window.
        this.writer.data(s.id, EMPTY, true);
        this.ends.endSent(s);
        return true;
      }
      return false;
    }
    if (s.wantWritable) {
      if (s.sendWindow > 0 && this.flow.sendWindow > 0) {
        this.unschedule(s);
        this.clearStall(s);
        s.wantWritable = false;
        events.push({ type: 'writable', streamId: s.id });
        return false;
      }
      // A producer waits on flow control: that counts as held back, like queued DATA.
      this.markStalled(s, now);
      // Blocked on the connection window only: stay in line (scheduled) for its WINDOW_UPDATE;
      // blocked on its own window: leave, a stream WINDOW_UPDATE puts it back.
      if (s.sendWindow <= 0) this.unschedule(s);
      return false;
    }
    this.unschedule(s);
    return false;
  }

  private unschedule(s: Stream): void {
    if (s.scheduled) {
      s.scheduled = false;
      this.sendSet.delete(s);
    }
  }

  /** `s` wants to send and flow control says no: start its stall clock (see `maxSendStallMs`). */
  private markStalled(s: Stream, now: number): void {
    if (s.stalledSince < 0 && this.maxStallMs !== Infinity) {
      s.stalledSince = now;
      if (this.stalled === NO_STREAMS) this.stalled = new Set();
      this.stalled.add(s);
    }
  }

  private clearStall(s: Stream): void {
    if (s.stalledSince >= 0) {
      s.stalledSince = -1;
      this.stalled.delete(s);
    }
  }

  /** When the first stall passes `maxSendStallMs` (ms on the connection's clock), Infinity if none. */
  stallDeadline(): number {
    let deadline = Infinity;
    if (this.stalled.size > 0) {
      const limit = this.maxStallMs;
      for (const s of this.stalled) if (s.stalledSince + limit < deadline) deadline = s.stalledSince + limit;
    }
    return deadline;
  }

  /** A stream stalled for `maxSendStallMs` or longer at `now` (to be reset: `drop` takes it out), or null. */
  expiredStall(now: number): Stream | null {
    if (this.stalled.size === 0) return null;
    const limit = this.maxStallMs;
    for (const s of this.stalled) if (now - s.stalledSince >= limit) return s;
    return null;
  }

  /**
   * The peer's WINDOW_UPDATE of `increment` on `s` (its state allows the frame), or on the
   * connection when `s` is null: opens the window and puts the streams waiting for it back in
   * line (those blocked on the connection window never left). Throws the PROTOCOL_ERROR of an
   * increment of 0, the flow-control error of an overflow (section 6.9.1). Returns true when the window is still tiny while we have more to send: a Data
   * dribble (CVE-2019-9511), windows opened a few octets at a time to make us cut our DATA into
   * tiny frames; honest peers open windows in large steps.
   */
  windowUpdate(s: Stream | null, increment: number): boolean {
    if (s === null) {
      if (increment === 0) {
        throw new ConnectionError('WINDOW_UPDATE with increment 0 on the connection', ErrorCode.PROTOCOL_ERROR, 'window_update_zero');
      }
      if (!increaseSendWindow(this.flow, increment)) {
        throw new FlowControlError(`WINDOW_UPDATE of ${increment} overflows the connection window ${this.flow.sendWindow}`, 'window_update_overflow');
      }
      return this.flow.sendWindow < DRIBBLE_WINDOW && this.sendSet.size > 0;
    }
    if (increment === 0) {
      throw new StreamError(s.id, `WINDOW_UPDATE with increment 0 on stream ${s.id}`, ErrorCode.PROTOCOL_ERROR, 'window_update_zero');
    }
    if (!increaseSendWindow(s, increment)) {
      throw new StreamError(s.id, `WINDOW_UPDATE of ${increment} overflows stream ${s.id}'s window ${s.sendWindow}`, ErrorCode.FLOW_CONTROL_ERROR, 'window_update_overflow');
    }
    if (s.queuedBytes > 0 || s.wantWritable) this.schedule(s);
    return s.sendWindow < DRIBBLE_WINDOW && (s.queuedBytes > s.sendWindow || s.wantWritable);
  }

  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE moved by `delta`: so does every stream's send window, possibly below zero (section 6.9.2). */
  initialWindowChanged(streams: Stream[], delta: number): void {
    for (const s of streams) {
      if (!adjustSendWindow(s, delta)) {
        throw new FlowControlError(`SETTINGS_INITIAL_WINDOW_SIZE ${this.peer.initialWindowSize} overflows stream ${s.id}'s window`, 'settings_initial_window_overflow');
      }
      if (delta > 0 && (s.queuedBytes > 0 || s.wantWritable)) this.schedule(s);
    }
  }

  /** `s` closed: it leaves both sets and its queue is dropped. */
  drop(s: Stream): void {
    this.unschedule(s);
    this.clearStall(s);
    s.queue = NO_QUEUE;
    s.queueHead = 0;
    s.queueOffset = 0;
    s.queuedBytes = 0;
    s.trailers = null;
  }

  /** Every stream closed at once (the connection is over). */
  clear(): void {
    this.sendSet.clear();
    this.stalled.clear();
  }
}
