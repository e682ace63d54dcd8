/** RFC 9113 section 6.6 / 8.4: PUSH_PROMISE from a client. */
import { test } from 'node:test';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('6.6 / 8.4: a client sending PUSH_PROMISE -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { path: '/hold', endStream: false });
  const block = c.encode([[':method', 'GET'], [':scheme', 'http'], [':authority', 'localhost'], [':path', '/pushed']]);
  c.raw(FrameType.PUSH_PROMISE, FrameFlags.END_HEADERS, 1, Buffer.concat([Buffer.from([0, 0, 0, 2]), block]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.6: PUSH_PROMISE on stream 0 -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.raw(FrameType.PUSH_PROMISE, FrameFlags.END_HEADERS, 0, Buffer.from([0, 0, 0, 2, 0x82]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('6.5.2: a server that received SETTINGS_ENABLE_PUSH 0 ... and any client PUSH_PROMISE is still PROTOCOL_ERROR', async () => {
  const c = await h2.client({ settings: [[2, 0]] });
  c.request(1, { path: '/hold', endStream: false });
  c.raw(FrameType.PUSH_PROMISE, FrameFlags.END_HEADERS, 1, Buffer.from([0, 0, 0, 2, 0x82]));
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});
