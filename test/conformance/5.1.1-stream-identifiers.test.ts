/** RFC 9113 section 5.1.1: stream identifiers (odd from clients, increasing). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

test('5.1.1: a client-initiated stream with an even id -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(2);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1.1: a new stream id lower than one already opened -> connection error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(5);
  await c.expectResponse(5);
  c.request(3);
  await c.expectConnectionError(ErrorCode.PROTOCOL_ERROR);
});

test('5.1.1: skipping ids is allowed (the skipped ones become closed)', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.request(11);
  assert.equal((await c.expectResponse(11)).status, '200');
  c.request(0x7fffffff);
  assert.equal((await c.expectResponse(0x7fffffff)).status, '200');
});

test('5.1.1: the GOAWAY of a connection error names the last stream the server processed', async () => {
  const c = await h2.client();
  c.request(1);
  await c.expectResponse(1);
  c.request(3);
  await c.expectResponse(3);
  c.request(4);
  await c.expectGoaway(ErrorCode.PROTOCOL_ERROR, 3);
  await c.expectClosed();
});
