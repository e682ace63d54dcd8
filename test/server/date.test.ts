/**
 * The `date` field (issue 14): every response the HTTP/2 server sends carries one (RFC 9110
 * section 6.6.1), in IMF-fixdate, formatted once per second; a handler's own `date` is kept.
 * Values are read with node:http2's client; the count of `date` fields in each header block is
 * read from the server's frame trace, since node:http2 keeps only the first of a single-value field.
 * (A handler that fails gets RST_STREAM INTERNAL_ERROR, not a response: there is no head to date.)
 * Over HTTP/1.1 node:http writes the date (its own cache) unless the handler gave one: one per response too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import net from 'node:net';
import { FrameType } from '../../src/frame/index.js';
import type { TraceEvent } from '../../src/frame/trace.js';
import { httpDate } from '../../src/io/http-date.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { closeSession, connect, firstPushHeaders, request, startServer } from './support.js';

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const THEIRS = 'Sun, 06 Nov 1994 08:49:37 GMT';

/** Asserts `value` is one IMF-fixdate near now (a sanity bound, not a timing check: the clock is read, not waited on). */
function assertNow(value: string | string[] | undefined, what: string): void {
  assert.equal(typeof value, 'string', `${what}: one date field`);
  assert.match(value as string, IMF_FIXDATE, what);
  const skew = Math.abs(Date.parse(value as string) - Date.now());
  assert.ok(skew < 10_000, `${what}: ${String(value)} is ${skew} ms from now`);
}

class DateHandler extends BaseRequestHandler {
  override onHeaders(): void {
    switch (this.path) {
      case '/theirs':
        this.sendResponse({ headers: [['Date', THEIRS], ['x-after', '1']], body: 'theirs' });
        return;
      case '/theirs-object':
        this.sendResponse({ headers: { date: THEIRS }, body: 'theirs' });
        return;
      case '/204':
        this.sendResponse({ status: 204 });
        return;
      case '/304':
        this.sendResponse({ status: 304, headers: [['etag', '"x"']] });
        return;
      case '/trailers':
        this.sendResponse({ body: 'body', trailers: [['x-checksum', 'abc']] });
        return;
      case '/push':
        this.push({ path: '/pushed.css', headers: [['content-type', 'text/css']], body: 'p{}' });
        this.sendResponse({ body: 'page' });
        return;
      case '/hold':
        // No response: the request deadline answers 408.
        return;
      case '/pushed.css':
        return;
      default:
        this.sendResponse({ headers: [['content-type', 'text/plain']], body: 'hello' });
    }
  }
}

/** The `date` values of each header block the server sent, by stream. */
function dateFieldsByStream(frames: TraceEvent[]): Map<number, string[][]> {
  const out = new Map<number, string[][]>();
  for (const e of frames) {
    if (e.direction !== 'send' || e.headers === null || e.type === FrameType.PUSH_PROMISE) continue;
    const dates = e.headers.filter(([name]) => name === 'date').map(([, value]) => value);
    const blocks = out.get(e.streamId) ?? [];
    blocks.push(dates);
    out.set(e.streamId, blocks);
  }
  return out;
}

test('httpDate(): IMF-fixdate of the second, formatted once per second, anew when the clock moves either way', () => {
  const second = 784111777_000; // RFC 9110's example instant
  const realToUTCString = Date.prototype.toUTCString;
  let formats = 0;
  Date.prototype.toUTCString = function (this: Date): string {
    formats++;
    return realToUTCString.call(this);
  };
  try {
    const first = httpDate(second + 1);
    assert.equal(first, THEIRS);
    assert.equal(httpDate(second + 999), first, 'same second');
    assert.equal(httpDate(second), first);
    assert.equal(formats, 1, 'formatted once for three calls in one second');
    assert.equal(httpDate(second + 1000), 'Sun, 06 Nov 1994 08:49:38 GMT', 'next second');
    assert.equal(httpDate(second - 1), 'Sun, 06 Nov 1994 08:49:36 GMT', 'a clock set back is followed');
    assert.equal(formats, 3);
  } finally {
    Date.prototype.toUTCString = realToUTCString;
  }
  assertNow(httpDate(), 'httpDate() without an argument');
});

