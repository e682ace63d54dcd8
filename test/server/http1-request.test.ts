/**
 * Http1RequestReader's one pass over node:http's rawHeaders gives what requestFieldsOf gives (the
 * fields, or the same refusal) for every head, whichever of its two paths reads it; `simple`
 * and `hasBody` say what setRequestAttributes and the body check would find.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Http1RequestError } from '../../src/server/errors.js';
import { requestFieldsOf } from '../../src/server/http1.js';
import { pairsOf } from '../../src/server/http1-exchange.js';
import { Http1RequestReader, type Http1RequestLike } from '../../src/server/http1-request.js';

const OWN = '127.0.0.1:8080';

interface Head {
  method: string;
  url: string;
  rawHeaders: string[];
  httpVersion?: string;
}

const heads: Head[] = [
  { method: 'GET', url: '/small', rawHeaders: ['Host', '127.0.0.1:3000', 'user-agent', 'h2load'] },
  { method: 'GET', url: '/', rawHeaders: ['HOST', 'example.com', 'Accept', '*/*', 'Cookie', 'a=1', 'X-Mixed', 'v'] },
  { method: 'GET', url: '/two-cookies', rawHeaders: ['Host', 'h', 'cookie', 'a=1', 'Cookie', 'b=2'] },
  { method: 'POST', url: '/upload', rawHeaders: ['Host', 'h', 'Content-Length', '5', 'content-type', 'text/plain'] },
  { method: 'POST', url: '/chunked', rawHeaders: ['Host', 'h', 'Transfer-Encoding', 'chunked'] },
  { method: 'GET', url: '/conn', rawHeaders: ['Host', 'h', 'Connection', 'keep-alive', 'Keep-Alive', '5', 'Upgrade', 'websocket', 'Proxy-Connection', 'x', 'Expect', '100-continue', 'HTTP2-Settings', 'AAMAAABkAAQAoAAAAAIAAAAA'] },
  { method: 'GET', url: '/te', rawHeaders: ['Host', 'h', 'TE', 'gzip, Trailers', 'x', 'y'] },
  { method: 'GET', url: '/te-not', rawHeaders: ['Host', 'h', 'te', 'gzip'] },
  { method: 'GET', url: '/old', rawHeaders: [], httpVersion: '1.0' },
  { method: 'GET', url: '/two-hosts', rawHeaders: ['Host', 'a', 'Host', 'b'] },
  { method: 'GET', url: '/bad-host', rawHeaders: ['Host', 'a b'] },
  { method: 'GET', url: '/userinfo', rawHeaders: ['Host', 'user@h'] },
  { method: 'GET', url: '/empty-host', rawHeaders: ['Host', ''] },
  { method: 'GET', url: '/ipv6', rawHeaders: ['Host', '[::1]:8080'] },
  { method: 'GET', url: '/frag#x', rawHeaders: ['Host', 'h'] },
  { method: 'GET', url: '/ctl\x7f', rawHeaders: ['Host', 'h'] },
  { method: 'GET', url: '/obs-text\xe9', rawHeaders: ['Host', 'h'] },
  { method: 'GET', url: 'http://h:1/abs?q', rawHeaders: ['Host', 'other'] },
  { method: 'GET', url: 'https://h/abs', rawHeaders: ['Host', 'h'] },
  { method: 'OPTIONS', url: '*', rawHeaders: ['Host', 'h'] },
  { method: 'CONNECT', url: 'h:443', rawHeaders: ['Host', 'h:443'] },
  { method: 'GET', url: 'nonsense', rawHeaders: ['Host', 'h'] },
];

/** requestFieldsOf as the session called it before the reader: the oracle. */
function oracle(h: Head): Array<[string, string]> | string {
  try {
    return requestFieldsOf({ method: h.method, target: h.url, version: `HTTP/${h.httpVersion ?? '1.1'}`, headers: pairsOf(h.rawHeaders) }, 'http', OWN, false);
  } catch (err) {
    assert.ok(err instanceof Http1RequestError);
    return `${err.status} ${err.token}: ${err.message}`;
  }
}

/** What `reader.read` gives for head `h`: its fields, or the refusal as "STATUS token: message" (the oracle's form). */
function readOrRefusal(reader: Http1RequestReader, h: Head): Array<[string, string]> | string {
  const req: Http1RequestLike = { method: h.method, url: h.url, rawHeaders: h.rawHeaders, httpVersion: h.httpVersion ?? '1.1' };
  try {
    return reader.read(req);
  } catch (err) {
    assert.ok(err instanceof Http1RequestError);
    return `${err.status} ${err.token}: ${err.message}`;
  }
}

