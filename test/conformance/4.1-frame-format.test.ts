/** RFC 9113 section 4.1: frame format — unknown types and flags ignored, the reserved bit ignored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('4.1: a frame of unknown type is ignored (stream 0 and idle stream)', async () => {
  const c = await h2.client();
  c.raw(0x0a, 0, 0, Buffer.from('ignored'));
  c.raw(0xff, 0xff, 1, Buffer.from('ignored'));
  c.raw(0x20, 0, 0x7fffffff);
  await c.expectAlive();
  c.request(1);
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('4.1: unknown flags on a known type are ignored (PING with flags other than ACK)', async () => {
  const c = await h2.client();
  const payload = Buffer.from('unknflag');
  c.raw(FrameType.PING, 0xfe, 0, payload);
  const r = await c.expectFrame(FrameType.PING);
  assert.ok(r.frame.type === FrameType.PING && r.frame.ack);
  assert.deepEqual(r.frame.data, payload);
});

test('4.1: unknown flags on HEADERS and DATA are ignored', async () => {
  const c = await h2.client();
  const unknown = 0x02 | 0x10 | 0x40 | 0x80;
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | unknown, 1, c.encode(TestClient.requestHeaders({ method: 'POST' })));
  c.raw(FrameType.DATA, FrameFlags.END_STREAM | unknown, 1, Buffer.from('flags'));
  const res = await c.expectResponse(1);
  assert.equal(res.body.toString(), 'flags');
});

test('4.1: the reserved bit of the stream identifier is ignored on receipt', async () => {
  const c = await h2.client();
  c.raw(FrameType.HEADERS, FrameFlags.END_HEADERS | FrameFlags.END_STREAM, 0x80000001, c.encode(TestClient.requestHeaders()));
  const res = await c.expectResponse(1);
  assert.equal(res.status, '200');
});

test('4.1: frames the server sends have the reserved bit clear (every frame header of a response checked)', async () => {
  const c = await h2.client();
  const raw: Buffer[] = [];
  c.socket.prependListener('data', (chunk: Buffer) => raw.push(chunk));
  c.request(1);
  await c.expectResponse(1);
  await c.expectAlive();
  // Walk the raw bytes frame by frame (the handshake frames came before the listener).
  const bytes = Buffer.concat(raw);
  let frames = 0;
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    assert.equal(bytes[at + 5]! & 0x80, 0, `reserved bit of frame ${frames}`);
    frames++;
  }
  assert.ok(frames >= 3, 'HEADERS, DATA and the PING ACK were checked');
});
