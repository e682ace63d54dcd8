/**
 * serve({ fetch }) (issue 15, item 3): WHATWG Request and Response over h2c, HTTP/2 over TLS
 * and HTTP/1.1, with real clients (node:http2, node:http/https, Node's fetch, curl). Streaming
 * bodies both ways, flow control held by an unread request body, large transfers with
 * checksums, headers and set-cookie, HEAD, statuses, errors (onError and the default), the
 * abort signal, a Hono app run unchanged, and the README's example.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { Hono } from 'hono';
import { serve, type FetchServer, type ServeOptions } from '../../src/server/fetch/serve.js';
import { UsageError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';
import { closeSession, connect, readResponse, RecordingLogger, request } from './support.js';

const servers: FetchServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** serve() on loopback, any port, a recording logger; closed in after(). */
async function start(fetch: ServeOptions['fetch'], options: Partial<ServeOptions> = {}): Promise<{ server: FetchServer; url: string; logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const server = await serve({ fetch, port: 0, hostname: '127.0.0.1', logger, closeTimeout: 2000, ...options });
  servers.push(server);
  return { server, url: server.url.slice(0, -1), logger };
}

interface H1Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  httpVersion: string;
}

/** One HTTP/1.1 request with node:http (or https), no agent; `body` written then ended. */
function h1(url: string, options: http.RequestOptions & https.RequestOptions = {}, body?: Buffer | string): Promise<H1Response> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { agent: false, rejectUnauthorized: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), httpVersion: res.httpVersion }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function sha256(data: Buffer | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `promise`'s value, or a failure naming `what` after `ms` (a generous bound on an event that comes at once when things work). */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A one-shot event: `fire()` resolves `fired`. */
function signalOnce<T = void>(): { fire: (v: T) => void; fired: Promise<T> } {
  let fire!: (v: T) => void;
  const fired = new Promise<T>((r) => (fire = r));
  return { fire, fired };
}

describe('requests', () => {
  test('h2c GET: full URL, method, header fields (no pseudo-headers, duplicates appended, host from :authority), info', async () => {
    const seenAll: Array<{ url: string; method: string; headers: Array<[string, string]>; body: ReadableStream | null; info: { remotePort: number } }> = [];
    const { url } = await start((req, info) => {
      seenAll.push({ url: req.url, method: req.method, headers: [...req.headers], body: req.body, info });
      return new Response('ok');
    });
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/a/b?x=1&y=%20', 'x-dup': ['one', 'two'], 'x-single': 'v' });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'ok');
      assert.equal(r.headers['content-type'], 'text/plain;charset=UTF-8');
      assert.ok(r.headers.date, 'date added');
    } finally {
      await closeSession(session);
    }
    assert.equal(seenAll.length, 1);
    const s = seenAll[0]!;
    assert.equal(s.url, `${url}/a/b?x=1&y=%20`);
    assert.equal(s.method, 'GET');
    assert.equal(s.body, null, 'GET has no body');
    const headers = new Map(s.headers);
    assert.equal(headers.get('x-dup'), 'one, two');
    assert.equal(headers.get('x-single'), 'v');
    assert.equal(headers.get('host'), url.slice('http://'.length));
    assert.ok(s.headers.every(([name]) => !name.startsWith(':')), 'no pseudo-headers');
    assert.deepEqual(s.info, { remoteAddress: '127.0.0.1', remotePort: s.info.remotePort, httpVersion: '2' });
    assert.ok(s.info.remotePort > 0);
  });

  test('h2c POST echo streams both ways: each chunk comes back before the next is sent', async () => {
    const { url } = await start((req) => new Response(req.body, { headers: { 'content-type': 'application/octet-stream' } }));
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/echo', ':method': 'POST' });
      const done = readResponse(stream);
      const received: Buffer[] = [];
      let receivedText = '';
      stream.on('data', (c: Buffer) => {
        received.push(c);
        receivedText += c.toString();
      });
      for (const part of ['first ', 'second ', 'third']) {
        stream.write(part);
        // The request is still open: the part can only come back if both bodies stream.
        await waitFor(() => receivedText.endsWith(part), `the echo of ${JSON.stringify(part)}`);
      }
      stream.end();
      const r = await done;
      assert.equal(r.status, 200);
      assert.equal(receivedText, 'first second third');
    } finally {
      await closeSession(session);
    }
  });

  test('an 8 MiB upload and an 8 MiB download over h2c, checked by SHA-256', async () => {
    const upload = randomBytes(8 * 1024 * 1024);
    const download = randomBytes(8 * 1024 * 1024);
    const { url } = await start(async (req) => {
      if (req.method === 'POST') {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of req.body!) {
          hash.update(chunk);
          size += chunk.byteLength;
        }
        return Response.json({ size, sha256: hash.digest('hex') });
      }
      // A streamed body of unknown length, in 64 KiB pieces.
      let offset = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (offset >= download.length) return controller.close();
            controller.enqueue(download.subarray(offset, offset + 65536));
            offset += 65536;
          },
        }),
      );
    });
    const session = await connect(url);
    try {
      const up = await request(session, { ':path': '/up', ':method': 'POST' }, upload);
      assert.deepEqual(JSON.parse(up.body.toString()), { size: upload.length, sha256: sha256(upload) });
      const down = await request(session, { ':path': '/down' });
      assert.equal(down.body.length, download.length);
      assert.equal(sha256(down.body), sha256(download));
    } finally {
      await closeSession(session);
    }
  });

  test('an unread request body holds the client back (flow control), then arrives whole when read', async () => {
    const upload = randomBytes(4 * 1024 * 1024);
    const release = signalOnce();
    // What the server received on stream 1 and the credit it gave back for it (frames it traced).
    let received = 0;
    let returned = 0;
    // A connection window as small as the stream's: node:http2 shows the session's send window,
    // which then runs out with the stream's.
    const { url } = await start(
      async (req) => {
        await release.fired;
        return new Response(sha256(new Uint8Array(await req.arrayBuffer())));
      },
      {
        connection: { connectionWindowSize: 65535 },
        onFrame: (event) => {
          if (event.streamId !== 1) return;
          if (event.direction === 'recv' && event.type === 0x0) received += event.length;
          if (event.direction === 'send' && event.type === 0x8) returned += (event.frame as { increment: number }).increment;
        },
      },
    );
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/held', ':method': 'POST' });
      const done = readResponse(stream);
      stream.end(upload);
      // Nobody reads: the body's queue fills, onData's promise holds the credit, the client's
      // window runs out. Every DATA frame sent before the PING reached the server before it, and
      // a server giving credit back for them would have sent that WINDOW_UPDATE before the ACK.
      await waitFor(() => session.state.remoteWindowSize === 0, { what: "the client's send window to run out", detail: () => JSON.stringify(session.state) });
      await pingRoundTrip(session);
      assert.equal(received - returned, 65535, `a whole window held back (received ${received}, credit returned ${returned})`);
      assert.ok(received < upload.length / 4, `most of the body is still with the client (${received} bytes received)`);
      release.fire();
      const r = await done;
      assert.equal(r.body.toString(), sha256(upload));
    } finally {
      release.fire();
      await closeSession(session);
    }
  });

  test('a response that ignores the upload ends the exchange: the unread body is dropped, not waited for', async () => {
    const { url, server } = await start(() => new Response('not reading that', { status: 413 }));
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/ignored', ':method': 'PUT' });
      const done = readResponse(stream);
      stream.end(randomBytes(2 * 1024 * 1024));
      const r = await done;
      assert.equal(r.status, 413);
      assert.equal(r.body.toString(), 'not reading that');
      await waitFor(() => server.server.stats.streams === 0, 'the stream to close on the server');
    } finally {
      await closeSession(session);
    }
  });

  test('response header fields: each set-cookie its own field, connection-specific fields left out', async () => {
    const { url } = await start(() => {
      const headers = new Headers({ 'x-custom': 'a', 'cache-control': 'no-store', connection: 'close', 'transfer-encoding': 'chunked', 'keep-alive': 'timeout=5' });
      headers.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/');
      headers.append('set-cookie', 'b=2; HttpOnly');
      headers.append('x-multi', 'one');
      headers.append('x-multi', 'two');
      return new Response('cookies', { status: 201, headers });
    });
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/' });
      assert.equal(r.status, 201);
      assert.deepEqual(r.headers['set-cookie'], ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/', 'b=2; HttpOnly']);
      assert.equal(r.headers['x-custom'], 'a');
      assert.equal(r.headers['x-multi'], 'one, two');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers.connection, undefined);
      assert.equal(r.headers['transfer-encoding'], undefined);
      assert.equal(r.headers['keep-alive'], undefined);
    } finally {
      await closeSession(session);
    }
    // HTTP/1.1 too: two Set-Cookie lines, node:http's own framing.
    const h = await h1(`${url}/`);
    assert.deepEqual(h.headers['set-cookie'], ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/', 'b=2; HttpOnly']);
    assert.equal(h.body.toString(), 'cookies');
  });

  test('request cookies: several HTTP/2 cookie fields reach the app as one cookie header', async () => {
    let cookie: string | null = null;
    const { url } = await start((req) => {
      cookie = req.headers.get('cookie');
      return new Response(null, { status: 204 });
    });
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/', cookie: ['a=1', 'b=2'] });
      assert.equal(r.status, 204);
    } finally {
      await closeSession(session);
    }
    assert.equal(cookie, 'a=1; b=2');
  });

  test('HEAD: the headers of the GET, no body; the unsent body is cancelled', async () => {
    const cancelled = signalOnce<string>();
    const { url } = await start((req) => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('hello'));
        },
        cancel: () => cancelled.fire(req.method),
      });
      return new Response(body, { headers: { 'content-length': '5', 'x-method': req.method } });
    });
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/', ':method': 'HEAD' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '5');
      assert.equal(r.headers['x-method'], 'HEAD');
      assert.equal(r.body.length, 0);
      assert.equal(await within(cancelled.fired, 'the HEAD body to be cancelled'), 'HEAD');
    } finally {
      await closeSession(session);
    }
    const h = await h1(`${url}/`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '5');
    assert.equal(h.body.length, 0);
  });

  test('status codes: 201, 204, 304, 404, 418, 503 and a redirect', async () => {
    const { url } = await start((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/redirect') return Response.redirect(new URL('/elsewhere', req.url), 302);
      const status = Number(path.slice(1));
      return new Response(status === 204 || status === 304 ? null : `status ${status}`, { status });
    });
    const session = await connect(url);
    try {
      for (const status of [201, 204, 304, 404, 418, 503]) {
        const r = await request(session, { ':path': `/${status}` });
        assert.equal(r.status, status);
        assert.equal(r.body.toString(), status === 204 || status === 304 ? '' : `status ${status}`);
      }
      const r = await request(session, { ':path': '/redirect' });
      assert.equal(r.status, 302);
      assert.equal(r.headers.location, `${url}/elsewhere`);
    } finally {
      await closeSession(session);
    }
  });
});

