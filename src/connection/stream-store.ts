/**
 * `StreamStore`: every stream the connection keeps, and everything counted about streams: the
 * kept streams by id, the ids used so far each way (RFC 9113 section 5.1.1), the memory of how
 * recent streams closed, and the open counts per initiator that SETTINGS_MAX_CONCURRENT_STREAMS
 * bounds (section 5.1.2).
 *
 * Why one owner: the counts follow from the stream states, so they change in exactly two places
 * here (`transition`, `remove`), never beside a state change elsewhere; the limits read the live
 * settings objects, so every check of "may one more stream open" asks the same question.
 */
import { ConnectionError, ErrorCode, StreamError } from '../errors.js';
import { FrameType } from '../frame/constants.js';
import { frameTypeName } from '../frame/decoder.js';
import { ClosedStreams } from './closed-streams.js';
import type { Settings } from './settings.js';
import type { Stream } from './stream.js';
import { isActiveState, StreamState } from './stream-state.js';
import { StreamTable } from './stream-table.js';

/** How a stream we no longer keep was closed: decides how late frames on it are treated. */
export const CloseCause = {
  /** Both sides sent END_STREAM. */
  NORMAL: 0,
  /** We sent RST_STREAM (or refused/ignored the stream): the peer may not know yet, late frames are ignored. */
  LOCAL_RESET: 1,
  /** The peer sent RST_STREAM: it must not send more. */
  PEER_RESET: 2,
} as const;
export type CloseCause = (typeof CloseCause)[keyof typeof CloseCause];

export const MAX_STREAM_ID = 0x7fffffff;

export class StreamStore {
  private readonly table = new StreamTable<Stream>();
  /** Recently closed stream ids and how they closed; bounded (oldest forgotten first). */
  private readonly closed: ClosedStreams;
  private readonly isServer: boolean;
  /** Our settings (their maxConcurrentStreams bounds the peer's streams: binding as soon as sent). */
  private readonly local: Readonly<Settings>;
  /** The peer's settings (their maxConcurrentStreams bounds ours). */
  private readonly peer: Readonly<Settings>;
  private readonly maxConcurrentPushes: number;
  /** Highest stream id the peer opened or promised. */
  lastPeerId = 0;
  /** Highest stream id we opened or promised. */
  private lastLocalId = 0;
  private nextLocalId: number;
  /** Kept streams the peer initiated that are open or half-closed: what our MAX_CONCURRENT_STREAMS bounds. */
  private peerActive = 0;
  /** Kept streams we initiated, any state: bounds our requests and pushes by the peer's limit. */
  private localCount = 0;

  constructor(isServer: boolean, local: Readonly<Settings>, peer: Readonly<Settings>, maxClosedStreams: number, maxConcurrentPushes: number) {
    this.isServer = isServer;
    this.local = local;
    this.peer = peer;
    this.maxConcurrentPushes = maxConcurrentPushes;
    this.closed = new ClosedStreams(maxClosedStreams);
    this.nextLocalId = isServer ? 2 : 1;
  }

  get size(): number {
    return this.table.size;
  }

  get(id: number): Stream | undefined {
    return this.table.get(id);
  }

  has(id: number): boolean {
    return this.table.has(id);
  }

  /** The kept streams in id order, as an array made now (callers may close streams while going through it). */
  values(): Stream[] {
    return this.table.values();
  }

  // ---- limits --------------------------------------------------------------------------

  /** The peer has as many streams open as we allow: one more is refused. */
  get peerAtLimit(): boolean {
    return this.peerActive >= this.local.maxConcurrentStreams;
  }

  /** We have as many streams as the peer allows: no request may open. */
  get localAtLimit(): boolean {
    return this.localCount >= this.peer.maxConcurrentStreams;
  }

  /** No push may be promised: the peer's limit or our own `maxConcurrentPushes` is reached. */
  get pushAtLimit(): boolean {
    return this.localCount >= Math.min(this.peer.maxConcurrentStreams, this.maxConcurrentPushes);
  }

