/**
 * The `Upgrade: h2c` path against the same rules as a HEADERS frame (issue 12, item 5): an HTTP/1.1
 * head turned into HTTP/2 fields used to reach the handler unchecked, so a value with a bare LF or
 * NUL, a control character in the path, an absolute-form target, an empty or malformed Host, or a
 * CONNECT request with :scheme and :path got `101 Switching Protocols` and a handler, where the
 * same fields on a HEADERS frame are a malformed request. Each must be refused (400, never 101) and
 * reach no handler, while an honest node:http2 client is served and a valid upgrade still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { CONNECTION_PREFACE, FrameWriter } from '../../src/frame/index.js';
import { HTTP2Server, type HTTP2ServerOptions } from '../../src/server/server.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { QuietLogger, startHonestClient } from './support.js';

/** What each handler saw, by the `x-case` field of its request. */
const seen = new Map<string, { method: string; path: string; host: string; headers: Array<[string, string]> }>();

/** Answers `ok` to everything (the honest client asks for `/`), and records the requests of the cases. */
class RecordingHandler extends BaseRequestHandler {
  override onHeaders(): void {
    const label = this.headers.find(([n]) => n === 'x-case')?.[1];
    if (label !== undefined) seen.set(label, { method: this.method, path: this.path, host: this.host, headers: this.headers.map(([n, v]) => [n, v]) });
    this.sendResponse({ body: 'ok' });
  }
}

const SETTINGS = 'AAMAAABkAAQAoAAAAAIAAAAA';

/** An upgrade request: `line` is the request line, `fields` the field lines (the upgrade's own are added). */
function upgrade(label: string, line: string, fields: string[]): string {
  return `${line}\r\n${fields.join('\r\n')}${fields.length ? '\r\n' : ''}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: ${SETTINGS}\r\nX-Case: ${label}\r\n\r\n`;
}

interface Exchange {
  /** The status line of the first answer ('' when the server closed without one). */
  status: string;
  closedMs: number;
}

/** Sends an upgrade request followed by the preface and SETTINGS; resolves once the server closed or the handler saw the case. */
function exchange(port: number, label: string, request: string): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const began = performance.now();
    let got = '';
    const w = new FrameWriter();
    w.settings([]);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(request, 'latin1'), CONNECTION_PREFACE, ...w.take()])));
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    const poll = setInterval(() => {
      if (seen.has(label) && got.includes('\r\n')) finish();
    }, 5);
    const giveUp = setTimeout(() => finish(), 3000);
    let done = false;
    function finish(): void {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ status: got.slice(0, got.indexOf('\r\n') >>> 0), closedMs: performance.now() - began });
    }
    socket.on('close', finish);
  });
}

async function withServer(t: TestContext, run: (port: number, server: HTTP2Server) => Promise<void>, options: HTTP2ServerOptions = {}): Promise<void> {
  const server = new HTTP2Server(['127.0.0.1', 0], RecordingHandler, { logger: new QuietLogger(), ...options });
  await server.listen();
  const honest = startHonestClient(`http://127.0.0.1:${server.port}`);
  await honest.ready;
  try {
    await run(server.port, server);
  } finally {
    await honest.stop();
    await server.close();
    t.diagnostic(`honest ${honest.stats.ok} ok / ${honest.stats.failed.length} failed`);
  }
  assert.deepEqual(honest.stats.failed, [], 'every honest request succeeded');
  assert.ok(honest.stats.ok > 0);
  assert.equal(server.stats.unexpectedErrors, 0);
}

const H = 'Host: localhost';

/** Requests a HEADERS frame could not carry (or HTTP/1.1 forbids): each must be refused before 101. */
const REFUSED: Array<[string, string, string[]]> = [
  ['bare LF in a value', 'GET / HTTP/1.1', [H, 'X-A: a\nInjected: 1']],
  ['bare CR in a value', 'GET / HTTP/1.1', [H, 'X-A: a\rb']],
  ['NUL in a value', 'GET / HTTP/1.1', [H, 'X-A: a\0b']],
  ['a control character (0x01) in a value', 'GET / HTTP/1.1', [H, 'X-A: a\x01b']],
  ['DEL in a value', 'GET / HTTP/1.1', [H, 'X-A: a\x7fb']],
  ['obs-fold (a line starting with SP)', 'GET / HTTP/1.1', [H, 'X-A: a', ' folded']],
  ['whitespace between name and colon', 'GET / HTTP/1.1', [H, 'X-A : b']],
  ['a control character in the path', 'GET /a\x01b HTTP/1.1', [H]],
  ['DEL in the path', 'GET /a\x7fb HTTP/1.1', [H]],
  ['a path that is no request-target form', 'GET a/b HTTP/1.1', [H]],
  ['asterisk-form with GET', 'GET * HTTP/1.1', [H]],
  ['absolute-form of another scheme', 'GET ftp://localhost/x HTTP/1.1', [H]],
  ['absolute-form with userinfo', 'GET http://user@localhost/x HTTP/1.1', [H]],
  ['absolute-form with an empty host', 'GET http:///x HTTP/1.1', [H]],
  ['no Host (HTTP/1.1)', 'GET / HTTP/1.1', []],
  ['two Host fields', 'GET / HTTP/1.1', [H, 'Host: other']],
  ['an empty Host', 'GET / HTTP/1.1', ['Host: ']],
  ['a Host with a space', 'GET / HTTP/1.1', ['Host: local host']],
  ['a Host with userinfo', 'GET / HTTP/1.1', ['Host: user@localhost']],
  ['a Host with a bad port', 'GET / HTTP/1.1', ['Host: localhost:80a']],
  ['a Host with an unclosed IPv6 literal', 'GET / HTTP/1.1', ['Host: [::1']],
  ['CONNECT (would get :scheme and :path)', 'CONNECT localhost:443 HTTP/1.1', ['Host: localhost:443']],
  ['CONNECT with an origin-form target', 'CONNECT / HTTP/1.1', [H]],
  ['a method that is no token', 'G(T / HTTP/1.1', [H]],
];

