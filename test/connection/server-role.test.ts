/**
 * The server role, driven frame by frame by a scripted client (no sockets): each test sends
 * real frames and checks the exact frames and events that come back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameType, SettingId } from '../../src/frame/index.js';
import { StreamState } from '../../src/connection/index.js';
import { eventsOf, GET, ofType, post, ScriptedPeer } from './helpers/peer.js';
import type { OutFrame } from './helpers/peer.js';

function server(options: ConstructorParameters<typeof ScriptedPeer>[0] = { role: 'server' }): ScriptedPeer {
  const p = new ScriptedPeer(options);
  p.handshake();
  return p;
}

function goaway(frames: OutFrame[]): { errorCode: number; lastStreamId: number; debug: string } {
  const g = ofType(frames, FrameType.GOAWAY);
  assert.equal(g.length, 1, `one GOAWAY expected, got ${frames.map((f) => f.type).join(',')}`);
  return { errorCode: g[0]!.errorCode, lastStreamId: g[0]!.lastStreamId, debug: g[0]!.debugData.toString() };
}

function rst(frames: OutFrame[], streamId: number): number {
  const r = ofType(frames, FrameType.RST_STREAM).filter((f) => f.streamId === streamId);
  assert.equal(r.length, 1, `one RST_STREAM on ${streamId} expected, got ${JSON.stringify(frames.map((f) => [f.type, f.streamId]))}`);
  return r[0]!.errorCode;
}

function assertConnectionError(p: ScriptedPeer, code: number, token?: string): void {
  const frames = p.frames();
  const g = goaway(frames);
  assert.equal(g.errorCode, code, `GOAWAY code ${g.errorCode} (${g.debug}), expected ${code}`);
  if (token !== undefined) assert.equal(g.debug, token);
  const errors = eventsOf(p.events, 'connectionError');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.error.code, code);
  assert.equal(p.events.at(-1)!.type, 'closed');
  assert.equal(p.conn.isClosed, true);
}

// ---------------------------------------------------------------------------------------------
// Preface and SETTINGS (sections 3.4, 6.5)
// ---------------------------------------------------------------------------------------------

test('the server starts with SETTINGS (max concurrent streams 100) and a connection WINDOW_UPDATE to 1 MiB', () => {
  const p = new ScriptedPeer({ role: 'server' });
  const frames = p.frames();
  assert.equal(frames[0]!.type, FrameType.SETTINGS);
  const settings = frames[0]!.type === FrameType.SETTINGS ? frames[0]!.settings : [];
  assert.deepEqual(new Map(settings).get(SettingId.MAX_CONCURRENT_STREAMS), 100);
  assert.equal(frames[1]!.type, FrameType.WINDOW_UPDATE);
  assert.equal(frames[1]!.streamId, 0);
  assert.equal(frames[1]!.type === FrameType.WINDOW_UPDATE && frames[1]!.increment, 1048576 - 65535);
});

test('a client starts with the preface, then SETTINGS', () => {
  const p = new ScriptedPeer({ role: 'client' });
  const bytes = Buffer.concat(p.conn.takeOutput());
  assert.ok(bytes.subarray(0, 24).equals(CONNECTION_PREFACE));
  assert.equal(bytes[24 + 3], FrameType.SETTINGS);
});

test('a wrong preface is a connection error PROTOCOL_ERROR', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.frames();
  p.feed(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'preface_invalid');
});

test('the preface is checked byte by byte as it arrives', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.frames();
  p.feed(CONNECTION_PREFACE.subarray(0, 10));
  assert.equal(p.events.length, 0);
  p.feed(Buffer.from('X'));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'preface_invalid');
});

test('the first frame after the preface must be SETTINGS', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.frames();
  p.feed(CONNECTION_PREFACE);
  p.send((w) => w.ping(Buffer.alloc(8), false));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'preface_settings_missing');
});

test('SETTINGS is acknowledged and reported; our ACK clears the timeout', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.frames();
  assert.equal(p.conn.nextDeadline(), 5000);
  p.feed(CONNECTION_PREFACE);
  p.send((w) => w.settings([[SettingId.INITIAL_WINDOW_SIZE, 1000], [SettingId.MAX_FRAME_SIZE, 20000]]));
  const frames = p.frames();
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.type === FrameType.SETTINGS && frames[0]!.ack);
  const ev = eventsOf(p.events, 'settings');
  assert.equal(ev[0]!.settings.initialWindowSize, 1000);
  assert.equal(p.conn.peerSettings.maxFrameSize, 20000);
  p.send((w) => w.settingsAck());
  assert.equal(eventsOf(p.events, 'settingsAck').length, 1);
  assert.equal(p.conn.nextDeadline(), Infinity);
});

test('SETTINGS not acknowledged in 5 s: GOAWAY SETTINGS_TIMEOUT', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.frames();
  p.feed(CONNECTION_PREFACE);
  p.send((w) => w.settings([]));
  p.frames();
  p.events.push(...p.conn.tick(4999));
  assert.equal(p.conn.isClosed, false);
  p.events.push(...p.conn.tick(5000));
  assertConnectionError(p, ErrorCode.SETTINGS_TIMEOUT, 'settings_ack_timeout');
});

for (const [name, id, value, code] of [
  ['ENABLE_PUSH 2', SettingId.ENABLE_PUSH, 2, ErrorCode.PROTOCOL_ERROR],
  ['INITIAL_WINDOW_SIZE 2^31', SettingId.INITIAL_WINDOW_SIZE, 2 ** 31, ErrorCode.FLOW_CONTROL_ERROR],
  ['MAX_FRAME_SIZE 16383', SettingId.MAX_FRAME_SIZE, 16383, ErrorCode.PROTOCOL_ERROR],
  ['MAX_FRAME_SIZE 2^24', SettingId.MAX_FRAME_SIZE, 2 ** 24, ErrorCode.PROTOCOL_ERROR],
] as const) {
  test(`SETTINGS ${name} is a connection error ${code}`, () => {
    const p = server();
    p.send((w) => w.settings([[id, value]]));
    assertConnectionError(p, code);
  });
}

test('unknown SETTINGS identifiers are ignored', () => {
  const p = server();
  p.send((w) => w.settings([[0x99, 7]]));
  const frames = p.frames();
  assert.ok(frames[0]!.type === FrameType.SETTINGS && frames[0]!.ack);
  assert.equal(p.conn.isClosed, false);
});

// ---------------------------------------------------------------------------------------------
// PING, unknown frames, GOAWAY (sections 5.5, 6.7, 6.8)
// ---------------------------------------------------------------------------------------------

test('PING is answered with the same data and ACK; a PING ACK is reported', () => {
  const p = server();
  const data = Buffer.from('12345678');
  p.send((w) => w.ping(data, false));
  const frames = ofType(p.frames(), FrameType.PING);
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.ack);
  assert.ok(frames[0]!.data.equals(data));
  p.send((w) => w.ping(data, true));
  assert.equal(p.frames().length, 0);
  const pings = eventsOf(p.events, 'ping');
  assert.deepEqual(pings.map((e) => e.ack), [false, true]);
});

test('unknown frame types are ignored', () => {
  const p = server();
  p.send((w) => w.raw(0xfa, 0xff, 3, Buffer.from('whatever')));
  assert.equal(p.frames().length, 0);
  assert.equal(p.conn.isClosed, false);
});

test('graceful GOAWAY: in-flight streams finish, newer ones are ignored, then closed', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.conn.goaway();
  let frames = p.frames();
  assert.deepEqual(goaway(frames), { errorCode: 0, lastStreamId: 1, debug: '' });
  // A request above the last id is not processed.
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assert.equal(eventsOf(p.events, 'headers').length, 1);
  assert.equal(p.conn.isClosed, false);
  // The in-flight one finishes.
  p.send((w) => w.data(1, Buffer.from('body'), true));
  p.conn.sendHeaders(1, [[':status', '200']], true);
  p.commandEvents();
  frames = p.frames();
  assert.equal(ofType(frames, FrameType.HEADERS).length, 1);
  assert.deepEqual(p.events.slice(-2).map((e) => e.type), ['streamClosed', 'closed']);
  assert.equal(p.conn.isClosed, true);
});

test('GOAWAY received: reported, and closed once no stream is left', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.goaway(1, ErrorCode.NO_ERROR, Buffer.from('bye')));
  const g = eventsOf(p.events, 'goaway');
  assert.equal(g.length, 1);
  assert.equal(g[0]!.debugData.toString(), 'bye');
  assert.equal(p.conn.isClosed, false);
  p.conn.sendHeaders(1, [[':status', '204']], true);
  assert.deepEqual(p.commandEvents().map((e) => e.type), ['streamClosed', 'closed']);
});

test('a connection error closes every stream the user saw, then closed', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.headers(3, p.block(post()), false, 16384));
  p.frames();
  p.send((w) => w.windowUpdate(0, 0));
  const frames = p.frames();
  assert.equal(goaway(frames).lastStreamId, 3);
  assert.equal(goaway(frames).debug, 'window_update_zero');
  const closed = eventsOf(p.events, 'streamClosed').map((e) => [e.streamId, e.errorCode]);
  assert.deepEqual(closed, [[1, ErrorCode.PROTOCOL_ERROR], [3, ErrorCode.PROTOCOL_ERROR]]);
  assert.deepEqual(p.events.slice(-4).map((e) => e.type), ['connectionError', 'streamClosed', 'streamClosed', 'closed']);
});

// ---------------------------------------------------------------------------------------------
// Streams (section 5.1)
// ---------------------------------------------------------------------------------------------

test('a request becomes a headers event; the response closes the stream', () => {
  const p = server();
  const ev = p.send((w) => w.headers(1, p.block(GET), true, 16384));
  assert.deepEqual(ev, [{ type: 'headers', streamId: 1, headers: GET, endStream: true, kind: 'request' }]);
  assert.equal(p.conn.streamState(1), StreamState.HALF_CLOSED_REMOTE);
  p.conn.sendHeaders(1, [[':status', '200']], false);
  p.conn.sendData(1, Buffer.from('hello'), true);
  assert.deepEqual(p.commandEvents(), [{ type: 'streamClosed', streamId: 1, errorCode: 0 }]);
  const frames = p.frames();
  assert.deepEqual(frames.map((f) => f.type), [FrameType.HEADERS, FrameType.DATA]);
  assert.deepEqual(frames[0]!.headers, [[':status', '200']]);
  assert.ok(frames[1]!.type === FrameType.DATA && frames[1]!.endStream && frames[1]!.data.toString() === 'hello');
  assert.equal(p.conn.streamState(1), StreamState.CLOSED);
});

test('idle: DATA, RST_STREAM, WINDOW_UPDATE on an idle stream are connection errors PROTOCOL_ERROR', () => {
  for (const send of [
    (p: ScriptedPeer) => p.send((w) => w.data(1, Buffer.from('x'), false)),
    (p: ScriptedPeer) => p.send((w) => w.rstStream(1, ErrorCode.CANCEL)),
    (p: ScriptedPeer) => p.send((w) => w.windowUpdate(1, 100)),
  ]) {
    const p = server();
    send(p);
    assertConnectionError(p, ErrorCode.PROTOCOL_ERROR);
  }
});

test('idle: PRIORITY on an idle stream is accepted and does not open it', () => {
  const p = server();
  p.send((w) => w.priority(5, { dependency: 0, weight: 16, exclusive: false }));
  assert.equal(p.frames().length, 0);
  // Stream 3 may still be opened: PRIORITY did not use up ids.
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assert.equal(eventsOf(p.events, 'headers').length, 1);
});

test('a client may not open an even stream id', () => {
  const p = server();
  p.send((w) => w.headers(2, p.block(GET), true, 16384));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'headers_on_idle_stream');
});

test('stream ids must increase: HEADERS on a lower, never-used id is a connection error', () => {
  const p = server();
  p.send((w) => w.headers(5, p.block(GET), true, 16384));
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'stream_id_not_increasing');
});

test('half-closed (remote): DATA is a stream error STREAM_CLOSED', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.data(1, Buffer.from('late'), false));
  assert.equal(rst(p.frames(), 1), ErrorCode.STREAM_CLOSED);
  assert.deepEqual(eventsOf(p.events, 'streamReset'), [{ type: 'streamReset', streamId: 1, errorCode: ErrorCode.STREAM_CLOSED, byPeer: false }]);
  assert.equal(p.conn.isClosed, false);
});

test('half-closed (remote): HEADERS is a stream error STREAM_CLOSED', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.headers(1, p.block([['x-trailer', '1']]), true, 16384));
  assert.equal(rst(p.frames(), 1), ErrorCode.STREAM_CLOSED);
});

test('half-closed (remote): WINDOW_UPDATE, PRIORITY and RST_STREAM are allowed', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => {
    w.windowUpdate(1, 10);
    w.priority(1, { dependency: 0, weight: 1, exclusive: false });
  });
  assert.equal(p.frames().length, 0);
  p.send((w) => w.rstStream(1, ErrorCode.CANCEL));
  assert.deepEqual(p.events.slice(-2), [
    { type: 'streamReset', streamId: 1, errorCode: ErrorCode.CANCEL, byPeer: true },
    { type: 'streamClosed', streamId: 1, errorCode: ErrorCode.CANCEL },
  ]);
});

test('closed (both ended): DATA is a connection error STREAM_CLOSED', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '204']], true);
  p.frames();
  p.send((w) => w.data(1, Buffer.from('x'), false));
  assertConnectionError(p, ErrorCode.STREAM_CLOSED);
});

test('closed by our RST_STREAM: late DATA and HEADERS are ignored (and DATA still counts for the connection window)', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.conn.resetStream(1, ErrorCode.CANCEL);
  assert.equal(rst(p.frames(), 1), ErrorCode.CANCEL);
  p.send((w) => {
    w.data(1, Buffer.alloc(1000), false);
    w.headers(1, p.block([['x-t', '1']]), true, 16384);
  });
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM), []);
  assert.equal(p.conn.isClosed, false);
  // HPACK stayed in sync: a new request decodes fine.
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assert.deepEqual(eventsOf(p.events, 'headers').at(-1)!.headers, GET);
});

test('closed by the peer\'s RST_STREAM: DATA is a stream error STREAM_CLOSED; WINDOW_UPDATE is ignored', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.send((w) => w.rstStream(1, ErrorCode.CANCEL));
  p.send((w) => w.windowUpdate(1, 5));
  assert.equal(p.frames().length, 0);
  p.send((w) => w.data(1, Buffer.from('x'), false));
  assert.equal(rst(p.frames(), 1), ErrorCode.STREAM_CLOSED);
});

test('MAX_CONCURRENT_STREAMS: streams beyond it are refused with REFUSED_STREAM', () => {
  const p = server({ role: 'server', settings: { maxConcurrentStreams: 2 } });
  p.send((w) => {
    w.headers(1, p.block(post()), false, 16384);
    w.headers(3, p.block(post()), false, 16384);
    w.headers(5, p.block(post()), false, 16384);
  });
  assert.equal(rst(p.frames(), 5), ErrorCode.REFUSED_STREAM);
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => e.streamId), [1, 3]);
  // Once one finishes, a new one is accepted.
  p.send((w) => w.rstStream(1, ErrorCode.CANCEL));
  p.send((w) => w.headers(7, p.block(GET), true, 16384));
  assert.deepEqual(eventsOf(p.events, 'headers').map((e) => e.streamId), [1, 3, 7]);
});

test('a stream depending on itself is a stream error PROTOCOL_ERROR (HEADERS and PRIORITY)', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384, { dependency: 1, weight: 16, exclusive: false }));
  assert.equal(rst(p.frames(), 1), ErrorCode.PROTOCOL_ERROR);
  p.send((w) => w.priority(3, { dependency: 3, weight: 16, exclusive: false }));
  assert.equal(rst(p.frames(), 3), ErrorCode.PROTOCOL_ERROR);
  assert.equal(p.conn.isClosed, false);
});

test('PUSH_PROMISE from a client is a connection error PROTOCOL_ERROR', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), false, 16384));
  p.send((w) => w.pushPromise(1, 2, p.block(GET), 16384));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR, 'push_promise_from_client');
});

/**
 * A server that promised `/pushed` on stream 1 and has not started its response: stream 2 is
 * reserved (local). (HTTP2Server's push() starts the pushed response at once, so this state is
 * reachable, and tested, only here; the conformance suite probes the pushed stream after its HEADERS.)
 */
