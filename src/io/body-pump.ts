/**
 * The per-stream body pump both socket glues use (ServerSession for responses, HTTP2Client for
 * requests, both through their ConnectionDriver): it moves bytes from a BodySource into the sans-I/O Connection only while the
 * stream's window, the connection's window and the socket can take them, so a body is never
 * read faster than the peer reads it.
 *
 * One BodyPump per connection. It keeps what pumping needs across streams (body bytes handed to
 * the connection since its output was last written, the streams waiting for the socket's
 * 'drain'); the owner writes the output, reports failures and schedules flushes through its
 * `BodyPumpOwner`, made once per connection, so pumping allocates nothing per frame or stream.
 */
import type { Socket } from 'node:net';
import { type Connection, type HeaderList, StreamState } from '../connection/index.js';
import { UsageError } from '../errors.js';
import type { BodySource } from './body-source.js';

/** Largest body chunk pulled at once: a few frames' worth, so streams interleave fairly. */
export const PULL_SIZE = 65536;
/**
 * Body bytes handed to the connection before its output is written to the socket mid-burst.
 * Small bodies wait for the end of the burst and leave in one write; big ones are written as
 * they go so the socket's buffered length (our backpressure signal) stays truthful.
 */
export const WRITE_THRESHOLD = 65536;
const EMPTY = Buffer.alloc(0);

/**
 * One outgoing body's pumping state: made when a stream starts a body the pump must pull (not
 * for in-memory bodies that leave at once), dropped when the body ends or stops.
 */
export class OutgoingBody {
  readonly source: BodySource;
  /** Sent after the body, with END_STREAM; null for none. */
  trailers: HeaderList | null;
  /** Asked for the trailers when the body has ended (trailers known only then); null for none. May throw. */
  lateTrailers: (() => HeaderList | null) | null = null;
  /** The content-length the body must match, -1 when none is checked. */
  readonly expectedLength: number;
  waitingForDrain = false;
  pumping = false;
  pumpAgain = false;

  constructor(source: BodySource, trailers: HeaderList | null, expectedLength: number) {
    this.source = source;
    this.trailers = trailers;
    this.expectedLength = expectedLength;
  }
}

/** What the pump needs of a stream (both sides' stream classes have these). */
export interface PumpedStream {
  readonly id: number;
  /** The body being pumped; null when there is none (or it ended or stopped). */
  body: OutgoingBody | null;
  /** The owner saw the stream close: pull nothing more. */
  closed: boolean;
  /** Body bytes handed to the connection. */
  bytesSent: number;
}

/** What the pump asks of the socket glue that owns it. */
export interface BodyPumpOwner<S extends PumpedStream> {
  /** Writes the connection's output to the socket now (and sets the pump's `unwritten` to 0). */
  writeOutput(): void;
  /** Flushes after the current synchronous work. */
  scheduleFlush(): void;
  /** The body (or its length) failed: reset the stream, tell whoever should know. */
  bodyFailed(stream: S, err: unknown): void;
  /** Stop the body and release its source: set `stream.body` to null (the connection already closed the stream). */
  stopBody(stream: S): void;
  /**
   * `buffer`'s bytes have all gone to the connection, none left queued there: give it back to
   * FILE_READ_BUFFERS once the socket has written the output they are in (or drop it).
   */
  recycleAfterWrite(buffer: Buffer): void;
}

export interface BodyPumpOptions {
  /** Stop pulling bodies while the socket holds this many unsent bytes. */
  socketHighWaterMark: number;
  /**
   * Hand an in-memory body (known length) the whole window at once rather than PULL_SIZE at a
   * time: its chunks are slices, not copies. The server does (responses from memory are its
   * common case); the client pulls every body in PULL_SIZE chunks.
   */
  wholeWindowForKnownLength: boolean;
}

/** Shared by every pump with no stream waiting for 'drain'; never added to. */
const NO_WAITERS: Set<PumpedStream> = new Set();

export class BodyPump<S extends PumpedStream> {
  /** Body bytes given to the connection since its output was last written to the socket. */
  unwritten = 0;
  /** Streams waiting for the socket's 'drain' (the shared empty NO_WAITERS until one waits: an empty Set costs ~120 B a connection). */
  drainWaiters: Set<S> = NO_WAITERS as Set<S>;
  private conn: Connection | null = null;
  private socket: Socket | null = null;
  private readonly owner: BodyPumpOwner<S>;
  private readonly highWaterMark: number;
  private readonly wholeWindowForKnownLength: boolean;

  constructor(owner: BodyPumpOwner<S>, options: BodyPumpOptions) {
    this.owner = owner;
    this.highWaterMark = options.socketHighWaterMark;
    this.wholeWindowForKnownLength = options.wholeWindowForKnownLength;
  }

  /** Pumping may start: the connection and its socket are up. */
  start(conn: Connection, socket: Socket): void {
    this.conn = conn;
    this.socket = socket;
  }

  /** The socket is gone: nothing is pumped any more. */
  stop(): void {
    this.conn = null;
    this.socket = null;
    this.drainWaiters.clear();
  }

  /** The stream no longer waits for 'drain' (its body stopped, or it is gone). */
  forget(stream: S): void {
    this.drainWaiters.delete(stream);
  }

