/**
 * HTTP2Client against our own HTTP2Server (both ends on the same core): GET, a 16 MiB POST
 * and download checked by sha256, 200 concurrent streams over a server limit of 10, pushes
 * accepted and refused (the server sees the CANCEL), trailers both ways, a graceful server
 * close with requests crossing its GOAWAY, and TLS.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HTTP2Client } from '../../src/client/client.js';
import { isRetryable } from '../../src/client/errors.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { HTTP2Server, type HTTP2ServerOptions } from '../../src/server/server.js';
import { DATA_DEFERRED } from '../../src/io/data-flags.js';
import { ErrorCode, H2Error } from '../../src/errors.js';
import { header, makeTestCert, patterned, sha256 } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** What the handlers saw, for assertions on the server side. */
const state = {
  open: 0,
  maxOpen: 0,
  held: [] as Handler[],
  pushCloses: [] as Array<[string, number]>,
  paths: [] as string[],
};

class Handler extends BaseRequestHandler {
  private hash = createHash('sha256');
  private length = 0;
  private chunks: Buffer[] = [];

  override onHeaders(): void {
    state.paths.push(this.path);
    if (this.path === '/hold') state.held.push(this);
    if (this.path === '/slow') {
      state.open++;
      state.maxOpen = Math.max(state.maxOpen, state.open);
    }
  }

  override onData(data: Buffer): void {
    this.hash.update(data);
    this.length += data.length;
    if (this.path === '/echo') this.chunks.push(data);
  }

  override onRequestDone(): void {
    const path = this.path.split('?')[0];
    if (path === '/hold') return;
    if (path === '/echo' || path === '/sink') {
      this.sendResponse({
        headers: { 'x-sha256': this.hash.digest('hex'), 'x-length': this.length },
        body: Buffer.concat(this.chunks),
        trailers: this.trailers === null ? null : this.trailers,
      });
      return;
    }
    if (path === '/bytes') {
      const n = Number(new URL(this.path, 'http://x').searchParams.get('n') ?? 0);
      const body = patterned(n);
      this.sendResponse({ headers: { 'x-sha256': sha256(body) }, body });
      return;
    }
    if (path === '/slow') {
      setTimeout(() => this.sendResponse({ body: this.headers.find((f) => f[0] === 'x-i')?.[1] ?? '' }), 2);
      return;
    }
    if (path === '/push' || path === '/push-held') {
      for (const p of ['/a.css', '/b.js']) {
        // /push-held: the pushed bodies never come (DATA_DEFERRED), so only the client can end them.
        const body = path === '/push-held' ? () => [null, DATA_DEFERRED] as [null, typeof DATA_DEFERRED] : `asset ${p}`;
        const pushed = this.push({ path: p, body })!;
        pushed.onClose = (code: number) => void state.pushCloses.push([p, code]);
      }
      this.sendResponse({ body: 'page' });
      return;
    }
    if (path === '/trailers') {
      this.sendResponse({ body: 'body', trailers: { 'grpc-status': '0', 'grpc-message': 'ok' } });
      return;
    }
    this.sendResponse({ headers: { 'x-path': this.path }, body: `hello ${this.path}` });
  }

  override onClose(): void {
    if (this.path === '/slow') state.open--;
  }
}

async function start(options: HTTP2ServerOptions = {}): Promise<{ server: HTTP2Server; url: string }> {
  const server = new HTTP2Server(['127.0.0.1', 0], Handler, { logger: { error: () => {} }, ...options });
  await server.listen();
  return { server, url: `${options.ssl ? 'https' : 'http'}://127.0.0.1:${server.port}` };
}

