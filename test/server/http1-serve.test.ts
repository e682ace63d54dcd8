/**
 * HTTP/1.1 beside HTTP/2 (allowHTTP1, issue 14): HTTP/1.x clients are served by the same request
 * handlers through Node's own node:http, with keep-alive, pipelining, every body kind, trailers,
 * HEAD/204/304, and node:http's limits; failures end one request or one connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_DEFERRED, DATA_EOF, DATA_OK, type DataFlag } from '../../src/io/data-flags.js';
import { PushRefusedError } from '../../src/server/errors.js';
import { ErrorCode } from '../../src/errors.js';
import { startServer } from './support.js';
import { waitFor } from '../helpers/wait.js';
import { rawExchange } from '../helpers/raw-exchange.js';

/** What the handlers saw, by path. */
const seen = new Map<string, { httpVersion: string; scheme: string; host: string; headers: Array<[string, string]>; body: string; trailers: Array<[string, string]> | null; closeCode: number | null; canPush: boolean; pushError: string }>();

class App extends BaseRequestHandler {
  private readonly chunks: Buffer[] = [];

  override onHeaders(): void {
    seen.set(this.path, { httpVersion: this.httpVersion, scheme: this.scheme, host: this.host, headers: this.headers, body: '', trailers: null, closeCode: null, canPush: this.canPush, pushError: '' });
    if (this.path === '/push') {
      try {
        if (this.push({ path: '/pushed', body: 'x' }) === null) seen.get(this.path)!.pushError = 'none';
      } catch (err) {
        seen.get(this.path)!.pushError = err instanceof PushRefusedError ? err.token : String(err);
      }
    }
    if (this.path === '/fail-headers') throw new Error('the handler failed');
  }

  override async onData(data: Buffer): Promise<void> {
    this.chunks.push(data);
    // Slow consumer: the next chunk waits for this promise (node:http's request is paused meanwhile).
    if (this.path === '/slow-upload') await new Promise((r) => setImmediate(r));
  }

  override onRequestDone(): void {
    const entry = seen.get(this.path)!;
    entry.body = Buffer.concat(this.chunks).toString();
    entry.trailers = this.trailers;
    const path = this.path.split('?')[0]!;
    switch (path) {
      case '/stream':
        return this.sendResponse({ headers: { 'content-type': 'text/plain' }, body: Readable.from(['one ', 'two ', 'three']), trailers: { 'x-checksum': 'abc' } });
      case '/generator': {
        let step = 0;
        return this.sendResponse({
          body: (): [string | null, DataFlag] => {
            step++;
            if (step === 1) {
              setImmediate(() => this.resume());
              return [null, DATA_DEFERRED];
            }
            return step === 2 ? ['gen', DATA_OK] : [null, DATA_EOF];
          },
        });
      }
      case '/big':
        return this.sendResponse({ body: Buffer.alloc(4 * 1024 * 1024, 0x61) });
      case '/no-content':
        return this.sendResponse({ status: 204, body: 'ignored' });
      case '/not-modified':
        return this.sendResponse({ status: 304, headers: { etag: '"1"' } });
      case '/fail-body':
        return this.sendResponse({
          headers: { 'content-type': 'text/plain' },
          body: (async function* () {
            yield 'partial';
            throw new Error('the body failed');
          })(),
        });
      case '/short':
        return this.sendResponse({ headers: { 'content-length': '10' }, body: Readable.from(['only5']) });
      case '/hold':
        return;
      default:
        return this.sendResponse({ headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, body: `${this.httpVersion} ${this.method} ${this.path} ${entry.body.length}` });
    }
  }

  override onClose(errorCode: number): void {
    const entry = seen.get(this.path);
    if (entry !== undefined) entry.closeCode = errorCode;
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  trailers: NodeJS.Dict<string>;
  socket: net.Socket;
}

function request(port: number, options: http.RequestOptions & { body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), trailers: res.trailers, socket: res.socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}


test('GET over HTTP/1.1: the handler sees the same attributes as over HTTP/2, httpVersion 1.1; keep-alive reuses the connection', async () => {
  const { server } = await startServer(App);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await request(server.port, { path: '/a?x=1', agent, headers: { cookie: 'c=1', 'x-custom': 'v' } });
    const b = await request(server.port, { path: '/b', agent });
    assert.equal(a.status, 200);
    assert.equal(a.body, '1.1 GET /a?x=1 0');
    assert.deepEqual(a.headers['set-cookie'], ['a=1', 'b=2'], 'repeated fields are kept');
    assert.ok(a.headers.date, 'node:http adds date');
    assert.equal(a.socket, b.socket, 'the second request rode the same keep-alive connection');
    const saw = seen.get('/a?x=1')!;
    assert.equal(saw.httpVersion, '1.1');
    assert.equal(saw.scheme, 'http');
    assert.equal(saw.host, `127.0.0.1:${server.port}`);
    assert.deepEqual(saw.headers.slice(0, 4), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', `127.0.0.1:${server.port}`],
      [':path', '/a?x=1'],
    ]);
    assert.ok(saw.headers.some(([n, v]) => n === 'x-custom' && v === 'v'));
    assert.ok(!saw.headers.some(([n]) => n === 'connection' || n === 'host'), 'connection-specific fields are not passed on, as over HTTP/2');
    await waitFor(() => seen.get('/b')?.closeCode === 0, 'onClose(0) after the response');
    assert.equal(server.stats.http1Connections, 1);
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('a request body arrives through onData (a pending promise holds the rest back), and request trailers', async () => {
  const { server } = await startServer(App);
  try {
    const body = Buffer.alloc(3 * 1024 * 1024, 0x62);
    const r = await request(server.port, { method: 'POST', path: '/slow-upload', body, agent: false });
    assert.equal(r.body, `1.1 POST /slow-upload ${body.length}`);
    const withTrailers = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/trailers', agent: false, headers: { trailer: 'x-sum' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      });
      req.on('error', reject);
      req.write('abc');
      req.addTrailers({ 'x-sum': '42' });
      req.end();
    });
    assert.equal(withTrailers, '200');
    assert.deepEqual(seen.get('/trailers')!.trailers, [['x-sum', '42']]);
  } finally {
    await server.close();
  }
});

