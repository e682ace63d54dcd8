/**
 * The server object of node:http2's compatibility API: how it is made, how it listens and
 * closes, and its events (request, listening, session, timeout, close). After Node's
 * test-http2-compat-* and test-http2-server-* tests, rewritten for both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Harness, Signal, implementations, once, testCert } from './support.js';

for (const impl of await implementations()) {
  describe(`${impl.name}: server`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    it('createServer(onRequest) makes onRequest a listener of the request event', async () => {
      const server = impl.createServer((_req, res) => res.end('hi'));
      h.track(server);
      assert.equal(server.listenerCount('request'), 1);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const ex = await h.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      assert.equal(ex.status, 200);
      assert.equal(ex.body.toString(), 'hi');
    });

    it('createServer(options, onRequest) applies options.settings to what the client receives', async () => {
      const { url } = await h.start((_req, res) => res.end(), { settings: { maxConcurrentStreams: 7, initialWindowSize: 100_000 } });
      const session = await h.connect(url);
      if (session.remoteSettings.maxConcurrentStreams !== 7) await once(session, 'remoteSettings');
      assert.equal(session.remoteSettings.maxConcurrentStreams, 7);
      assert.equal(session.remoteSettings.initialWindowSize, 100_000);
    });

    it("listen(port, host, cb) calls back, emits 'listening', and address() gives the bound port", async () => {
      const server = impl.createServer();
      h.track(server);
      const listening = once(server, 'listening');
      let called = false;
      server.listen(0, '127.0.0.1', () => (called = true));
      await listening;
      assert.equal(called, true);
      const address = server.address() as AddressInfo;
      assert.equal(address.address, '127.0.0.1');
      assert.ok(address.port > 0);
      assert.equal(server.listening, true);
    });

    it("emits 'error' when the port is taken", async () => {
      const { port } = await h.start();
      const second = impl.createServer();
      h.track(second);
      const error = once<[NodeJS.ErrnoException]>(second, 'error');
      second.listen(port, '127.0.0.1');
      const [err] = await error;
      assert.equal(err.code, 'EADDRINUSE');
    });

    it("emits 'session' once per client connection, before its requests", async () => {
      const order: string[] = [];
      const { server, url } = await h.start((_req, res) => {
        order.push('request');
        res.end();
      });
      server.on('session', (session: unknown) => {
        assert.ok(session !== null && typeof session === 'object');
        order.push('session');
      });
      const a = await h.connect(url);
      await h.request(a);
      await h.request(a);
      const b = await h.connect(url);
      await h.request(b);
      assert.deepEqual(order, ['session', 'request', 'request', 'session', 'request']);
    });

    it("emits 'session' when a client connects, before it sends any request", async () => {
      const { server, url } = await h.start((_req, res) => res.end());
      const session = once<[unknown]>(server, 'session');
      await h.connect(url);
      const [s] = await session;
      assert.ok(s !== null && typeof s === 'object');
    });

    it('close(cb) stops accepting, then calls back and emits close once the clients are gone', async () => {
      const { server, url } = await h.start((_req, res) => res.end());
      const session = await h.connect(url);
      await h.request(session);
      const closeEvent = once(server, 'close');
      const closed = new Signal('the close callback');
      server.close(() => closed.resolve());
      assert.equal(server.listening, false);
      session.close(); // a graceful client close lets the server's close complete
      await closed.promise;
      await closeEvent;
    });

    it("setTimeout(ms, cb) calls cb with the idle session ('timeout' event)", async () => {
      const { server, url } = await h.start();
      const timedOut = new Signal<unknown>("the server's timeout callback");
      // node's typings say () => void, but the callback is a 'timeout' listener and gets the session.
      const returned = server.setTimeout(50, ((session: unknown) => timedOut.resolve(session)) as () => void);
      assert.equal(returned, server);
      await h.connect(url);
      const session = await timedOut.promise;
      assert.ok(session !== null && typeof session === 'object');
    });

    it('createSecureServer serves h2 over TLS (ALPN h2, req.scheme https, socket.encrypted)', { skip: impl.skipSecure }, async () => {
      const seen = new Signal<{ scheme: string; encrypted: unknown; alpn: unknown }>('the secure request');
      const { url } = await h.startSecure((req, res) => {
        const socket = req.socket as unknown as { encrypted?: unknown; alpnProtocol?: unknown };
        seen.resolve({ scheme: req.scheme, encrypted: socket.encrypted, alpn: socket.alpnProtocol });
        res.end('secret');
      });
      const session = await h.connect(url);
      assert.equal(session.alpnProtocol, 'h2');
      const ex = await h.request(session);
      assert.equal(ex.body.toString(), 'secret');
      assert.deepEqual(await seen.promise, { scheme: 'https', encrypted: true, alpn: 'h2' });
    });

    it('createSecureServer(options) without a handler still serves request listeners added later', { skip: impl.skipSecure }, async () => {
      const { key, cert } = await testCert();
      const server = impl.createSecureServer({ key, cert });
      h.track(server);
      server.on('request', (_req, res) => res.end('late'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const ex = await h.get(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
      assert.equal(ex.body.toString(), 'late');
    });

    it("sends a CONNECT request to 'connect' listeners instead of 'request'", async () => {
      // node:http2 (like node:http) routes CONNECT to its own event; proxies rely on it.
      const { server, url } = await h.start(() => assert.fail('CONNECT reached the request listener'));
      server.on('connect', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        res.statusCode = req.method === 'CONNECT' ? 405 : 500;
        res.end();
      });
      const session = await h.connect(url);
      const req = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' });
      const [headers] = await once<[http2.IncomingHttpHeaders]>(req, 'response');
      assert.equal(headers[':status'], 405);
    });
  });
}
