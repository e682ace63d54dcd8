/**
 * `OutgoingMessages`: what the application sends on streams (RFC 9113 sections 5.1, 8.1): a
 * request opening a stream (client), a header block on a kept stream (a 1xx, the response, a
 * promised stream's response, trailers, which wait behind queued DATA), and DATA, handed to the
 * send scheduler. And the checks before any of it: the connection may still open streams, the
 * stream exists and its state allows the frame, nothing follows END_STREAM, the header list is
 * one we may send (from a client, also within the server's SETTINGS_MAX_HEADER_LIST_SIZE). API
 * misuse throws `UsageError`; a command on a stream already closed (say reset by the peer while
 * the application was busy) is moot and ignored.
 *
 * Why apart from the connection: these are the send side's rules, the mirror of IncomingHeaders,
 * and none of them closes a stream. The state moves a sent block causes (its END_STREAM's too)
 * are the connection's, told through `SentHeaders` as the scheduler tells it `endSent`, so stream
 * lifecycle stays in one place. Everything else it uses is given at construction.
 */
import { UsageError } from '../errors.js';
import type { FrameWriter } from '../frame/writer.js';
import type { HDDeflater } from '../hpack/deflater.js';
import type { ConnectionEnding } from './ending.js';
import type { ConnectionEvent } from './events.js';
import { checkSendable } from './field-validation.js';
import { isHeadRequest } from './message.js';
import type { HeaderList } from './options.js';
import type { SendScheduler } from './send-scheduler.js';
import type { Settings } from './settings.js';
import type { SettingsSync } from './settings-sync.js';
import { Stream } from './stream.js';
import { nextState, STREAM_STATE_NAMES, StreamInput } from './stream-state.js';
import type { StreamStore } from './stream-store.js';

/**
 * Who moves a stream on when a header block has gone out: the Connection, which owns stream
 * lifecycle. A method on one class (not a closure per connection) keeps the call monomorphic.
 */
export interface SentHeaders {
  /** The block is written on `s`; `endStream`: it carried END_STREAM. */
  headersSent(s: Stream, endStream: boolean): void;
}

export class OutgoingMessages {
  private readonly isServer: boolean;
  private readonly streams: StreamStore;
  private readonly writer: FrameWriter;
  private readonly deflater: HDDeflater;
  private readonly scheduler: SendScheduler;
  /** Read for `dead` and `goingAway`. */
  private readonly ending: ConnectionEnding;
  /** The peer's settings (frame size, header list size, initial window), read live. */
  private readonly peer: Readonly<Settings>;
  /** Our settings as the peer acknowledged them (a new stream's receive window). */
  private readonly acked: Readonly<Settings>;
  private readonly moves: SentHeaders;

  constructor(
    isServer: boolean,
    streams: StreamStore,
    writer: FrameWriter,
    deflater: HDDeflater,
    scheduler: SendScheduler,
    ending: ConnectionEnding,
    settings: SettingsSync,
    moves: SentHeaders,
  ) {
    this.isServer = isServer;
    this.streams = streams;
    this.writer = writer;
    this.deflater = deflater;
    this.scheduler = scheduler;
    this.ending = ending;
    this.peer = settings.peer;
    this.acked = settings.acked;
    this.moves = moves;
  }

  /** True when a new stream (request or push) may be opened: no GOAWAY either way, ids left. */
  get canOpen(): boolean {
    return !this.ending.dead && !this.ending.goingAway && !this.streams.idsExhausted;
  }

  /** UsageError unless a new stream may be opened (see `canOpen`), saying why. */
  checkCanOpen(): void {
    if (this.ending.dead) throw new UsageError('the connection is closed', 'connection_closed');
    if (this.ending.goingAway) throw new UsageError('the connection is going away: no new streams', 'goaway_no_new_streams');
    if (this.streams.idsExhausted) throw new UsageError('stream ids exhausted on this connection', 'stream_ids_exhausted');
  }

  /** Client: opens a stream with a request; returns its id. See Connection.request. */
  request(headers: HeaderList, endStream: boolean): number {
    if (this.isServer) throw new UsageError('request() is for a client connection', 'request_on_server');
    this.checkCanOpen();
    this.checkSend(headers);
    if (this.streams.localAtLimit) {
      throw new UsageError(`the server allows ${this.peer.maxConcurrentStreams} concurrent streams`, 'max_concurrent_streams');
    }
    const s = new Stream(this.streams.allocateId(), true, this.peer.initialWindowSize, this.acked.initialWindowSize);
    s.requestIsHead = isHeadRequest(headers);
    this.streams.add(s);
    this.write(s, headers, endStream);
    return s.id;
  }

  /** A header block on a kept stream: response, 1xx, or trailers. See Connection.sendHeaders. */
  headers(streamId: number, headers: HeaderList, endStream: boolean): void {
    const s = this.sendable(streamId);
    if (s === null) return;
    if (s.endQueued) throw new UsageError(`stream ${streamId} already ended`, 'send_after_end_stream');
    this.checkSend(headers);
    if (s.queuedBytes > 0) {
      if (!endStream) throw new UsageError(`header block without END_STREAM behind queued DATA on stream ${streamId}`, 'headers_behind_data');
      this.scheduler.queueTrailers(s, headers);
      return;
    }
    if (nextState(s.state, StreamInput.SEND_HEADERS) < 0) {
      throw new UsageError(`cannot send HEADERS on stream ${streamId} in state ${STREAM_STATE_NAMES[s.state]}`, 'send_headers_in_state');
    }
    this.write(s, headers, endStream);
  }

  /** DATA, sent or queued by the scheduler. See Connection.sendData. */
  data(streamId: number, data: Buffer, endStream: boolean, events: ConnectionEvent[], now: number): boolean {
    const s = this.sendable(streamId);
    if (s === null) return true;
    if (s.endQueued) throw new UsageError(`stream ${streamId} already ended`, 'send_after_end_stream');
    if (nextState(s.state, StreamInput.SEND_DATA) < 0) {
      throw new UsageError(`cannot send DATA on stream ${streamId} in state ${STREAM_STATE_NAMES[s.state]}`, 'send_data_in_state');
    }
    return this.scheduler.send(s, data, endStream, events, now);
  }

  /** A stream for a send command: null if it is already closed (the command is moot), UsageError if it never existed. */
  private sendable(id: number): Stream | null {
    if (this.ending.dead) return null;
    const s = this.streams.get(id);
    if (s !== undefined) return s;
    if (this.streams.isIdle(id) || id === 0) throw new UsageError(`stream ${id} is not open`, 'stream_not_open');
    return null;
  }

  /** UsageError for a header list we may not send; a client also holds it to the server's SETTINGS_MAX_HEADER_LIST_SIZE. */
  private checkSend(headers: HeaderList): void {
    checkSendable(headers, this.isServer ? Infinity : this.peer.maxHeaderListSize);
  }

  private write(s: Stream, headers: HeaderList, endStream: boolean): void {
    const block = this.deflater.deflate(headers);
    this.writer.headers(s.id, block, endStream, this.peer.maxFrameSize);
    this.moves.headersSent(s, endStream);
  }
}
