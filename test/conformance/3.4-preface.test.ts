/** RFC 9113 section 3.4: the HTTP/2 connection preface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('3.4: the server sends SETTINGS as its first frame, and ACKs ours', async () => {
  const c = await h2.client({ handshake: false });
  c.preface().settings();
  const first = await c.waitFor('the first frame', () => 'take');
  assert.equal(first.frame.type, FrameType.SETTINGS);
  assert.ok(first.frame.type === FrameType.SETTINGS && !first.frame.ack, 'the first frame is a SETTINGS without ACK');
  c.settingsAck();
  await c.waitFor('the ACK of our SETTINGS', (f) => (f.type === FrameType.SETTINGS && f.ack ? 'take' : f.type === FrameType.WINDOW_UPDATE ? 'skip' : 'unexpected'));
  await c.expectAlive();
});

test('3.4: a preface that arrives one octet at a time is accepted', async () => {
  const c = await h2.client({ handshake: false });
  for (const byte of CONNECTION_PREFACE) {
    c.bytes(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  c.settings();
  await c.expectFrame(FrameType.SETTINGS);
  c.settingsAck();
  c.request(1);
  const res = await c.expectResponse(1);
  assert.equal(res.status, '200');
});

// RFC 9113 3.4: an invalid preface is a connection error PROTOCOL_ERROR, and "a GOAWAY frame MAY
// be omitted in this case, since an invalid preface indicates that the peer is not using HTTP/2".
// The server judges the first bytes before any HTTP/2 starts (src/server/sniff.ts): bytes that are
// neither the preface nor an HTTP/1.1 request line are closed at once, unanswered; an HTTP/1.1
// request gets an HTTP/1.1 answer it can read (505), then the close. The core's own GOAWAY
// PROTOCOL_ERROR for a wrong preface is tested in test/connection/server-role.test.ts.

/** Everything the server writes on `c` until it closes the connection. */
async function bytesUntilClosed(c: TestClient): Promise<Buffer> {
  const chunks: Buffer[] = [];
  c.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await c.expectClosed();
  return Buffer.concat(chunks);
}

test('3.4: an invalid preface -> the connection is closed, unanswered (no HTTP/2 frame, the GOAWAY omitted)', async () => {
  const c = await h2.client({ handshake: false });
  const received = bytesUntilClosed(c);
  c.bytes(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'));
  assert.equal((await received).length, 0, 'nothing was sent');
  assert.deepEqual(c.log, []);
});

test('3.4: an HTTP/1.1 request instead of the preface -> answered as HTTP/1.1 (allowHTTP1), then closed as it asked', async () => {
  const c = await h2.client({ handshake: false });
  const received = bytesUntilClosed(c);
  c.bytes(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
  const text = (await received).toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 /, 'an HTTP/1.1 status line');
  assert.match(text, /\r\nconnection: close\r\n/i);
});

test('3.4: the preface not followed by SETTINGS -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client({ handshake: false });
  c.preface().ping(Buffer.alloc(8));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('3.4: the preface followed by a SETTINGS ACK (not our SETTINGS) -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client({ handshake: false });
  c.preface().settingsAck();
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('3.4: requests work after the handshake (GET answered with 200 and a body; POST body echoed)', async () => {
  const c = await h2.client();
  c.request(1);
  const get = await c.expectResponse(1);
  assert.equal(get.status, '200');
  assert.equal(get.body.toString(), 'hello from h2kit');
  c.request(3, { method: 'POST', endStream: false });
  c.data(3, 'echo me', true);
  const post = await c.expectResponse(3);
  assert.equal(post.status, '200');
  assert.equal(post.body.toString(), 'echo me');
  h2.assertNoCrash();
});