test('pipelined requests are answered in order on one connection', async () => {
  const { server } = await startServer(App);
  try {
    const got = await rawExchange(server.port, 'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const bodies = [...got.matchAll(/1\.1 GET (\/p\d) 0/g)].map((m) => m[1]);
    assert.deepEqual(bodies, ['/p1', '/p2', '/p3']);
    assert.equal(got.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
  } finally {
    await server.close();
  }
});

test('body kinds: a stream with trailers (chunked), a generator with DATA_DEFERRED and resume(), 4 MiB in memory; HEAD, 204 and 304 have no body', async () => {
  const { server } = await startServer(App);
  try {
    const s = await request(server.port, { path: '/stream', agent: false });
    assert.equal(s.body, 'one two three');
    assert.equal(s.headers['transfer-encoding'], 'chunked');
    assert.equal(s.headers.trailer, 'x-checksum');
    assert.deepEqual(s.trailers, { 'x-checksum': 'abc' });
    assert.equal((await request(server.port, { path: '/generator', agent: false })).body, 'gen');
    const big = await request(server.port, { path: '/big', agent: false });
    assert.equal(big.body.length, 4 * 1024 * 1024);
    assert.equal(big.headers['content-length'], String(4 * 1024 * 1024));
    const head = await request(server.port, { method: 'HEAD', path: '/headed', agent: false });
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String('1.1 HEAD /headed 0'.length), 'HEAD tells the length of what GET would send');
    assert.deepEqual([(await request(server.port, { path: '/no-content', agent: false })).body, (await request(server.port, { path: '/not-modified', agent: false })).body], ['', '']);
    // 204 and 304 on a keep-alive connection: the next response is not misread as their body.
    const got = await rawExchange(server.port, 'GET /no-content HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.match(got, /^HTTP\/1\.1 204 No Content\r\n[\s\S]*\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*1\.1 GET \/after 0$/);
  } finally {
    await server.close();
  }
});

test('no push over HTTP/1.1 (canPush false, push() returns null), the response still goes out', async () => {
  const { server } = await startServer(App);
  try {
    const r = await request(server.port, { path: '/push', agent: false });
    assert.equal(r.status, 200);
    assert.equal(seen.get('/push')!.canPush, false);
    assert.equal(seen.get('/push')!.pushError, 'none');
  } finally {
    await server.close();
  }
});

test('a failing handler gets a 500 before its response starts; a body failing midway cuts the connection; a short body too', async () => {
  const { server, logger } = await startServer(App);
  try {
    const failed = await request(server.port, { path: '/fail-headers', agent: false });
    assert.equal(failed.status, 500);
    assert.equal(failed.headers.connection, 'close');
    await assert.rejects(request(server.port, { path: '/fail-body', agent: false }), /aborted|socket hang up|ECONNRESET|premature/i);
    await assert.rejects(request(server.port, { path: '/short', agent: false }), /aborted|socket hang up|ECONNRESET|premature/i);
    await waitFor(() => logger.lines.length >= 3, 'three failures logged');
    assert.equal(server.stats.unexpectedErrors, 0, 'handler failures are not h2kit faults');
    // The server serves on.
    assert.equal((await request(server.port, { path: '/ok', agent: false })).status, 200);
  } finally {
    await server.close();
  }
});

test("node:http's limits: conflicting Content-Length and Transfer-Encoding (smuggling), a head too large, too many fields, a missing Host: 400/431", async () => {
  const { server } = await startServer(App, { maxHttp1HeadSize: 4096, maxHttp1Headers: 20 });
  try {
    const smuggle = await rawExchange(server.port, 'POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.match(smuggle, /^HTTP\/1\.1 400 /);
    assert.equal(seen.get('/smuggled'), undefined, 'the smuggled request reached no handler');
    assert.equal(seen.get('/s'), undefined);
    const twoLengths = await rawExchange(server.port, 'POST /s2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!');
    assert.match(twoLengths, /^HTTP\/1\.1 400 /);
    assert.match(await rawExchange(server.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
    const fields = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-f${i}`, 'v']));
    // node:http's client adds Host and Connection: 18 + 2 fields are at the limit, 19 + 2 over it.
    assert.equal((await request(server.port, { path: '/many', agent: false, headers: fields(18) })).status, 200, 'at maxHttp1Headers: served');
    const over = await request(server.port, { path: '/too-many', agent: false, headers: fields(19) });
    assert.equal(over.status, 431, 'over maxHttp1Headers: refused, not silently cut');
    assert.equal(seen.get('/too-many'), undefined);
    assert.match(await rawExchange(server.port, 'GET /nohost HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await rawExchange(server.port, 'GET https://a/x HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 400 /, 'an https: target on a cleartext connection');
    assert.match(await rawExchange(server.port, 'GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 400 /, 'a fragment in the target');
    for (const head of ['GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  folded\r\n\r\n', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'GET / HTTP/1.1\r\nHost: u@a\r\n\r\n']) {
      assert.match(await rawExchange(server.port, head), /^HTTP\/1\.1 400 /, `refused: ${JSON.stringify(head)}`);
    }
  } finally {
    await server.close();
  }
});

test('slowloris: a head that never ends is answered 408 and closed after headersTimeout; an idle keep-alive connection closes after keepAliveTimeout', async () => {
  const { server } = await startServer(App, { headersTimeout: 300, keepAliveTimeout: 200 });
  try {
    const began = performance.now();
    const got = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ');
    t0Check(performance.now() - began);
    assert.match(got, /^HTTP\/1\.1 408 /);
    const idle = await new Promise<number>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /ka HTTP/1.1\r\nHost: a\r\n\r\n'));
      const start = performance.now();
      socket.resume();
      socket.on('close', () => resolve(performance.now() - start));
    });
    assert.ok(idle >= 150, `kept alive a while (${idle.toFixed(0)} ms)`);
  } finally {
    await server.close();
  }
});

/** The 408 came from the deadline, not at once: at least the deadline went by. */
function t0Check(ms: number): void {
  assert.ok(ms >= 250, `closed after the headers deadline, not before (${ms.toFixed(0)} ms)`);
}

test('an Upgrade to another protocol (WebSocket) is served as a plain request and the connection closes; h2c still upgrades', async () => {
  const { server } = await startServer(App);
  try {
    const ws = await rawExchange(server.port, 'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    assert.match(ws, /^HTTP\/1\.1 200 OK\r\n[\s\S]*1\.1 GET \/ws 0$/);
    const h2c = await rawExchange(server.port, 'GET /h2c HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n');
    assert.match(h2c, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.equal(seen.get('/h2c')?.httpVersion, '2');
  } finally {
    await server.close();
  }
});

test('close(): an idle keep-alive connection closes at once; a request in flight finishes first; the client going away gives onClose(CANCEL)', async () => {
  const { server } = await startServer(App);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await request(server.port, { path: '/first', agent });
    assert.equal(server.stats.http1Connections, 1);
    // A request the handler holds: the client gives up.
    const held = http.get({ host: '127.0.0.1', port: server.port, path: '/hold', agent: false });
    held.on('error', () => {});
    await waitFor(() => seen.has('/hold'), 'the held request to reach its handler');
    held.destroy();
    await waitFor(() => seen.get('/hold')?.closeCode === ErrorCode.CANCEL, 'onClose(CANCEL) when the client went away');
    await server.close();
    assert.equal(server.stats.http1Connections, 0);
  } finally {
    agent.destroy();
    await server.close();
  }
});

test('the connection dropping ends every open exchange with onClose(CANCEL), pipelined ones queued behind a held response too', async () => {
  const { server } = await startServer(App);
  try {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    // /hold is never answered; /queued is answered at once, but its response waits behind /hold's (node:http answers in order).
    socket.write('GET /hold?pipelined HTTP/1.1\r\nHost: a\r\n\r\nGET /queued HTTP/1.1\r\nHost: a\r\n\r\n');
    await waitFor(() => seen.has('/hold?pipelined') && seen.get('/queued')?.body === '', 'both pipelined requests to reach their handlers');
    assert.equal(seen.get('/queued')!.closeCode, null, 'the queued response has not gone out');
    socket.destroy();
    await waitFor(() => seen.get('/hold?pipelined')?.closeCode === ErrorCode.CANCEL, 'onClose(CANCEL) for the held request');
    await waitFor(() => seen.get('/queued')?.closeCode === ErrorCode.CANCEL, 'onClose(CANCEL) for the request queued behind it');
    await waitFor(() => server.stats.http1Connections === 0, 'the connection to be forgotten');
  } finally {
    await server.close();
  }
});