  /** On the socket's 'drain': pumps the streams that waited for it. Returns whether there were any. */
  resumeDrained(): boolean {
    if (this.drainWaiters.size === 0) return false;
    const waiting = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const stream of waiting) {
      if (stream.body !== null) stream.body.waitingForDrain = false;
      this.pump(stream);
    }
    return true;
  }

  /** Moves body bytes into the connection while the stream, the connection and the socket can take them. */
  pump(stream: S): void {
    const body = stream.body;
    if (body === null) return;
    if (body.pumping) {
      body.pumpAgain = true;
      return;
    }
    body.pumping = true;
    try {
      do {
        body.pumpAgain = false;
        this.pumpOnce(stream, body);
      } while (body.pumpAgain && stream.body === body);
    } finally {
      body.pumping = false;
    }
    this.owner.scheduleFlush();
  }

  private pumpOnce(stream: S, body: OutgoingBody): void {
    const conn = this.conn;
    const socket = this.socket;
    if (conn === null || socket === null) return;
    const id = stream.id;
    const mark = this.highWaterMark;
    const source = body.source;
    while (true) {
      if (stream.body !== body || stream.closed || this.conn === null) return;
      // The connection may have closed the stream in this very batch (HEADERS + RST_STREAM in one
      // packet) before its streamClosed event reached the owner: then sendData would ignore the
      // bytes and the loop would drain the whole body for nothing. Pull nothing for it.
      if (conn.streamState(id) === StreamState.CLOSED) {
        this.owner.stopBody(stream);
        return;
      }
      if (socket.writableLength + this.unwritten >= mark) {
        // Write what is gathered first: 'drain' only comes after the socket buffered past its own mark.
        this.owner.writeOutput();
      }
      if (socket.writableLength >= mark) {
        body.waitingForDrain = true;
        if (this.drainWaiters === NO_WAITERS) this.drainWaiters = new Set();
        this.drainWaiters.add(stream);
        return;
      }
      if (conn.queuedBytes(id) > 0) return; // a `writable` event will call us again
      // Ask the body for no more than can leave now (the seed's generator gets this as `size`).
      // With no window, an empty sendData registers for the `writable` event that reopens it.
      if (conn.sendWindow(id) <= 0 && !conn.sendData(id, EMPTY, false)) return;
      const window = conn.sendWindow(id);
      if (window <= 0) return; // not sendable (a `writable` or `streamClosed` event follows)
      const size = this.wholeWindowForKnownLength && source.knownLength >= 0 ? window : Math.min(PULL_SIZE, window);
      let chunk: Buffer | null;
      try {
        chunk = source.pull(size);
      } catch (err) {
        this.owner.bodyFailed(stream, err);
        return;
      }
      if (chunk === null) {
        if (source.error !== undefined) this.owner.bodyFailed(stream, source.error);
        else if (source.ended) this.finish(stream, body, EMPTY);
        return; // otherwise the source wakes us when it has more
      }
      stream.bytesSent += chunk.length;
      if (body.expectedLength >= 0 && stream.bytesSent > body.expectedLength) {
        this.owner.bodyFailed(stream, new UsageError(`the response body exceeds its content-length ${body.expectedLength}`, 'response_body_too_long'));
        return;
      }
      if (source.ended) {
        this.finish(stream, body, chunk);
        return;
      }
      const flowing = chunk.length === 0 || conn.sendData(id, chunk, false);
      this.recycleSpent(source, id);
      this.unwritten += chunk.length;
      if (this.unwritten >= WRITE_THRESHOLD) this.owner.writeOutput();
      if (!flowing) return;
    }
  }

  /**
   * Right after a chunk went to the connection: the source's buffer it came from, if now fully
   * handed out, goes back to the pool once written. Only when the connection queued none of the
   * stream's bytes: then every byte of the buffer is in the connection's output (or was dropped
   * with a closed stream), and the next socket write carries it. Bytes still queued (a window
   * that shrank) would leave in some later write: that buffer is left to the collector instead.
   */
  private recycleSpent(source: BodySource, id: number): void {
    if (source.takeSpent === undefined) return;
    const spent = source.takeSpent();
    if (spent !== null && this.conn !== null && this.conn.queuedBytes(id) === 0) this.owner.recycleAfterWrite(spent);
  }

  /** The body ended with `last`: END_STREAM on it, or on the trailers after it. */
  private finish(stream: S, body: OutgoingBody, last: Buffer): void {
    if (body.expectedLength >= 0 && stream.bytesSent !== body.expectedLength) {
      this.owner.bodyFailed(
        stream,
        new UsageError(`the response body ended after ${stream.bytesSent} bytes, its content-length is ${body.expectedLength}`, 'response_body_too_short'),
      );
      return;
    }
    let trailers = body.trailers;
    if (body.lateTrailers !== null) {
      try {
        trailers = body.lateTrailers();
      } catch (err) {
        this.owner.bodyFailed(stream, err);
        return;
      }
    }
    const conn = this.conn!;
    stream.body = null;
    this.drainWaiters.delete(stream);
    if (trailers === null) {
      conn.sendData(stream.id, last, true);
    } else {
      if (last.length > 0) conn.sendData(stream.id, last, false);
      conn.sendHeaders(stream.id, trailers, true);
    }
    this.recycleSpent(body.source, stream.id);
    this.unwritten += last.length;
    if (this.unwritten >= WRITE_THRESHOLD) this.owner.writeOutput();
  }
}
