/**
 * The client role, driven frame by frame by a scripted server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import type { HeaderList } from '../../src/connection/index.js';
import { eventsOf, GET, ofType, ScriptedPeer } from './helpers/peer.js';
import { literalBlock } from '../conformance/helpers/client.js';

const PUSHED: HeaderList = [[':method', 'GET'], [':scheme', 'https'], [':path', '/pushed.css'], [':authority', 'example.com']];

/** A client Connection that has exchanged SETTINGS and sent one GET on stream 1. */
function client(options: Partial<ConstructorParameters<typeof ScriptedPeer>[0]> = {}): ScriptedPeer {
  const p = new ScriptedPeer({ ...options, role: 'client' });
  p.handshake();
  assert.equal(p.conn.request(GET, true), 1);
  const frames = p.frames();
  assert.deepEqual(frames.map((f) => f.type), [FrameType.HEADERS]);
  assert.deepEqual(frames[0]!.headers, GET);
  return p;
}

function goawayCode(p: ScriptedPeer): number | undefined {
  return ofType(p.frames(), FrameType.GOAWAY)[0]?.errorCode;
}

function rstOf(p: ScriptedPeer): Array<[number, number]> {
  return ofType(p.frames(), FrameType.RST_STREAM).map((f) => [f.streamId, f.errorCode]);
}

test('request ids are odd and increasing', () => {
  const p = client();
  assert.equal(p.conn.request(GET, true), 3);
  assert.equal(p.conn.request(GET, true), 5);
});

test('a server sending SETTINGS_ENABLE_PUSH = 1 is a connection error PROTOCOL_ERROR', () => {
  const p = new ScriptedPeer({ role: 'client' });
  p.handshake([[SettingId.ENABLE_PUSH, 1]]);
  assert.equal(eventsOf(p.events, 'connectionError')[0]?.error.code, ErrorCode.PROTOCOL_ERROR);
});

test('the peer\'s MAX_CONCURRENT_STREAMS limits request()', () => {
  const p = new ScriptedPeer({ role: 'client' });
  p.handshake([[SettingId.MAX_CONCURRENT_STREAMS, 1]]);
  p.conn.request(GET, false);
  assert.throws(() => p.conn.request(GET, true), { name: 'UsageError', token: 'max_concurrent_streams' });
});