describe('errors', () => {
  test('fetch throws or rejects, no onError: 500, the error logged through options.logger', async () => {
    const { url, logger } = await start((req) => {
      if (req.url.endsWith('/sync')) throw new Error('sync boom');
      return Promise.reject(new Error('async boom'));
    });
    const session = await connect(url);
    try {
      for (const path of ['/sync', '/async']) {
        const r = await request(session, { ':path': path });
        assert.equal(r.status, 500);
        assert.equal(r.body.toString(), 'Internal Server Error\n');
      }
    } finally {
      await closeSession(session);
    }
    assert.equal(logger.lines.length, 2, logger.lines.join('\n'));
    assert.match(logger.lines[0]!, /fetch failed for GET \/sync; answered 500/);
    assert.deepEqual(
      logger.details.map((e) => (e as Error).message),
      ['sync boom', 'async boom'],
    );
  });

  test('onError makes the response from the error and the request; if it throws too, 500 and both logged', async () => {
    const { url, logger } = await start(
      (req) => {
        throw new Error(`failed ${new URL(req.url).pathname}`);
      },
      {
        onError: (err, req) => {
          if (req.url.endsWith('/worse')) throw new Error('onError failed');
          return Response.json({ error: (err as Error).message, method: req.method }, { status: 502 });
        },
      },
    );
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/bad', ':method': 'POST' }, 'x');
      assert.equal(r.status, 502);
      assert.deepEqual(JSON.parse(r.body.toString()), { error: 'failed /bad', method: 'POST' });
      assert.equal(logger.lines.length, 0, 'onError handled it: nothing logged');
      const w = await request(session, { ':path': '/worse' });
      assert.equal(w.status, 500);
    } finally {
      await closeSession(session);
    }
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /onError threw for GET \/worse/);
    assert.deepEqual(
      logger.details.map((e) => (e as Error).message),
      ['onError failed', 'failed /worse'],
    );
  });

  test('a value that is not a Response: 500 and a log line that says what came back', async () => {
    const { url, logger } = await start((req) => (req.url.endsWith('/undefined') ? undefined : { status: 200 }) as unknown as Response);
    const session = await connect(url);
    try {
      assert.equal((await request(session, { ':path': '/undefined' })).status, 500);
      assert.equal((await request(session, { ':path': '/object' })).status, 500);
    } finally {
      await closeSession(session);
    }
    assert.match(logger.lines[0]!, /fetch returned undefined, not a Response, for GET \/undefined; answered 500/);
    assert.match(logger.lines[1]!, /fetch returned an object \(Object\), not a Response, for GET \/object/);
  });

  test('a Response whose body was used already: 500, logged; the server keeps serving', async () => {
    const { url, logger } = await start(async (req) => {
      if (req.url.endsWith('/ok')) return new Response('fine');
      const used = new Response('once');
      await used.text();
      return used;
    });
    const session = await connect(url);
    try {
      assert.equal((await request(session, { ':path': '/used' })).status, 500);
      assert.equal((await request(session, { ':path': '/ok' })).body.toString(), 'fine');
    } finally {
      await closeSession(session);
    }
    assert.match(logger.lines[0]!, /the Response to GET \/used could not be sent/);
  });

  test('a response body that fails midway resets the stream; the server keeps serving', async () => {
    const { url, logger } = await start((req) => {
      if (req.url.endsWith('/ok')) return new Response('fine');
      // The first chunk at once, the failure in a later turn: the response has started by then.
      let n = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(c) {
            if (n++ === 0) return c.enqueue(new Uint8Array(10));
            await new Promise((r) => setTimeout(r, 1));
            c.error(new Error('the backend broke'));
          },
        }),
      );
    });
    const session = await connect(url);
    try {
      await assert.rejects(request(session, { ':path': '/broken' }), (err: { rstCode?: number }) => err.rstCode === http2.constants.NGHTTP2_INTERNAL_ERROR);
      assert.equal((await request(session, { ':path': '/ok' })).body.toString(), 'fine');
    } finally {
      await closeSession(session);
    }
    assert.ok(logger.details.some((d) => (d as Error).message === 'the backend broke'), logger.lines.join('\n'));
  });

  test('a response body that fails before its first byte was sent: 500, logged', async () => {
    const { url, logger } = await start(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(c) {
              c.error(new Error('no data at all'));
            },
          }),
        ),
    );
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/empty-broken' });
      assert.equal(r.status, 500);
    } finally {
      await closeSession(session);
    }
    assert.match(logger.lines[0]!, /the Response to GET \/empty-broken could not be sent/);
    assert.equal((logger.details[0] as Error).message, 'no data at all');
  });

  test('a body whole at once goes as bytes with a content-length; one fed later is streamed (no content-length)', async () => {
    const { url } = await start((req) => {
      if (req.url.endsWith('/later')) {
        let sent = false;
        return new Response(
          new ReadableStream<Uint8Array>({
            async pull(c) {
              if (sent) return c.close();
              await new Promise((r) => setTimeout(r, 1));
              c.enqueue(new TextEncoder().encode('later'));
              sent = true;
            },
          }),
        );
      }
      return Response.json({ at: 'once' });
    });
    const session = await connect(url);
    try {
      const once = await request(session, { ':path': '/once' });
      assert.equal(once.body.toString(), '{"at":"once"}');
      assert.equal(once.headers['content-length'], String(once.body.length));
      const later = await request(session, { ':path': '/later' });
      assert.equal(later.body.toString(), 'later');
      assert.equal(later.headers['content-length'], undefined);
    } finally {
      await closeSession(session);
    }
  });

  test('serve() without a fetch function throws a UsageError', async () => {
    await assert.rejects(serve({} as ServeOptions), (err: unknown) => err instanceof UsageError && err.token === 'serve_no_fetch');
  });
});

