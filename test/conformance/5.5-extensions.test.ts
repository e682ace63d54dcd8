/** RFC 9113 section 5.5: extending HTTP/2 — unknown frames, settings and error codes are ignored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('5.5: unknown frame types are ignored, also on open streams and with payloads', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.raw(0xbe, 0x0f, 1, Buffer.from('extension'));
  c.data(1, 'ok', true);
  assert.equal((await c.expectResponse(1)).body.toString(), 'ok');
});

test('5.5: an unknown frame in the middle of a field block -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  const block = c.encode([[':method', 'GET'], [':scheme', 'http'], [':authority', 'localhost'], [':path', '/']]);
  c.headers(1, block.subarray(0, 2), { endStream: true, endHeaders: false });
  c.raw(0xbe, 0, 1, Buffer.from('x'));
  c.continuation(1, block.subarray(2), true);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.5 / 6.5.2: unknown SETTINGS identifiers are ignored (and ACKed)', async () => {
  const c = await h2.client();
  c.settings([
    [0x7f, 12345],
    [0xffff, 0xffffffff],
  ]);
  const r = await c.expectFrame(FrameType.SETTINGS);
  assert.ok(r.frame.type === FrameType.SETTINGS && r.frame.ack);
  await c.expectAlive();
});

test('7: an unknown error code in RST_STREAM is accepted like any other', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  c.rstStream(1, 0xdeadbeef);
  await c.expectAlive([1]);
});

test('7: an unknown error code in GOAWAY is accepted (no error in return)', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.goaway(0, 0xcafe);
  // The server may close after the client's GOAWAY, but must not report an error of its own.
  await c.waitFor('the server to end quietly or stay alive', (f) => {
    if (f.type === FrameType.GOAWAY) return f.errorCode === ErrorCode.NO_ERROR ? 'take' : 'GOAWAY with an error in answer';
    if (f.type === FrameType.RST_STREAM) return 'a reset in answer';
    return 'skip';
  }, 500).catch(() => undefined);
  assert.ok(!c.log.some((r) => r.frame.type === FrameType.GOAWAY && r.frame.errorCode !== ErrorCode.NO_ERROR));
});
