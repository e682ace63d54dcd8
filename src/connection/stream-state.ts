/**
 * The stream state machine of RFC 9113 section 5.1, as a table.
 *
 * Each row is `[state, input, next state]` and reads like the RFC's diagram:
 *
 * ```
 *                          +--------+
 *                  send PP |        | recv PP
 *                 ,--------+  idle  +--------.
 *                /         |        |         \
 *               v          +--------+          v
 *        +----------+          |           +----------+
 *        |          |          | send H /  |          |
 * ,------+ reserved |          | recv H    | reserved +------.
 * |      | (local)  |          |           | (remote) |      |
 * |      +---+------+          v           +------+---+      |
 * |          |             +--------+             |          |
 * |          |     recv ES |        | send ES     |          |
 * |   send H |     ,-------+  open  +-------.     | recv H   |
 * |          |    /        |        |        \    |          |
 * |          v   v         +---+----+         v   v          |
 * |      +----------+          |           +----------+      |
 * |      |   half-  |          |           |   half-  |      |
 * |      |  closed  |          | send R /  |  closed  |      |
 * |      | (remote) |          | recv R    | (local)  |      |
 * |      +----+-----+          |           +-----+----+      |
 * |           |                |                 |           |
 * |           | send ES /      |       recv ES / |           |
 * |           | send R /       v        send R / |           |
 * |           | recv R     +--------+   recv R   |           |
 * | send R /  `----------->|        |<-----------'  send R / |
 * | recv R                 | closed |               recv R   |
 * `----------------------->|        |<-----------------------'
 *                          +--------+
 * ```
 *
 * Frames that do not change the state (DATA, WINDOW_UPDATE, PRIORITY) are rows that loop back,
 * so the table also says which frames each state allows. A pair missing from the table is an
 * error: for what we send, a usage error; for what we receive, the error the RFC's text for
 * that state names (`receiveError`).
 */
import { ConnectionError, ErrorCode, H2Error, StreamError } from '../errors.js';
import { frameTypeName } from '../frame/decoder.js';

export const StreamState = {
  IDLE: 0,
  RESERVED_LOCAL: 1,
  RESERVED_REMOTE: 2,
  OPEN: 3,
  HALF_CLOSED_LOCAL: 4,
  HALF_CLOSED_REMOTE: 5,
  CLOSED: 6,
} as const;
export type StreamState = (typeof StreamState)[keyof typeof StreamState];

export const STREAM_STATE_NAMES: readonly string[] = [
  'idle',
  'reserved (local)',
  'reserved (remote)',
  'open',
  'half-closed (local)',
  'half-closed (remote)',
  'closed',
];

/** What happens to a stream. "PP" is a PUSH_PROMISE that reserves this stream (the promised one). */
export const StreamInput = {
  SEND_HEADERS: 0,
  RECV_HEADERS: 1,
  SEND_PUSH_PROMISE: 2,
  RECV_PUSH_PROMISE: 3,
  SEND_END_STREAM: 4,
  RECV_END_STREAM: 5,
  SEND_RST_STREAM: 6,
  RECV_RST_STREAM: 7,
  SEND_DATA: 8,
  RECV_DATA: 9,
  SEND_WINDOW_UPDATE: 10,
  RECV_WINDOW_UPDATE: 11,
  RECV_PRIORITY: 12,
} as const;
export type StreamInput = (typeof StreamInput)[keyof typeof StreamInput];
const INPUT_COUNT = 13;

export const STREAM_INPUT_NAMES: readonly string[] = [
  'send HEADERS',
  'recv HEADERS',
  'send PUSH_PROMISE',
  'recv PUSH_PROMISE',
  'send END_STREAM',
  'recv END_STREAM',
  'send RST_STREAM',
  'recv RST_STREAM',
  'send DATA',
  'recv DATA',
  'send WINDOW_UPDATE',
  'recv WINDOW_UPDATE',
  'recv PRIORITY',
];