test('Http1RequestReader.read gives requestFieldsOf\'s fields or refusal for every head', () => {
  // One reader for all: what it remembers of a connection (the authority last checked) must not change an answer.
  const reader = new Http1RequestReader('http', () => OWN);
  for (const h of heads) {
    const got = readOrRefusal(reader, h);
    assert.deepEqual(got, oracle(h), `${h.method} ${h.url}`);
    if (typeof got === 'string') continue;
    const names = pairsOf(h.rawHeaders).map(([n]) => n);
    assert.equal(reader.hasBody, names.includes('content-length') || names.includes('transfer-encoding'), `${h.url}: hasBody`);
    if (reader.simple) {
      assert.deepEqual(got.slice(0, 4).map(([n]) => n), [':method', ':scheme', ':authority', ':path'], `${h.url}: simple`);
      assert.ok(got.filter(([n]) => n === 'cookie').length <= 1, `${h.url}: simple has at most one cookie`);
    }
  }
});

test('Http1RequestReader: the names it remembers by position never leak into another head', () => {
  // The reader keeps each position's name as sent, lowercased and classified: reading heads whose
  // names at a place differ (in case too: Host/HOST, te/TE) in every order must give each one's own fields.
  const reader = new Http1RequestReader('http', () => OWN);
  const order = [...heads, ...[...heads].reverse(), ...heads.flatMap((h) => [h, h])];
  for (const h of order) {
    const got = readOrRefusal(reader, h);
    assert.deepEqual(got, oracle(h), `${h.method} ${h.url}`);
  }
});

test('Http1RequestReader: the common request takes the one-pass path; the others go to requestFieldsOf', () => {
  const reader = new Http1RequestReader('https', () => OWN);
  const read = (h: Head): boolean => {
    reader.read({ method: h.method, url: h.url, rawHeaders: h.rawHeaders, httpVersion: '1.1' });
    return reader.simple;
  };
  assert.equal(read({ method: 'GET', url: '/', rawHeaders: ['Host', 'h', 'Cookie', 'a=1'] }), true);
  assert.equal(read({ method: 'GET', url: '/', rawHeaders: ['Host', 'h', 'Cookie', 'a=1', 'Cookie', 'b=2'] }), false);
  assert.equal(read({ method: 'GET', url: 'https://h/', rawHeaders: ['Host', 'h'] }), false);
  assert.equal(read({ method: 'OPTIONS', url: '*', rawHeaders: ['Host', 'h'] }), false);
  // An authority refused once is refused again, after a good one was remembered.
  assert.throws(() => read({ method: 'GET', url: '/', rawHeaders: ['Host', 'a b'] }), Http1RequestError);
  assert.equal(read({ method: 'GET', url: '/', rawHeaders: ['Host', 'h'] }), true);
  assert.throws(() => read({ method: 'GET', url: '/', rawHeaders: ['Host', 'a b'] }), Http1RequestError);
});

/** The names with a meaning to the reader, and tokens of their lengths that are not them. */
const SPECIAL = ['te', 'host', 'cookie', 'expect', 'upgrade', 'connection', 'keep-alive', 'content-length', 'http2-settings', 'proxy-connection', 'transfer-encoding'];
const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~";

/** A header name as a client might send it: a special name in any case, one a character away from one, or any token. */
const fieldName = fc.oneof(
  fc.tuple(fc.constantFrom(...SPECIAL), fc.array(fc.boolean(), { minLength: 17, maxLength: 17 })).map(([name, upper]) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
  fc.tuple(fc.constantFrom(...SPECIAL), fc.nat(), fc.constantFrom(...TOKEN_CHARS)).map(([name, at, c]) => {
    const i = at % name.length;
    return name.slice(0, i) + c + name.slice(i + 1);
  }),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 18 }),
);

test('Http1RequestReader: names in any case, near misses of the special names and any token read as requestFieldsOf reads them (fast-check)', () => {
  // One reader across runs, as one connection: the names it remembers by position must never decide another head's answer.
  const reader = new Http1RequestReader('http', () => OWN);
  fc.assert(
    fc.property(fc.array(fc.tuple(fieldName, fc.constantFrom('1', 'gzip, trailers', 'a=1', 'x')), { maxLength: 6 }), (fields) => {
      const h: Head = { method: 'GET', url: '/p', rawHeaders: ['Host', 'h', ...fields.flat()] };
      assert.deepEqual(readOrRefusal(reader, h), oracle(h));
      const names = pairsOf(h.rawHeaders).map(([n]) => n);
      assert.equal(reader.hasBody, names.includes('content-length') || names.includes('transfer-encoding'));
    }),
    { numRuns: 2000 },
  );
});
