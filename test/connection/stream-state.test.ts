/**
 * The stream state table against RFC 9113 section 5.1, pair by pair: every (state, input) pair
 * is either the transition the RFC's diagram draws (or a frame the state's text allows), or
 * illegal, and illegal received frames get the error kind the state's text names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextState, StreamInput, StreamState, TRANSITIONS } from '../../src/connection/stream-state.js';
import { isActiveState, receiveErrorKind, ReceiveErrorKind } from '../../src/connection/stream-state.js';

const S = StreamState;
const I = StreamInput;

/** The RFC's diagram and per-state text, written out independently of the table in src/. */
const EXPECTED: Record<number, Partial<Record<number, number>>> = {
  [S.IDLE]: { [I.SEND_HEADERS]: S.OPEN, [I.RECV_HEADERS]: S.OPEN, [I.SEND_PUSH_PROMISE]: S.RESERVED_LOCAL, [I.RECV_PUSH_PROMISE]: S.RESERVED_REMOTE, [I.RECV_PRIORITY]: S.IDLE },
  [S.RESERVED_LOCAL]: { [I.SEND_HEADERS]: S.HALF_CLOSED_REMOTE, [I.SEND_RST_STREAM]: S.CLOSED, [I.RECV_RST_STREAM]: S.CLOSED, [I.RECV_WINDOW_UPDATE]: S.RESERVED_LOCAL, [I.RECV_PRIORITY]: S.RESERVED_LOCAL },
  [S.RESERVED_REMOTE]: { [I.RECV_HEADERS]: S.HALF_CLOSED_LOCAL, [I.SEND_RST_STREAM]: S.CLOSED, [I.RECV_RST_STREAM]: S.CLOSED, [I.SEND_WINDOW_UPDATE]: S.RESERVED_REMOTE, [I.RECV_PRIORITY]: S.RESERVED_REMOTE },
  [S.OPEN]: {
    [I.SEND_HEADERS]: S.OPEN, [I.RECV_HEADERS]: S.OPEN, [I.SEND_DATA]: S.OPEN, [I.RECV_DATA]: S.OPEN,
    [I.SEND_END_STREAM]: S.HALF_CLOSED_LOCAL, [I.RECV_END_STREAM]: S.HALF_CLOSED_REMOTE,
    [I.SEND_RST_STREAM]: S.CLOSED, [I.RECV_RST_STREAM]: S.CLOSED,
    [I.SEND_WINDOW_UPDATE]: S.OPEN, [I.RECV_WINDOW_UPDATE]: S.OPEN, [I.RECV_PRIORITY]: S.OPEN,
  },
  [S.HALF_CLOSED_LOCAL]: {
    [I.RECV_HEADERS]: S.HALF_CLOSED_LOCAL, [I.RECV_DATA]: S.HALF_CLOSED_LOCAL, [I.RECV_END_STREAM]: S.CLOSED,
    [I.SEND_RST_STREAM]: S.CLOSED, [I.RECV_RST_STREAM]: S.CLOSED,
    [I.SEND_WINDOW_UPDATE]: S.HALF_CLOSED_LOCAL, [I.RECV_WINDOW_UPDATE]: S.HALF_CLOSED_LOCAL, [I.RECV_PRIORITY]: S.HALF_CLOSED_LOCAL,
  },
  [S.HALF_CLOSED_REMOTE]: {
    [I.SEND_HEADERS]: S.HALF_CLOSED_REMOTE, [I.SEND_DATA]: S.HALF_CLOSED_REMOTE, [I.SEND_END_STREAM]: S.CLOSED,
    [I.SEND_RST_STREAM]: S.CLOSED, [I.RECV_RST_STREAM]: S.CLOSED,
    [I.RECV_WINDOW_UPDATE]: S.HALF_CLOSED_REMOTE, [I.RECV_PRIORITY]: S.HALF_CLOSED_REMOTE,
  },
  [S.CLOSED]: { [I.RECV_PRIORITY]: S.CLOSED },
};

const ALL_STATES = Object.values(S);
const ALL_INPUTS = Object.values(I);

test('every (state, input) pair matches RFC 9113 section 5.1', () => {
  let legal = 0;
  for (const state of ALL_STATES) {
    for (const input of ALL_INPUTS) {
      const expected = EXPECTED[state]![input] ?? -1;
      assert.equal(nextState(state, input), expected, `state ${state}, input ${input}`);
      if (expected !== -1) legal++;
    }
  }
  assert.equal(legal, TRANSITIONS.length, 'the table has no row beyond the RFC');
});

test('frames received in a state that forbids them get the error the RFC text names', () => {
  // idle / reserved: connection error PROTOCOL_ERROR
  assert.equal(receiveErrorKind(S.IDLE), ReceiveErrorKind.CONNECTION_PROTOCOL_ERROR);
  assert.equal(receiveErrorKind(S.RESERVED_LOCAL), ReceiveErrorKind.CONNECTION_PROTOCOL_ERROR);
  assert.equal(receiveErrorKind(S.RESERVED_REMOTE), ReceiveErrorKind.CONNECTION_PROTOCOL_ERROR);
  // half-closed (remote), closed: stream error STREAM_CLOSED
  assert.equal(receiveErrorKind(S.HALF_CLOSED_REMOTE), ReceiveErrorKind.STREAM_CLOSED);
  assert.equal(receiveErrorKind(S.CLOSED), ReceiveErrorKind.STREAM_CLOSED);
});

test('only open and half-closed streams count toward MAX_CONCURRENT_STREAMS (section 5.1.2)', () => {
  assert.deepEqual(
    ALL_STATES.filter((s) => isActiveState(s)),
    [S.OPEN, S.HALF_CLOSED_LOCAL, S.HALF_CLOSED_REMOTE],
  );
});

test('closed is reached only by END_STREAM or RST_STREAM, and nothing leaves it', () => {
  for (const [from, input, to] of TRANSITIONS) {
    if (to === S.CLOSED && from !== S.CLOSED) {
      assert.ok(
        [I.SEND_END_STREAM, I.RECV_END_STREAM, I.SEND_RST_STREAM, I.RECV_RST_STREAM].includes(input as never),
        `${from} -> closed by input ${input}`,
      );
    }
    if (from === S.CLOSED) assert.equal(to, S.CLOSED);
  }
});