function reservedLocal(): ScriptedPeer {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  const promised = p.conn.pushPromise(1, [[':method', 'GET'], [':scheme', 'https'], [':path', '/pushed'], [':authority', 'example.com']]);
  assert.equal(promised, 2);
  assert.equal(p.conn.streamState(2), StreamState.RESERVED_LOCAL);
  assert.equal(ofType(p.frames(), FrameType.PUSH_PROMISE).length, 1);
  return p;
}

test('5.1 reserved (local): WINDOW_UPDATE and PRIORITY from the client are allowed', () => {
  const p = reservedLocal();
  p.send((w) => {
    w.windowUpdate(2, 1000);
    w.priority(2, { dependency: 0, weight: 16, exclusive: false });
  });
  assert.deepEqual(p.frames(), []);
  assert.equal(p.conn.streamState(2), StreamState.RESERVED_LOCAL);
  assert.equal(p.conn.isClosed, false);
  // The promise can still be kept.
  p.conn.sendHeaders(2, [[':status', '200']], true);
  assert.equal(ofType(p.frames(), FrameType.HEADERS)[0]?.streamId, 2);
});

test('5.1 reserved (local): RST_STREAM from the client cancels the push', () => {
  const p = reservedLocal();
  p.send((w) => w.rstStream(2, ErrorCode.CANCEL));
  assert.equal(p.conn.streamState(2), StreamState.CLOSED);
  assert.deepEqual(p.frames(), [], 'a reset is not answered');
  assert.equal(p.conn.isClosed, false);
});

