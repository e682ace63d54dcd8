/** RFC 9113 section 5.1.2: stream concurrency (SETTINGS_MAX_CONCURRENT_STREAMS). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType, SettingId } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer({ settings: { maxConcurrentStreams: 3 } });

test('5.1.2: the server advertises SETTINGS_MAX_CONCURRENT_STREAMS', async () => {
  const c = await h2.client({ handshake: false });
  c.preface().settings();
  const r = await c.expectFrame(FrameType.SETTINGS);
  assert.ok(r.frame.type === FrameType.SETTINGS);
  assert.deepEqual(r.frame.settings.find(([id]) => id === SettingId.MAX_CONCURRENT_STREAMS), [SettingId.MAX_CONCURRENT_STREAMS, 3]);
});

// RFC 9113 5.1.2 allows PROTOCOL_ERROR or REFUSED_STREAM; h2kit answers REFUSED_STREAM, which
// tells the client the request was not processed and may be retried (8.7).
test('5.1.2: a stream beyond the advertised limit -> stream error REFUSED_STREAM; the others go on', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold' });
  c.request(3, { path: '/hold' });
  c.request(5, { path: '/hold' });
  c.request(7);
  const r = await c.waitFor('RST_STREAM on stream 7', (f) => {
    if (f.type === FrameType.RST_STREAM && f.streamId === 7) return 'take';
    if (f.type === FrameType.GOAWAY || f.streamId === 7) return 'unexpected';
    return 'skip';
  });
  assert.ok(r.frame.type === FrameType.RST_STREAM);
  assert.equal(r.frame.errorCode, ErrorCode.REFUSED_STREAM);
  await c.expectAlive();
});

test('5.1.2: closed streams stop counting: after one ends, a new stream is accepted', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold' });
  c.request(3, { path: '/hold' });
  c.request(5);
  await c.expectResponse(5);
  c.rstStream(1, ErrorCode.CANCEL);
  c.request(7);
  assert.equal((await c.expectResponse(7)).status, '200');
  c.request(9);
  assert.equal((await c.expectResponse(9)).status, '200');
});
