/**
 * readBody() / readText() / readJson(): the request body as one value, awaited from onHeaders, on
 * both protocols: JSON echo, the limit (413 by count and by content-length, the rest refused,
 * nothing logged, the connection still serving), bad JSON (400), a body larger than the stream
 * window (the credit goes back as the chunks are taken), a cancelled request, misuse.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type http2 from 'node:http2';
import { BaseRequestHandler, RequestBodyError, type HTTP2Server } from '../../src/index.js';
import { closeSession, connect, readResponse, request, startServer, type RecordingLogger } from './support.js';

/** What each handler's readBody() ended with, by path, for the tests to wait on. */
const outcomes = new Map<string, (result: string) => void>();
function outcome(path: string): Promise<string> {
  return new Promise((resolve) => outcomes.set(path, resolve));
}

class Handler extends BaseRequestHandler {
  override async onHeaders(): Promise<void> {
    const report = (result: string): void => outcomes.get(this.path)?.(result);
    switch (this.path) {
      case '/json': {
        const value = await this.readJson();
        this.sendResponse({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ got: value, via: this.httpVersion }) });
        return;
      }
      case '/size': {
        const body = await this.readBody({ limit: 8 * 1024 * 1024 });
        this.sendResponse({ body: `${body.length} ${body.reduce((a, b) => (a + b) % 65521, 0)}` });
        return;
      }
      case '/small-limit':
        try {
          await this.readText({ limit: 1000 });
          report('resolved');
        } catch (err) {
          report(err instanceof RequestBodyError ? `${err.token} ${err.status}` : String(err));
          throw err; // as a handler that does not catch it: the server must treat it as answered
        }
        return;
      case '/empty': {
        const body = await this.readBody();
        this.sendResponse({ body: `empty=${body.length}` });
        return;
      }
      case '/cancelled':
        outcomes.get('/cancelled entered')?.('');
        try {
          await this.readBody();
          report('resolved');
        } catch (err) {
          report(err instanceof RequestBodyError ? err.token : String(err));
        }
        return;
      case '/twice': {
        const first = this.readBody();
        const second = await this.readBody().then(
          () => 'resolved',
          (err: { token?: string }) => err.token ?? String(err),
        );
        await first;
        this.sendResponse({ body: second });
        return;
      }
    }
  }
}

/** Sums bytes as the handler does, for checking a large body arrived whole. */
function checksum(b: Buffer): number {
  return b.reduce((a, x) => (a + x) % 65521, 0);
}