const { IDLE, RESERVED_LOCAL, RESERVED_REMOTE, OPEN, HALF_CLOSED_LOCAL, HALF_CLOSED_REMOTE, CLOSED } = StreamState;
const I = StreamInput;

/** `[state, input, next state]`: every legal transition of RFC 9113 section 5.1. */
export const TRANSITIONS: ReadonlyArray<readonly [StreamState, StreamInput, StreamState]> = [
  // idle
  [IDLE, I.SEND_HEADERS, OPEN],
  [IDLE, I.RECV_HEADERS, OPEN],
  [IDLE, I.SEND_PUSH_PROMISE, RESERVED_LOCAL],
  [IDLE, I.RECV_PUSH_PROMISE, RESERVED_REMOTE],
  [IDLE, I.RECV_PRIORITY, IDLE],

  // reserved (local): we promised it; we may send its response HEADERS or reset it.
  [RESERVED_LOCAL, I.SEND_HEADERS, HALF_CLOSED_REMOTE],
  [RESERVED_LOCAL, I.SEND_RST_STREAM, CLOSED],
  [RESERVED_LOCAL, I.RECV_RST_STREAM, CLOSED],
  [RESERVED_LOCAL, I.RECV_WINDOW_UPDATE, RESERVED_LOCAL],
  [RESERVED_LOCAL, I.RECV_PRIORITY, RESERVED_LOCAL],

  // reserved (remote): the peer promised it; it may send the response HEADERS.
  [RESERVED_REMOTE, I.RECV_HEADERS, HALF_CLOSED_LOCAL],
  [RESERVED_REMOTE, I.SEND_RST_STREAM, CLOSED],
  [RESERVED_REMOTE, I.RECV_RST_STREAM, CLOSED],
  [RESERVED_REMOTE, I.SEND_WINDOW_UPDATE, RESERVED_REMOTE],
  [RESERVED_REMOTE, I.RECV_PRIORITY, RESERVED_REMOTE],

  // open: anything goes; END_STREAM half-closes, RST_STREAM closes.
  [OPEN, I.SEND_HEADERS, OPEN],
  [OPEN, I.RECV_HEADERS, OPEN],
  [OPEN, I.SEND_DATA, OPEN],
  [OPEN, I.RECV_DATA, OPEN],
  [OPEN, I.SEND_END_STREAM, HALF_CLOSED_LOCAL],
  [OPEN, I.RECV_END_STREAM, HALF_CLOSED_REMOTE],
  [OPEN, I.SEND_RST_STREAM, CLOSED],
  [OPEN, I.RECV_RST_STREAM, CLOSED],
  [OPEN, I.SEND_WINDOW_UPDATE, OPEN],
  [OPEN, I.RECV_WINDOW_UPDATE, OPEN],
  [OPEN, I.RECV_PRIORITY, OPEN],

  // half-closed (local): we are done sending; the peer may still send.
  [HALF_CLOSED_LOCAL, I.RECV_HEADERS, HALF_CLOSED_LOCAL],
  [HALF_CLOSED_LOCAL, I.RECV_DATA, HALF_CLOSED_LOCAL],
  [HALF_CLOSED_LOCAL, I.RECV_END_STREAM, CLOSED],
  [HALF_CLOSED_LOCAL, I.SEND_RST_STREAM, CLOSED],
  [HALF_CLOSED_LOCAL, I.RECV_RST_STREAM, CLOSED],
  [HALF_CLOSED_LOCAL, I.SEND_WINDOW_UPDATE, HALF_CLOSED_LOCAL],
  [HALF_CLOSED_LOCAL, I.RECV_WINDOW_UPDATE, HALF_CLOSED_LOCAL],
  [HALF_CLOSED_LOCAL, I.RECV_PRIORITY, HALF_CLOSED_LOCAL],

  // half-closed (remote): the peer is done sending; we may still send.
  [HALF_CLOSED_REMOTE, I.SEND_HEADERS, HALF_CLOSED_REMOTE],
  [HALF_CLOSED_REMOTE, I.SEND_DATA, HALF_CLOSED_REMOTE],
  [HALF_CLOSED_REMOTE, I.SEND_END_STREAM, CLOSED],
  [HALF_CLOSED_REMOTE, I.SEND_RST_STREAM, CLOSED],
  [HALF_CLOSED_REMOTE, I.RECV_RST_STREAM, CLOSED],
  [HALF_CLOSED_REMOTE, I.RECV_WINDOW_UPDATE, HALF_CLOSED_REMOTE],
  [HALF_CLOSED_REMOTE, I.RECV_PRIORITY, HALF_CLOSED_REMOTE],

  // closed: only PRIORITY is always allowed. Late frames after a close are judged by how the
  // stream closed (see Connection: closed-stream bookkeeping), not by this table.
  [CLOSED, I.RECV_PRIORITY, CLOSED],
];

