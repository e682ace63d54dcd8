/**
 * `Push`: server push (RFC 9113 sections 6.6, 8.4), both ways. A server promises a response on
 * a stream the client opened (`promise`: the PUSH_PROMISE frame and the reserved stream); a
 * client judges the promises it receives (`received`: the promised id, the parent stream, the
 * promised request) and reserves the stream.
 *
 * Why apart from the connection: a promise opens a stream beside the one it names, with rules of
 * its own (who may push, on which parent, which requests, how many); none of them touches the
 * rest of the stream lifecycle, since a promised stream starts reserved and no promise closes a
 * stream. The connection checks that it may open streams at all, and maps the errors thrown here
 * like any others. Everything it uses is given at construction: no back-pointer.
 */
import { ConnectionError, ErrorCode, StreamError, UsageError } from '../errors.js';
import type { FrameWriter } from '../frame/writer.js';
import type { HDDeflater } from '../hpack/deflater.js';
import type { HDInflater } from '../hpack/inflater.js';
import type { ConnectionEvent } from './events.js';
import type { MessageInfo } from './field-validation.js';
import { checkPushRequest, checkSendable } from './field-validation.js';
import type { HeaderList } from './options.js';
import type { Settings } from './settings.js';
import type { SettingsSync } from './settings-sync.js';
import { Stream } from './stream.js';
import { CloseCause, StreamStore } from './stream-store.js';
import { nextState, STREAM_STATE_NAMES, StreamInput, StreamState } from './stream-state.js';

export class Push {
  private readonly isServer: boolean;
  private readonly streams: StreamStore;
  private readonly writer: FrameWriter;
  private readonly deflater: HDDeflater;
  /** Read for its list limit, in the message of a promised request over it. */
  private readonly inflater: HDInflater;
  /** Our settings as sent (SETTINGS_ENABLE_PUSH binds the server at once), as acknowledged (our initial window), the peer's. */
  private readonly local: Readonly<Settings>;
  private readonly acked: Readonly<Settings>;
  private readonly peer: Readonly<Settings>;
  /** Scratch space of the connection's field checks. */
  private readonly info: MessageInfo;

  constructor(isServer: boolean, streams: StreamStore, writer: FrameWriter, deflater: HDDeflater, inflater: HDInflater, settings: SettingsSync, info: MessageInfo) {
    this.isServer = isServer;
    this.streams = streams;
    this.writer = writer;
    this.deflater = deflater;
    this.inflater = inflater;
    this.local = settings.local;
    this.acked = settings.acked;
    this.peer = settings.peer;
    this.info = info;
  }

  /** A server whose client has not disabled push, under both limits of concurrent pushes (the connection adds: may open streams). */
  get allowed(): boolean {
    return this.isServer && this.peer.enablePush && !this.streams.pushAtLimit;
  }

  /** UsageError unless this side may push at all: a server, and the client has not disabled it. */
  checkRole(): void {
    if (!this.isServer) throw new UsageError('only a server pushes', 'push_from_client');
    if (!this.peer.enablePush) throw new UsageError('the client disabled push (SETTINGS_ENABLE_PUSH = 0)', 'push_disabled');
  }

  /** Server: promises a response to `requestHeaders` on `parentId` (after `checkRole` and the connection's checks); returns the promised id. */
  promise(parentId: number, requestHeaders: HeaderList): number {
    if (this.streams.pushAtLimit) throw new UsageError('the limit of concurrent pushed streams is reached', 'push_limit');
    const parent = this.streams.get(parentId);
    // Section 8.4: promises go on a stream the client opened that we can still send on.
    if (parent === undefined || parent.local || (parent.state !== StreamState.OPEN && parent.state !== StreamState.HALF_CLOSED_REMOTE) || parent.endQueued) {
      throw new UsageError(`cannot push on stream ${parentId}: not a request stream we can send on`, 'push_parent_state');
    }
    checkSendable(requestHeaders, Infinity);
    const id = this.streams.allocateId();
    const s = new Stream(id, true, this.peer.initialWindowSize, this.acked.initialWindowSize);
    this.streams.add(s);
    this.writer.pushPromise(parentId, id, this.deflater.deflate(requestHeaders), this.peer.maxFrameSize);
    this.streams.transition(s, nextState(StreamState.IDLE, StreamInput.SEND_PUSH_PROMISE) as StreamState);
    return id;
  }

  /** A PUSH_PROMISE frame arrived: a connection error unless we are a client that allows push (section 8.4). */
  checkFrame(): void {
    if (this.isServer) throw new ConnectionError('a client sent PUSH_PROMISE', ErrorCode.PROTOCOL_ERROR, 'push_promise_from_client');
    if (!this.local.enablePush) {
      throw new ConnectionError('PUSH_PROMISE received with SETTINGS_ENABLE_PUSH = 0', ErrorCode.PROTOCOL_ERROR, 'push_promise_disabled');
    }
  }

  /**
   * Client: the server promised `promisedId` on `parentId` with the request `headers` (decoded;
   * `tooLarge` when past our list limit). Reserves the stream and reports `pushPromise`; throws
   * the connection error of a bad id or parent, the stream error of a bad promised request.
   */
  received(parentId: number, promisedId: number, headers: HeaderList, tooLarge: boolean, events: ConnectionEvent[]): void {
    const streams = this.streams;
    if ((promisedId & 1) !== 0 || promisedId <= streams.lastPeerId) {
      throw new ConnectionError(`PUSH_PROMISE promises stream ${promisedId}, not a new even id`, ErrorCode.PROTOCOL_ERROR, 'push_promise_bad_id');
    }
    streams.lastPeerId = promisedId;
    const parent = streams.get(parentId);
    if (parent === undefined) {
      if (streams.closeCause(parentId) === CloseCause.LOCAL_RESET) {
        // We reset the parent; the server had not seen it yet. Refuse the promise, keep going.
        this.writer.rstStream(promisedId, ErrorCode.CANCEL);
        streams.rememberClosed(promisedId, CloseCause.LOCAL_RESET);
        return;
      }
      throw new ConnectionError(`PUSH_PROMISE on stream ${parentId}, which is not open`, ErrorCode.PROTOCOL_ERROR, 'push_promise_parent_state');
    }
    if (!parent.local || (parent.state !== StreamState.OPEN && parent.state !== StreamState.HALF_CLOSED_LOCAL)) {
      throw new ConnectionError(`PUSH_PROMISE on stream ${parentId} in state ${STREAM_STATE_NAMES[parent.state]}`, ErrorCode.PROTOCOL_ERROR, 'push_promise_parent_state');
    }
    const s = new Stream(promisedId, false, this.peer.initialWindowSize, this.acked.initialWindowSize);
    streams.add(s);
    streams.transition(s, nextState(StreamState.IDLE, StreamInput.RECV_PUSH_PROMISE) as StreamState);
    if (tooLarge) {
      throw new StreamError(promisedId, `promised request on stream ${promisedId} exceeds ${this.inflater.maxHeaderListSize} octets`, ErrorCode.CANCEL, 'header_list_too_large');
    }
    const bad = checkPushRequest(headers, this.info);
    if (bad !== null) {
      throw new StreamError(promisedId, `malformed promised request on stream ${promisedId}: ${bad}`, ErrorCode.PROTOCOL_ERROR, bad);
    }
    s.requestIsHead = this.info.method === 'HEAD';
    s.seenByUser = true;
    events.push({ type: 'pushPromise', streamId: parentId, promisedStreamId: promisedId, headers });
  }
}
