/**
 * The HTTP/2 connection state machine (RFC 9113), both roles, with no I/O: bytes in, events and
 * bytes out. Time is passed in; there are no timers.
 *
 * Driving it:
 * - `receive(chunk, now)` with every chunk read from the transport; returns the events it caused.
 * - `takeOutput()` after any call; write the buffers (one writev). Output is batched: a burst of
 *   input and commands leaves as one batch.
 * - `tick(now)` when `nextDeadline()` has passed (SETTINGS ACK timeout, send stall limit).
 * - Commands (`request`, `sendHeaders`, `sendData`, `pushPromise`, `resetStream`, `consume`,
 *   `ping`, `goaway`) may cause events too (`streamClosed`, `writable`, `closed`): collect them
 *   with `takeEvents()` (or they come with the next `receive()`/`tick()`).
 * Peer misbehaviour never throws: it becomes RST_STREAM / GOAWAY plus events. Misuse of the API
 * throws `UsageError`.
 *
 * Errors are thrown inside as `ConnectionError` / `StreamError` (with the RFC code and a stable
 * token) by whatever detects them, and turned into GOAWAY / RST_STREAM in one place each:
 * `fail()` (ConnectionEnding) and `resetFromError()`.
 *
 * This class keeps the public API, frame dispatch, stream lifecycle and the stream error mapping.
 * The rest lives in parts it owns and hands what they need (none points back at it): the streams
 * and their counts (StreamStore), outgoing DATA (SendScheduler), incoming DATA's windows and
 * credit (ReceiveFlow), when settings bind (SettingsSync) and what they change (SettingsEffects),
 * header blocks across CONTINUATION (HeaderBlockAssembler), what a HEADERS block does
 * (IncomingHeaders), message framing (message.ts), server push (Push), GOAWAY both ways, the
 * graceful shutdown and the end of the connection (ConnectionEnding).
 */
import { ConnectionError, ErrorCode, StreamError, UsageError } from '../errors.js';
import { FrameType } from '../frame/constants.js';
import { FrameDecoder } from '../frame/decoder.js';
import type { DataFrame, Frame, GoawayFrame, PingFrame, RstStreamFrame, WindowUpdateFrame } from '../frame/types.js';
import { FrameWriter } from '../frame/writer.js';
import { HDDeflater } from '../hpack/deflater.js';
import { ConnectionEnding } from './ending.js';
import type { ConnectionEvent } from './events.js';
import { MessageInfo } from './field-validation.js';
import { OutgoingCheck } from './outgoing-check.js';
import { FloodGuard } from './flood-guard.js';
import type { FlowWindows } from './flow-control.js';
import { HeaderBlockAssembler } from './header-block.js';
import { IncomingHeaders } from './incoming-headers.js';
import type { ConnectionOptions, HeaderList, ResolvedOptions } from './options.js';
import { dataError, isHeadRequest } from './message.js';
import { DEFAULT_SHUTDOWN_PING_TIMEOUT, resolveOptions } from './options.js';
import { Preface } from './preface.js';
import { Push } from './push.js';
import { ReceiveFlow } from './receive-flow.js';
import { SendScheduler } from './send-scheduler.js';
import type { Settings } from './settings.js';
import { INITIAL_SETTINGS } from './settings.js';
import { SettingsEffects } from './settings-effects.js';
import { SettingsSync } from './settings-sync.js';
import { Stream } from './stream.js';
import { CloseCause, StreamStore } from './stream-store.js';
import { nextState, receiveError, STREAM_STATE_NAMES, StreamInput, StreamState } from './stream-state.js';

const NO_EVENTS = Object.freeze([]) as unknown as ConnectionEvent[];

export class Connection {
  private readonly options: ResolvedOptions;
  private readonly isServer: boolean;
  private readonly decoder: FrameDecoder;
  private readonly writer = new FrameWriter();
  private readonly deflater: HDDeflater;
  private events: ConnectionEvent[] = [];
  private now: number;