describe('readBody over HTTP/2', () => {
  let server: HTTP2Server;
  let logger: RecordingLogger;
  let session: http2.ClientHttp2Session;
  before(async () => {
    const started = await startServer(Handler);
    server = started.server;
    logger = started.logger;
    session = await connect(started.url);
  });
  after(async () => {
    await closeSession(session);
    await server.close();
  });

  test('readJson() in onHeaders gets the whole body', async () => {
    const r = await request(session, { ':path': '/json', ':method': 'POST' }, JSON.stringify({ a: [1, 2], b: 'é' }));
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), { got: { a: [1, 2], b: 'é' }, via: '2' });
  });

  test('a body of 3 MiB, far past the 64 KiB stream window, arrives whole (credit goes back as it is taken)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'abcdefg');
    const r = await request(session, { ':path': '/size', ':method': 'POST' }, body);
    assert.equal(r.body.toString(), `${body.length} ${checksum(body)}`);
  });

  test('past the limit: 413, the promise rejects with request_body_too_large, nothing logged, the connection serves on', async () => {
    const seen = outcome('/small-limit');
    const req = session.request({ ':path': '/small-limit', ':method': 'POST' }, { endStream: false });
    const response = readResponse(req).catch((err: { rstCode?: number }) => ({ status: -1, rstCode: err.rstCode, body: Buffer.alloc(0) }));
    req.write(Buffer.alloc(600, 'a'));
    req.write(Buffer.alloc(600, 'b'));
    const r = await response;
    assert.equal(r.status, 413);
    assert.match(r.body.toString(), /413/);
    assert.equal(await seen, 'request_body_too_large 413');
    req.destroy();
    const next = await request(session, { ':path': '/empty' });
    assert.equal(next.body.toString(), 'empty=0');
    assert.deepEqual(logger.lines, []);
  });

  test('a content-length past the limit is answered 413 before any of the body is read', async () => {
    const seen = outcome('/small-limit');
    const req = session.request({ ':path': '/small-limit', ':method': 'POST', 'content-length': '5000' }, { endStream: false });
    const r = await readResponse(req);
    assert.equal(r.status, 413);
    assert.equal(await seen, 'request_body_too_large 413');
    req.destroy();
  });

  test('a body that is not JSON: 400, nothing logged', async () => {
    const r = await request(session, { ':path': '/json', ':method': 'POST' }, '{"a":');
    assert.equal(r.status, 400);
    assert.match(r.body.toString(), /not JSON/);
    assert.deepEqual(logger.lines, []);
  });

  test('a request with no body gives an empty Buffer', async () => {
    const r = await request(session, { ':path': '/empty' });
    assert.equal(r.body.toString(), 'empty=0');
  });

  test('the client goes away mid-body: the promise rejects with request_body_aborted', async () => {
    const seen = outcome('/cancelled');
    const entered = outcome('/cancelled entered');
    const own = await connect(`http://127.0.0.1:${server.port}`);
    const req = own.request({ ':path': '/cancelled', ':method': 'POST' }, { endStream: false });
    req.on('error', () => {});
    req.write('part of it');
    // Once the handler waits for the rest (node's req.close() would end the body first: destroy instead).
    await entered;
    own.destroy();
    assert.equal(await seen, 'request_body_aborted');
  });

  test('a second readBody() rejects with body_already_read; the first still resolves', async () => {
    const r = await request(session, { ':path': '/twice', ':method': 'POST' }, 'x');
    assert.equal(r.body.toString(), 'body_already_read');
  });
});

function h1Request(port: number, path: string, body: Buffer | string | null, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body === null ? 'GET' : 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    // A server that stops reading a large body may close before the client has written it all.
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

describe('readBody over HTTP/1.1', () => {
  let server: HTTP2Server;
  let logger: RecordingLogger;
  let port: number;
  before(async () => {
    const started = await startServer(Handler);
    server = started.server;
    logger = started.logger;
    port = server.port;
  });
  after(async () => {
    await server.close();
  });

  test('readJson() in onHeaders gets the whole body (chunked and with content-length)', async () => {
    const viaLength = await h1Request(port, '/json', JSON.stringify({ n: 1 }));
    assert.deepEqual(JSON.parse(viaLength.body), { got: { n: 1 }, via: '1.1' });
    const viaChunks = await h1Request(port, '/json', JSON.stringify({ n: 2 }), { 'transfer-encoding': 'chunked' });
    assert.deepEqual(JSON.parse(viaChunks.body), { got: { n: 2 }, via: '1.1' });
  });

  test('a 3 MiB body arrives whole', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'xyz');
    const r = await h1Request(port, '/size', body);
    assert.equal(r.body, `${body.length} ${checksum(body)}`);
  });

  test('past the limit: 413 with connection: close, nothing logged', async () => {
    const seen = outcome('/small-limit');
    const r = await h1Request(port, '/small-limit', Buffer.alloc(1200, 'a'), { 'transfer-encoding': 'chunked' });
    assert.equal(r.status, 413);
    assert.equal(r.headers.connection, 'close');
    assert.equal(await seen, 'request_body_too_large 413');
    assert.deepEqual(logger.lines, []);
  });

  test('a body that is not JSON: 400', async () => {
    const r = await h1Request(port, '/json', 'not json');
    assert.equal(r.status, 400);
  });

  test('a GET gives an empty Buffer', async () => {
    const r = await h1Request(port, '/empty', null);
    assert.equal(r.body, 'empty=0');
  });
});