test('5.1 reserved (local): HEADERS from the client on the promised stream -> connection error PROTOCOL_ERROR', () => {
  const p = reservedLocal();
  p.send((w) => w.headers(2, p.block(GET), true, 16384));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR);
});

test('5.1 reserved (local): DATA from the client on the promised stream -> connection error PROTOCOL_ERROR', () => {
  const p = reservedLocal();
  p.send((w) => w.data(2, Buffer.from('not yours'), true));
  assertConnectionError(p, ErrorCode.PROTOCOL_ERROR);
});

test('closed stream bookkeeping is bounded', () => {
  const p = server({ role: 'server', maxClosedStreams: 8 });
  for (let id = 1; id < 200; id += 2) p.send((w) => w.headers(id, p.block(GET), true, 16384));
  for (let id = 1; id < 200; id += 2) p.conn.resetStream(id, ErrorCode.CANCEL);
  const closed = (p.conn as unknown as { streams: { closed: { capacity: number } } }).streams.closed;
  assert.equal(closed.capacity, 16);
  // A forgotten closed stream still counts as closed, not idle: a stream error, not a connection error.
  p.frames();
  p.send((w) => w.data(1, Buffer.from('x'), false));
  assert.equal(rst(p.frames(), 1), ErrorCode.STREAM_CLOSED);
});

