/**
 * One stream's record. A class with every field declared up front so all streams share one
 * shape (fast property access). The connection's StreamStore keeps them by id in a StreamTable
 * (not a Map: see stream-table.ts); the send side fields belong to the SendScheduler, the
 * message fields to message.ts.
 */
import type { FlowWindows } from './flow-control.js';
import type { HeaderList } from './options.js';
import { StreamState } from './stream-state.js';

/** Where a stream is in its message exchange, beyond the RFC state (what the next header block means). */
export const MessagePhase = {
  /** No header block received yet. */
  NONE: 0,
  /** One or more 1xx responses received (client role). */
  INFORMATIONAL: 1,
  /** The request / final response headers received: only DATA or trailers may follow. */
  HEADERS: 2,
  /** Trailers received. */
  TRAILERS: 3,
} as const;
export type MessagePhase = (typeof MessagePhase)[keyof typeof MessagePhase];

/** The shared empty queue: never pushed to (SendScheduler replaces it with the stream's own array first). */
export const NO_QUEUE: Buffer[] = [];

export class Stream implements FlowWindows {
  readonly id: number;
  state: StreamState = StreamState.IDLE;
  /** True when we opened (or promised) it. */
  readonly local: boolean;

  sendWindow: number;
  recvWindow: number;
  recvTarget: number;
  recvUnacked = 0;

  /**
   * DATA waiting for window: buffers from `queueHead` on (the first from `queueOffset` on),
   * `queuedBytes` octets in all. Most streams never queue (their DATA leaves at once), so they
   * share one empty array until then.
   */
  queue: Buffer[] = NO_QUEUE;
  queueHead = 0;
  /** Octets of `queue[queueHead]` already sent (an offset, so a big buffer is not re-sliced per frame). */
  queueOffset = 0;
  queuedBytes = 0;
  /** END_STREAM goes with the last queued octet (or alone, after trailers). */
  endQueued = false;
  /** RST_STREAM(NO_ERROR) once our END_STREAM has left, if the peer is still sending (RFC 9113 section 8.1). */
  refuseRestAfterEnd = false;
  /** Trailers to send once the queue drains. */
  trailers: HeaderList | null = null;
  /** In the SendScheduler's set of streams with something to send. */
  scheduled = false;
  /** The producer was told to wait: emit `writable` when the queue drains with an open window. */
  wantWritable = false;
  /** Since when (ms) queued DATA has been held back by flow control; -1 while it is not. */
  stalledSince = -1;

  /** Received message bookkeeping (RFC 9113 section 8.1). */
  phase: MessagePhase = MessagePhase.NONE;
  /** Declared content-length of the received message, -1 when absent (or not checked: HEAD, 304). */
  contentLength = -1;
  /** DATA octets received (padding excluded). */
  dataReceived = 0;
  /** Client role: the request was HEAD, so the response has no body whatever content-length says. */
  requestIsHead = false;

  /** The user has seen this stream (an event named it, or the user opened it): it gets one `streamClosed`. */
  seenByUser: boolean;

  constructor(id: number, local: boolean, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.local = local;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
    this.recvTarget = recvWindow;
    this.seenByUser = local;
  }
}