  /** Our settings, the peer's, and ours as the peer acknowledged them (with the ACK queue). */
  private readonly settings: SettingsSync;
  /** Shortcut to `settings.peer` (the same object, changed in place). */
  private readonly peer: Settings;
  /** The client's 24 octets: sent first (client), checked as they arrive (server). */
  private readonly preface: Preface;

  /** The kept streams, the ids used each way, closed-stream memory, open counts. */
  private readonly streams: StreamStore;
  /** Connection-level flow control (stream 0): send side in the scheduler, receive side in `recvFlow`. */
  private readonly flow: FlowWindows = { sendWindow: 65535, recvWindow: 65535, recvTarget: 65535, recvUnacked: 0 };
  /** Outgoing DATA: queues, round-robin, stall clocks. */
  private readonly scheduler: SendScheduler;
  /** Incoming DATA against the receive windows; credit back as WINDOW_UPDATE. */
  private readonly recvFlow: ReceiveFlow;
  /** Promising pushes (server), judging promises (client). */
  private readonly push: Push;
  /** Received HEADERS blocks: requests admitted or turned away, the next block of a stream's message. */
  private readonly incoming: IncomingHeaders;
  /** What received SETTINGS and the ACKs of ours change. */
  private readonly settingsEffects: SettingsEffects;
  /** The header block being received (RFC 9113 section 4.3: nothing may interleave with it). */
  private readonly blocks: HeaderBlockAssembler;
  /** Scratch space of the field checks, shared by the parts that judge received header lists. */
  private readonly info = new MessageInfo();
  /** The checks of header lists we send (a repeat of the last good one is not scanned again). */
  private readonly outgoing = new OutgoingCheck();

  /** GOAWAY both ways, the graceful shutdown, `closed`, connection errors; `ending.dead`: input is ignored. */
  private readonly ending: ConnectionEnding;
  private readonly flood: FloodGuard;

  constructor(options: ConnectionOptions) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.isServer = o.role === 'server';
    this.now = o.now;
    this.flood = new FloodGuard(o);
    this.settings = new SettingsSync(o.settings, this.isServer, o.settingsAckTimeout);
    this.peer = this.settings.peer;
    this.preface = new Preface(this.isServer);
    this.streams = new StreamStore(this.isServer, this.settings.local, this.peer, o.maxClosedStreams, o.maxConcurrentPushes);
    this.decoder = new FrameDecoder({ maxFrameSize: INITIAL_SETTINGS.maxFrameSize, maxSettingsEntries: o.maxSettingsEntries });
    this.deflater = new HDDeflater(o.maxEncoderTableSize);
    this.blocks = new HeaderBlockAssembler(o.settings.maxHeaderListSize, o.maxHeaderBlockSize, o.maxContinuationFrames);
    const inflater = this.blocks.inflater;
    // One closure for the connection's life: the scheduler moves a stream on as its END_STREAM leaves.
    this.scheduler = new SendScheduler(this.writer, this.deflater, this.flow, this.peer, this.flood, o.maxSendStallMs, this);