  /** Our stream ids are used up. */
  get idsExhausted(): boolean {
    return this.nextLocalId > MAX_STREAM_ID;
  }

  // ---- ids -----------------------------------------------------------------------------

  /** The next id of ours (a request or a promise): from now on ids below it are not idle. */
  allocateId(): number {
    const id = this.nextLocalId;
    this.nextLocalId += 2;
    this.lastLocalId = id;
    return id;
  }

  /** True when `id` names a stream not yet opened (section 5.1.1: ids only grow). */
  isIdle(id: number): boolean {
    const peerParity = this.isServer ? 1 : 0;
    if ((id & 1) === peerParity) return id > this.lastPeerId;
    return id > this.lastLocalId;
  }

  // ---- lifecycle -----------------------------------------------------------------------

  /** Keeps a new stream (in state IDLE: `transition` opens it). */
  add(s: Stream): void {
    this.table.set(s.id, s);
    if (s.local) this.localCount++;
  }

  /** Moves a kept stream to `next` (not CLOSED: that is `remove`), keeping the peer's active count. */
  transition(s: Stream, next: StreamState): void {
    const wasActive = isActiveState(s.state);
    s.state = next;
    if (!s.local && wasActive !== isActiveState(next)) this.peerActive += wasActive ? -1 : 1;
  }

  /** Stops keeping `s` (now CLOSED) and remembers how it closed. */
  remove(s: Stream, cause: CloseCause): void {
    if (!s.local && isActiveState(s.state)) this.peerActive--;
    if (s.local) this.localCount--;
    s.state = StreamState.CLOSED;
    this.table.delete(s.id);
    this.closed.set(s.id, cause);
  }

  /** Remembers a closed id never kept (refused, ignored) or already gone (bounded: forgotten ids still count as closed, not idle). */
  rememberClosed(id: number, cause: CloseCause): void {
    this.closed.set(id, cause);
  }

  /** How `id` closed, -1 if forgotten (or never opened). */
  closeCause(id: number): number {
    return this.closed.get(id);
  }

  /** Forgets every stream at once (the connection is over; the caller has closed them and told the user). */
  clear(): void {
    this.table.clear();
    this.peerActive = 0;
    this.localCount = 0;
  }

  /**
   * A DATA or HEADERS frame on a stream we no longer keep (section 5.1, "closed"). Returns when
   * it is to be ignored (we reset the stream and the peer had not seen our RST_STREAM yet: a
   * glitch for the caller to count). Throws otherwise: a connection error STREAM_CLOSED if the
   * peer had ended the stream with END_STREAM; PROTOCOL_ERROR for a frame on an id never opened,
   * or HEADERS below the highest id used (ids only increase); else a stream error STREAM_CLOSED.
   */
  checkLateFrame(id: number, type: number): void {
    if (this.isIdle(id)) {
      throw new ConnectionError(`${frameTypeName(type)} on idle stream ${id}`, ErrorCode.PROTOCOL_ERROR, 'frame_on_idle_stream');
    }
    const cause = this.closed.get(id);
    if (cause === CloseCause.LOCAL_RESET) return;
    if (cause === CloseCause.NORMAL) {
      throw new ConnectionError(`${frameTypeName(type)} on stream ${id} after it ended`, ErrorCode.STREAM_CLOSED, 'frame_on_closed_stream');
    }
    if (cause === -1 && type === FrameType.HEADERS) {
      // A stream closed so long ago that we forgot it is just as wrong here as one never opened.
      throw new ConnectionError(`HEADERS on stream ${id}, below the highest stream id already used`, ErrorCode.PROTOCOL_ERROR, 'stream_id_not_increasing');
    }
    throw new StreamError(id, `${frameTypeName(type)} on closed stream ${id}`, ErrorCode.STREAM_CLOSED, 'frame_on_closed_stream');
  }
}
