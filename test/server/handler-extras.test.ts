/**
 * The handler API's additions for the node:http2-compatible layer, on both protocols: interim
 * (1xx) responses, reset, PUSH_PROMISE without a response, late trailers, and `sendDate: false`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type http2 from 'node:http2';
import { BaseRequestHandler, DATA_DEFERRED, DATA_EOF, DATA_OK, type HTTP2Server } from '../../src/index.js';
import { closeSession, connect, readResponse, request, startServer } from './support.js';

class Handler extends BaseRequestHandler {
  override onHeaders(): void {
    switch (this.path) {
      case '/continue':
        this.sendInformational(100);
        break;
      case '/hints':
        this.sendInformational(103, [['link', '</style.css>; rel=preload; as=style']]);
        this.sendResponse({ body: 'hinted' });
        break;
      case '/bad-interim':
        this.sendResponse({ body: 'x' });
        assert.throws(() => this.sendInformational(100), { token: 'informational_after_response' } as object);
        assert.throws(() => this.sendInformational(101), /101/);
        break;
      case '/reset':
        this.sendResponse({ body: () => [null, DATA_DEFERRED] });
        setImmediate(() => this.reset(0x8));
        break;
      case '/late-trailers': {
        let sent = 0;
        let digest = 0;
        this.sendResponse({
          body: () => {
            if (sent === 3) return [null, DATA_EOF];
            sent++;
            digest += sent;
            return [`part${sent};`, DATA_OK];
          },
          trailers: () => [['x-digest', String(digest)]],
        });
        break;
      }
      case '/late-trailers-whole':
        this.sendResponse({ body: 'whole', trailers: () => ({ 'x-when': 'now' }) });
        break;
      case '/lookup?q=a%20b&n=1':
        this.sendResponse({
          body: JSON.stringify({
            accept: this.getHeader('Accept'),
            dup: this.getHeader('x-dup'),
            none: this.getHeader('x-none') ?? null,
            pathname: this.url.pathname,
            q: this.url.searchParams.get('q'),
            origin: this.url.origin,
          }),
        });
        break;
      case '/no-date':
        this.sendResponse({ body: 'no date', sendDate: false });
        break;
      case '/promise': {
        const pushed = this.http2.promise(this.streamId, { path: '/later.txt' });
        this.sendResponse({ body: pushed === null ? 'main, no push' : 'main' });
        if (pushed !== null) setImmediate(() => pushed.sendResponse({ body: 'pushed later' }));
        break;
      }
    }
  }

  override onRequestDone(): void {
    if (this.path === '/continue') this.sendResponse({ body: 'continued' });
  }
}

describe('handler API additions over HTTP/2', () => {
  let server: HTTP2Server;
  let session: http2.ClientHttp2Session;
  before(async () => {
    const started = await startServer(Handler);
    server = started.server;
    session = await connect(started.url);
  });
  after(async () => {
    await closeSession(session);
    await server.close();
  });

  test('sendInformational(100): the client sees 100 Continue, then the response', async () => {
    const req = session.request({ ':path': '/continue', ':method': 'POST', expect: '100-continue' }, { endStream: false });
    const continued = new Promise<void>((resolve) => req.once('continue', () => resolve()));
    const done = readResponse(req);
    await continued;
    req.end('body');
    const r = await done;
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'continued');
  });

  test('sendInformational(103): early hints with link, then the response', async () => {
    const req = session.request({ ':path': '/hints' });
    const hints = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once('headers', (h) => resolve(h)));
    const r = await readResponse(req);
    const h = await hints;
    assert.equal(h[':status'], 103);
    assert.equal(h.link, '</style.css>; rel=preload; as=style');
    assert.equal(r.body.toString(), 'hinted');
  });

  test('an interim response after the final one, or 101, is a UsageError', async () => {
    const r = await request(session, { ':path': '/bad-interim' });
    assert.equal(r.body.toString(), 'x');
  });

  test('reset(code): the client sees RST_STREAM with that code', { timeout: 10_000 }, async () => {
    const req = session.request({ ':path': '/reset' });
    req.resume();
    req.on('error', () => {});
    await new Promise<void>((resolve) => req.once('close', () => resolve()));
    assert.equal(req.rstCode, 0x8);
  });

  test('trailers as a function: called when a streamed body ends', async () => {
    const r = await request(session, { ':path': '/late-trailers' });
    assert.equal(r.body.toString(), 'part1;part2;part3;');
    assert.equal(r.trailers?.['x-digest'], '6');
  });

  test('trailers as a function with a whole body: called at once', async () => {
    const r = await request(session, { ':path': '/late-trailers-whole' });
    assert.equal(r.body.toString(), 'whole');
    assert.equal(r.trailers?.['x-when'], 'now');
  });

  test('getHeader(name) looks a field up in any case, repeated ones joined; url parses path and query', async () => {
    const r = await request(session, { ':path': '/lookup?q=a%20b&n=1', accept: 'text/html', 'x-dup': ['1', '2'] });
    const seen = JSON.parse(r.body.toString()) as Record<string, unknown>;
    assert.deepEqual(seen, { accept: 'text/html', dup: '1, 2', none: null, pathname: '/lookup', q: 'a b', origin: `http://127.0.0.1:${server.port}` });
  });

  test('sendDate: false leaves the date field out', async () => {
    const r = await request(session, { ':path': '/no-date' });
    assert.equal(r.headers.date, undefined);
    const withDate = await request(session, { ':path': '/late-trailers-whole' });
    assert.equal(typeof withDate.headers.date, 'string');
  });

  test('promise(): PUSH_PROMISE now, the pushed response later', async () => {
    const pushed = new Promise<string>((resolve) => {
      session.once('stream', (stream, headers) => {
        assert.equal(headers[':path'], '/later.txt');
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (body += c));
        stream.on('end', () => resolve(body));
      });
    });
    const r = await request(session, { ':path': '/promise' });
    assert.equal(r.body.toString(), 'main');
    assert.equal(await pushed, 'pushed later');
  });
});

describe('handler API additions over HTTP/1.1', () => {
  let server: HTTP2Server;
  let port: number;
  before(async () => {
    const started = await startServer(Handler);
    server = started.server;
    port = server.port;
  });
  after(() => server.close());

  function get(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ res: http.IncomingMessage; body: string; informational: number[] }> {
    return new Promise((resolve, reject) => {
      const informational: number[] = [];
      const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false, method: headers.expect ? 'POST' : 'GET' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ res, body, informational }));
      });
      req.on('information', (info) => informational.push(info.statusCode));
      req.on('error', reject);
      if (headers.expect) req.on('continue', () => req.end('body'));
      else req.end();
    });
  }

  test('103 Early Hints reach an HTTP/1.1 client before the response', async () => {
    const r = await get('/hints');
    assert.deepEqual(r.informational, [103]);
    assert.equal(r.body, 'hinted');
  });

  test('late trailers go out with a chunked body', async () => {
    const r = await get('/late-trailers', { te: 'trailers' });
    assert.equal(r.body, 'part1;part2;part3;');
    assert.equal(r.res.trailers['x-digest'], '6');
  });

  test('reset closes the connection under the exchange', async () => {
    await assert.rejects(get('/reset'), /socket hang up|ECONNRESET|aborted/);
  });

  test('promise() returns null over HTTP/1.1 (no push), and the response goes out', async () => {
    const r = await get('/promise');
    assert.equal(r.res.statusCode, 200);
    assert.equal(r.body, 'main, no push');
  });
});
