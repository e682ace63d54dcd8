/**
 * The values of a request's control data (RFC 9113 section 8.3.1, RFC 9110 sections 4.2, 9 and
 * RFC 3986 section 3): :method a token, :scheme a scheme, :path an absolute path (or `*` for
 * OPTIONS) without controls, SP or DEL, :authority (or `host` without it) a valid authority,
 * host:port for CONNECT. The same checkRequestFields judges the requests an `Upgrade: h2c` brings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { checkRequestFields, isValidAuthority, type HeaderList } from '../../src/connection/index.js';
import { eventsOf, GET, ofType, ScriptedPeer } from './helpers/peer.js';
import { literalBlock } from '../conformance/helpers/client.js';

const req = (method: string, scheme: string, path: string, authority: string | null = 'example.com', extra: HeaderList = []): HeaderList => [
  [':method', method],
  [':scheme', scheme],
  [':path', path],
  ...(authority === null ? [] : ([[':authority', authority]] as HeaderList)),
  ...extra,
];

const MALFORMED: Array<[string, HeaderList, string]> = [
  ['a method with a space', req('GE T', 'https', '/'), 'request_method_invalid'],
  ['a method with a control octet', req('GET\x01', 'https', '/'), 'request_method_invalid'],
  ['a scheme that is no URI scheme', req('GET', 'ht tp', '/'), 'request_scheme_invalid'],
  ['absolute-form in :path', req('GET', 'https', 'https://example.com/'), 'request_path_invalid'],
  ['a :path without a leading slash', req('GET', 'http', 'index.html'), 'request_path_invalid'],
  ['* for a method other than OPTIONS', req('GET', 'https', '*'), 'request_path_invalid'],
  ['a control octet in :path', req('GET', 'https', '/a\x01b'), 'request_path_invalid'],
  ['SP in :path', req('GET', 'https', '/a b'), 'request_path_invalid'],
  ['DEL in :path', req('GET', 'https', '/a\x7f'), 'request_path_invalid'],
  ['an empty :authority', req('GET', 'https', '/', ''), 'authority_invalid'],
  ['userinfo in :authority', req('GET', 'https', '/', 'user:pw@example.com'), 'authority_invalid'],
  ['SP in :authority', req('GET', 'https', '/', 'exa mple.com'), 'authority_invalid'],
  ['a path in :authority', req('GET', 'https', '/', 'example.com/x'), 'authority_invalid'],
  ['a port that is not a number', req('GET', 'https', '/', 'example.com:80a'), 'authority_invalid'],
  ['a port above 65535', req('GET', 'https', '/', 'example.com:65536'), 'authority_invalid'],
  ['an unclosed IPv6 literal', req('GET', 'https', '/', '[::1'), 'authority_invalid'],
  ['a bad percent-encoding', req('GET', 'https', '/', 'ex%zzample.com'), 'authority_invalid'],
  ['no :authority and an invalid host', req('GET', 'https', '/', null, [['host', 'a b']]), 'host_invalid'],
  ['CONNECT without a port', [[':method', 'CONNECT'], [':authority', 'example.com']], 'connect_authority_invalid'],
];

const WELL_FORMED: Array<[string, HeaderList]> = [
  ['origin-form with a query', req('GET', 'https', '/a/b?c=d&e=%20')],
  ['OPTIONS *', req('OPTIONS', 'https', '*')],
  ['an extension method', req('PROPFIND', 'http', '/')],
  ['a non-http scheme with another path form', req('GET', 'urn', 'isbn:0451450523')],
  ['obs-text in :path (as nghttp2 accepts)', req('GET', 'https', '/caf\xe9')],
  ['an IPv4 authority with a port', req('GET', 'https', '/', '127.0.0.1:8443')],
  ['an IPv6 literal with a port', req('GET', 'https', '/', '[2001:db8::1]:443')],
  ['an unbracketed IPv6 authority (node:http2 sends it for http://[::1]:port)', req('GET', 'http', '/', '::1:35617')],
  ['pct-encoded and sub-delims in a reg-name', req('GET', 'https', '/', 'a%41b!$&()*+,;=.example')],
  ['an empty port (RFC 3986: port = *DIGIT)', req('GET', 'https', '/', 'example.com:')],
  ['no :authority and a valid host', req('GET', 'https', '/', null, [['host', 'example.com:8080']])],
  ['CONNECT host:port', [[':method', 'CONNECT'], [':authority', 'example.com:443']]],
];

for (const [name, headers, token] of MALFORMED) {
  test(`malformed request value: ${name} -> ${token}, RST_STREAM PROTOCOL_ERROR`, () => {
    assert.equal(checkRequestFields(headers), token);
    const p = new ScriptedPeer({ role: 'server' });
    p.handshake();
    p.send((w) => w.headers(1, literalBlock(headers), true, 16384));
    const rst = ofType(p.frames(), FrameType.RST_STREAM).find((f) => f.streamId === 1);
    assert.equal(rst?.errorCode, ErrorCode.PROTOCOL_ERROR);
    assert.equal(eventsOf(p.events, 'headers').length, 0, 'no request event');
    assert.equal(p.conn.isClosed, false, 'the connection goes on');
  });
}

for (const [name, headers] of WELL_FORMED) {
  test(`well-formed request value: ${name}`, () => {
    assert.equal(checkRequestFields(headers), null);
    const p = new ScriptedPeer({ role: 'server' });
    p.handshake();
    p.send((w) => w.headers(1, literalBlock(headers), true, 16384));
    assert.deepEqual(eventsOf(p.events, 'headers')[0]?.headers, headers);
  });
}

test('checkRequestFields agrees with the Connection on the usual request', () => {
  assert.equal(checkRequestFields(GET), null);
});

test('isValidAuthority: CONNECT requires a port; structure, not just octets, is checked', () => {
  assert.equal(isValidAuthority('example.com:443', true), true);
  assert.equal(isValidAuthority('example.com', true), false);
  assert.equal(isValidAuthority('example.com:', true), false);
  assert.equal(isValidAuthority('[::1]:443', true), true);
  assert.equal(isValidAuthority('[::1]x'), false);
  assert.equal(isValidAuthority('[]'), false);
  assert.equal(isValidAuthority(':80'), false);
  assert.equal(isValidAuthority('a:123456'), false);
  assert.equal(isValidAuthority('a\u0100b'), false);
});
