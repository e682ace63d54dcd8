/**
 * Server push through the compat API: response.createPushResponse. After Node's
 * test-http2-compat-serverresponse-createpushresponse.js, rewritten for both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import http2 from 'node:http2';
import { Harness, Signal, codeOf, collect, implementations, type Exchange } from './support.js';

type PushCallback = (err: Error | null, res: http2.Http2ServerResponse) => void;

for (const impl of await implementations()) {
  describe(`${impl.name}: push`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    /** The pushed streams a session receives: request headers, then the whole pushed response. */
    function pushes(session: http2.ClientHttp2Session): Array<Promise<{ request: http2.IncomingHttpHeaders; id: number; ex: Exchange }>> {
      const list: Array<Promise<{ request: http2.IncomingHttpHeaders; id: number; ex: Exchange }>> = [];
      session.on('stream', (stream: http2.ClientHttp2Stream, request: http2.IncomingHttpHeaders) => {
        // A pushed stream's head comes as 'push', not 'response': re-emit it for collect().
        stream.on('push', (headers, flags) => stream.emit('response', headers, flags));
        list.push(collect(stream).then((ex) => ({ request, id: stream.id ?? -1, ex })));
      });
      return list;
    }

    it('createPushResponse pushes a request/response pair the client receives as a stream', async () => {
      const { url, port } = await h.start((req, res) => {
        if (req.url !== '/') return void res.writeHead(404).end();
        res.write('main ');
        res.createPushResponse({ ':path': '/style.css', ':method': 'GET' }, (err, push) => {
          if (err) return void res.destroy(err);
          push.writeHead(200, { 'content-type': 'text/css' });
          push.end('body { color: red }');
          res.end('page');
        });
      });
      const session = await h.connect(url);
      const pushed = pushes(session);
      const main = await h.request(session);
      assert.equal(main.body.toString(), 'main page');
      assert.equal(pushed.length, 1, 'no pushed stream');
      const { request, id, ex } = await pushed[0];
      assert.equal(request[':path'], '/style.css');
      assert.equal(request[':method'], 'GET');
      assert.equal(request[':scheme'], 'http');
      assert.equal(request[':authority'], `127.0.0.1:${port}`);
      assert.equal(id % 2, 0, `pushed stream id ${id} must be even`);
      assert.equal(ex.status, 200);
      assert.equal(ex.headers['content-type'], 'text/css');
      assert.ok(ex.headers.date, 'the pushed response has a date header');
      assert.equal(ex.body.toString(), 'body { color: red }');
    });

    it('createPushResponse without a callback throws ERR_INVALID_ARG_TYPE', async () => {
      const checked = new Signal('the check');
      const { url } = await h.start(
        checked.guard((_req, res) => {
          const create = res.createPushResponse.bind(res) as (headers: http2.OutgoingHttpHeaders, cb?: PushCallback) => void;
          assert.throws(() => create({ ':path': '/x', ':method': 'GET' }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
          res.end();
          checked.resolve();
        }),
      );
      await h.get(url);
      await checked.promise;
    });

    it('createPushResponse once the stream has closed calls back with ERR_HTTP2_INVALID_STREAM', async () => {
      const failed = new Signal<string | undefined>('the push callback');
      const { url } = await h.start((_req, res) => {
        res.on('close', () => {
          res.createPushResponse({ ':path': '/late', ':method': 'GET' }, (err) => failed.resolve(codeOf(err)));
        });
        res.end('done');
      });
      await h.get(url);
      assert.equal(await failed.promise, 'ERR_HTTP2_INVALID_STREAM');
    });

    it('createPushResponse to a client that disabled push fails with ERR_HTTP2_PUSH_DISABLED', async () => {
      // node:http2 throws it synchronously; an error passed to the callback serves apps as well.
      const failed = new Signal<string | undefined>('the push failure');
      const { url } = await h.start((_req, res) => {
        try {
          res.createPushResponse({ ':path': '/nope', ':method': 'GET' }, (err) => {
            if (err) failed.resolve(codeOf(err));
            else failed.reject(new Error('the push succeeded though the client disabled push'));
          });
        } catch (err) {
          failed.resolve(codeOf(err));
        }
        res.end('main');
      });
      const session = await h.connect(url, { settings: { enablePush: false } });
      const main = await h.request(session);
      assert.equal(main.body.toString(), 'main');
      assert.equal(await failed.promise, 'ERR_HTTP2_PUSH_DISABLED');
    });
  });
}
