/**
 * `IncomingHeaders`: what a received HEADERS block does (RFC 9113 sections 5.1, 8.1). On an idle
 * id it is a request opening a stream (server), admitted or turned away: above our GOAWAY's last
 * id it is ignored (section 6.8), past our MAX_CONCURRENT_STREAMS refused (5.1.2), past our
 * header list limit answered 431 (10.5.1), malformed reset (8.1.1). On a kept stream it is the
 * next block of the message there (1xx, response, trailers, a pushed response), checked against
 * the state table and the message framing. On a stream no longer kept, a late frame.
 *
 * Why apart from the connection: these are the rules for admitting and reading header blocks,
 * and none of them closes a stream (a block never moves a stream to closed; END_STREAM does,
 * and the connection applies it). The stream opened or moved goes through the StreamStore, so
 * the counts stay right. Everything it uses is given at construction: no back-pointer.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors.js';
import { FrameType } from '../frame/constants.js';
import type { FrameWriter } from '../frame/writer.js';
import type { HDDeflater } from '../hpack/deflater.js';
import type { HDInflater } from '../hpack/inflater.js';
import type { ConnectionEvent } from './events.js';
import type { MessageInfo } from './field-validation.js';
import type { FloodGuard } from './flood-guard.js';
import type { HeaderBlockAssembler } from './header-block.js';
import { receiveHeaderBlock, requestError } from './message.js';
import type { HeaderList } from './options.js';
import type { Settings } from './settings.js';
import type { SettingsSync } from './settings-sync.js';
import { MessagePhase, Stream } from './stream.js';
import type { StreamStore } from './stream-store.js';
import { CloseCause } from './stream-store.js';
import { nextState, receiveError, StreamInput, StreamState } from './stream-state.js';

/** The answer to a request whose header list is over our limit (section 10.5.1). */
const STATUS_431: HeaderList = [[':status', '431']];

export class IncomingHeaders {
  private readonly isServer: boolean;
  private readonly streams: StreamStore;
  private readonly writer: FrameWriter;
  private readonly deflater: HDDeflater;
  /** Read for its list limit, in the message of a header list over it. */
  private readonly inflater: HDInflater;
  private readonly flood: FloodGuard;
  /** Our settings as sent (concurrency binds at once), as acknowledged, the peer's. */
  private readonly local: Readonly<Settings>;
  private readonly acked: Readonly<Settings>;
  private readonly peer: Readonly<Settings>;
  /** Scratch space of the connection's field checks. */
  private readonly info: MessageInfo;

  constructor(
    isServer: boolean,
    streams: StreamStore,
    writer: FrameWriter,
    deflater: HDDeflater,
    inflater: HDInflater,
    flood: FloodGuard,
    settings: SettingsSync,
    info: MessageInfo,
  ) {
    this.isServer = isServer;
    this.streams = streams;
    this.writer = writer;
    this.deflater = deflater;
    this.inflater = inflater;
    this.flood = flood;
    this.local = settings.local;
    this.acked = settings.acked;
    this.peer = settings.peer;
    this.info = info;
  }

  /**
   * The decoded HEADERS block `headers`; `block` says what its first frame said (stream,
   * END_STREAM, self-dependency, too large). Reports the `headers` event and returns the stream
   * when the block is taken (the caller applies END_STREAM), null when it is ignored; throws the
   * stream or connection error it deserves. Requests above `lastId` (our GOAWAY's) are ignored.
   */
  receive(headers: HeaderList, block: HeaderBlockAssembler, lastId: number, events: ConnectionEvent[], now: number): Stream | null {
    const id = block.streamId;
    const endStream = block.endStream;
    const s = this.streams.get(id);
    if (s === undefined) {
      if (!this.streams.isIdle(id)) {
        this.streams.checkLateFrame(id, FrameType.HEADERS);
        this.flood.glitch(now, 'frame_after_reset');
        return null;
      }
      // Section 5.1.1: only the peer's own ids open streams; a server never opens one with HEADERS.
      if (!this.isServer || (id & 1) === 0) {
        throw new ConnectionError(`HEADERS on idle stream ${id} the peer may not open`, ErrorCode.PROTOCOL_ERROR, 'headers_on_idle_stream');
      }
      return this.request(id, headers, block, lastId, events, now);
    }
    if (block.selfDependent) {
      throw new StreamError(id, `stream ${id} depends on itself`, ErrorCode.PROTOCOL_ERROR, 'priority_self_dependency');
    }
    const next = nextState(s.state, StreamInput.RECV_HEADERS);
    if (next < 0) throw receiveError(id, s.state, FrameType.HEADERS);
    // Section 5.1.2: a pushed response makes its stream active; beyond our advertised limit it is refused.
    if (s.state === StreamState.RESERVED_REMOTE && this.streams.peerAtLimit) {
      throw new StreamError(id, `pushed stream ${id} exceeds SETTINGS_MAX_CONCURRENT_STREAMS ${this.local.maxConcurrentStreams}`, ErrorCode.REFUSED_STREAM, 'max_concurrent_streams');
    }
    if (block.tooLarge) {
      throw new StreamError(id, `header list on stream ${id} exceeds ${this.inflater.maxHeaderListSize} octets`, ErrorCode.CANCEL, 'header_list_too_large');
    }
    const kind = receiveHeaderBlock(s, headers, endStream, this.isServer, this.info);
    if (kind === null) throw receiveError(id, s.state, FrameType.HEADERS);
    this.streams.transition(s, next as StreamState);
    s.seenByUser = true;
    events.push({ type: 'headers', streamId: id, headers, endStream, kind });
    return s;
  }

