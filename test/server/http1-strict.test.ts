/**
 * The HTTP/1.1 head held to RFC 9112 (src/server/http1.ts), and the upgrade request held to the
 * HTTP/2 request rules (checkRequestFields) before any 101 (issue 12, item 5). Each refusal has
 * its token; the messages say what to fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h2cUpgradeOf, parseHttp1RequestHead } from '../../src/server/http1.js';
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

test('head rules: each malformed head is a 400 with its token', () => {
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
  for (const [text, token] of cases) {
    const err = refusal(() => head(text));
    assert.equal(err.token, token, JSON.stringify(text));
    assert.equal(err.status, 400, JSON.stringify(text));
  }
});

test('head rules: what RFC 9112 lets through', () => {
  const h = head('\r\nGET /p?q HTTP/1.1\r\nHost:\texample.com:8080 \r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Obs: caf\xe9\r\n\r\nbody')!;
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/p?q');
  assert.deepEqual(h.headers, [
    ['host', 'example.com:8080'],
    ['x-empty', ''],
    ['x-tab', 'a\tb'],
    ['x-obs', 'caf\xe9'],
  ]);
  assert.equal(h.headLength, Buffer.byteLength('\r\nGET /p?q HTTP/1.1\r\nHost:\texample.com:8080 \r\nX-Empty:\r\nX-Tab: a\tb\r\nX-Obs: caf\xe9\r\n\r\n', 'latin1'));
  assert.ok(head('GET / HTTP/1.0\r\n\r\n'), 'HTTP/1.0 needs no Host');
  assert.ok(head('GET / HTTP/1.1\r\nHost: \r\n\r\n'), 'an empty Host is valid HTTP/1.1 (the target has no authority)');
  assert.ok(head('GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n'), 'absolute-form');
  assert.ok(head('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n'), 'authority-form for CONNECT');
  assert.ok(head('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'), 'asterisk-form for OPTIONS');
  assert.equal(head('GET / HTTP/1.2\r\nHost: a\r\n\r\n')!.version, 'HTTP/1.2', 'a later 1.x minor version is served as 1.1');
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
