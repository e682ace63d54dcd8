/**
 * Flow control (RFC 9113 sections 5.2, 6.9), both levels, both directions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import { consumeFlow } from '../../src/connection/flow-control.js';
import { eventsOf, GET, ofType, post, ScriptedPeer } from './helpers/peer.js';

function server(options: ConstructorParameters<typeof ScriptedPeer>[0] = { role: 'server' }, settings: Array<[number, number]> = []): ScriptedPeer {
  const p = new ScriptedPeer(options);
  p.handshake(settings);
  return p;
}

function windowUpdates(p: ScriptedPeer): Array<[number, number]> {
  return ofType(p.frames(), FrameType.WINDOW_UPDATE).map((f) => [f.streamId, f.increment]);
}

test('WINDOW_UPDATEs are batched: none per small DATA frame, one per half window consumed', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  let total = 0;
  const updates: Array<[number, number]> = [];
  for (let i = 0; i < 64; i++) {
    p.send((w) => w.data(1, Buffer.alloc(1000), false));
    p.conn.consume(1, 1000);
    total += 1000;
    updates.push(...windowUpdates(p));
  }
  // 64 KB consumed on a 65535-octet stream window: two stream updates (each past half), none on the connection (1 MiB).
  const stream = updates.filter(([id]) => id === 1);
  assert.equal(stream.length, 1, JSON.stringify(updates));
  assert.equal(stream[0]![1], 33000);
  assert.equal(updates.filter(([id]) => id === 0).length, 0);
  assert.equal(total, 64000);
});

test('DATA is not credited until consumed', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.send((w) => {
    for (let i = 0; i < 4; i++) w.data(1, Buffer.alloc(15000), false);
  });
  assert.deepEqual(windowUpdates(p), []);
  p.conn.consume(1, 60000);
  assert.deepEqual(windowUpdates(p), [[1, 60000]]);
});

test('padding is credited at once, without waiting for consume()', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  for (let i = 0; i < 200; i++) p.send((w) => w.data(1, Buffer.alloc(10), false, 200));
  // 200 * 201 octets of padding = 40200 > half the stream window.
  const updates = windowUpdates(p);
  assert.equal(updates.filter(([id]) => id === 1).length, 1);
  assert.equal(eventsOf(p.events, 'data').reduce((n, e) => n + e.data.length, 0), 2000);
});

test('DATA beyond the stream window -> RST_STREAM FLOW_CONTROL_ERROR', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.send((w) => {
    for (let i = 0; i < 4; i++) w.data(1, Buffer.alloc(16384), false);
    w.data(1, Buffer.alloc(100), false);
  });
  const rst = ofType(p.frames(), FrameType.RST_STREAM);
  assert.deepEqual(rst.map((f) => [f.streamId, f.errorCode]), [[1, ErrorCode.FLOW_CONTROL_ERROR]]);
  assert.equal(p.conn.isClosed, false);
});

test('DATA beyond the connection window -> GOAWAY FLOW_CONTROL_ERROR', () => {
  const p = server({ role: 'server', connectionWindowSize: 65535, settings: { initialWindowSize: 1 << 20 } });
  p.send((w) => w.settingsAck());
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.send((w) => {
    for (let i = 0; i < 4; i++) w.data(1, Buffer.alloc(16384), false);
  });
  const g = ofType(p.frames(), FrameType.GOAWAY);
  assert.equal(g[0]?.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('our smaller initial window binds the peer only after its ACK', () => {
  const p = new ScriptedPeer({ role: 'server' });
  p.handshake();
  p.send((w) => w.headers(1, p.block(post()), false, 16384));
  p.conn.updateSettings({ initialWindowSize: 1000 });
  p.frames();
  // Before the ACK, the old 65535 window holds.
  p.send((w) => w.data(1, Buffer.alloc(5000), false));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM), []);
  p.send((w) => w.settingsAck());
  // After it, stream 1's window is 1000 - 5000 < 0: any DATA is over it.
  p.send((w) => w.data(1, Buffer.alloc(1), false));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM).map((f) => f.errorCode), [ErrorCode.FLOW_CONTROL_ERROR]);
});

test('sending obeys the stream window, resumes on WINDOW_UPDATE, and emits writable', () => {
  const p = server({ role: 'server' }, [[SettingId.INITIAL_WINDOW_SIZE, 1000]]);
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  assert.equal(p.conn.sendData(1, Buffer.alloc(2500, 7), false), false);
  let data = ofType(p.frames(), FrameType.DATA);
  assert.deepEqual(data.map((f) => f.data.length), [1000]);
  assert.equal(p.conn.queuedBytes(1), 1500);
  p.send((w) => w.windowUpdate(1, 1000));
  data = ofType(p.frames(), FrameType.DATA);
  assert.deepEqual(data.map((f) => f.data.length), [1000]);
  assert.equal(eventsOf(p.events, 'writable').length, 0);
  p.send((w) => w.windowUpdate(1, 1000));
  data = ofType(p.frames(), FrameType.DATA);
  assert.deepEqual(data.map((f) => f.data.length), [500]);
  assert.deepEqual(eventsOf(p.events, 'writable'), [{ type: 'writable', streamId: 1 }]);
  assert.equal(p.conn.sendWindow(1), 500);
});

test('DATA is split at the peer\'s SETTINGS_MAX_FRAME_SIZE', () => {
  const p = server({ role: 'server' }, [[SettingId.INITIAL_WINDOW_SIZE, 100000]]);
  p.send((w) => w.windowUpdate(0, 100000));
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  p.conn.sendData(1, Buffer.alloc(40000), true);
  const data = ofType(p.frames(), FrameType.DATA);
  assert.deepEqual(data.map((f) => f.data.length), [16384, 16384, 7232]);
  assert.deepEqual(data.map((f) => f.endStream), [false, false, true]);
});

test('the connection window is shared: streams take turns, one frame each per round', () => {
  const p = server({ role: 'server' }, [[SettingId.INITIAL_WINDOW_SIZE, 1 << 20]]);
  p.send((w) => {
    w.headers(1, p.block(GET), true, 16384);
    w.headers(3, p.block(GET), true, 16384);
  });
  for (const id of [1, 3]) {
    p.conn.sendHeaders(id, [[':status', '200']], false);
    p.conn.sendData(id, Buffer.alloc(100000), true);
  }
  const data = ofType(p.frames(), FrameType.DATA);
  assert.equal(data.reduce((n, f) => n + f.data.length, 0), 65535);
  // Stream 1 was queued first and went alone; once both are queued they alternate.
  p.send((w) => w.windowUpdate(0, 65536));
  const next = ofType(p.frames(), FrameType.DATA).map((f) => f.streamId);
  assert.deepEqual(next.slice(0, 4), [1, 3, 1, 3]);
});

test('SETTINGS_INITIAL_WINDOW_SIZE changes apply to open streams, and may make them negative', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  p.conn.sendData(1, Buffer.alloc(30000), false);
  p.frames();
  assert.equal(p.conn.sendWindow(1), 65535 - 30000);
  p.send((w) => w.settings([[SettingId.INITIAL_WINDOW_SIZE, 10000]]));
  // 10000 - 30000: negative; nothing may be sent until WINDOW_UPDATEs make it positive.
  p.conn.sendData(1, Buffer.alloc(10), false);
  assert.deepEqual(ofType(p.frames(), FrameType.DATA), []);
  p.send((w) => w.windowUpdate(1, 20005));
  assert.deepEqual(ofType(p.frames(), FrameType.DATA).map((f) => f.data.length), [5]);
});

test('WINDOW_UPDATE overflow: stream -> RST_STREAM FLOW_CONTROL_ERROR; connection -> GOAWAY FLOW_CONTROL_ERROR', () => {
  let p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.windowUpdate(1, 2 ** 31 - 1));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM).map((f) => f.errorCode), [ErrorCode.FLOW_CONTROL_ERROR]);
  p = server();
  p.send((w) => w.windowUpdate(0, 2 ** 31 - 1));
  assert.equal(ofType(p.frames(), FrameType.GOAWAY)[0]?.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('SETTINGS_INITIAL_WINDOW_SIZE that overflows an open stream window -> GOAWAY FLOW_CONTROL_ERROR', () => {
  const p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.windowUpdate(1, 2 ** 31 - 1 - 65535));
  p.send((w) => w.settings([[SettingId.INITIAL_WINDOW_SIZE, 65536]]));
  assert.equal(ofType(p.frames(), FrameType.GOAWAY)[0]?.errorCode, ErrorCode.FLOW_CONTROL_ERROR);
});

test('WINDOW_UPDATE increment 0: stream error on a stream, connection error on stream 0', () => {
  let p = server();
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.send((w) => w.windowUpdate(1, 0));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM).map((f) => f.errorCode), [ErrorCode.PROTOCOL_ERROR]);
  p = server();
  p.send((w) => w.windowUpdate(0, 0));
  assert.equal(ofType(p.frames(), FrameType.GOAWAY)[0]?.errorCode, ErrorCode.PROTOCOL_ERROR);
});

test('consumeFlow never credits more than was received', () => {
  const w = { sendWindow: 0, recvWindow: 100, recvTarget: 100, recvUnacked: 0 };
  assert.equal(consumeFlow(w, 1000), 0);
  w.recvWindow = 20;
  assert.equal(consumeFlow(w, 1000), 80);
  assert.equal(w.recvWindow, 100);
});

test('an empty DATA frame with END_STREAM goes out even with no window', () => {
  const p = server({ role: 'server' }, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  p.conn.sendData(1, Buffer.alloc(0), true);
  const data = ofType(p.frames(), FrameType.DATA);
  assert.equal(data.length, 1);
  assert.ok(data[0]!.endStream);
});

test('zero-window hoarding: DATA held back by flow control for maxSendStallMs resets the stream', () => {
  const p = server({ role: 'server', maxSendStallMs: 1000 }, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
  p.send((w) => {
    w.headers(1, p.block(GET), true, 16384);
    w.headers(3, p.block(GET), true, 16384);
  });
  p.now = 100;
  p.conn.receive(Buffer.alloc(0), 100);
  for (const id of [1, 3]) {
    p.conn.sendHeaders(id, [[':status', '200']], false);
    assert.equal(p.conn.sendData(id, Buffer.alloc(10), true), true);
  }
  p.frames();
  assert.equal(p.conn.nextDeadline(), 1100);
  // Stream 3 gets window and finishes; stream 1 stays at zero.
  p.now = 600;
  p.send((w) => w.windowUpdate(3, 100));
  assert.deepEqual(ofType(p.frames(), FrameType.DATA).map((f) => f.streamId), [3]);
  p.events.push(...p.conn.tick(1099));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM), []);
  p.events.push(...p.conn.tick(1100));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM).map((f) => [f.streamId, f.errorCode]), [[1, ErrorCode.CANCEL]]);
  assert.deepEqual(eventsOf(p.events, 'streamClosed').map((e) => [e.streamId, e.errorCode]), [[3, 0], [1, ErrorCode.CANCEL]]);
  assert.equal(p.conn.nextDeadline(), Infinity);
  assert.equal(p.conn.isClosed, false);
});

test('zero-window hoarding: a producer waiting for writable (nothing queued) is held back too', () => {
  const p = server({ role: 'server', maxSendStallMs: 1000 }, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  assert.equal(p.conn.sendData(1, Buffer.alloc(0), false), false);
  assert.equal(p.conn.nextDeadline(), 1000);
  p.events.push(...p.conn.tick(1000));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM).map((f) => [f.streamId, f.errorCode]), [[1, ErrorCode.CANCEL]]);
});

test('a stream that gets window before the deadline is not reset', () => {
  const p = server({ role: 'server', maxSendStallMs: 1000 }, [[SettingId.INITIAL_WINDOW_SIZE, 0]]);
  p.send((w) => w.headers(1, p.block(GET), true, 16384));
  p.conn.sendHeaders(1, [[':status', '200']], false);
  p.conn.sendData(1, Buffer.alloc(0), false);
  p.now = 500;
  p.send((w) => w.windowUpdate(1, 100));
  assert.deepEqual(eventsOf(p.events, 'writable'), [{ type: 'writable', streamId: 1 }]);
  assert.equal(p.conn.nextDeadline(), Infinity);
  p.events.push(...p.conn.tick(5000));
  assert.deepEqual(ofType(p.frames(), FrameType.RST_STREAM), []);
});

test('regression: a producer waiting while only the connection window is shut does not make the scheduler flush spin', async () => {
  // Run in a child process: the bug was an endless synchronous loop, which no in-process timeout can catch.
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const peerUrl = new URL('./helpers/peer.js', import.meta.url).href;
  const script = `
    const { ScriptedPeer, GET } = await import(${JSON.stringify(peerUrl)});
    const p = new ScriptedPeer({ role: 'server' });
    p.handshake([[4, 1 << 20]]);
    p.send((w) => { w.headers(1, p.block(GET), true, 16384); w.headers(3, p.block(GET), true, 16384); });
    for (const id of [1, 3]) p.conn.sendHeaders(id, [[':status', '200']], false);
    // Stream 1 takes the whole connection window; stream 3's producer then waits with nothing queued.
    p.conn.sendData(1, Buffer.alloc(65535), false);
    if (p.conn.sendData(3, Buffer.alloc(0), false) !== false) throw new Error('expected to wait');
    p.conn.sendData(1, Buffer.alloc(10), false);      // another flush with stream 3 in line
    p.send((w) => w.windowUpdate(0, 100));            // and one from input
    const writable = p.events.filter((e) => e.type === "writable").map((e) => e.streamId).sort();
    process.stdout.write(JSON.stringify(writable));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10000, encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.equal(r.signal, null, 'the child did not finish: the scheduler flush spins');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [1, 3]);
});
