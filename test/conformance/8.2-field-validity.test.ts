/**
 * RFC 9113 section 8.2: field validity — names lowercase and legal, values without CR/LF/NUL or
 * surrounding whitespace, no connection-specific fields, `te` only "trailers". A malformed
 * request is a stream error PROTOCOL_ERROR (8.1.1); the connection goes on.
 *
 * Blocks are sent as plain HPACK literals (`literalBlock`), so the fields reach the server exactly
 * as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { TestClient, literalBlock } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

async function expectMalformed(extra: Array<[string, string]>): Promise<void> {
  const c = await h2.client();
  c.headers(1, literalBlock(TestClient.requestHeaders({ headers: extra })), { endStream: true });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
  c.request(3);
  assert.equal((await c.expectResponse(3)).status, '200', 'the connection still serves requests');
}

async function expectAccepted(extra: Array<[string, string]>): Promise<void> {
  const c = await h2.client();
  c.headers(1, literalBlock(TestClient.requestHeaders({ headers: extra })), { endStream: true });
  assert.equal((await c.expectResponse(1)).status, '200');
}

test('8.2: an uppercase field name -> stream error PROTOCOL_ERROR', () => expectMalformed([['X-Upper', 'v']]));
test('8.2: a single uppercase letter in a field name -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-uppeR', 'v']]));
test('8.2.1: a field name with a space -> stream error PROTOCOL_ERROR', () => expectMalformed([['x bad', 'v']]));
test('8.2.1: a field name with a colon inside -> stream error PROTOCOL_ERROR', () => expectMalformed([['x:bad', 'v']]));
test('8.2.1: an empty field name -> stream error PROTOCOL_ERROR', () => expectMalformed([['', 'v']]));
test('8.2.1: a field name with a non-ASCII octet -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-\u00e9', 'v']]));
test('8.2.1: a field value with CR or LF -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-a', 'line\r\nx-b: injected']]));
test('8.2.1: a field value with NUL -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-a', 'nul\u0000here']]));
test('8.2.1: a field value with leading whitespace -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-a', ' leading']]));
test('8.2.1: a field value with trailing whitespace -> stream error PROTOCOL_ERROR', () => expectMalformed([['x-a', 'trailing\t']]));
test('8.2.1: legal field names and values (tchar punctuation, inner spaces, empty value) are accepted', () =>
  expectAccepted([
    ["x-tchar!#$%&'*+-.^_`|~09", 'a value with inner spaces'],
    ['x-empty', ''],
  ]));

for (const name of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']) {
  test(`8.2.2: connection-specific field "${name}" -> stream error PROTOCOL_ERROR`, () =>
    expectMalformed([[name, name === 'transfer-encoding' ? 'chunked' : name === 'upgrade' ? 'websocket' : 'keep-alive']]));
}

test('8.2.2: te: trailers is allowed', () => expectAccepted([['te', 'trailers']]));
test('8.2.2: te with a value other than "trailers" -> stream error PROTOCOL_ERROR', () => expectMalformed([['te', 'gzip']]));
test('8.2.2: te: "trailers, deflate" -> stream error PROTOCOL_ERROR', () => expectMalformed([['te', 'trailers, deflate']]));
