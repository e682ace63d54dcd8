/**
 * The HTTP/2 connection state machine (RFC 9113), both roles, with no I/O: bytes in, events and
 * bytes out. Time is passed in; there are no timers.
 *
 * Driving it:
 * - `receive(chunk, now)` with every chunk read from the transport; returns the events it caused.
 * - `takeOutput()` after any call; write the buffers (one writev). Output is batched: a burst of
 *   input and commands leaves as one batch.
 * - `tick(now)` when `nextDeadline()` has passed (SETTINGS ACK timeout).
 * - Commands (`request`, `sendHeaders`, `sendData`, `pushPromise`, `resetStream`, `consume`,
 *   `ping`, `goaway`) may cause events too (`streamClosed`, `writable`, `closed`): collect them
 *   with `takeEvents()` (or they come with the next `receive()`/`tick()`).
 * Peer misbehaviour never throws: it becomes RST_STREAM / GOAWAY plus events. Misuse of the API
 * throws `UsageError`.
 */
import { UsageError } from '../errors.js';
import type { ConnectionEvent } from './events.js';
import type { ConnectionOptions, HeaderList, ResolvedOptions } from './options.js';
import { resolveOptions } from './options.js';
import type { Settings } from './settings.js';

export class Connection {
  private readonly options: ResolvedOptions;

  constructor(options: ConnectionOptions) {
    this.options = resolveOptions(options);
  }

  /** Feeds bytes read from the transport. Never throws for peer misbehaviour. */
  receive(chunk: Buffer, now?: number): ConnectionEvent[] {
    void chunk;
    void now;
    return [];
  }

  /** Everything to write since the last call (empty when nothing). */
  takeOutput(): Buffer[] {
    return [];
  }

  /** Events caused by commands since the last receive()/tick()/takeEvents(). */
  takeEvents(): ConnectionEvent[] {
    return [];
  }

  /** Advances time: fires the SETTINGS ACK timeout. */
  tick(now: number): ConnectionEvent[] {
    void now;
    return [];
  }

  /** When `tick()` next has something to do (ms on the caller's clock), Infinity if nothing. */
  nextDeadline(): number {
    return Infinity;
  }

  /**
   * Server, h2c upgrade (RFC 7540 section 3.2): call right after construction, before `receive()`,
   * with the decoded `HTTP2-Settings` header (base64url-decoded bytes) and the HTTP/1.1 request
   * converted to HTTP/2 fields (pseudo-headers first). Applies those settings as the peer's and
   * opens stream 1 half-closed (remote) with that request; its `headers` event (endStream true)
   * comes from `takeEvents()`. The client's preface still follows on the wire.
   */
  acceptUpgrade(http2Settings: Buffer, requestHeaders: HeaderList): void {
    void http2Settings;
    void requestHeaders;
  }

  /** Client: opens a stream with a request; returns its id. */
  request(headers: HeaderList, endStream: boolean): number {
    void headers;
    void endStream;
    throw new UsageError('not implemented', 'not_implemented');
  }

  /** Sends a header block: response, 1xx, request on a reserved stream, or trailers (endStream true). */
  sendHeaders(streamId: number, headers: HeaderList, endStream: boolean): void {
    void streamId;
    void headers;
    void endStream;
  }

  /**
   * Queues DATA; it leaves as the stream and connection windows allow. Returns true when all of
   * it went out at once and the producer may go on; false to wait for a `writable` event.
   * The buffer is referenced, not copied: do not modify it afterwards.
   */
  sendData(streamId: number, data: Buffer, endStream: boolean): boolean {
    void streamId;
    void data;
    void endStream;
    return true;
  }

  /** Server: promises a pushed response on `parentStreamId`; returns the promised stream id. */
  pushPromise(parentStreamId: number, requestHeaders: HeaderList): number {
    void parentStreamId;
    void requestHeaders;
    throw new UsageError('not implemented', 'not_implemented');
  }

  /** Whether `pushPromise` would be allowed now (server, peer enabled push, limit not reached, no GOAWAY). */
  get canPush(): boolean {
    return false;
  }

  /** Resets a stream (RST_STREAM with `code`). Harmless on a stream already closed. */
  resetStream(streamId: number, code: number): void {
    void streamId;
    void code;
  }

  /** Returns flow-control credit for `length` octets of DATA the application has processed. */
  consume(streamId: number, length: number): void {
    void streamId;
    void length;
  }

  /** Sends a PING (8 octets of opaque data; default: the current time). */
  ping(data?: Buffer): void {
    void data;
  }

  /** Sends GOAWAY. NO_ERROR is graceful: no new streams, in-flight ones finish, then `closed`. */
  goaway(code?: number, debug?: string | Buffer): void {
    void code;
    void debug;
  }

  /** Octets we may send on a stream now (min of its window and the connection's); 0 for unknown streams. */
  sendWindow(streamId: number): number {
    void streamId;
    return 0;
  }

  /** Octets of DATA queued on a stream, waiting for window. */
  queuedBytes(streamId: number): number {
    void streamId;
    return 0;
  }

  /** What we advertised (the latest SETTINGS we sent). */
  get localSettings(): Readonly<Settings> {
    return this.options.settings;
  }

  /** What the peer advertised (protocol defaults until its SETTINGS arrive). */
  get peerSettings(): Readonly<Settings> {
    return this.options.settings;
  }

  /** Streams open or half-closed, both directions. */
  get activeStreams(): number {
    return 0;
  }

  /** True once `closed` was emitted. */
  get isClosed(): boolean {
    return false;
  }
}
