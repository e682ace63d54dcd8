/**
 * Streams that end badly: the client goes away or resets the stream, the handler destroys the
 * response, the handler destroys the whole connection. What the handler must still be able to
 * do (call writeHead/write/end without a crash), which events it gets (aborted, close), and
 * which it must not get (error). After Node's test-http2-compat-{aborted,errors,
 * serverresponse-close,serverresponse-destroy,serverresponse-headers-after-destroy,
 * write-head-destroyed,socket-destroy-delayed,serverresponse-write}.js, rewritten for both
 * implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import http2 from 'node:http2';
import { Harness, Signal, codeOf, collect, implementations, once } from './support.js';

type Req = http2.Http2ServerRequest;
type Res = http2.Http2ServerResponse;

/** Records the 'error' events of a request and its response (which must stay empty). */
function errorsOf(req: Req, res: Res): string[] {
  const errors: string[] = [];
  req.on('error', (err: Error) => errors.push(`req: ${err.message}`));
  res.on('error', (err: Error) => errors.push(`res: ${err.message}`));
  return errors;
}

for (const impl of await implementations()) {
  describe(`${impl.name}: destroyed streams`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    it("the client going away mid-response: req gets 'aborted' (aborted true) and 'close', res gets 'close', no 'error'", async () => {
      const seen = new Signal<Record<string, unknown>>("the request's and response's close");
      const { url } = await h.start((req, res) => {
        const errors = errorsOf(req, res);
        const events: string[] = [];
        assert.equal(req.aborted, false);
        req.on('aborted', () => events.push(`aborted:${req.aborted}`));
        let closes = 0;
        const closed = (who: string) => () => {
          events.push(`${who} close`);
          if (++closes === 2) setImmediate(() => seen.resolve({ events: events.sort(), errors }));
        };
        req.on('close', closed('req'));
        res.on('close', closed('res'));
        res.writeHead(200);
        res.write('partial');
      });
      const session = await h.connect(url);
      const req = session.request({ ':path': '/' });
      await once(req, 'data');
      session.destroy();
      assert.deepEqual(await seen.promise, { events: ['aborted:true', 'req close', 'res close'], errors: [] });
    });

    it('after the client reset the stream, writeHead/setHeader/write/end do not throw; write calls back ERR_HTTP2_INVALID_STREAM', async () => {
      const seen = new Signal<Record<string, unknown>>('the calls after the reset');
      const arrived = new Signal('the request at the handler');
      const { url } = await h.start((req, res) => {
        if (req.url === '/next') return void res.end('still serving');
        arrived.resolve();
        const errors = errorsOf(req, res);
        res.on(
          'close',
          seen.guard(() => {
            assert.equal(res.writableEnded, false);
            res.setHeader('x-late', '1');
            res.removeHeader('x-late');
            res.writeHead(200);
            let endCalled = false;
            const returned = res.write('late', (err) => {
              res.end('later', () => (endCalled = true));
              setImmediate(() => seen.resolve({ returned, code: codeOf(err), endCalled, errors }));
            });
          }),
        );
      });
      const session = await h.connect(url);
      const req = session.request({ ':path': '/' });
      const done = collect(req);
      // Reset once the handler has the request: whether a stream reset before that reaches
      // the handler at all is left open (node:http2 still emits 'request' for it).
      await arrived.promise;
      req.close(http2.constants.NGHTTP2_CANCEL);
      await done;
      assert.deepEqual(await seen.promise, { returned: false, code: 'ERR_HTTP2_INVALID_STREAM', endCalled: true, errors: [] });
      // and the connection still serves
      const next = await h.request(session, { ':path': '/next' });
      assert.equal(next.body.toString(), 'still serving');
    });

    it('writeHead, write and end on a request the client already reset do not crash the server', async () => {
      const calls = new Signal('the calls');
      const arrived = new Signal('the request at the handler');
      const { url } = await h.start((req, res) => {
        if (req.url === '/next') return void res.end('alive');
        arrived.resolve();
        req.on(
          'close',
          calls.guard(() => {
            res.writeHead(200);
            res.write('hello ');
            res.end('world');
            calls.resolve();
          }),
        );
      });
      const session = await h.connect(url);
      const req = session.request({ ':path': '/' });
      req.on('error', () => {});
      await arrived.promise;
      req.close(http2.constants.NGHTTP2_CANCEL);
      await calls.promise;
      assert.equal((await h.request(session, { ':path': '/next' })).body.toString(), 'alive');
    });

    it("res.destroy() before the head: the client gets no response and no error; the handler gets 'close' and may still set headers", async () => {
      const seen = new Signal<Record<string, unknown>>("the response's close");
      const { url } = await h.start((req, res) => {
        const errors = errorsOf(req, res);
        res.on(
          'close',
          seen.guard(() => {
            assert.equal(res.headersSent, false);
            res.setHeader('test', 'value');
            res.removeHeader('test');
            setImmediate(() => seen.resolve({ errors }));
          }),
        );
        res.destroy();
      });
      const ex = await h.get(url);
      assert.equal(ex.status, undefined, 'a response arrived for a destroyed stream');
      assert.equal(ex.error, undefined);
      assert.deepEqual(await seen.promise, { errors: [] });
    });

    it('res.destroy(err): the client sees the stream reset with INTERNAL_ERROR; no error event on the server side', async () => {
      const seen = new Signal<string[]>("the response's close");
      const { url } = await h.start((req, res) => {
        const errors = errorsOf(req, res);
        res.on('close', () => setImmediate(() => seen.resolve(errors)));
        res.destroy(new Error('test'));
      });
      const ex = await h.get(url);
      assert.equal(ex.status, undefined);
      assert.equal(ex.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
      assert.equal(ex.error?.code, 'ERR_HTTP2_STREAM_ERROR');
      assert.deepEqual(await seen.promise, []);
    });

    it('destroying req.socket just after end() does not crash; the ended response was delivered', async () => {
      const { url } = await h.start((req, res) => {
        res.end('hello');
        setImmediate(() => req.socket.destroy());
      });
      const session = await h.connect(url);
      const req = session.request({ ':path': '/' });
      const ex = await collect(req);
      assert.equal(ex.status, 200);
      assert.equal(ex.body.toString(), 'hello');
    });

    it('an upload answered (400) before the client finished it: the exchange closes (the server resets the rest), no error', async () => {
      // RFC 9113 section 8.1: a server that answers before the request is complete may reset
      // the stream with NO_ERROR so the client stops sending; node:http2 does, and the
      // client here, which never ends its upload, depends on it.
      const finished = new Signal<string[]>('the response close');
      const { url } = await h.start((req, res) => {
        const errors = errorsOf(req, res);
        res.on('close', () => setImmediate(() => finished.resolve(errors)));
        setImmediate(() => {
          res.writeHead(400);
          res.end();
        });
      });
      const session = await h.connect(url);
      const req = session.request({ ':method': 'POST', ':path': '/' }, { endStream: false });
      const done = collect(req);
      req.write(Buffer.alloc(32 * 1024));
      const ex = await done;
      assert.equal(ex.status, 400);
      assert.deepEqual(await finished.promise, []);
    });
  });
}