test('a 200 carries one date, an IMF-fixdate of now, right after :status; trailers carry none', async () => {
  const frames: TraceEvent[] = [];
  const { server, url } = await startServer(DateHandler, { onFrame: (e) => frames.push(e) });
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello');
    assertNow(r.headers.date, '200');
    const t = await request(session, { ':path': '/trailers' });
    assertNow(t.headers.date, '200 with trailers');
    assert.equal(t.trailers?.['x-checksum'], 'abc');
    assert.equal(t.trailers?.date, undefined);

    const sent = frames.filter((e) => e.direction === 'send' && e.type === FrameType.HEADERS && e.headers !== null);
    assert.deepEqual(sent[0]!.headers!.map(([name]) => name), [':status', 'date', 'content-type', 'content-length']);
    const blocks = dateFieldsByStream(frames);
    assert.equal(blocks.get(1)!.length, 1);
    assert.equal(blocks.get(1)![0]!.length, 1);
    assert.deepEqual(blocks.get(3)!.map((dates) => dates.length), [1, 0], 'the head has one, the trailers none');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test("a handler's own date is kept and not doubled, in pairs (any case) or object form", async () => {
  const frames: TraceEvent[] = [];
  const { server, url } = await startServer(DateHandler, { onFrame: (e) => frames.push(e) });
  const session = await connect(url);
  try {
    const pairs = await request(session, { ':path': '/theirs' });
    assert.equal(pairs.headers.date, THEIRS);
    assert.equal(pairs.headers['x-after'], '1');
    const object = await request(session, { ':path': '/theirs-object' });
    assert.equal(object.headers.date, THEIRS);

    const blocks = dateFieldsByStream(frames);
    assert.deepEqual(blocks.get(1), [[THEIRS]], 'one date field, theirs');
    assert.deepEqual(blocks.get(3), [[THEIRS]]);
    const head = frames.find((e) => e.direction === 'send' && e.streamId === 1 && e.headers !== null)!;
    assert.deepEqual(head.headers!.map(([name]) => name), [':status', 'date', 'x-after', 'content-length'], 'in the place they gave it');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('204, 304 and HEAD responses (headers only) carry date', async () => {
  const { server, url } = await startServer(DateHandler);
  const session = await connect(url);
  try {
    const noContent = await request(session, { ':path': '/204' });
    assert.equal(noContent.status, 204);
    assertNow(noContent.headers.date, '204');
    const notModified = await request(session, { ':path': '/304' });
    assert.equal(notModified.status, 304);
    assertNow(notModified.headers.date, '304');
    const head = await request(session, { ':path': '/', ':method': 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assertNow(head.headers.date, 'HEAD');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('a pushed response carries date', async () => {
  const { server, url } = await startServer(DateHandler);
  const session = await connect(url);
  const pushed = firstPushHeaders(session);
  try {
    const page = await request(session, { ':path': '/push' });
    assertNow(page.headers.date, 'the page');
    const headers = await pushed;
    assert.equal(headers[':status'], 200);
    assert.equal(headers['content-type'], 'text/css');
    assertNow(headers.date, 'the pushed response');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('the 408 the server makes for a request that does not arrive in time carries date', async () => {
  const { server, url } = await startServer(DateHandler, { requestTimeout: 300 });
  const session = await connect(url);
  try {
    // HEADERS without END_STREAM, then nothing: the heartbeat answers 408.
    const req = session.request({ ':path': '/hold', ':method': 'POST' }, { endStream: false });
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    req.resume(); // read the body, so that the stream can close
    assert.equal(headers[':status'], 408);
    assertNow(headers.date, '408');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

/** Sends `requests` pipelined on one raw HTTP/1.1 connection (the last closes it); resolves with all the server wrote. */
function http1Exchange(port: number, requests: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(requests.join('')));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

test('HTTP/1.1: every response carries exactly one date (node:http adds it when the handler gave none), theirs kept', async () => {
  const { server } = await startServer(DateHandler);
  try {
    const paths = ['/', '/theirs', '/theirs-object', '/204', '/304', '/trailers'];
    const requests = paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: h\r\n\r\n`);
    requests.push('HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const text = await http1Exchange(server.port, requests);
    const heads = text.split(/(?=HTTP\/1\.1 \d{3} )/).map((r) => r.slice(0, r.indexOf('\r\n\r\n')));
    assert.equal(heads.length, requests.length, text);
    heads.forEach((head, i) => {
      const dates = head.split('\r\n').filter((line) => /^date:/i.test(line)).map((line) => line.slice(5).trim());
      assert.equal(dates.length, 1, `${paths[i] ?? 'HEAD /'}: one date in ${JSON.stringify(head)}`);
      if (i === 1 || i === 2) assert.equal(dates[0], THEIRS, `${paths[i]}: theirs`);
      else assertNow(dates[0], paths[i] ?? 'HEAD /');
    });
  } finally {
    await server.close();
  }
});