test('a server may not open a stream with HEADERS', () => {
  const p = client();
  p.send((w) => w.headers(2, p.block([[':status', '200']]), true, 16384));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('HEADERS on a client stream never opened is a connection error PROTOCOL_ERROR', () => {
  const p = client();
  p.send((w) => w.headers(5, p.block([[':status', '200']]), true, 16384));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('push: PUSH_PROMISE reserves the even stream; its response arrives on it', () => {
  const p = client();
  p.send((w) => w.pushPromise(1, 2, p.block(PUSHED), 16384));
  assert.deepEqual(eventsOf(p.events, 'pushPromise'), [{ type: 'pushPromise', streamId: 1, promisedStreamId: 2, headers: PUSHED }]);
  assert.equal(p.conn.streamState(2), 2 /* reserved (remote) */);
  p.send((w) => {
    w.headers(2, p.block([[':status', '200']]), false, 16384);
    w.data(2, Buffer.from('css'), true);
  });
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => [e.streamId, e.kind]), [[2, 'response']]);
  assert.deepEqual(eventsOf(p.events, 'streamClosed'), [{ type: 'streamClosed', streamId: 2, errorCode: 0 }]);
});

test('push: a promised id that is odd or not increasing is a connection error PROTOCOL_ERROR', () => {
  let p = client();
  p.send((w) => w.pushPromise(1, 3, p.block(PUSHED), 16384));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
  p = client();
  p.send((w) => w.pushPromise(1, 4, p.block(PUSHED), 16384));
  p.send((w) => w.pushPromise(1, 2, p.block(PUSHED), 16384));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('push: PUSH_PROMISE when we disabled push is a connection error PROTOCOL_ERROR', () => {
  const p = client({ settings: { enablePush: false } });
  p.send((w) => w.pushPromise(1, 2, p.block(PUSHED), 16384));
  assert.equal(goawayCode(p), ErrorCode.PROTOCOL_ERROR);
});

test('push: a promised request that is not safe and cacheable -> RST_STREAM PROTOCOL_ERROR on the promised stream', () => {
  const p = client();
  p.send((w) => w.pushPromise(1, 2, p.block([[':method', 'POST'], ...PUSHED.slice(1)]), 16384));
  assert.deepEqual(rstOf(p), [[2, ErrorCode.PROTOCOL_ERROR]]);
  assert.equal(eventsOf(p.events, 'pushPromise').length, 0);
  assert.equal(p.conn.isClosed, false);
});

test('push: PUSH_PROMISE on a stream we reset is refused with CANCEL, the connection goes on', () => {
  const p = client();
  p.conn.resetStream(1, ErrorCode.CANCEL);
  p.frames();
  p.send((w) => w.pushPromise(1, 2, p.block(PUSHED), 16384));
  assert.deepEqual(rstOf(p), [[2, ErrorCode.CANCEL]]);
  assert.equal(p.conn.isClosed, false);
});

test('responses: 1xx then final; 1xx with END_STREAM is malformed; DATA before the response is malformed', () => {
  let p = client();
  p.send((w) => {
    w.headers(1, p.block([[':status', '100']]), false, 16384);
    w.headers(1, p.block([[':status', '200']]), true, 16384);
  });
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => e.kind), ['informational', 'response']);

  p = client();
  p.send((w) => w.headers(1, p.block([[':status', '103']]), true, 16384));
  assert.deepEqual(rstOf(p), [[1, ErrorCode.PROTOCOL_ERROR]]);

  p = client();
  p.send((w) => w.data(1, Buffer.from('x'), true));
  assert.deepEqual(rstOf(p), [[1, ErrorCode.PROTOCOL_ERROR]]);
});

for (const [name, headers] of [
  ['no :status', [['content-type', 'text/plain']]],
  [':status of 2 digits', [[':status', '20']]],
  [':status 101', [[':status', '101']]],
  ['request pseudo-header in a response', [[':status', '200'], [':path', '/']]],
  ['two :status', [[':status', '200'], [':status', '204']]],
] as Array<[string, HeaderList]>) {
  test(`malformed response: ${name} -> RST_STREAM PROTOCOL_ERROR`, () => {
    const p = client();
    p.send((w) => w.headers(1, literalBlock(headers), true, 16384));
    assert.deepEqual(rstOf(p), [[1, ErrorCode.PROTOCOL_ERROR]]);
  });
}

test('response content-length is matched against DATA; 304 is exempt', () => {
  let p = client();
  p.send((w) => {
    w.headers(1, p.block([[':status', '200'], ['content-length', '4']]), false, 16384);
    w.data(1, Buffer.from('abc'), true);
  });
  assert.deepEqual(rstOf(p), [[1, ErrorCode.PROTOCOL_ERROR]]);
  p = client();
  p.send((w) => w.headers(1, p.block([[':status', '304'], ['content-length', '4']]), true, 16384));
  assert.deepEqual(rstOf(p), []);
});

test('GOAWAY from the server refuses our streams above its last id, and no new requests are allowed', () => {
  const p = client();
  p.conn.request(GET, false);
  p.frames();
  p.send((w) => w.goaway(1, ErrorCode.NO_ERROR));
  assert.deepEqual(eventsOf(p.events, 'streamClosed'), [{ type: 'streamClosed', streamId: 3, errorCode: ErrorCode.REFUSED_STREAM }]);
  assert.equal(p.conn.canOpenStream, false);
  assert.throws(() => p.conn.request(GET, true), { name: 'UsageError' });
});

test('push: a pushed response beyond our MAX_CONCURRENT_STREAMS is refused with REFUSED_STREAM', () => {
  const p = client({ settings: { maxConcurrentStreams: 1 } });
  p.send((w) => {
    w.pushPromise(1, 2, p.block(PUSHED), 16384);
    w.pushPromise(1, 4, p.block(PUSHED), 16384);
    w.headers(2, p.block([[':status', '200']]), false, 16384);
    w.headers(4, p.block([[':status', '200']]), false, 16384);
  });
  assert.deepEqual(rstOf(p), [[4, ErrorCode.REFUSED_STREAM]]);
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => e.streamId), [2]);
  assert.deepEqual(eventsOf(p.events, 'streamReset').map((e) => [e.streamId, e.byPeer]), [[4, false]]);
});
