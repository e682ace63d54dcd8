/**
 * Expect: 100-continue and other expectations: the automatic 100, the checkContinue event and
 * writeContinue, rejecting an upload before its body, and checkExpectation (417 by default).
 * After Node's test-http2-compat-expect-{continue,continue-check,handling}.js, rewritten for
 * both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type http2 from 'node:http2';
import { Harness, Signal, collect, implementations, type Exchange } from './support.js';

for (const impl of await implementations()) {
  describe(`${impl.name}: expect-continue`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    /** A POST with `expect`, whose body is sent only once the 100 (Continue) arrives. */
    async function expectingPost(url: string, expect: string, body: string): Promise<Exchange> {
      const session = await h.connect(url);
      const req = session.request({ ':method': 'POST', ':path': '/upload', expect }, { endStream: false });
      req.on('continue', () => req.end(body));
      // A server that answers without asking for the body gets no body: end the request then.
      req.on('response', () => {
        if (!req.writableEnded) req.end();
      });
      return collect(req);
    }

    // node:http2 installs its compat layer (checkContinue included) only once a 'request'
    // listener exists, so every server here has one, which must not be called.
    const neverRequest = (): never => assert.fail("'request' emitted for an expect: 100-continue request");

    async function readAll(req: http2.Http2ServerRequest): Promise<string> {
      let body = '';
      req.setEncoding('utf8');
      for await (const chunk of req) body += chunk as string;
      return body;
    }

    it("without a checkContinue listener the server answers 100 itself and emits 'request'", async () => {
      const { url } = await h.start((req, res) => {
        void readAll(req).then((body) => res.end(`got ${body}`));
      });
      const ex = await expectingPost(url, '100-continue', 'the body');
      assert.equal(ex.continued, true, 'no 100 (Continue) arrived');
      assert.equal(ex.continuedBeforeResponse, true);
      assert.equal(ex.status, 200);
      assert.equal(ex.body.toString(), 'got the body');
    });

    it("with a checkContinue listener, 'request' is not emitted and writeContinue() sends the 100", async () => {
      const { server, url } = await h.start(neverRequest);
      server.on('checkContinue', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        res.writeContinue();
        void readAll(req).then((body) => {
          res.writeHead(201, { 'x-len': String(body.length) });
          res.end(body.toUpperCase());
        });
      });
      const ex = await expectingPost(url, '100-continue', 'upload');
      assert.equal(ex.continued, true);
      assert.equal(ex.continuedBeforeResponse, true);
      assert.equal(ex.status, 201);
      assert.equal(ex.headers['x-len'], '6');
      assert.equal(ex.body.toString(), 'UPLOAD');
    });

    it('writeContinue() once the response has ended neither throws nor sends a 100', async () => {
      // node:http2 also returns false there (true when it sent the 100); node:http returns
      // nothing, and apps do not look at the result, so only the effect is tested.
      const checked = new Signal("the calls at 'finish'");
      const { server, url } = await h.start(neverRequest);
      server.on(
        'checkContinue',
        checked.guard((_req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
          res.writeHead(200);
          res.end('early answer');
          res.writeContinue();
          res.on('finish', () => setImmediate(checked.guard(() => (res.writeContinue(), checked.resolve()))));
        }),
      );
      const ex = await expectingPost(url, '100-continue', 'unwanted');
      await checked.promise;
      assert.equal(ex.status, 200);
      assert.equal(ex.body.toString(), 'early answer');
      assert.equal(ex.continued, false, 'a 100 (Continue) was sent after the response');
    });

    it('a checkContinue handler may refuse the upload: the client gets the final status and no 100', async () => {
      const { server, url } = await h.start(neverRequest);
      server.on('checkContinue', (_req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        res.writeHead(413, { 'content-type': 'text/plain' });
        res.end('too large');
      });
      const ex = await expectingPost(url, '100-continue', 'x'.repeat(1000));
      assert.equal(ex.continued, false);
      assert.equal(ex.status, 413);
      assert.equal(ex.body.toString(), 'too large');
    });

    it("an unknown expectation without a 'checkExpectation' listener is answered 417, 'request' not emitted", async () => {
      const { url } = await h.start(() => assert.fail("'request' emitted for an unmet expectation"));
      const ex = await h.get(url, { expect: 'meoww' });
      assert.equal(ex.status, 417);
    });

    it("an unknown expectation goes to 'checkExpectation' listeners when there are some", async () => {
      const { server, url } = await h.start(() => assert.fail("'request' emitted for an expectation"));
      const seen = new Signal<string | undefined>("the 'checkExpectation' event");
      server.on('checkExpectation', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        seen.resolve(req.headers.expect as string | undefined);
        res.statusCode = 402;
        res.end();
      });
      const ex = await h.get(url, { expect: 'meoww' });
      assert.equal(ex.status, 402);
      assert.equal(await seen.promise, 'meoww');
    });
  });
}
