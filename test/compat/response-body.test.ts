/**
 * Http2ServerResponse's body: write and end in their argument forms, callbacks, the ending
 * state (writableEnded/finished, 'finish' then 'close'), ending twice, writing after the end,
 * writing before writeHead, HEAD, backpressure and piping. After Node's
 * test-http2-compat-serverresponse-{write,end,finished,drain}.js and
 * test-http2-compat-short-stream-client-server.js, rewritten for both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import type http2 from 'node:http2';
import { Harness, Signal, codeOf, collect, implementations, once } from './support.js';

type Res = http2.Http2ServerResponse;

for (const impl of await implementations()) {
  describe(`${impl.name}: response body`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    it('write(chunk, encoding, cb) returns true for a small chunk and calls back; end(chunk, cb) completes the body', async () => {
      const calls = new Signal<string[]>('the write and end callbacks');
      const { url } = await h.start(
        calls.guard((_req, res) => {
          const order: string[] = [];
          assert.equal(res.write('hello ', 'utf8', () => order.push('write')), true);
          res.end('world', () => {
            order.push('end');
            calls.resolve(order);
          });
        }),
      );
      const ex = await h.get(url);
      assert.equal(ex.body.toString(), 'hello world');
      assert.deepEqual(await calls.promise, ['write', 'end']);
    });

    it('chunks may be strings in an encoding, Buffers or Uint8Arrays; strings default to UTF-8', async () => {
      const { url } = await h.start((_req, res) => {
        res.write('68656c6c6f', 'hex');
        res.write(Buffer.from(' '));
        res.write(new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]));
        res.write(' test\uD83D\uDE00');
        res.end('aGk=', 'base64');
      });
      const ex = await h.get(url);
      assert.equal(ex.body.toString('utf8'), 'hello world test\uD83D\uDE00hi');
    });

    it('end(cb) without a chunk sends no data and calls back', async () => {
      const ended = new Signal('the end callback');
      const { url } = await h.start((_req, res) => res.end(() => ended.resolve()));
      const ex = await h.get(url);
      await ended.promise;
      assert.equal(ex.status, 200);
      assert.equal(ex.body.length, 0);
      assert.equal(ex.ended, true);
    });

    it('writableEnded and finished turn true at end(), synchronously', async () => {
      const checked = new Signal('the checks');
      const { url } = await h.start(
        checked.guard((_req, res) => {
          assert.equal(res.writableEnded, false);
          assert.equal(res.finished, false);
          res.write('x');
          assert.equal(res.writableEnded, false);
          res.end();
          assert.equal(res.writableEnded, true);
          assert.equal(res.finished, true);
          checked.resolve();
        }),
      );
      await h.get(url);
      await checked.promise;
    });

    it("emits 'finish' then 'close' once the response is sent, with headersSent true", async () => {
      const events = new Signal<string[]>("'close'");
      const { url } = await h.start((_req, res) => {
        const order: string[] = [];
        res.on('finish', () => order.push(`finish headersSent=${res.headersSent}`));
        res.on('close', () => {
          order.push('close');
          events.resolve(order);
        });
        res.end('bye');
      });
      await h.get(url);
      assert.deepEqual(await events.promise, ['finish headersSent=true', 'close']);
    });

    it('end() returns the response; ending again does not throw, and every end callback runs', async () => {
      // node:http2 calls the callback of each later end() too (node:http would pass an error).
      const calls = new Signal<string[]>('every end callback');
      const { url } = await h.start(
        calls.guard((_req, res) => {
          const seen: string[] = [];
          const check = (): void => {
            if (seen.length === 3) calls.resolve(seen.sort());
          };
          assert.equal(res.end('end', () => (seen.push('first'), check())), res);
          assert.equal(res.end(() => (seen.push('second'), check())), res);
          res.on('finish', () => res.end(() => (seen.push('in finish'), check())));
        }),
      );
      const ex = await h.get(url);
      assert.equal(ex.body.toString(), 'end');
      assert.deepEqual(await calls.promise, ['first', 'in finish', 'second']);
    });

    it('write after end: the callback gets ERR_STREAM_WRITE_AFTER_END and write returns false', async () => {
      const failed = new Signal<{ code: string | undefined; returned: boolean }>('the write callback');
      const { url } = await h.start((_req, res) => {
        res.on('error', () => {}); // not under test: node also errors the stream here
        res.end('done');
        let returned = true;
        returned = res.write('late', (err) => failed.resolve({ code: codeOf(err), returned }));
      });
      await h.get(url);
      assert.deepEqual(await failed.promise, { code: 'ERR_STREAM_WRITE_AFTER_END', returned: false });
    });

    it('the first write sends the head: headersSent turns true, later writeHead/setHeader throw ERR_HTTP2_HEADERS_SENT', async () => {
      const checked = new Signal('the checks');
      const { url } = await h.start(
        checked.guard((_req, res) => {
          res.setHeader('x-before', 'yes');
          res.statusCode = 201;
          res.write('partial');
          assert.equal(res.headersSent, true);
          assert.throws(() => res.writeHead(500), { code: 'ERR_HTTP2_HEADERS_SENT' });
          assert.throws(() => res.setHeader('x-after', 'no'), { code: 'ERR_HTTP2_HEADERS_SENT' });
          res.end(' rest');
          checked.resolve();
        }),
      );
      const ex = await h.get(url);
      await checked.promise;
      assert.equal(ex.status, 201);
      assert.equal(ex.headers['x-before'], 'yes');
      assert.equal(ex.headers['x-after'], undefined);
      assert.equal(ex.body.toString(), 'partial rest');
    });

    it('writes reach the client before end(): a streamed response is not held back', async () => {
      const release = new Signal<Res>('the streaming response');
      const { url } = await h.start((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        release.resolve(res);
      });
      const session = await h.connect(url);
      const req = session.request({ ':path': '/events' });
      const done = collect(req);
      const [first] = await once<[Buffer]>(req, 'data');
      assert.equal(first.toString(), 'data: one\n\n');
      (await release.promise).end('data: two\n\n');
      const ex = await done;
      assert.equal(ex.body.toString(), 'data: one\n\ndata: two\n\n');
    });

    it('HEAD: the head arrives with END_STREAM and no body, though the handler writes one', async () => {
      const ended = new Signal<boolean>('the end callback');
      const { url } = await h.start((_req, res) => {
        res.writeHead(200, { foo: 'bar' });
        res.end('data that must not be sent', () => ended.resolve(res.writableEnded));
      });
      const ex = await h.get(url, { ':method': 'HEAD' });
      assert.equal(ex.status, 200);
      assert.equal(ex.headers.foo, 'bar');
      assert.equal((ex.flags ?? 0) & 1, 1, `HEADERS flags ${ex.flags}: END_STREAM expected`);
      assert.equal(ex.body.length, 0);
      assert.equal(await ended.promise, true);
    });

    it("backpressure: write returns false past the buffer limit and 'drain' follows; 2 MiB arrive whole", async () => {
      const total = 2 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 'z');
      const stats = new Signal<{ sawFalse: boolean; drains: number }>('the streamed body');
      const { url } = await h.start((_req, res) => {
        let sent = 0;
        let sawFalse = false;
        let drains = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              sawFalse = true;
              res.once('drain', () => {
                drains++;
                pump();
              });
              return;
            }
          }
          res.end(() => stats.resolve({ sawFalse, drains }));
        };
        pump();
      });
      const ex = await h.get(url);
      assert.equal(ex.body.length, total);
      assert.ok(ex.body.every((b) => b === 0x7a));
      const { sawFalse, drains } = await stats.promise;
      assert.equal(sawFalse, true);
      assert.ok(drains >= 1);
    });

    it('a Readable piped into the response becomes its body, headers set before kept', async () => {
      const { url } = await h.start((_req, res) => {
        res.setHeader('content-type', 'text/html');
        Readable.from(['<p>', 'piped', '</p>']).pipe(res);
      });
      const ex = await h.get(url);
      assert.equal(ex.status, 200);
      assert.equal(ex.headers['content-type'], 'text/html');
      assert.equal(ex.body.toString(), '<p>piped</p>');
    });

    it('responses to concurrent requests on one connection do not mix', async () => {
      const { url } = await h.start((req, res) => {
        const n = Number(req.url.slice(1));
        // answer in reverse order of arrival, in two writes each
        setImmediate(() => {
          res.write(`a${n}`);
          setTimeout(() => res.end(`b${n}`), 10 - n);
        });
      });
      const session = await h.connect(url);
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => h.request(session, { ':path': `/${n}` })));
      assert.deepEqual(
        results.map((r) => r.body.toString()),
        ['a1b1', 'a2b2', 'a3b3', 'a4b4', 'a5b5'],
      );
    });
  });
}
