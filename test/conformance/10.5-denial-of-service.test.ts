/**
 * RFC 9113 section 10.5 (and 10.5.1): limits against abuse. A field section larger than the
 * server accepts is refused for that request only; the HPACK state stays in step, so the
 * connection goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer({ settings: { maxHeaderListSize: 8192 } });

// RFC 9113 10.5.1 suggests a 431 (Request Header Fields Too Large) response; h2kit sends it.
test('10.5.1: a field section over SETTINGS_MAX_HEADER_LIST_SIZE is answered 431 for that request only', async () => {
  const c = await h2.client();
  // Indexed into our dynamic table, so the next request refers to the same entry: the server's
  // decoder must have taken it in even though it refused the request.
  const big = TestClient.requestHeaders({ headers: [['x-big', 'b'.repeat(10000)], ['x-indexed', 'shared']] });
  c.headers(1, big, { endStream: true });
  const r = await c.waitFor('a refusal on stream 1', (f, rec) => {
    if (f.type === FrameType.GOAWAY) return 'connection error instead of refusing one request';
    if (f.streamId !== 1) return 'skip';
    if (f.type === FrameType.RST_STREAM) return 'reset instead of 431';
    if (rec.headers) return 'take';
    return 'skip';
  });
  assert.ok(r.headers?.some(([n, v]) => n === ':status' && v === '431'), 'status 431');
  c.request(3, { headers: [['x-indexed', 'shared']] });
  assert.equal((await c.expectResponse(3)).status, '200');
});

const strict = useServer({ controlFrameLimit: { burst: 50, perSecond: 1 }, resetLimit: { burst: 20, perSecond: 1 }, glitchLimit: { burst: 50, perSecond: 1 } });

test('10.5: a PING flood beyond the configured limit -> connection error ENHANCE_YOUR_CALM', async () => {
  const c = await strict.client();
  for (let i = 0; i < 200; i++) c.writer.ping(Buffer.alloc(8, i), false);
  c.flush();
  const r = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(r.frame.type === FrameType.GOAWAY);
  assert.equal(r.frame.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
  await c.expectClosed();
});

test('10.5: a SETTINGS flood beyond the configured limit -> connection error ENHANCE_YOUR_CALM', async () => {
  const c = await strict.client();
  for (let i = 0; i < 200; i++) c.writer.settings([]);
  c.flush();
  const r = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(r.frame.type === FrameType.GOAWAY);
  assert.equal(r.frame.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('10.5 (CVE-2023-44487): rapid reset — streams opened and reset beyond the limit -> connection error ENHANCE_YOUR_CALM', async () => {
  const c = await strict.client();
  for (let id = 1; id < 200; id += 2) {
    c.writer.headers(id, c.encode(TestClient.requestHeaders({ path: '/hold' })), false, 16384);
    c.writer.rstStream(id, ErrorCode.CANCEL);
  }
  c.flush();
  const r = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(r.frame.type === FrameType.GOAWAY);
  assert.equal(r.frame.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('10.5: a flood of empty DATA frames (no END_STREAM) beyond the configured limit -> connection error ENHANCE_YOUR_CALM', async () => {
  const c = await strict.client();
  c.request(1, { method: 'POST', endStream: false });
  for (let i = 0; i < 200; i++) c.writer.data(1, Buffer.alloc(0), false);
  c.flush();
  const r = await c.waitFor('GOAWAY', (f) => (f.type === FrameType.GOAWAY ? 'take' : 'skip'));
  assert.ok(r.frame.type === FrameType.GOAWAY);
  assert.equal(r.frame.errorCode, ErrorCode.ENHANCE_YOUR_CALM);
});

test('10.5: traffic within the limits is not flagged', async () => {
  const c = await strict.client();
  for (let i = 0; i < 10; i++) c.ping(Buffer.alloc(8, i));
  for (let id = 1; id < 20; id += 2) {
    c.request(id, { path: '/hold', endStream: false });
    c.rstStream(id, ErrorCode.CANCEL);
  }
  c.request(21, { method: 'POST', endStream: false });
  for (let i = 0; i < 10; i++) c.data(21, Buffer.alloc(0));
  c.data(21, 'done', true);
  assert.equal((await c.expectResponse(21)).body.toString(), 'done');
  await c.expectAlive();
});
