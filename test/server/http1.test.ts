import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2cUpgradeOf, http1Response } from '../../src/server/http1.js';
import { parseHttp1RequestHead } from '../helpers/http1-head.js';
import { Http1RequestError } from '../../src/server/errors.js';

// Heads are built with the test oracle parser: the server reads HTTP/1.1 with node:http (see http1-serve.test.ts).

const curlUpgrade =
  'GET /index.html?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n' +
  'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n' +
  'Cookie: a=1\r\nTE: trailers, deflate\r\n\r\nPRI';

test('Upgrade: h2c becomes HTTP/2 fields and the decoded SETTINGS payload', () => {
  const up = h2cUpgradeOf(parseHttp1RequestHead(Buffer.from(curlUpgrade, 'latin1'), 16384)!)!;
  assert.ok(up);
  // AAMAAABkAAQAoAAAAAIAAAAA: MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=10485760, ENABLE_PUSH=0
  assert.equal(up.settingsPayload.toString('hex'), '000300000064000400a00000000200000000');
  assert.deepEqual(up.headers, [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', '127.0.0.1:8080'],
    [':path', '/index.html?x=1'],
    ['user-agent', 'curl/7.88.1'],
    ['accept', '*/*'],
    ['cookie', 'a=1'],
    ['te', 'trailers'],
  ]);
  assert.equal(up.contentLength, 0);
});

test('a request without Upgrade: h2c, or without HTTP2-Settings, is not an upgrade', () => {
  const plain = parseHttp1RequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 1000)!;
  assert.equal(h2cUpgradeOf(plain), null);
  const noSettings = parseHttp1RequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n'), 1000)!;
  assert.equal(h2cUpgradeOf(noSettings), null);
});

test('bad HTTP2-Settings and chunked upgrade bodies are refused', () => {
  const bad = (settings: string, extra = ''): Http1RequestError => {
    const head = parseHttp1RequestHead(Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nHTTP2-Settings: ${settings}\r\n${extra}\r\n`), 1000)!;
    try {
      h2cUpgradeOf(head);
    } catch (e) {
      assert.ok(e instanceof Http1RequestError);
      return e;
    }
    assert.fail('expected a refusal');
  };
  assert.equal(bad('AAMAAABk!!').token, 'http1_bad_http2_settings');
  assert.equal(bad('AAMAAA').token, 'http1_bad_http2_settings'); // 4 bytes: not a multiple of 6
  assert.equal(bad('', 'Transfer-Encoding: chunked\r\n').token, 'http1_upgrade_chunked');
  assert.equal(bad('', 'Content-Length: -1\r\n').token, 'http1_bad_content_length');
  const withBody = parseHttp1RequestHead(Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\nContent-Length: 5\r\n\r\n'), 1000)!;
  assert.equal(h2cUpgradeOf(withBody)!.contentLength, 5);
  assert.equal(h2cUpgradeOf(withBody)!.expectContinue, false);
  const expecting = parseHttp1RequestHead(
    Buffer.from('POST / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'),
    1000,
  )!;
  const up = h2cUpgradeOf(expecting)!;
  assert.equal(up.expectContinue, true);
  assert.equal(up.headers.some(([n]) => n === 'expect'), false, 'expect is answered before HTTP/2 starts');
});

test('http1Response is a complete, closing HTTP/1.1 response', () => {
  const text = http1Response(505, 'HTTP/2 only\n').toString();
  assert.match(text, /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/);
  assert.match(text, /\r\ncontent-length: 12\r\n/);
  assert.match(text, /\r\nconnection: close\r\n\r\nHTTP\/2 only\n$/);
});
