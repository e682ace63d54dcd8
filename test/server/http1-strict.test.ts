/**
 * HTTP/1.1 heads held to RFC 9112 (by node:http's strict parser, then requestFieldsOf: the same
 * checks as a HEADERS frame), end to end against a server; and the upgrade request held to the
 * HTTP/2 request rules (checkRequestFields) before any 101 (issue 12, item 5), with heads built
 * by the test oracle parser (test/helpers/http1-head.ts). Each upgrade refusal has its token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2cUpgradeOf } from '../../src/server/http1.js';
import { parseHttp1RequestHead } from '../helpers/http1-head.js';
import net from 'node:net';
import { HTTP2Server } from '../../src/server/server.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { RecordingLogger } from './support.js';
import { Http1RequestError } from '../../src/server/errors.js';

const head = (text: string) => parseHttp1RequestHead(Buffer.from(text, 'latin1'), 16384);

function refusal(fn: () => unknown): Http1RequestError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Http1RequestError, `an Http1RequestError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

const UPGRADE = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n';

/** Sends `head` on a raw connection; resolves with everything read until the server closes it (or 2 s pass). */
function exchange(port: number, head: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from(head, 'latin1')));
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

/** Records every request a handler saw. */
const reached: string[] = [];
class Recorder extends BaseRequestHandler {
  override onHeaders(): void {
    reached.push(`${this.method} ${this.path}`);
    this.sendResponse({ body: 'ok' });
  }
}

test('head rules (node:http, strict, then the HTTP/2 request checks): each malformed head is refused, 400 or closed unanswered, and reaches no handler, with allowHTTP1 on or off', async () => {
  const cases: Array<[string, string]> = [
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\nb\r\n\r\n', 'http1_bare_lf'],
    ['GET / HTTP/1.1\nHost: x\r\n\r\n', 'http1_bare_lf'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n', 'http1_bare_cr'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n', 'http1_nul'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\x1bb\r\n\r\n', 'http1_bad_field_value'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\x7f\r\n\r\n', 'http1_bad_field_value'],
    ['GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n', 'http1_obs_fold'],
    ['GET / HTTP/1.1\r\n Host: x\r\n\r\n', 'http1_obs_fold'],
    ['GET / HTTP/1.1\r\nHost : x\r\n\r\n', 'http1_space_before_colon'],
    ['GET / HTTP/1.1\r\nHost\t: x\r\n\r\n', 'http1_space_before_colon'],
    ['GET / HTTP/1.1\r\nHo(st: x\r\n\r\n', 'http1_bad_header'],
    ['GET / HTTP/1.1\r\n: x\r\n\r\n', 'http1_bad_header'],
    ['GET  / HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_line'],
    ['GET / HTTP/1.1 \r\nHost: x\r\n\r\n', 'http1_bad_request_line'],
    ['GET / http/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_line'],
    ['GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_target'],
    ['GET a HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_target'],
    ['GET * HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_target'],
    ['CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_target'],
    ['CONNECT x HTTP/1.1\r\nHost: x\r\n\r\n', 'http1_bad_request_target'],
    ['GET / HTTP/1.1\r\n\r\n', 'http1_host_missing'],
    ['GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 'http1_duplicate_host'],
    ['GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 'http1_host_invalid'],
    ['GET / HTTP/1.1\r\nHost: u@a\r\n\r\n', 'http1_host_invalid'],
  ];
  for (const allowHTTP1 of [true, false]) {
    const server = new HTTP2Server(['127.0.0.1', 0], Recorder, { allowHTTP1, logger: new RecordingLogger() });
    await server.listen();
    try {
      for (const [text, rule] of cases) {
        const got = await exchange(server.port, text);
        // Without allowHTTP1 a head node:http accepts is answered 505 before its fields are judged.
        const refused = allowHTTP1 ? /^HTTP\/1\.1 400 / : /^HTTP\/1\.1 (400|505) /;
        assert.ok(got === '' || refused.test(got), `${rule}: ${JSON.stringify(text)} got ${JSON.stringify(got.slice(0, 40))}`);
      }
      assert.deepEqual(reached, [], 'no malformed request reached a handler');
    } finally {
      await server.close();
    }
  }
});

test('head rules: what RFC 9112 lets through is served', async () => {
  const server = new HTTP2Server(['127.0.0.1', 0], Recorder, { logger: new RecordingLogger() });
  await server.listen();
  try {
    for (const text of [
      '\r\nGET /p?q HTTP/1.1\r\nHost:\texample.com:8080 \r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Obs: caf\xe9\r\nConnection: close\r\n\r\n',
      'GET /old HTTP/1.0\r\n\r\n',
      'GET http://a/abs HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    ]) {
      assert.match(await exchange(server.port, text), /^HTTP\/1\.1 200 /, JSON.stringify(text));
    }
    assert.deepEqual(reached, ['GET /p?q', 'GET /old', 'GET /abs', 'OPTIONS *']);
  } finally {
    await server.close();
    reached.length = 0;
  }
});

test('upgrade: the fields are judged as a HEADERS frame would be, and the target forms mapped', () => {
  const up = (text: string) => h2cUpgradeOf(head(text)!);
  const cases: Array<[string, string]> = [
    [`GET / HTTP/1.1\r\nHost: \r\n${UPGRADE}\r\n`, 'http1_authority_invalid'],
    [`GET http:///x HTTP/1.1\r\nHost: a\r\n${UPGRADE}\r\n`, 'http1_authority_invalid'],
    [`GET http://u@a/x HTTP/1.1\r\nHost: a\r\n${UPGRADE}\r\n`, 'http1_authority_invalid'],
    [`GET https://a/x HTTP/1.1\r\nHost: a\r\n${UPGRADE}\r\n`, 'http1_target_scheme'],
    [`GET http:a HTTP/1.1\r\nHost: a\r\n${UPGRADE}\r\n`, 'http1_bad_request_target'],
    [`CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n${UPGRADE}\r\n`, 'http1_upgrade_connect'],
    [`GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 01234567890123456\r\n${UPGRADE}\r\n`, 'http1_content_length_invalid'], // as HTTP/2 judges it
  ];
  for (const [text, token] of cases) {
    const err = refusal(() => up(text));
    assert.equal(err.token, token, JSON.stringify(text));
    assert.equal(err.status, 400);
    assert.match(err.message, /\w/);
  }
  const abs = up(`GET http://Example.com:81?x HTTP/1.1\r\nHost: other\r\n${UPGRADE}\r\n`)!;
  assert.deepEqual(abs.headers.slice(0, 4), [[':method', 'GET'], [':scheme', 'http'], [':authority', 'Example.com:81'], [':path', '/?x']]);
  const opts = up(`OPTIONS HTTP://a HTTP/1.1\r\nHost: a\r\n${UPGRADE}\r\n`)!;
  assert.deepEqual(opts.headers.slice(0, 4), [[':method', 'OPTIONS'], [':scheme', 'http'], [':authority', 'a'], [':path', '*']]);
  assert.equal(up(`GET / HTTP/1.0\r\nHost: a\r\n${UPGRADE}\r\n`), null, 'HTTP/1.0: Upgrade ignored (RFC 9110 section 7.8)');
});
