/**
 * RFC 9113 section 8.3: control data (pseudo-header fields) of requests. Any violation makes
 * the request malformed: stream error PROTOCOL_ERROR (8.1.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { TestClient, literalBlock } from './helpers/client.js';
import { useServer } from './helpers/harness.js';

const h2 = useServer();

async function expectMalformed(headers: Array<[string, string]>): Promise<void> {
  const c = await h2.client();
  c.headers(1, literalBlock(headers), { endStream: true });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
}

const GET: Array<[string, string]> = TestClient.requestHeaders();
const without = (name: string): Array<[string, string]> => GET.filter(([n]) => n !== name);

test('8.3: an unknown pseudo-header -> stream error PROTOCOL_ERROR', () => expectMalformed([...GET.slice(0, 1), [':foo', 'bar'], ...GET.slice(1)]));
test('8.3: a response pseudo-header (:status) in a request -> stream error PROTOCOL_ERROR', () => expectMalformed([...GET, [':status', '200']]));
test('8.3: a pseudo-header after a regular field -> stream error PROTOCOL_ERROR', () =>
  expectMalformed([...without(':path'), ['x-regular', 'v'], [':path', '/']]));
test('8.3.1: :method twice -> stream error PROTOCOL_ERROR', () => expectMalformed(withDuplicate(':method', 'GET')));
test('8.3.1: :path twice -> stream error PROTOCOL_ERROR', () => expectMalformed(withDuplicate(':path', '/other')));
test('8.3.1: :scheme twice -> stream error PROTOCOL_ERROR', () => expectMalformed(withDuplicate(':scheme', 'https')));
test('8.3.1: :authority twice -> stream error PROTOCOL_ERROR', () => expectMalformed(withDuplicate(':authority', 'other')));
test('8.3.1: no :method -> stream error PROTOCOL_ERROR', () => expectMalformed(without(':method')));
test('8.3.1: no :scheme -> stream error PROTOCOL_ERROR', () => expectMalformed(without(':scheme')));
test('8.3.1: no :path -> stream error PROTOCOL_ERROR', () => expectMalformed(without(':path')));
test('8.3.1: an empty :path -> stream error PROTOCOL_ERROR', () => expectMalformed([...without(':path'), [':path', '']]));
test('8.5: CONNECT with :path -> stream error PROTOCOL_ERROR', () =>
  expectMalformed([
    [':method', 'CONNECT'],
    [':authority', 'example.com:443'],
    [':path', '/'],
  ]));
test('8.5: CONNECT without :authority -> stream error PROTOCOL_ERROR', () => expectMalformed([[':method', 'CONNECT']]));

test('8.3: a pseudo-header in trailers -> stream error PROTOCOL_ERROR', async () => {
  const c = await h2.client();
  c.request(1, { method: 'POST', endStream: false });
  c.data(1, 'x');
  c.headers(1, literalBlock([[':path', '/trailer']]), { endStream: true });
  await c.expectRstStream(1, ErrorCode.PROTOCOL_ERROR);
  await c.expectAlive();
});

test('8.3.1: a complete request with :authority omitted but host present is accepted', async () => {
  const c = await h2.client();
  c.headers(1, literalBlock([...without(':authority'), ['host', 'localhost']]), { endStream: true });
  assert.equal((await c.expectResponse(1)).status, '200');
});

test('8.5: a well-formed CONNECT (only :method and :authority) is accepted as a request', async () => {
  const c = await h2.client();
  c.headers(1, literalBlock([[':method', 'CONNECT'], [':authority', 'example.com:443']]), { endStream: true });
  assert.equal((await c.expectResponse(1)).status, '200');
});

/** The GET request with a second `name` pseudo-header, still before any regular field. */
function withDuplicate(name: string, value: string): Array<[string, string]> {
  return [...GET, [name, value]];
}