test('Upgrade: h2c requests a HEADERS frame could not carry are refused before 101 and reach no handler; honest client served', async (t) => {
  await withServer(t, async (port) => {
    const lines: string[] = [];
    const wrong: string[] = [];
    for (const [i, [name, line, fields]] of REFUSED.entries()) {
      const label = `refused-${i}`;
      const r = await exchange(port, label, upgrade(label, line, fields));
      const reached = seen.get(label);
      lines.push(`${name}: ${r.status || '(closed, no answer)'} after ${r.closedMs.toFixed(0)} ms`);
      // Refused: 400, or closed without an answer (a request line that is not HTTP/1.x at all).
      if (!(r.status === '' || /^HTTP\/1\.1 400 /.test(r.status))) wrong.push(`${name}: answered ${JSON.stringify(r.status)}`);
      if (reached !== undefined) wrong.push(`${name}: reached a handler as ${JSON.stringify(reached)}`);
    }
    for (const l of lines) t.diagnostic(l);
    assert.deepEqual(wrong, [], 'every such request refused before 101, none reached a handler');
  });
});

test('Upgrade: h2c still works, and the target forms an origin server must accept become HTTP/2 fields', async (t) => {
  await withServer(t, async (port) => {
    const cases: Array<[string, string, string[], { method: string; path: string; host: string }]> = [
      ['origin-form', 'GET /a?b=1 HTTP/1.1', [H], { method: 'GET', path: '/a?b=1', host: 'localhost' }],
      ['absolute-form (RFC 9112 3.2.2: the target, not Host, gives the authority)', 'GET http://example.com:8080/abs?q HTTP/1.1', ['Host: other'], { method: 'GET', path: '/abs?q', host: 'example.com:8080' }],
      ['absolute-form without a path', 'GET http://example.com HTTP/1.1', ['Host: example.com'], { method: 'GET', path: '/', host: 'example.com' }],
      ['asterisk-form OPTIONS', 'OPTIONS * HTTP/1.1', [H], { method: 'OPTIONS', path: '*', host: 'localhost' }],
      ['an IPv6 literal Host with a port', 'GET / HTTP/1.1', ['Host: [::1]:8080'], { method: 'GET', path: '/', host: '[::1]:8080' }],
      ['one empty line before the request line (RFC 9112 2.2)', '\r\nGET /after-empty-line HTTP/1.1', [H], { method: 'GET', path: '/after-empty-line', host: 'localhost' }],
    ];
    for (const [i, [name, line, fields, want]] of cases.entries()) {
      const label = `ok-${i}`;
      const r = await exchange(port, label, upgrade(label, line, fields));
      assert.match(r.status, /^HTTP\/1\.1 101 /, name);
      const got = seen.get(label);
      assert.ok(got, `${name}: the handler got the request`);
      assert.deepEqual({ method: got.method, path: got.path, host: got.host }, want, name);
      assert.ok(!got.headers.some(([n]) => n === 'host' || n === 'upgrade' || n === 'http2-settings' || n === 'connection'), `${name}: no connection-specific field`);
    }
  });
});

test('HTTP/1.0 with Upgrade: h2c is not upgraded (RFC 9110 7.8: a server ignores Upgrade in HTTP/1.0)', async (t) => {
  await withServer(t, async (port) => {
    const r = await exchange(port, 'http10', upgrade('http10', 'GET / HTTP/1.0', [H]));
    assert.match(r.status, /^HTTP\/1\.1 200 /, 'served as HTTP/1.0 (allowHTTP1), not switched');
    assert.equal(seen.get('http10')?.path, '/');
  });
  seen.delete('http10');
  await withServer(
    t,
    async (port) => {
      const r = await exchange(port, 'http10', upgrade('http10', 'GET / HTTP/1.0', [H]));
      assert.match(r.status, /^HTTP\/1\.1 505 /, 'without allowHTTP1: refused');
      assert.equal(seen.get('http10'), undefined);
    },
    { allowHTTP1: false },
  );
});