describe('the abort signal', () => {
  /** An endless response; records the request's signal and when the body is cancelled. */
  function endless(): { fetch: ServeOptions['fetch']; aborted: Promise<unknown>; cancelled: Promise<unknown>; started: Promise<void> } {
    const aborted = signalOnce<unknown>();
    const cancelled = signalOnce<unknown>();
    const started = signalOnce();
    const fetch = (req: Request): Response => {
      req.signal.addEventListener('abort', () => aborted.fire(req.signal.reason));
      const chunk = new Uint8Array(16384);
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(c) {
            c.enqueue(chunk);
            started.fire();
          },
          cancel: (reason) => cancelled.fire(reason),
        }),
      );
    };
    return { fetch, aborted: aborted.fired, cancelled: cancelled.fired, started: started.fired };
  }

  test('HTTP/2: the client resets the stream mid-response: signal aborted, response body cancelled', async () => {
    const app = endless();
    const { url, server } = await start(app.fetch);
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/endless' });
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      const reason = await within(app.aborted, 'the signal to abort');
      assert.equal((reason as DOMException).name, 'AbortError');
      assert.match((reason as DOMException).message, /client went away/);
      await within(app.cancelled, 'the response body to be cancelled');
      await waitFor(() => server.server.stats.streams === 0, 'the stream to be released');
    } finally {
      await closeSession(session);
    }
  });

  test('HTTP/2: the connection is lost mid-response: signal aborted', async () => {
    const app = endless();
    const { url } = await start(app.fetch);
    const session = await connect(url);
    const stream = session.request({ ':path': '/endless' });
    stream.on('error', () => {});
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    session.destroy();
    await within(app.aborted, 'the signal to abort');
    await within(app.cancelled, 'the response body to be cancelled');
  });

  test('HTTP/1.1: the client closes the socket mid-response: signal aborted, body cancelled', async () => {
    const app = endless();
    const { url } = await start(app.fetch);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${url}/endless`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    await within(app.aborted, 'the signal to abort');
    await within(app.cancelled, 'the response body to be cancelled');
  });

  test('the client resets mid-upload (RST_STREAM NO_ERROR): the app reading the body gets an error, and the signal aborts', async () => {
    const readFailed = signalOnce<unknown>();
    const gotFirst = signalOnce();
    const { url } = await start(async (req) => {
      const reader = req.body!.getReader();
      try {
        for (;;) {
          const { done } = await reader.read();
          gotFirst.fire();
          if (done) break;
        }
      } catch (err) {
        readFailed.fire({ err, aborted: req.signal.aborted });
      }
      return new Response('unused');
    });
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/upload', ':method': 'POST' });
      stream.on('error', () => {});
      stream.write('part one');
      await within(gotFirst.fired, 'the first chunk read');
      // destroy(), not close(code): close() ends the request first, which would complete it.
      stream.destroy();
      const { err, aborted } = (await within(readFailed.fired, 'the body read to fail')) as { err: DOMException; aborted: boolean };
      assert.equal(err.name, 'AbortError');
      assert.equal(aborted, true);
    } finally {
      await closeSession(session);
    }
  });

  test('a signal first looked at after the client left is aborted already (it is made on first use)', async () => {
    const release = signalOnce();
    const seen = signalOnce<{ aborted: boolean; reason: unknown }>();
    const { url, server } = await start(async (req) => {
      await release.fired;
      seen.fire({ aborted: req.signal.aborted, reason: req.signal.reason });
      return new Response('too late');
    });
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/late' });
      stream.on('error', () => {});
      await waitFor(() => server.server.stats.streams === 1, 'the request to reach the server');
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => server.server.stats.streams === 0, 'the reset stream to close on the server');
      release.fire();
      const { aborted, reason } = await within(seen.fired, 'the app to look at its signal');
      assert.equal(aborted, true);
      assert.equal((reason as DOMException).name, 'AbortError');
    } finally {
      release.fire();
      await closeSession(session);
    }
  });

  test('a Request copied from it (new Request(url, request), as a proxy does) follows its signal', async () => {
    const copyAborted = signalOnce();
    const { url } = await start((req) => {
      const upstream = new Request('http://upstream.invalid/', req);
      upstream.signal.addEventListener('abort', () => copyAborted.fire());
      return new Response(new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(1024)) }));
    });
    const session = await connect(url);
    try {
      const stream = session.request({ ':path': '/proxy' });
      stream.on('error', () => {});
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await within(copyAborted.fired, "the copy's signal to abort");
    } finally {
      await closeSession(session);
    }
  });

  test('a request that completes does not abort its signal', async () => {
    const signals: AbortSignal[] = [];
    const { url, server } = await start((req) => {
      signals.push(req.signal);
      return new Response('done');
    });
    const session = await connect(url);
    try {
      assert.equal((await request(session, { ':path': '/' })).body.toString(), 'done');
      await waitFor(() => server.server.stats.streams === 0, 'the stream to close (onClose ran)');
    } finally {
      await closeSession(session);
    }
    assert.equal(signals.length, 1);
    assert.equal(signals[0]!.aborted, false);
  });
});

describe('protocols', () => {
  test('TLS with a selfsigned certificate: h2 by ALPN, and HTTP/1.1 by ALPN on the same port', async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    const { server, url } = await start(async (req, info) => new Response(`${info.httpVersion} ${req.method} ${req.url} ${req.body === null ? '' : await req.text()}`), {
      tls: { key: pems.private, cert: pems.cert },
    });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const session = await connect(url);
    try {
      const r = await request(session, { ':path': '/secure', ':method': 'POST' }, 'tls body');
      assert.equal(r.body.toString(), `2 POST ${url}/secure tls body`);
    } finally {
      await closeSession(session);
    }
    const h = await h1(`${url}/one`, { ALPNProtocols: ['http/1.1'], method: 'PUT' } as https.RequestOptions, 'h1 body');
    assert.equal(h.httpVersion, '1.1');
    assert.equal(h.body.toString(), `1.1 PUT ${url}/one h1 body`);
  });

  test('HTTP/1.1 in cleartext: a chunked upload echoed as a stream, keep-alive, 1.1 in info', async () => {
    const { url } = await start((req, info) => new Response(req.body, { headers: { 'x-version': info.httpVersion, 'x-url': req.url } }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = randomBytes(3 * 1024 * 1024);
      const res = await new Promise<H1Response>((resolve, reject) => {
        const req = http.request(`${url}/h1-echo?q=1`, { method: 'POST', agent }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, rawHeaders: r.rawHeaders, body: Buffer.concat(chunks), httpVersion: r.httpVersion }));
        });
        req.on('error', reject);
        // Written in pieces without a content-length: chunked.
        for (let i = 0; i < body.length; i += 100_000) req.write(body.subarray(i, i + 100_000));
        req.end();
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-version'], '1.1');
      assert.equal(res.headers['x-url'], `${url}/h1-echo?q=1`);
      assert.equal(sha256(res.body), sha256(body));
      // The same socket again (keep-alive), and a GET.
      const again = await h1(`${url}/second`, { agent });
      assert.equal(again.status, 200);
      assert.equal(again.headers['x-url'], `${url}/second`);
    } finally {
      agent.destroy();
    }
  });

  test('allowHTTP1: false answers HTTP/1.1 with 505 and still serves h2c', async () => {
    const { url } = await start(() => new Response('h2 only'), { allowHTTP1: false });
    const h = await h1(`${url}/`);
    assert.equal(h.status, 505);
    const session = await connect(url);
    try {
      assert.equal((await request(session, { ':path': '/' })).body.toString(), 'h2 only');
    } finally {
      await closeSession(session);
    }
  });

  test('curl: h2c by prior knowledge and by Upgrade, HTTP/1.1, with a POST body', async (t) => {
    if (spawnSync('curl', ['--version']).status !== 0) return t.skip('curl is not installed');
    const { url } = await start(async (req, info) => new Response(`${info.httpVersion} ${req.method} ${req.body === null ? '-' : await req.text()}\n`));
    const curl = (args: string[]): Promise<string> =>
      new Promise((resolve, reject) => execFile('curl', ['-sS', ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout))));
    assert.equal(await curl(['--http2-prior-knowledge', `${url}/`]), '2 GET -\n');
    assert.equal(await curl(['--http2', '-d', 'upgrade-body', `${url}/`]), '2 POST upgrade-body\n');
    assert.equal(await curl(['--http1.1', '-d', 'h1-body', `${url}/`]), '1.1 POST h1-body\n');
  });

  test('url, port and address() name the bound address; hostname defaults to every interface (url says localhost)', async () => {
    const logger = new RecordingLogger();
    const server = await serve({ fetch: () => new Response('any'), port: 0, logger });
    servers.push(server);
    assert.equal(server.url, `http://localhost:${server.port}/`);
    assert.ok(['::', '0.0.0.0'].includes(server.address().address), server.address().address);
    const h = await h1(`http://127.0.0.1:${server.port}/`);
    assert.equal(h.body.toString(), 'any');
  });
});

