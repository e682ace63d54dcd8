/**
 * Responses with PreparedHeaders (issue 17) are the responses of the same fields given plainly,
 * octet for octet: the HEADERS block the server sends over HTTP/2 (read from its frame trace,
 * each form on a fresh connection so both start from an empty HPACK table), what node:http2's
 * client reads, and the HTTP/1.1 response as sent (read raw). Both sides add `date` (unless the
 * fields have one) and content-length as for plain fields; pushes take them too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { FrameType } from '../../src/frame/index.js';
import type { TraceEvent } from '../../src/frame/trace.js';
import { prepareHeaders } from '../../src/io/prepared-headers.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { UsageError } from '../../src/errors.js';
import { closeSession, connect, firstPushHeaders, request, startServer } from './support.js';
import { rawExchange } from '../helpers/raw-exchange.js';

const THEIRS = 'Sun, 06 Nov 1994 08:49:37 GMT';
/** The fields, as a handler would write them: mixed case, numbers, a repeated name. */
const PLAIN: ReadonlyArray<readonly [string, string | number]> = [
  ['Content-Type', 'text/html; charset=utf-8'],
  ['ETag', '"abc"'],
  ['Set-Cookie', 'a=1'],
  ['set-cookie', 'b=2'],
  ['X-Count', 3],
];
const PREPARED = prepareHeaders(PLAIN);
const PLAIN_DATED = [...PLAIN, ['Date', THEIRS] as const];
const PREPARED_DATED = prepareHeaders(PLAIN_DATED);

let mismatch: unknown = null;

class App extends BaseRequestHandler {
  override onHeaders(): void {
    // `/plain/...` and `/prepared/...` answer alike, but for the form of their fields.
    const prepared = this.path.startsWith('/prepared');
    const kind = this.path.slice(this.path.indexOf('/', 1));
    switch (kind) {
      case '/dated':
        this.sendResponse({ headers: prepared ? PREPARED_DATED : PLAIN_DATED, body: 'hello' });
        return;
      case '/304':
        this.sendResponse({ status: 304, headers: prepared ? PREPARED_DATED : PLAIN_DATED });
        return;
      case '/push':
        this.push({ path: '/pushed.css', headers: prepared ? PREPARED : PLAIN, body: 'p{}' });
        this.sendResponse({ headers: prepared ? PREPARED : PLAIN, body: 'page' });
        return;
      case '/mismatch':
        try {
          this.sendResponse({ headers: prepareHeaders({ 'content-length': '3' }), body: 'four' });
        } catch (err) {
          mismatch = err;
          this.sendResponse({ status: 500 });
        }
        return;
      default:
        this.sendResponse({ headers: prepared ? PREPARED : PLAIN, body: 'hello' });
    }
  }
}

/** The HEADERS fragments the server sent on the connection, in order. */
function sentBlocks(frames: TraceEvent[]): Buffer[] {
  const out: Buffer[] = [];
  for (const e of frames) if (e.direction === 'send' && e.frame?.type === FrameType.HEADERS) out.push(e.frame.fragment);
  return out;
}

/** Requests `paths` in order on a fresh connection; the responses and the header blocks sent. */
async function exchange(url: string, frames: TraceEvent[], paths: string[], method = 'GET'): Promise<{ heads: http2.IncomingHttpHeaders[]; blocks: Buffer[] }> {
  frames.length = 0;
  const session = await connect(url);
  const heads: http2.IncomingHttpHeaders[] = [];
  try {
    for (const path of paths) {
      const r = await request(session, { ':path': path, ':method': method });
      heads.push(r.headers);
    }
  } finally {
    await closeSession(session);
  }
  return { heads, blocks: sentBlocks(frames) };
}

test('HTTP/2: the same HEADERS octets and the same fields at the client as the plain form (200, HEAD, 304, own date)', async () => {
  const frames: TraceEvent[] = [];
  const { server, url } = await startServer(App, { onFrame: (e) => frames.push(e) });
  try {
    for (const method of ['GET', 'HEAD']) {
      const kinds = ['/dated', '/304', '/dated'];
      const plain = await exchange(url, frames, kinds.map((k) => `/plain${k}`), method);
      const prepared = await exchange(url, frames, kinds.map((k) => `/prepared${k}`), method);
      assert.equal(plain.blocks.length, 3);
      assert.deepEqual(prepared.blocks, plain.blocks, `${method}: the header blocks, octet for octet`);
      assert.deepEqual(prepared.heads, plain.heads);
      assert.equal(prepared.heads[0]!['content-type'], 'text/html; charset=utf-8');
      assert.deepEqual(prepared.heads[0]!['set-cookie'], ['a=1', 'b=2']);
      assert.equal(prepared.heads[0]!.date, THEIRS, 'their date, not a second one');
      assert.equal(prepared.heads[1]![':status'], 304);
    }
  } finally {
    await server.close();
  }
});

test('HTTP/2: our date and content-length are added as for plain fields, right where they go', async () => {
  const frames: TraceEvent[] = [];
  const { server, url } = await startServer(App, { onFrame: (e) => frames.push(e) });
  try {
    const { heads } = await exchange(url, frames, ['/prepared/', '/prepared/']);
    const sent = frames.filter((e) => e.direction === 'send' && e.type === FrameType.HEADERS && e.headers !== null);
    assert.deepEqual(
      sent[0]!.headers!.map(([name]) => name),
      [':status', 'date', 'content-type', 'etag', 'set-cookie', 'set-cookie', 'x-count', 'content-length'],
    );
    assert.equal(heads[1]!['content-length'], '5');
    assert.match(String(heads[1]!.date), /GMT$/);
  } finally {
    await server.close();
  }
});

test('HTTP/2: a push and its page take prepared fields', async () => {
  const { server, url } = await startServer(App);
  const session = await connect(url);
  const pushed = firstPushHeaders(session);
  try {
    const page = await request(session, { ':path': '/prepared/push' });
    assert.equal(page.body.toString(), 'page');
    assert.equal(page.headers.etag, '"abc"');
    const headers = await pushed;
    assert.equal(headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(headers['content-length'], '3');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test("a prepared content-length that contradicts the body is refused at sendResponse, as a plain one is", async () => {
  const { server, url } = await startServer(App);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/prepared/mismatch' });
    assert.equal(r.status, 500);
    assert.ok(mismatch instanceof UsageError && mismatch.token === 'response_content_length_mismatch', String(mismatch));
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('HTTP/1.1: the same response octets as the plain form', async () => {
  const { server } = await startServer(App);
  try {
    for (const kind of ['/dated', '/304']) {
      for (const method of ['GET', 'HEAD']) {
        const ask = (form: string): Promise<string> => rawExchange(server.port, `${method} /${form}${kind} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        const plain = await ask('plain');
        const prepared = await ask('prepared');
        assert.match(plain, kind === '/304' ? /^HTTP\/1\.1 304 / : /^HTTP\/1\.1 200 /);
        assert.match(plain, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/);
        assert.equal(prepared, plain, `${method} ${kind}`);
      }
    }
    // Without a date of theirs node:http adds its own, so only the rest is compared.
    const undated = (form: string): Promise<string> => rawExchange(server.port, `GET /${form}/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    const dropDate = (s: string): string => s.replace(/\r\nDate: [^\r]*/, '');
    const prepared = await undated('prepared');
    assert.match(prepared, /\r\nDate: .* GMT\r\n/);
    assert.match(prepared, /\r\ncontent-length: 5\r\n/);
    assert.equal(dropDate(prepared), dropDate(await undated('plain')));
  } finally {
    await server.close();
  }
});