/** Flat lookup: `NEXT[state * INPUT_COUNT + input]` is the next state, or -1 when illegal. */
const NEXT = new Int8Array(7 * INPUT_COUNT).fill(-1);
for (const [state, input, next] of TRANSITIONS) NEXT[state * INPUT_COUNT + input] = next;

/** The state after `input` in `state`, or -1 when the RFC does not allow it. */
export function nextState(state: StreamState, input: StreamInput): StreamState | -1 {
  return NEXT[state * INPUT_COUNT + input] as StreamState | -1;
}

/** How a frame received in the wrong state must be answered (RFC 9113 section 5.1, per state). */
export const ReceiveErrorKind = {
  /** Connection error PROTOCOL_ERROR: idle, reserved (local), reserved (remote). */
  CONNECTION_PROTOCOL_ERROR: 0,
  /** Stream error STREAM_CLOSED: half-closed (remote), closed after RST_STREAM. */
  STREAM_CLOSED: 1,
} as const;
export type ReceiveErrorKind = (typeof ReceiveErrorKind)[keyof typeof ReceiveErrorKind];

/**
 * RFC 9113 section 5.1, per state, for a frame the table does not allow:
 * - idle: "Receiving any frame other than HEADERS or PRIORITY on a stream in this state MUST be
 *   treated as a connection error of type PROTOCOL_ERROR."
 * - reserved (local): "Receiving any type of frame other than RST_STREAM, PRIORITY, or
 *   WINDOW_UPDATE on a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR."
 * - reserved (remote): "Receiving any type of frame other than HEADERS, RST_STREAM, or PRIORITY on
 *   a stream in this state MUST be treated as a connection error of type PROTOCOL_ERROR."
 * - half-closed (remote): "If an endpoint receives additional frames, other than WINDOW_UPDATE,
 *   PRIORITY, or RST_STREAM, for a stream that is in this state, it MUST respond with a stream
 *   error of type STREAM_CLOSED."
 * - closed: STREAM_CLOSED (the connection refines this by how the stream closed).
 */
export function receiveErrorKind(state: StreamState): ReceiveErrorKind {
  return state === HALF_CLOSED_REMOTE || state === CLOSED ? ReceiveErrorKind.STREAM_CLOSED : ReceiveErrorKind.CONNECTION_PROTOCOL_ERROR;
}

/** The error RFC 9113 section 5.1 names for a frame of `type` on stream `id`, whose `state` does not allow it. */
export function receiveError(id: number, state: StreamState, type: number): H2Error {
  const message = `${frameTypeName(type)} on stream ${id} in state ${STREAM_STATE_NAMES[state]}`;
  if (receiveErrorKind(state) === ReceiveErrorKind.STREAM_CLOSED) {
    return new StreamError(id, message, ErrorCode.STREAM_CLOSED, 'frame_on_half_closed_stream');
  }
  return new ConnectionError(message, ErrorCode.PROTOCOL_ERROR, 'frame_not_allowed_in_state');
}

/** Whether a stream in `state` counts toward MAX_CONCURRENT_STREAMS (section 5.1.2: open and half-closed ones). */
export function isActiveState(state: StreamState): boolean {
  return state === OPEN || state === HALF_CLOSED_LOCAL || state === HALF_CLOSED_REMOTE;
}
