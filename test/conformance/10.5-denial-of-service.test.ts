/**
 * RFC 9113 section 10.5 (and 10.5.1): limits against abuse. A field section larger than the
 * server accepts is refused for that request only; the HPACK state stays in step, so the
 * connection goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameType } from '../../src/frame/index.js';
import { TestClient } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer({ settings: { maxHeaderListSize: 8192 } });

test('10.5.1: a field section over SETTINGS_MAX_HEADER_LIST_SIZE is refused (431 or RST_STREAM) for that request only', async () => {
  const c = await h2.client();
  // Indexed into our dynamic table, so the next request refers to the same entry: the server's
  // decoder must have taken it in even though it refused the request.
  const big = TestClient.requestHeaders({ headers: [['x-big', 'b'.repeat(10000)], ['x-indexed', 'shared']] });
  c.headers(1, big, { endStream: true });
  const r = await c.waitFor('a refusal on stream 1', (f, rec) => {
    if (f.type === FrameType.GOAWAY) return 'connection error instead of refusing one request';
    if (f.streamId !== 1) return 'skip';
    if (f.type === FrameType.RST_STREAM) return 'take';
    if (rec.headers) return 'take';
    return 'skip';
  });
  if (r.frame.type !== FrameType.RST_STREAM) {
    assert.ok(r.headers?.some(([n, v]) => n === ':status' && v === '431'), 'status 431');
  }
  c.request(3, { headers: [['x-indexed', 'shared']] });
  assert.equal((await c.expectResponse(3)).status, '200');
});