  /**
   * Server, h2c upgrade: the HTTP/1.1 request (as HTTP/2 fields) is stream 1's, received whole:
   * the stream opens half-closed (remote) and the `headers` event reports the request.
   */
  upgradeRequest(headers: HeaderList, events: ConnectionEvent[]): void {
    const s = new Stream(1, false, this.peer.initialWindowSize, this.acked.initialWindowSize);
    this.streams.lastPeerId = 1;
    this.streams.add(s);
    this.streams.transition(s, StreamState.OPEN);
    this.streams.transition(s, StreamState.HALF_CLOSED_REMOTE);
    s.phase = MessagePhase.HEADERS;
    s.seenByUser = true;
    events.push({ type: 'headers', streamId: 1, headers, endStream: true, kind: 'request' });
  }

  /** Server: a request on stream `id` (idle, odd, above every earlier one): the stream it opens, or null. */
  private request(id: number, headers: HeaderList, block: HeaderBlockAssembler, lastId: number, events: ConnectionEvent[], now: number): Stream | null {
    const streams = this.streams;
    const endStream = block.endStream;
    // Section 5.1.1: opening `id` implicitly closes every idle peer stream below it.
    streams.lastPeerId = id;
    // Section 6.8: after our GOAWAY, streams above its last id are not processed.
    if (id > lastId) {
      streams.rememberClosed(id, CloseCause.LOCAL_RESET);
      return null;
    }
    if (block.selfDependent) {
      streams.rememberClosed(id, CloseCause.LOCAL_RESET);
      throw new StreamError(id, `stream ${id} depends on itself`, ErrorCode.PROTOCOL_ERROR, 'priority_self_dependency');
    }
    if (streams.peerAtLimit) {
      streams.rememberClosed(id, CloseCause.LOCAL_RESET);
      throw new StreamError(id, `stream ${id} exceeds SETTINGS_MAX_CONCURRENT_STREAMS ${this.local.maxConcurrentStreams}`, ErrorCode.REFUSED_STREAM, 'max_concurrent_streams');
    }
    if (block.tooLarge) {
      // RFC 9113 section 10.5.1: answer 431 and, if the client is still sending, stop it with NO_ERROR (section 8.1).
      streams.rememberClosed(id, CloseCause.LOCAL_RESET);
      this.writer.headers(id, this.deflater.deflate(STATUS_431), true, this.peer.maxFrameSize);
      if (!endStream) this.writer.rstStream(id, ErrorCode.NO_ERROR);
      // A refused request is a provoked reset too (HPACK bombs one after another).
      this.flood.reset(now);
      this.flood.streamError(now);
      return null;
    }
    const info = this.info;
    const bad = requestError(headers, endStream, this.acked.enableConnectProtocol || this.local.enableConnectProtocol, info);
    if (bad !== null) {
      streams.rememberClosed(id, CloseCause.LOCAL_RESET);
      throw new StreamError(id, `malformed request on stream ${id}: ${bad}`, ErrorCode.PROTOCOL_ERROR, bad);
    }
    const s = new Stream(id, false, this.peer.initialWindowSize, this.acked.initialWindowSize);
    s.contentLength = info.contentLength;
    s.phase = MessagePhase.HEADERS;
    s.seenByUser = true;
    streams.add(s);
    streams.transition(s, nextState(StreamState.IDLE, StreamInput.RECV_HEADERS) as StreamState);
    this.flood.requestOpened();
    events.push({ type: 'headers', streamId: id, headers, endStream, kind: 'request' });
    return s;
  }
}
