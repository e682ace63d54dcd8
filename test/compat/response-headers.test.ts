/**
 * Http2ServerResponse's head: the header methods, statusCode, writeHead in its forms,
 * flushHeaders, sendDate, and the errors (with node's codes) for misuse. After Node's
 * test-http2-compat-serverresponse-{headers,writehead*,statuscode,statusmessage*,flushheaders,
 * headers-send-date,end-after-statuses-without-body}.js, rewritten for both implementations.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type http2 from 'node:http2';
import { Harness, Signal, implementations, once } from './support.js';

type Res = http2.Http2ServerResponse;

for (const impl of await implementations()) {
  describe(`${impl.name}: response headers`, { skip: impl.skip, timeout: 60_000 }, () => {
    const h = new Harness(impl);
    afterEach(() => h.closeAll());

    /** Runs `fn` on the server's response (assertions included), then returns what the client saw. */
    async function onResponse(fn: (res: Res, req: http2.Http2ServerRequest) => void, headers: http2.OutgoingHttpHeaders = {}) {
      const ran = new Signal('the handler');
      const { url } = await h.start(
        ran.guard((req, res) => {
          fn(res, req);
          ran.resolve();
        }),
      );
      const ex = await h.get(url, headers);
      await ran.promise;
      return ex;
    }

    it('setHeader/getHeader/hasHeader/removeHeader ignore the case of names', async () => {
      const ex = await onResponse((res) => {
        res.setHeader('X-Foo-Bar', 'abc123');
        assert.equal(res.hasHeader('x-foo-bar'), true);
        assert.equal(res.hasHeader('X-FOO-BAR'), true);
        assert.equal(res.getHeader('x-FOO-bar'), 'abc123');
        assert.equal(res.hasHeader('bar-foo'), false);
        assert.equal(res.getHeader('bar-foo'), undefined);
        res.setHeader('x-gone', 'soon');
        res.removeHeader('X-GONE');
        assert.equal(res.hasHeader('x-gone'), false);
        res.removeHeader('never-set'); // absent: no-op
        res.end();
      });
      assert.equal(ex.headers['x-foo-bar'], 'abc123');
      assert.equal(ex.headers['x-gone'], undefined);
    });

    it('getHeaderNames gives lower-cased names; getHeaders a null-prototype copy', async () => {
      await onResponse((res) => {
        res.setHeader('Content-Type', 'text/plain');
        res.setHeader('X-Two', ['a', 'b']);
        assert.deepEqual(res.getHeaderNames().sort(), ['content-type', 'x-two']);
        const all = res.getHeaders();
        assert.equal(Object.getPrototypeOf(all), null);
        assert.deepEqual({ ...all }, { 'content-type': 'text/plain', 'x-two': ['a', 'b'] });
        all['x-injected'] = 'no';
        assert.equal(res.hasHeader('x-injected'), false);
        res.end();
      });
    });

    it('a header set twice keeps the last value; an array sends every value; set-cookie arrives as a list', async () => {
      const ex = await onResponse((res) => {
        res.setHeader('x-replaced', 'first');
        res.setHeader('x-replaced', 'second');
        res.setHeader('x-many', ['one', 'two']);
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
        res.end();
      });
      assert.equal(ex.headers['x-replaced'], 'second');
      assert.equal(ex.headers['x-many'], 'one, two'); // node's client joins repeated fields
      assert.deepEqual(ex.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
    });

    it('appendHeader adds values to a header (case-insensitive), all of them sent', async () => {
      const ex = await onResponse((res) => {
        // appendHeader is in node 20's http2 compat API, not yet in @types/node 20.
        const append = (res as unknown as { appendHeader(name: string, value: string | string[]): unknown }).appendHeader.bind(res);
        res.setHeader('x-a', '1');
        append('x-a', '2');
        append('X-A', ['3']);
        append('x-fresh', 'only');
        assert.deepEqual(res.getHeader('x-a'), ['1', '2', '3']);
        res.end();
      });
      assert.equal(ex.headers['x-a'], '1, 2, 3');
      assert.equal(ex.headers['x-fresh'], 'only');
    });

    it('writeEarlyHints sends 103 (Early Hints) with its link headers before the final response', async () => {
      const ex = await onResponse((res) => {
        const hints = (res as unknown as { writeEarlyHints(h: Record<string, string | string[]>): void }).writeEarlyHints.bind(res);
        hints({ link: '</style.css>; rel=preload; as=style' });
        hints({ link: ['</a.js>; rel=preload', '</b.js>; rel=preload'], 'x-extra': 'e' });
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>');
      });
      assert.deepEqual(
        ex.informational.map((hd) => [hd[':status'], hd.link, hd['x-extra']]),
        [
          [103, '</style.css>; rel=preload; as=style', undefined],
          [103, '</a.js>; rel=preload, </b.js>; rel=preload', 'e'],
        ],
      );
      assert.equal(ex.status, 200);
      assert.equal(ex.body.toString(), '<html>');
    });

    it('numbers are sent as their decimal string', async () => {
      const ex = await onResponse((res) => {
        res.setHeader('content-length', 5);
        res.setHeader('x-n', 42);
        assert.equal(res.getHeader('x-n'), 42); // kept as given until sent
        res.end('12345');
      });
      assert.equal(ex.headers['content-length'], '5');
      assert.equal(ex.headers['x-n'], '42');
      assert.equal(ex.body.toString(), '12345');
    });

    it('misuse throws node errors: pseudo-headers, null/undefined values, missing or empty names', async () => {
      await onResponse((res) => {
        for (const name of [':status', ':method', ':path', ':authority', ':scheme']) {
          assert.throws(() => res.setHeader(name, 'x'), { code: 'ERR_HTTP2_PSEUDOHEADER_NOT_ALLOWED', name: 'TypeError' });
        }
        const anyRes = res as unknown as Record<string, (...args: unknown[]) => unknown>;
        assert.throws(() => anyRes.setHeader('x-a', undefined), { code: 'ERR_HTTP2_INVALID_HEADER_VALUE', name: 'TypeError' });
        assert.throws(() => anyRes.setHeader('x-a', null), { code: 'ERR_HTTP2_INVALID_HEADER_VALUE', name: 'TypeError' });
        for (const method of ['setHeader', 'getHeader', 'hasHeader', 'removeHeader']) {
          assert.throws(() => anyRes[method](), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }, method);
        }
        assert.throws(() => res.setHeader('', 'x'), { code: 'ERR_INVALID_HTTP_TOKEN', name: 'TypeError' });
        assert.throws(() => res.setHeader('bad name', 'x'), { code: 'ERR_INVALID_HTTP_TOKEN', name: 'TypeError' });
        res.end();
      });
    });

    it('a connection header set by the app is dropped, not sent (HTTP/2 forbids it)', async () => {
      // node:http2 drops `connection` with an UnsupportedWarning (node:http would send it).
      const ex = await onResponse((res) => {
        res.setHeader('connection', 'close');
        res.setHeader('x-kept', 'yes');
        res.end('ok');
      });
      assert.equal(ex.status, 200);
      assert.equal(ex.error, undefined);
      assert.equal(ex.headers.connection, undefined);
      assert.equal(ex.headers['x-kept'], 'yes');
      assert.equal(ex.body.toString(), 'ok');
    });

    it('statusCode: 200 by default, settable, and range-checked with node errors', async () => {
      const ex = await onResponse((res) => {
        assert.equal(res.statusCode, 200);
        res.statusCode = 404;
        assert.equal(res.statusCode, 404);
        assert.throws(() => (res.statusCode = 100), { code: 'ERR_HTTP2_INFO_STATUS_NOT_ALLOWED', name: 'RangeError' });
        assert.throws(() => (res.statusCode = 99), { code: 'ERR_HTTP2_STATUS_INVALID', name: 'RangeError' });
        assert.throws(() => (res.statusCode = 600), { code: 'ERR_HTTP2_STATUS_INVALID', name: 'RangeError' });
        assert.equal(res.statusCode, 404);
        res.end('nope');
      });
      assert.equal(ex.status, 404);
      assert.equal(ex.body.toString(), 'nope');
    });

    it('statusMessage is the empty string: HTTP/2 has no reason phrase', async () => {
      // node:http would answer 'OK'; node:http2 keeps '' and ignores (with a warning) any value set.
      await onResponse((res) => {
        assert.equal(res.statusMessage, '');
        res.end();
      });
    });

    it('writeHead(status, headers) overrides and merges setHeader values, returns the response, sets statusCode', async () => {
      const ex = await onResponse((res) => {
        res.setHeader('foo-bar', 'def456');
        res.setHeader('x-kept', 'kept');
        assert.equal(res.headersSent, false);
        const returned = res.writeHead(418, { 'foo-bar': 'abc123', 'X-New': 'n' });
        assert.equal(returned, res);
        assert.equal(res.statusCode, 418);
        assert.equal(res.headersSent, true);
        res.end();
      });
      assert.equal(ex.status, 418);
      assert.equal(ex.headers['foo-bar'], 'abc123');
      assert.equal(ex.headers['x-kept'], 'kept');
      assert.equal(ex.headers['x-new'], 'n');
    });

    it('writeHead(status, statusMessage, headers) sends the headers; the message is not sent', async () => {
      const ex = await onResponse((res) => {
        res.writeHead(201, 'Created Just Now', { location: '/items/1' });
        res.end();
      });
      assert.equal(ex.status, 201);
      assert.equal(ex.headers.location, '/items/1');
    });

    it('writeHead(status) alone sends the headers set before', async () => {
      const ex = await onResponse((res) => {
        res.setHeader('content-type', 'application/json');
        res.writeHead(202);
        res.end('{}');
      });
      assert.equal(ex.status, 202);
      assert.equal(ex.headers['content-type'], 'application/json');
    });

    it('writeHead takes headers as a flat [name, value, ...] array and as [[name, value], ...]', async () => {
      const flat = await onResponse((res) => {
        res.writeHead(200, ['foo', 'bar', 'foo', 'baz', 'ABC', 123] as unknown as http2.OutgoingHttpHeaders);
        res.end();
      });
      assert.equal(flat.headers.foo, 'bar, baz');
      assert.equal(flat.headers.abc, '123');
      const nested = await onResponse((res) => {
        res.writeHead(200, [['foo', 'bar'], ['foo', 'baz'], ['ABC', 123]] as unknown as http2.OutgoingHttpHeaders);
        res.end();
      });
      assert.equal(nested.headers.foo, 'bar, baz');
      assert.equal(nested.headers.abc, '123');
    });

    it('a second writeHead throws ERR_HTTP2_HEADERS_SENT; the first one stands', async () => {
      const ex = await onResponse((res) => {
        res.writeHead(203);
        assert.throws(() => res.writeHead(300), { code: 'ERR_HTTP2_HEADERS_SENT', name: 'Error' });
        res.end();
      });
      assert.equal(ex.status, 203);
    });

    it('after the response is sent, setHeader and removeHeader throw ERR_HTTP2_HEADERS_SENT', async () => {
      const checked = new Signal("the checks at 'finish'");
      const { url } = await h.start((_req, res) => {
        res.setHeader('x-a', '1');
        res.on(
          'finish',
          checked.guard(() => {
            assert.equal(res.headersSent, true);
            assert.throws(() => res.setHeader('x-b', '2'), { code: 'ERR_HTTP2_HEADERS_SENT', name: 'Error' });
            assert.throws(() => res.removeHeader('x-a'), { code: 'ERR_HTTP2_HEADERS_SENT', name: 'Error' });
            checked.resolve();
          }),
        );
        res.end();
      });
      const ex = await h.get(url);
      assert.equal(ex.headers['x-a'], '1');
      await checked.promise;
    });

    it('sendDate: a date header by default; none when sendDate is false; an app-set date is kept', async () => {
      const byDefault = await onResponse((res) => {
        assert.equal(res.sendDate, true);
        res.end();
      });
      const date = byDefault.headers.date;
      assert.equal(typeof date, 'string');
      assert.ok(Math.abs(Date.parse(date as string) - Date.now()) < 60_000, `date header ${String(date)}`);
      const without = await onResponse((res) => {
        res.sendDate = false;
        res.writeHead(200);
        res.end();
      });
      assert.equal('date' in without.headers, false);
      const own = await onResponse((res) => {
        res.setHeader('Date', 'Tue, 01 Jan 2030 00:00:00 GMT');
        res.end();
      });
      assert.equal(own.headers.date, 'Tue, 01 Jan 2030 00:00:00 GMT');
    });

    it('flushHeaders sends the head before any body; it is idempotent and later writeHead throws', async () => {
      const responded = new Signal<Res>('the flushed head');
      const { url } = await h.start(
        responded.guard((_req, res) => {
          res.setHeader('x-early', 'yes');
          assert.equal(res.headersSent, false);
          // flushHeaders is documented by node:http2 but missing from @types/node 20.
          const flush = (res as unknown as { flushHeaders(): void }).flushHeaders.bind(res);
          flush();
          assert.equal(res.headersSent, true);
          flush();
          assert.throws(() => res.writeHead(400), { code: 'ERR_HTTP2_HEADERS_SENT' });
          responded.resolve(res);
        }),
      );
      const session = await h.connect(url);
      const req = session.request({ ':path': '/' });
      // The head arrives while the server has not ended the response: only then does it end.
      const [headers] = await once<[http2.IncomingHttpHeaders]>(req, 'response');
      assert.equal(headers[':status'], 200);
      assert.equal(headers['x-early'], 'yes');
      (await responded.promise).end('body');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => req.on('end', resolve));
      assert.equal(Buffer.concat(chunks).toString(), 'body');
    });

    for (const status of [204, 205, 304]) {
      it(`writeHead(${status}) then end() answers without a body and without an error`, async () => {
        const ex = await onResponse((res) => {
          res.writeHead(status);
          res.end();
        });
        assert.equal(ex.status, status);
        assert.equal(ex.body.length, 0);
        assert.equal(ex.error, undefined);
        assert.ok(ex.rstCode === undefined || ex.rstCode === 0, `rstCode ${ex.rstCode}`);
      });
    }
  });
}
