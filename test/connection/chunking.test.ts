/**
 * Every input split at every byte boundary gives the same events and the same output as the
 * input in one piece (TCP may cut anywhere), for both roles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../src/connection/index.js';
import type { ConnectionEvent } from '../../src/connection/index.js';
import { ErrorCode } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';
import { GET, Pair, post } from './helpers/peer.js';

/** Events as comparable plain data (Buffers as hex: split inputs may copy payloads). */
function normalize(events: ConnectionEvent[]): unknown[] {
  return events.map((e) => {
    if (e.type === 'data') return { ...e, data: e.data.toString('hex') };
    if (e.type === 'ping') return { ...e, data: e.data.toString('hex') };
    if (e.type === 'goaway') return { ...e, debugData: e.debugData.toString('hex') };
    if (e.type === 'connectionError') return { type: e.type, code: e.error.code, token: e.error.token };
    return e;
  });
}

function run(role: 'server' | 'client', chunks: Buffer[], prepare?: (c: Connection) => void): { events: unknown[]; output: string } {
  const conn = new Connection({ role, now: 0 });
  prepare?.(conn);
  const events: ConnectionEvent[] = [];
  for (const chunk of chunks) events.push(...conn.receive(chunk, 0));
  return { events: normalize(events), output: Buffer.concat(conn.takeOutput()).toString('hex') };
}

/** A client's side of a conversation exercising every frame type, CONTINUATION and padding included. */
function clientBytes(): Buffer {
  const hpack = new HDDeflater();
  const w = new FrameWriter();
  w.settings([[4, 100000], [1, 8192]]);
  w.settingsAck();
  w.headers(1, hpack.deflate([...post('/a'), ['x-long', 'l'.repeat(150)]]), false, 40, { dependency: 0, weight: 200, exclusive: true });
  w.data(1, Buffer.from('first part'), false, 7);
  w.priority(3, { dependency: 1, weight: 10, exclusive: false });
  w.ping(Buffer.from('pingping'), false);
  w.raw(0xee, 0, 0, Buffer.from('unknown'));
  w.data(1, Buffer.from('second part'), false);
  w.headers(1, hpack.deflate([['x-trailer', 'yes']]), true, 16384);
  w.headers(3, hpack.deflate(GET), true, 16384);
  w.windowUpdate(0, 1000);
  w.windowUpdate(3, 1000);
  w.headers(5, hpack.deflate(post('/b')), false, 16384);
  w.rstStream(5, ErrorCode.CANCEL);
  w.data(5, Buffer.from('after reset'), true);
  w.goaway(0, ErrorCode.NO_ERROR, Buffer.from('done'));
  return Buffer.concat([CONNECTION_PREFACE, ...w.take()]);
}

test('server role: every split point of a conversation gives the same events and output', () => {
  const bytes = clientBytes();
  const whole = run('server', [bytes]);
  assert.ok(whole.events.length > 10, 'the conversation does something');
  assert.ok(!whole.events.some((e) => (e as { type: string }).type === 'connectionError'), JSON.stringify(whole.events));
  for (let i = 1; i < bytes.length; i++) {
    const split = run('server', [bytes.subarray(0, i), bytes.subarray(i)]);
    assert.deepEqual(split, whole, `split at ${i}`);
  }
});

test('server role: one byte at a time gives the same events and output', () => {
  const bytes = clientBytes();
  const whole = run('server', [bytes]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
  assert.deepEqual(run('server', chunks), whole);
});

test('client role: every split point of a server\'s answer (push, 1xx, trailers) gives the same events', () => {
  // Record what a real server Connection writes in an exchange, then replay it to fresh clients.
  const pair = new Pair();
  // No pump: the server's whole output, its SETTINGS included, is what the fresh clients replay.
  const id = pair.client.request(GET, true);
  const c2s = Buffer.concat(pair.client.takeOutput());
  pair.server.receive(c2s);
  const push = pair.server.pushPromise(id, [[':method', 'GET'], [':scheme', 'https'], [':path', '/p'], [':authority', 'example.com']]);
  pair.server.sendHeaders(id, [[':status', '103'], ['link', '</p>; rel=preload']], false);
  pair.server.sendHeaders(id, [[':status', '200'], ['content-length', '5']], false);
  pair.server.sendData(id, Buffer.from('hello'), false);
  pair.server.sendHeaders(id, [['x-t', '1']], true);
  pair.server.sendHeaders(push, [[':status', '200']], false);
  pair.server.sendData(push, Buffer.from('pushed'), true);
  pair.server.ping(Buffer.from('12345678'));
  const s2c = Buffer.concat(pair.server.takeOutput());
  // The client's replay needs the same request first (stream 1 open), with the same HPACK state.
  const prepare = (c: Connection): void => {
    c.request(GET, true);
  };
  const whole = run('client', [s2c], prepare);
  assert.ok(whole.events.some((e) => (e as { type: string }).type === 'pushPromise'));
  assert.ok(!whole.events.some((e) => (e as { type: string }).type === 'streamReset'), JSON.stringify(whole.events));
  for (let i = 1; i < s2c.length; i++) {
    assert.deepEqual(run('client', [s2c.subarray(0, i), s2c.subarray(i)], prepare), whole, `split at ${i}`);
  }
});
