/**
 * HTTP/1.1 on a secure HTTP/2 server: allowHTTP1 lets one handler serve both protocols, with
 * node:http's request and response objects for HTTP/1.1 (as node:http2 does). After Node's
 * test-http2-allow-http1.js and the compat tests' HTTP/1 cases, rewritten for both
 * implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import https from 'node:https';
import { Harness, Signal, implementations } from './support.js';

for (const impl of await implementations()) {
  describe(`${impl.name}: HTTP/1.1 with allowHTTP1`, { skip: impl.skip || impl.skipSecure, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    it('an HTTP/1.1 client is served by the same handler: httpVersion 1.1, status, headers and body', async () => {
      const seen = new Signal<Record<string, unknown>>('the HTTP/1.1 request');
      const { url, port } = await h.startSecure(
        (req, res) => {
          seen.resolve({ httpVersion: req.httpVersion, method: req.method, url: req.url, host: req.headers.host, custom: req.headers['x-custom'] });
          res.statusCode = 201;
          res.setHeader('Content-Type', 'text/plain');
          res.setHeader('set-cookie', ['a=1', 'b=2']);
          res.write('hello ');
          res.end('http/1.1');
        },
        { allowHTTP1: true },
      );
      const r = await h.http1(url, { path: '/path?q=1', headers: { 'X-Custom': 'yes' }, alpn: ['http/1.1'] });
      assert.equal(r.alpn, 'http/1.1');
      assert.equal(r.httpVersion, '1.1');
      assert.equal(r.status, 201);
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(r.body.toString(), 'hello http/1.1');
      assert.deepEqual(await seen.promise, { httpVersion: '1.1', method: 'GET', url: '/path?q=1', host: `127.0.0.1:${port}`, custom: 'yes' });
    });

    it('the same server still speaks HTTP/2 to an h2 client', async () => {
      const { url } = await h.startSecure((req, res) => res.end(`v${req.httpVersion}`), { allowHTTP1: true });
      const session = await h.connect(url);
      assert.equal(session.alpnProtocol, 'h2');
      const ex = await h.request(session);
      assert.equal(ex.body.toString(), 'v2.0');
      const r = await h.http1(url); // node:https offers no ALPN at all: HTTP/1.1 all the same
      assert.equal(r.alpn, false);
      assert.equal(r.body.toString(), 'v1.1');
    });

    it('an HTTP/1.1 POST body reads with for await and writeHead(status, headers) answers it', async () => {
      const { url } = await h.startSecure(
        (req, res) => {
          void (async () => {
            const parts: Buffer[] = [];
            for await (const chunk of req) parts.push(chunk as Buffer);
            const body = Buffer.concat(parts);
            res.writeHead(200, { 'content-type': 'application/json', 'x-len': String(body.length) });
            res.end(JSON.stringify({ echoed: JSON.parse(body.toString()) }));
          })();
        },
        { allowHTTP1: true },
      );
      const r = await h.http1(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1, s: 'ü' }),
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-len'], String(Buffer.byteLength(JSON.stringify({ n: 1, s: 'ü' }))));
      assert.deepEqual(JSON.parse(r.body.toString()), { echoed: { n: 1, s: 'ü' } });
    });

    it('without allowHTTP1 an HTTP/1.1 client is refused and no request is emitted', async () => {
      // node:http2 answers "403 Forbidden" and closes; a closed connection refuses as well.
      // node:http2 stops reading a refused socket and destroys it after unknownProtocolTimeout
      // (10 s by default): shortened here so the server's close at cleanup is quick.
      const { url } = await h.startSecure(() => assert.fail('an HTTP/1.1 request reached the handler'), { unknownProtocolTimeout: 100 });
      const outcome = await h.http1(url).then(
        (r) => `status ${r.status}`,
        (err: NodeJS.ErrnoException) => `error ${err.code ?? err.message}`,
      );
      assert.ok(!/^status 2/.test(outcome), outcome);
    });

    it('close(cb) completes while an idle HTTP/1.1 keep-alive connection is open', async () => {
      const { server, url } = await h.startSecure((_req, res) => res.end('ok'), { allowHTTP1: true });
      const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
      try {
        await new Promise<void>((resolve, reject) => {
          https
            .get(url, { agent, headers: { connection: 'keep-alive' } }, (res) => {
              res.resume();
              res.on('end', resolve);
            })
            .on('error', reject);
        });
        const closed = new Signal('the close callback, with an idle keep-alive HTTP/1.1 connection open');
        server.close(() => closed.resolve());
        await closed.promise;
      } finally {
        agent.destroy();
      }
    });
  });
}
