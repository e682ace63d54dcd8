// The server's life: listening on port 0, TLS with ALPN, refusing HTTP/1.1 clearly, the access
// log, and a graceful close that lets streams in flight finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { HTTP2Server } from '../../src/server/server.js';
import { UsageError } from '../../src/errors.js';
import { closeSession, connect, makeTestCert, readResponse, request, startServer } from './support.js';
import { waitFor } from '../helpers/wait.js';

class Hello extends BaseRequestHandler {
  override onHeaders(): void {
    if (this.path === '/push') this.push({ path: '/pushed.txt', body: 'pushed' });
    this.sendResponse({ headers: [['content-type', 'text/plain']], body: `hello ${this.scheme} ${this.path}` });
  }
}

test('the port is known after listen() (port 0); before, asking is a UsageError', async () => {
  const server = new HTTP2Server([null, 0], Hello);
  assert.throws(() => server.port, UsageError);
  await server.listen();
  assert.ok(server.port > 0);
  await server.close();
  assert.throws(() => new HTTP2Server(['127.0.0.1', 70000], Hello), UsageError);
});

test('graceful close: GOAWAY, the stream in flight finishes, serveForever() resolves, no new connections', async () => {
  let respond: () => void = () => {};
  let arrived = 0;
  class Slow extends BaseRequestHandler {
    override onHeaders(): void {
      arrived++;
      respond = () => this.sendResponse({ body: 'finished after close()' });
    }
  }
  const { server, url } = await startServer(Slow);
  let served = false;
  const serving = server.serveForever().then(() => (served = true));
  const session = await connect(url);
  let goaway = false;
  session.on('goaway', () => (goaway = true));
  try {
    const req = session.request({ ':path': '/slow' }, { endStream: true });
    const response = readResponse(req);
    await waitFor(() => arrived === 1, 'the request to arrive');
    const closing = server.close();
    await waitFor(() => goaway, 'GOAWAY at the client');
    assert.equal(served, false, 'serveForever waits for the stream in flight');
    respond();
    const r = await response;
    assert.equal(r.body.toString(), 'finished after close()');
    await closing;
    await serving;
    assert.equal(served, true);
    await assert.rejects(connect(url));
  } finally {
    session.destroy();
  }
});

/** One GET over HTTPS/1.1 (ALPN `http/1.1`, or none); resolves with the status and body. */
function https1Get(port: number, path: string, alpn: string[] | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, ALPNProtocols: alpn } as https.RequestOptions, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('TLS with ALPN h2: https scheme; an HTTP/1.1 TLS client (ALPN http/1.1 or none) is served, or with allowHTTP1 off gets a clear 505', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) return t.skip('openssl is not available to make a test certificate');
  const { server, url } = await startServer(Hello, { ssl: cert });
  const strict = new HTTP2Server(['127.0.0.1', 0], Hello, { ssl: cert, allowHTTP1: false });
  await strict.listen();
  try {
    const session = await connect(url);
    assert.equal((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
    const r = await request(session, { ':path': '/tls' });
    assert.equal(r.body.toString(), 'hello https /tls');
    await closeSession(session);

    assert.deepEqual(await https1Get(server.port, '/h1', ['http/1.1']), { status: 200, body: 'hello https /h1' });
    assert.deepEqual(await https1Get(server.port, '/none', undefined), { status: 200, body: 'hello https /none' }, 'no ALPN at all');

    const refused = await https1Get(strict.port, '/', ['http/1.1']);
    assert.equal(refused.status, 505);
    assert.match(refused.body, /HTTP\/2 only.*ALPN "h2"/);
  } finally {
    await server.close();
    await strict.close();
  }
});

test('a tls.SecureContext works as options.ssl, and as the third argument like the seed\'s ssl', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) return t.skip('openssl is not available to make a test certificate');
  const { server, url } = await startServer(Hello, { ssl: tls.createSecureContext(cert) });
  const positional = new HTTP2Server(['127.0.0.1', 0], Hello, tls.createSecureContext(cert));
  const positionalOptions = new HTTP2Server(['127.0.0.1', 0], Hello, cert);
  try {
    const session = await connect(url);
    assert.equal((await request(session, { ':path': '/ctx' })).body.toString(), 'hello https /ctx');
    await closeSession(session);
    for (const s of [positional, positionalOptions]) {
      assert.equal(s.isSecure, true);
      await s.listen();
      const other = await connect(`https://127.0.0.1:${s.port}`);
      assert.equal((await request(other, { ':path': '/seed' })).body.toString(), 'hello https /seed');
      await closeSession(other);
    }
  } finally {
    await server.close();
    await positional.close();
    await positionalOptions.close();
  }
});

/** One cleartext HTTP/1.1 GET on a fresh connection; resolves with the status, body and connection field. */
function http1Get(port: number, path: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

test('cleartext HTTP/1.1 without Upgrade: h2c is served (allowHTTP1), or with allowHTTP1 off gets 505 and a closed connection', async () => {
  const { server } = await startServer(Hello);
  const strict = new HTTP2Server(['127.0.0.1', 0], Hello, { allowHTTP1: false });
  await strict.listen();
  try {
    const served = await http1Get(server.port, '/plain');
    assert.deepEqual({ status: served.status, body: served.body }, { status: 200, body: 'hello http /plain' });
    const h1 = await http1Get(strict.port, '/');
    assert.equal(h1.status, 505);
    assert.equal(h1.connection, 'close');
    assert.match(h1.body, /prior knowledge or "Upgrade: h2c"/);
  } finally {
    await server.close();
    await strict.close();
  }
});

test('the access log has one line per response, pushed ones marked', async () => {
  const lines: string[] = [];
  const { server, url } = await startServer(Hello, { accessLog: (line) => lines.push(line) });
  const session = await connect(url);
  session.on('stream', (s) => s.resume());
  try {
    await request(session, { ':path': '/push' });
    await request(session, { ':method': 'HEAD', ':path': '/head' });
    await waitFor(() => lines.length === 3, 'three log lines');
    const port = session.socket.localPort;
    const main = lines.find((l) => l.includes('"GET /push"'))!;
    assert.match(main, new RegExp(`^127\\.0\\.0\\.1:${port} \\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] "GET /push" 200 \\d+ h2 stream=1$`));
    assert.match(lines.find((l) => l.includes('/pushed.txt'))!, /"GET \/pushed\.txt" 200 6 h2 stream=2 pushed$/);
    assert.match(lines.find((l) => l.includes('HEAD'))!, /"HEAD \/head" 200 0 h2 stream=3$/);
  } finally {
    await closeSession(session);
    await server.close();
  }
});