// ---------------------------------------------------------------------------------------------
// Settings that shape our encoder and decoder
// ---------------------------------------------------------------------------------------------

test('the peer\'s SETTINGS_HEADER_TABLE_SIZE 0: our next block starts with a size update to 0 and indexes nothing', async () => {
  const { HDInflater } = await import('../../src/hpack/index.js');
  const p = server();
  p.send((w) => w.settings([[SettingId.HEADER_TABLE_SIZE, 0]]));
  p.frames();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200'], ['x-custom', 'value']], true);
  const out = Buffer.concat(p.conn.takeOutput());
  // HEADERS payload after the 9-octet header: first octet 0x20 = dynamic table size update to 0.
  assert.equal(out[9], 0x20);
  const strict = new HDInflater({ maxTableSize: 0 });
  const fields: string[] = [];
  strict.decodeTo(out.subarray(9), (n, v) => fields.push(`${n}: ${v}`));
  assert.deepEqual(fields, [':status: 200', 'x-custom: value']);
  assert.equal(strict.getHdTable().length, 0);
});

test('a larger SETTINGS_MAX_FRAME_SIZE of ours binds only after the ACK', () => {
  const p = server({ role: 'server', settings: { maxFrameSize: 32768 } });
  // handshake() ACKed our SETTINGS: a 20000-octet DATA frame is now fine.
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.send((w) => w.data(1, Buffer.alloc(20000), false));
  assert.equal(eventsOf(p.events, 'data')[0]?.data.length, 20000);
  // Without the ACK, the same frame is a FRAME_SIZE_ERROR.
  const q = new ScriptedPeer({ role: 'server', settings: { maxFrameSize: 32768 } });
  q.frames();
  q.feed(CONNECTION_PREFACE);
  q.send((w) => {
    w.settings([]);
    w.headers(1, q.block(post()), false, 16384);
    w.data(1, Buffer.alloc(20000), false);
  });
  assert.equal(eventsOf(q.events, 'connectionError')[0]?.error.code, ErrorCode.FRAME_SIZE_ERROR);
});

test('updateSettings: a lower MAX_CONCURRENT_STREAMS refuses new streams at once', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.conn.updateSettings({ maxConcurrentStreams: 1 });
  const sent = ofType(p.frames(), FrameType.SETTINGS);
  assert.deepEqual(sent[0]!.settings, [[SettingId.MAX_CONCURRENT_STREAMS, 1]]);
  p.send((w) => w.headers(3, p.block(GET), true, 16384));
  assert.equal(rst(p.frames(), 3), ErrorCode.REFUSED_STREAM);
});