    this.incoming = new IncomingHeaders(this.isServer, this.streams, this.writer, this.deflater, inflater, this.flood, this.settings, this.info);
    this.push = new Push(this.isServer, this.streams, this.writer, this.deflater, inflater, this.settings, this.info);
    this.writer.settings(this.settings.initial(this.now));
    this.recvFlow = new ReceiveFlow(this.writer, this.flow, o.connectionWindowSize);
    this.settingsEffects = new SettingsEffects(this.settings, this.streams, this.scheduler, this.recvFlow, this.decoder, this.deflater, inflater, this.writer, this.flood);
    this.ending = new ConnectionEnding(this.isServer, this.writer, this.streams, this.scheduler, this.blocks, this.flood);
  }

  // ---------------------------------------------------------------------------------------
  // Driving
  // ---------------------------------------------------------------------------------------

  /** Feeds bytes read from the transport. Never throws for peer misbehaviour. */
  receive(chunk: Buffer, now?: number): ConnectionEvent[] {
    if (now !== undefined) this.now = now;
    if (this.ending.dead) return this.takeEvents();
    try {
      if (!this.preface.received) chunk = this.preface.check(chunk);
      if (chunk.length > 0) this.decoder.push(chunk);
      for (;;) {
        let frame: Frame | null;
        try {
          frame = this.decoder.next();
          if (frame === null) break;
          this.handleFrame(frame);
        } catch (err) {
          if (err instanceof StreamError) {
            this.resetFromError(err);
            // Resets the peer provokes cost us as much as the ones it sends (MadeYouReset,
            // CVE-2025-8671): the same limit applies, and a tighter one to stream errors only a
            // broken peer causes. A flood ends in GOAWAY via the catch below.
            this.flood.reset(this.now);
            if (err.code !== ErrorCode.REFUSED_STREAM) this.flood.streamError(this.now);
            // Resetting the last stream after a GOAWAY finishes the connection: nothing after `closed`.
            if (this.ending.dead) break;
            continue;
          }
          throw err;
        }
        if (this.ending.dead) break;
      }
      if (!this.ending.dead) this.scheduler.flush(this.events, this.now);
    } catch (err) {
      this.fail(err);
    }
    return this.takeEvents();
  }

  /** Everything to write since the last call (empty when nothing). */
  takeOutput(): Buffer[] {
    const out = this.writer.take();
    const prefix = this.preface.takePrefix();
    if (prefix !== null) out.unshift(prefix);
    return out;
  }

  /** Octets of output gathered and not yet taken (for backpressure decisions). */
  get pendingOutput(): number {
    return this.writer.pending() + this.preface.pending;
  }

  /** Events caused by commands since the last receive()/tick()/takeEvents(). */
  takeEvents(): ConnectionEvent[] {
    const events = this.events;
    // The common "nothing happened" answer allocates nothing; frozen, so no caller can write into it.
    if (events.length === 0) return NO_EVENTS;
    this.events = [];
    return events;
  }

  /** Advances time: fires the SETTINGS ACK timeout and the send stall limit. */
  tick(now: number): ConnectionEvent[] {
    this.now = now;
    this.ending.tick(now, this.events);
    if (!this.ending.dead && this.settings.ackDeadline <= now) {
      this.fail(new ConnectionError(`SETTINGS not acknowledged within ${this.options.settingsAckTimeout} ms`, ErrorCode.SETTINGS_TIMEOUT, 'settings_ack_timeout'));
    }
    const limit = this.options.maxSendStallMs;
    for (let s = this.ending.dead ? null : this.scheduler.expiredStall(now); s !== null; s = this.scheduler.expiredStall(now)) {
      this.resetFromError(new StreamError(s.id, `stream ${s.id}: the peer's flow control held our DATA back for ${limit} ms`, ErrorCode.CANCEL, 'send_stalled'));
      this.scheduler.drop(s); // closed by the reset already; this only guarantees the loop ends
    }
    return this.takeEvents();
  }

  /** When `tick()` next has something to do (ms on the caller's clock), Infinity if nothing. */
  nextDeadline(): number {
    if (this.ending.dead) return Infinity;
    return Math.min(this.settings.ackDeadline, this.scheduler.stallDeadline(), this.ending.drainUntil);
  }

  // ---------------------------------------------------------------------------------------
  // Commands
  // ---------------------------------------------------------------------------------------

  /**
   * Server, h2c upgrade (RFC 7540 section 3.2): call right after construction, before `receive()`,
   * with the decoded `HTTP2-Settings` header (base64url-decoded bytes) and the HTTP/1.1 request
   * converted to HTTP/2 fields (pseudo-headers first). Applies those settings as the peer's and
   * opens stream 1 half-closed (remote) with that request; its `headers` event (endStream true)
   * comes from `takeEvents()`. The client's preface still follows on the wire.
   */
  acceptUpgrade(http2Settings: Buffer, requestHeaders: HeaderList): void {
    if (!this.isServer || this.streams.lastPeerId !== 0) {
      throw new UsageError('acceptUpgrade is for a server connection before any stream', 'upgrade_misuse');
    }
    this.settingsEffects.applyUpgrade(http2Settings, this.options.maxSettingsEntries);
    this.incoming.upgradeRequest(requestHeaders, this.events);
  }

  /**
   * Advertises new values of our settings (a SETTINGS frame). Values that constrain the peer
   * (initial window, frame size, header table size) apply once it ACKs; a lower
   * maxConcurrentStreams applies at once (refusing a stream is always allowed).
   */
  updateSettings(settings: Partial<Settings>): void {
    if (this.ending.dead) return;
    this.writer.settings(this.settings.update(settings, this.now));
  }

  /** Client: opens a stream with a request; returns its id. */
  request(headers: HeaderList, endStream: boolean): number {
    if (this.isServer) throw new UsageError('request() is for a client connection', 'request_on_server');
    this.checkCanOpen();
    this.checkSend(headers);
    if (this.streams.localAtLimit) {
      throw new UsageError(`the server allows ${this.peer.maxConcurrentStreams} concurrent streams`, 'max_concurrent_streams');
    }
    const s = new Stream(this.streams.allocateId(), true, this.peer.initialWindowSize, this.settings.acked.initialWindowSize);
    s.requestIsHead = isHeadRequest(headers);
    this.streams.add(s);
    this.writeHeaders(s, headers, endStream);
    return s.id;
  }

  /** True when a new stream (request or push) may be opened: no GOAWAY either way, ids left. */
  get canOpenStream(): boolean {
    return !this.ending.dead && !this.ending.goingAway && !this.streams.idsExhausted;
  }

  /**
   * Sends a header block: the response (or a 1xx) on a stream the peer opened, the response of
   * a promised stream, or trailers (with `endStream` true; they wait behind queued data).
   * Ignored on a stream that is already closed (e.g. reset by the peer). `checked`: for the library's own use,
   * the server's promise that the fields were checked already (PreparedHeaders, src/io/prepared-headers.ts).
   */
  sendHeaders(streamId: number, headers: HeaderList, endStream: boolean, checked = false): void {
    const s = this.sendableStream(streamId);
    if (s === null) return;
    if (s.endQueued) throw new UsageError(`stream ${streamId} already ended`, 'send_after_end_stream');
    this.checkSend(headers, checked);
    if (s.queuedBytes > 0) {
      if (!endStream) throw new UsageError(`header block without END_STREAM behind queued DATA on stream ${streamId}`, 'headers_behind_data');
      this.scheduler.queueTrailers(s, headers);
      return;
    }
    if (nextState(s.state, StreamInput.SEND_HEADERS) < 0) {
      throw new UsageError(`cannot send HEADERS on stream ${streamId} in state ${STREAM_STATE_NAMES[s.state]}`, 'send_headers_in_state');
    }
    this.writeHeaders(s, headers, endStream);
  }

  /**
   * Queues DATA; it leaves as the stream and connection windows allow. Returns true when all of
   * it went out at once and the window is still open: the producer may go on; false to wait for
   * a `writable` event. The buffer is referenced, not copied: do not modify it afterwards.
   * Ignored (returns true) on a stream already closed.
   */
  sendData(streamId: number, data: Buffer, endStream: boolean): boolean {
    const s = this.sendableStream(streamId);
    if (s === null) return true;
    if (s.endQueued) throw new UsageError(`stream ${streamId} already ended`, 'send_after_end_stream');
    if (nextState(s.state, StreamInput.SEND_DATA) < 0) {
      throw new UsageError(`cannot send DATA on stream ${streamId} in state ${STREAM_STATE_NAMES[s.state]}`, 'send_data_in_state');
    }
    return this.scheduler.send(s, data, endStream, this.events, this.now);
  }

  /** Server: promises a pushed response on `parentStreamId`; returns the promised stream id. */
  pushPromise(parentStreamId: number, requestHeaders: HeaderList): number {
    this.push.checkRole();
    this.checkCanOpen();
    return this.push.promise(parentStreamId, requestHeaders);
  }

  /** Whether `pushPromise` would be allowed now (server, peer enabled push, limit not reached, no GOAWAY). */
  get canPush(): boolean {
    return this.push.allowed && this.canOpenStream;
  }

  /**
   * Resets a stream (RST_STREAM with `code`). Harmless on a stream already closed.
   *
   * `peerCaused`: the reset answers something the peer sent (say a request that made the
   * application fail), so the peer can repeat it at will: it counts against the same reset limit
   * as the resets the peer sends or provokes (MadeYouReset class), and past that limit the
   * connection ends with GOAWAY(ENHANCE_YOUR_CALM) instead.
   */
  resetStream(streamId: number, code: number = ErrorCode.CANCEL, peerCaused = false): void {
    const s = this.streams.get(streamId);
    if (s === undefined || this.ending.dead) return;
    this.writer.rstStream(streamId, code);
    this.closeStream(s, code, CloseCause.LOCAL_RESET);
    if (!peerCaused) return;
    try {
      this.flood.reset(this.now);
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The response is (or will be) complete without the rest of the request: RST_STREAM(NO_ERROR)
   * as soon as our END_STREAM has left, unless the peer has finished by then (RFC 9113 section
   * 8.1), so a client still uploading stops. Queued response DATA is sent first.
   */
  refuseRequestRest(streamId: number): void {
    const s = this.streams.get(streamId);
    if (s === undefined || this.ending.dead) return;
    if (s.state === StreamState.HALF_CLOSED_LOCAL) this.resetStream(streamId, ErrorCode.NO_ERROR);
    else s.refuseRestAfterEnd = true;
  }

  /** Returns flow-control credit for `length` octets of DATA the application has processed. */
  consume(streamId: number, length: number): void {
    if (this.ending.dead || length <= 0) return;
    this.recvFlow.consume(this.streams.get(streamId), length);
  }

  /** Sends a PING (8 octets of opaque data; default: zeros with the current time). */
  ping(data?: Buffer): void {
    if (this.ending.dead) return;
    let payload = data;
    if (payload === undefined) {
      payload = Buffer.alloc(8);
      payload.writeDoubleBE(this.now);
    }
    if (payload.length !== 8) throw new UsageError(`PING data must be 8 octets, got ${payload.length}`, 'ping_data_length');
    this.writer.ping(payload, false);
  }

  /**
   * Sends GOAWAY with the highest peer stream id we processed. NO_ERROR is graceful: new peer
   * streams are refused, in-flight ones finish, then `closed`. Any other code ends the
   * connection now (`closed` follows at once).
   */
  goaway(code: number = ErrorCode.NO_ERROR, debug?: string | Buffer): void {
    this.ending.goaway(code, debug, this.events);
  }

  /**
   * Server: the graceful shutdown of RFC 9113 section 6.8. A first GOAWAY(NO_ERROR) with
   * last-stream-id 2^31-1 tells the client to open no more streams, and a PING follows it; the
   * requests the client sent before it saw the GOAWAY still arrive and are served. When the PING
   * comes back (one round trip: everything sent before the GOAWAY has arrived), or after
   * `timeoutMs`, the final GOAWAY names the last stream processed; `closed` once the streams are
   * done. A client connection sends its one GOAWAY at once.
   */
  shutdown(timeoutMs = DEFAULT_SHUTDOWN_PING_TIMEOUT): void {
    this.ending.shutdown(timeoutMs, this.now, this.events);
  }

  // ---------------------------------------------------------------------------------------
  // Queries
  // ---------------------------------------------------------------------------------------

  /** Octets we may send on a stream now (min of its window and the connection's); 0 for unknown streams. */
  sendWindow(streamId: number): number {
    const s = this.streams.get(streamId);
    if (s === undefined) return 0;
    const w = Math.min(s.sendWindow, this.flow.sendWindow) - s.queuedBytes;
    return w > 0 ? w : 0;
  }

  /** Octets of DATA queued on a stream, waiting for window. */
  queuedBytes(streamId: number): number {
    return this.streams.get(streamId)?.queuedBytes ?? 0;
  }

  /** The RFC 9113 section 5.1 state of a stream ('idle' or 'closed' for ids not kept). */
  streamState(streamId: number): StreamState {
    const s = this.streams.get(streamId);
    if (s !== undefined) return s.state;
    return this.streams.isIdle(streamId) ? StreamState.IDLE : StreamState.CLOSED;
  }

  /** What we advertised (the latest SETTINGS we sent). */
  get localSettings(): Readonly<Settings> {
    return this.settings.local;
  }

  /** What the peer advertised (protocol defaults until its SETTINGS arrive). */
  get peerSettings(): Readonly<Settings> {
    return this.peer;
  }

  /** Streams kept (open, half-closed or reserved), both directions. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** True once `closed` was emitted. */
  get isClosed(): boolean {
    return this.ending.closedEmitted;
  }

  /** A graceful shutdown waits for its PING round trip (`shutdown()`): the final GOAWAY is not out yet. */
  get isDraining(): boolean {
    return this.ending.drainUntil !== Infinity;
  }

  /** True once we sent or received GOAWAY. */
  get isGoingAway(): boolean {
    return this.ending.goingAway;
  }

  // ---------------------------------------------------------------------------------------
  // Input
  // ---------------------------------------------------------------------------------------

  private handleFrame(frame: Frame): void {
    // Section 3.4: the first frame from the peer must be its SETTINGS.
    if (!this.settings.peerSeen && (frame.type !== FrameType.SETTINGS || frame.ack)) {
      throw new ConnectionError('the peer did not start with SETTINGS', ErrorCode.PROTOCOL_ERROR, 'preface_settings_missing');
    }
    // Section 6.10: a header block is contiguous; any other frame in between is a connection error.
    if (this.blocks.inProgress) {
      const headers = this.blocks.continuation(frame);
      if (headers !== null) this.onBlock(headers);
      return;
    }
    switch (frame.type) {
      case FrameType.DATA:
        this.onData(frame);
        return;
      case FrameType.HEADERS: {
        const headers = this.blocks.headers(frame);
        if (headers !== null) this.onHeaderBlock(headers);
        return;
      }
      case FrameType.PRIORITY:
        this.onPriority(frame.streamId, frame.priority.dependency);
        return;
      case FrameType.RST_STREAM:
        this.onRstStream(frame);
        return;
      case FrameType.SETTINGS:
        this.settingsEffects.frame(frame, this.events, this.now);
        return;
      case FrameType.PUSH_PROMISE: {
        this.push.checkFrame();
        const headers = this.blocks.pushPromise(frame);
        if (headers !== null) this.onPushPromiseBlock(headers);
        return;
      }
      case FrameType.PING:
        this.onPing(frame);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(frame);
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(frame);
        return;
      case FrameType.CONTINUATION:
        this.blocks.continuation(frame); // throws: no block in progress
        return;
      default:
        // Section 4.1 / 5.5: unknown frame types are ignored, but reading them is work.
        this.flood.glitch(this.now, 'unknown_frame');
        return;
    }
  }

  private onData(f: DataFrame): void {
    const id = f.streamId;
    const flowLength = f.flowLength;
    // DATA that will not reach the application gives its connection credit back (`discard`).
    this.recvFlow.connectionData(flowLength);
    const s = this.streams.get(id);
    if (s === undefined) {
      this.recvFlow.discard(flowLength);
      this.streams.checkLateFrame(id, FrameType.DATA);
      this.flood.glitch(this.now, 'frame_after_reset');
      return;
    }
    if (nextState(s.state, StreamInput.RECV_DATA) < 0) {
      this.recvFlow.discard(flowLength);
      throw receiveError(s.id, s.state, FrameType.DATA);
    }
    this.recvFlow.streamData(s, flowLength);
    // Section 8.1: DATA belongs between the (final) header block and trailers.
    const length = f.data.length;
    const bad = dataError(s, length, f.endStream);
    if (bad !== null) {
      this.recvFlow.discard(flowLength);
      throw bad;
    }
    // Padding is never delivered: credit it now.
    if (flowLength > length) this.recvFlow.consume(s, flowLength - length);
    if (length === 0 && !f.endStream) this.flood.glitch(this.now, 'empty_data');
    this.events.push({ type: 'data', streamId: id, data: f.data, endStream: f.endStream });
    if (f.endStream) this.receiveEndStream(s);
  }

  /** A complete header block after CONTINUATION: HEADERS or PUSH_PROMISE, as it began. */
  private onBlock(headers: HeaderList): void {
    if (this.blocks.isPushPromise) this.onPushPromiseBlock(headers);
    else this.onHeaderBlock(headers);
  }

  private onHeaderBlock(headers: HeaderList): void {
    const s = this.incoming.receive(headers, this.blocks, this.ending.lastId, this.events, this.now);
    if (s !== null && this.blocks.endStream) this.receiveEndStream(s);
  }

  /** Client: the server promised a stream (section 6.6, 8.4). */
  private onPushPromiseBlock(headers: HeaderList): void {
    const blocks = this.blocks;
    this.push.received(blocks.streamId, blocks.promisedId, headers, blocks.tooLarge, this.events);
  }

  private onPriority(id: number, dependency: number): void {
    if (dependency === id) {
      throw new StreamError(id, `stream ${id} depends on itself`, ErrorCode.PROTOCOL_ERROR, 'priority_self_dependency');
    }
    // RFC 9113 section 5.3.2: the priority scheme is deprecated; the frame is accepted and ignored.
    // We keep no priority tree, but each frame still costs a decode: it is a glitch, on open
    // streams too (a flood of PRIORITY on one open stream is as cheap to send), and more so on
    // streams that are not open (idle placeholders, closed streams: tree churn, CVE-2019-9513).
    // Browsers send a handful at most, which their requests pay for.
    this.flood.glitch(this.now, this.streams.has(id) ? 'priority' : 'priority_churn');
  }

  private onRstStream(f: RstStreamFrame): void {
    const id = f.streamId;
    const s = this.streams.get(id);
    if (s === undefined) {
      if (this.streams.isIdle(id)) {
        throw new ConnectionError(`RST_STREAM on idle stream ${id}`, ErrorCode.PROTOCOL_ERROR, 'rst_stream_on_idle_stream');
      }
      // Allowed (our END_STREAM and the peer's cancel may cross), but it does nothing.
      this.flood.glitch(this.now, 'rst_stream_closed');
      return;
    }
    // Rapid reset (CVE-2023-44487): bound how many streams the peer may open and cancel.
    if (!s.local) this.flood.reset(this.now);
    const seen = s.seenByUser;
    if (seen) this.events.push({ type: 'streamReset', streamId: id, errorCode: f.errorCode, byPeer: true });
    this.closeStream(s, f.errorCode, CloseCause.PEER_RESET);
  }

  private onPing(f: PingFrame): void {
    if (!f.ack) {
      this.flood.controlFrame(this.now);
      this.writer.ping(f.data, true);
    } else {
      this.ending.pingAck(f.data, this.events);
    }
    this.events.push({ type: 'ping', data: f.data, ack: f.ack });
  }

  private onGoaway(f: GoawayFrame): void {
    this.ending.received(f, this.events, this.now);
    // Streams we opened above lastStreamId were not processed: they may be retried elsewhere.
    for (const s of this.streams.values()) {
      if (s.local && s.id > f.lastStreamId) this.closeStream(s, ErrorCode.REFUSED_STREAM, CloseCause.PEER_RESET);
    }
    this.ending.maybeFinish(this.events);
  }

  /**
   * Every WINDOW_UPDATE is a glitch: it may do nothing (stream 0 with nothing to send, a closed
   * stream) and a flood of them is cheap to send. A reading peer's are paid for by the DATA
   * frames we send it (FloodGuard.dataFrameSent). A dribble (the window it left is still tiny
   * while we wait to send: CVE-2019-9511) is named so in the GOAWAY message.
   */
  private onWindowUpdate(f: WindowUpdateFrame): void {
    const id = f.streamId;
    let dribble = false;
    if (id === 0) {
      dribble = this.scheduler.windowUpdate(null, f.increment);
    } else {
      const s = this.streams.get(id);
      if (s !== undefined) {
        if (nextState(s.state, StreamInput.RECV_WINDOW_UPDATE) < 0) throw receiveError(id, s.state, FrameType.WINDOW_UPDATE);
        dribble = this.scheduler.windowUpdate(s, f.increment);
      } else if (this.streams.isIdle(id)) {
        throw new ConnectionError(`WINDOW_UPDATE on idle stream ${id}`, ErrorCode.PROTOCOL_ERROR, 'window_update_on_idle_stream');
      }
    }
    this.flood.glitch(this.now, dribble ? 'window_dribble' : 'window_update');
  }

  private receiveEndStream(s: Stream): void {
    this.setState(s, nextState(s.state, StreamInput.RECV_END_STREAM) as StreamState);
  }

  // ---------------------------------------------------------------------------------------
  // Streams
  // ---------------------------------------------------------------------------------------

  private checkCanOpen(): void {
    if (this.ending.dead) throw new UsageError('the connection is closed', 'connection_closed');
    if (this.ending.goingAway) throw new UsageError('the connection is going away: no new streams', 'goaway_no_new_streams');
    if (this.streams.idsExhausted) throw new UsageError('stream ids exhausted on this connection', 'stream_ids_exhausted');
  }

  /** A stream for a send command: null if it is already closed (the command is moot), UsageError if it never existed. */
  private sendableStream(id: number): Stream | null {
    if (this.ending.dead) return null;
    const s = this.streams.get(id);
    if (s !== undefined) return s;
    if (this.streams.isIdle(id) || id === 0) throw new UsageError(`stream ${id} is not open`, 'stream_not_open');
    return null;
  }

  /** UsageError for a header list we may not send; a client also holds it to the server's SETTINGS_MAX_HEADER_LIST_SIZE. */
  private checkSend(headers: HeaderList, checked = false): void {
    this.outgoing.check(headers, this.isServer ? Infinity : this.peer.maxHeaderListSize, checked);
  }

  private writeHeaders(s: Stream, headers: HeaderList, endStream: boolean): void {
    const block = this.deflater.deflate(headers);
    this.writer.headers(s.id, block, endStream, this.peer.maxFrameSize);
    this.setState(s, nextState(s.state, StreamInput.SEND_HEADERS) as StreamState);
    if (endStream) {
      s.endQueued = true;
      this.endSent(s);
    }
  }

  /** @internal For the send scheduler (and writeHeaders): END_STREAM went out on `s`. */
  endSent(s: Stream): void {
    this.setState(s, nextState(s.state, StreamInput.SEND_END_STREAM) as StreamState);
    if (s.refuseRestAfterEnd && s.state === StreamState.HALF_CLOSED_LOCAL) this.resetStream(s.id, ErrorCode.NO_ERROR);
  }

  /** Moves `s` to `next` (the store keeps the counts); closing removes it. */
  private setState(s: Stream, next: StreamState): void {
    if (next === StreamState.CLOSED) this.closeStream(s, ErrorCode.NO_ERROR, CloseCause.NORMAL);
    else this.streams.transition(s, next);
  }

  private closeStream(s: Stream, code: number, cause: CloseCause): void {
    if (s.state === StreamState.CLOSED) return;
    this.streams.remove(s, cause);
    this.scheduler.drop(s);
    if (s.seenByUser) this.events.push({ type: 'streamClosed', streamId: s.id, errorCode: code });
    if (this.ending.goingAway) this.ending.maybeFinish(this.events);
  }

  /** A StreamError becomes RST_STREAM; the stream (if kept) closes. */
  private resetFromError(err: StreamError): void {
    const id = err.streamId;
    this.writer.rstStream(id, err.code);
    const s = this.streams.get(id);
    if (s !== undefined) {
      if (s.seenByUser) this.events.push({ type: 'streamReset', streamId: id, errorCode: err.code, byPeer: false });
      this.closeStream(s, err.code, CloseCause.LOCAL_RESET);
    } else if (!this.streams.isIdle(id)) {
      this.streams.rememberClosed(id, CloseCause.LOCAL_RESET);
    }
  }

  /** A connection error: GOAWAY with its code and token, every stream closes, `closed` (ConnectionEnding). */
  private fail(err: unknown): void {
    this.ending.fail(err, this.events);
  }
}