describe('Hono', () => {
  test("a Hono app's fetch runs unchanged: routing, params, query, JSON in and out, cookies, 404, its error handler", async () => {
    const app = new Hono();
    app.get('/', (c) => c.text('Hello Hono!'));
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null }));
    app.post('/echo', async (c) => c.json({ got: await c.req.json(), type: c.req.header('content-type') }, 201));
    app.get('/cookie', (c) => {
      c.header('set-cookie', 'a=1; Path=/', { append: true });
      c.header('set-cookie', 'b=2; Path=/', { append: true });
      return c.text(`cookie was ${c.req.header('cookie') ?? 'none'}`);
    });
    app.get('/boom', () => {
      throw new Error('route failed');
    });
    app.onError((err, c) => c.json({ caught: err.message }, 500));
    const { url } = await start(app.fetch);

    const session = await connect(url);
    try {
      const root = await request(session, { ':path': '/' });
      assert.equal(root.status, 200);
      assert.equal(root.body.toString(), 'Hello Hono!');
      const user = await request(session, { ':path': '/users/42?q=x' });
      assert.deepEqual(JSON.parse(user.body.toString()), { id: '42', q: 'x' });
      const echo = await request(session, { ':path': '/echo', ':method': 'POST', 'content-type': 'application/json' }, JSON.stringify({ a: [1, 2] }));
      assert.equal(echo.status, 201);
      assert.deepEqual(JSON.parse(echo.body.toString()), { got: { a: [1, 2] }, type: 'application/json' });
      const cookie = await request(session, { ':path': '/cookie', cookie: 'z=9' });
      assert.equal(cookie.body.toString(), 'cookie was z=9');
      assert.deepEqual(cookie.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
      const missing = await request(session, { ':path': '/nope' });
      assert.equal(missing.status, 404);
      const boom = await request(session, { ':path': '/boom' });
      assert.equal(boom.status, 500);
      assert.deepEqual(JSON.parse(boom.body.toString()), { caught: 'route failed' });
    } finally {
      await closeSession(session);
    }
    // The same app over HTTP/1.1.
    const h = await h1(`${url}/users/7`);
    assert.deepEqual(JSON.parse(h.body.toString()), { id: '7', q: null });
    assert.equal((await h1(`${url}/nope`)).status, 404);
  });
});

describe('README', () => {
  /** The ```ts block of the README's "A fetch-style handler" section, and the ```text block after it. */
  function readmeExample(): { code: string; output: string } {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.search(/^### A fetch-style handler\b/m);
    assert.ok(start >= 0, 'README.md has a "### A fetch-style handler" section');
    const section = readme.slice(start).split(/^#{2,3} /m)[1]!;
    const blocks = [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
    assert.equal(blocks[0]?.[1], 'ts');
    assert.equal(blocks[1]?.[1], 'text');
    return { code: blocks[0]![2]!, output: blocks[1]![2]! };
  }

  test('the "A fetch-style handler" example runs as written (importing h2kit) and prints what the README says', () => {
    const { code, output } = readmeExample();
    assert.match(code, /import \{[^}]*serve[^}]*\} from 'h2kit'/);
    // Run from inside the repo, 'h2kit' resolves through package.json exports to dist (as for a user).
    const dir = join(REPO_ROOT, 'test-artifacts', 'readme');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'fetch-example.mjs');
    writeFileSync(file, code);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, output);
  });
});