test('own server: GET, then a 16 MiB POST echoed back (sha256 both ways), then a 16 MiB download', async () => {
  const { server, url } = await start();
  const client = new HTTP2Client(url);
  try {
    const res = await client.request({ path: '/index.html' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello /index.html');
    assert.equal(header(res.headers, 'content-length'), String('hello /index.html'.length));
    // getHeader: any case, absent -> undefined; the streaming response has it too.
    assert.equal(res.getHeader('X-Path'), '/index.html');
    assert.equal(res.getHeader('x-none'), undefined);
    const streamed = await client.stream({ path: '/streamed' });
    assert.equal(streamed.getHeader('content-length'), String('hello /streamed'.length));
    for await (const chunk of streamed.body) assert.equal(String(chunk), 'hello /streamed');
    const body = patterned(16 * 1024 * 1024);
    const echo = await client.request({ method: 'POST', path: '/echo', body });
    assert.equal(header(echo.headers, 'x-sha256'), sha256(body));
    assert.equal(sha256(echo.body), sha256(body));
    const down = await client.request({ path: `/bytes?n=${16 * 1024 * 1024}` });
    assert.equal(sha256(down.body), header(down.headers, 'x-sha256'));
  } finally {
    await client.close();
    await server.close();
  }
});

test('own server: 200 concurrent requests over SETTINGS_MAX_CONCURRENT_STREAMS 10 are queued, never refused', async () => {
  const { server, url } = await start({ connection: { settings: { maxConcurrentStreams: 10 } } });
  const client = new HTTP2Client(url);
  state.maxOpen = 0;
  try {
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => client.request({ path: '/slow', headers: [['x-i', String(i)]] })));
    assert.deepEqual(all.map((r) => r.body.toString()), Array.from({ length: 200 }, (_, i) => String(i)));
    assert.ok(state.maxOpen <= 10, `server saw ${state.maxOpen} concurrent streams`);
    assert.equal(server.sessionCount, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test('own server: pushes accepted (bodies arrive) and refused (the server sees each pushed stream closed with CANCEL)', async () => {
  const { server, url } = await start();
  const client = new HTTP2Client(url, { onPush: (p) => p.path !== '/never' });
  try {
    const res = await client.request({ path: '/push' });
    assert.deepEqual(res.pushes.map((p) => [p.path, p.method, p.scheme]), [
      ['/a.css', 'GET', 'http'],
      ['/b.js', 'GET', 'http'],
    ]);
    assert.deepEqual((await Promise.all(res.pushes.map((p) => p.response))).map((r) => r.body.toString()), ['asset /a.css', 'asset /b.js']);

    state.pushCloses.length = 0;
    const refused = await client.request({ path: '/push-held', onPush: () => false });
    assert.equal(refused.body.toString(), 'page');
    await waitFor(() => state.pushCloses.length >= 2, 'both pushed streams closed on the server');
    assert.deepEqual(state.pushCloses, [
      ['/a.css', ErrorCode.CANCEL],
      ['/b.js', ErrorCode.CANCEL],
    ]);
  } finally {
    await client.close();
    await server.close();
  }
});

test('own server: trailers both ways (request trailers echoed, gRPC-style response trailers)', async () => {
  const { server, url } = await start();
  const client = new HTTP2Client(url);
  try {
    const echo = await client.request({ method: 'POST', path: '/echo', body: 'abc', trailers: { 'x-req-trailer': 'v' } });
    assert.equal(echo.body.toString(), 'abc');
    assert.equal(header(echo.trailers, 'x-req-trailer'), 'v');
    const t = await client.request({ path: '/trailers' });
    assert.deepEqual(t.trailers, [
      ['grpc-status', '0'],
      ['grpc-message', 'ok'],
    ]);
  } finally {
    await client.close();
    await server.close();
  }
});

test('own server: graceful close mid-flight: held requests complete, requests crossing the first GOAWAY are served (two-step shutdown), later ones are refused as retryable', async () => {
  const { server, url } = await start();
  const client = new HTTP2Client(url);
  state.held.length = 0;
  state.paths.length = 0;
  try {
    await client.connect();
    const held = [0, 1, 2].map(() => client.request({ path: '/hold' }));
    await waitFor(() => state.held.length >= 3, 'three requests held by the server');
    // The server's first GOAWAY (2^31-1) and its PING are written first; these requests leave
    // before the client has read them, and RFC 9113 section 6.8's round trip lets them in.
    const closing = server.close();
    const crossing = [0, 1, 2].map((i) => client.request({ path: `/late${i}` }));
    for (const h of state.held) h.sendResponse({ body: 'finished' });
    assert.deepEqual((await Promise.all(held)).map((r) => r.body.toString()), ['finished', 'finished', 'finished']);
    assert.deepEqual((await Promise.all(crossing)).map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(state.paths.filter((p) => p.startsWith('/late')).sort(), ['/late0', '/late1', '/late2']);
    const after = await client.request({ path: '/after' }).catch((e: unknown) => e);
    assert.ok(after instanceof H2Error && isRetryable(after), String(after));
    await closing;
  } finally {
    await client.close();
    await server.close();
  }
});

test('own server over TLS (ALPN h2, trusted CA): GET and a 1 MiB POST', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) return t.skip('openssl is not available to make a test certificate');
  const { server } = await start({ ssl: cert });
  const client = new HTTP2Client(`https://localhost:${server.port}`, { ca: cert.cert });
  try {
    assert.equal((await client.request({ path: '/x' })).body.toString(), 'hello /x');
    const body = patterned(1 << 20);
    assert.equal(header((await client.request({ method: 'POST', path: '/sink', body })).headers, 'x-sha256'), sha256(body));
  } finally {
    await client.close();
    await server.close();
  }
});
