/**
 * What a shortcut in the callback path could break, on HTTP/1.1 and HTTP/2 alike: each callback
 * runs once and in order even when one re-enters the session (sendResponse from onHeaders ends the
 * exchange before onRequestDone runs); a callback that throws ends only its own request (a 500 over
 * HTTP/1.1, a reset over HTTP/2) and the server, over HTTP/2 the same connection, serves on;
 * pipelined HTTP/1.1 requests are answered in order when the first handler answers last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { ErrorCode } from '../../src/errors.js';
import { closeSession, connect, request as h2request, startServer } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** The callbacks each request's handler saw, in order, by path (the path carries a per-test tag). */
const calls = new Map<string, string[]>();
/** Answers of handlers holding their response (`/late...`), by path. */
const held = new Map<string, () => void>();
/** The request fields a held handler read when it answered, by path. */
const lateHeaders = new Map<string, Array<[string, string]>>();

class Recorder extends BaseRequestHandler {
  private note(what: string): void {
    const list = calls.get(this.path) ?? [];
    list.push(what);
    calls.set(this.path, list);
  }

  override onHeaders(): void {
    this.note('headers');
    if (this.path.startsWith('/throw-headers')) throw new Error('onHeaders failed on purpose');
    // Re-entry: this ends the exchange (a whole in-memory body) while onHeaders is still running.
    if (this.path.startsWith('/answer-in-headers')) this.sendResponse({ body: `early ${this.path}` });
  }

  override onRequestDone(): void {
    this.note('done');
    if (this.path.startsWith('/throw-done')) throw new Error('onRequestDone failed on purpose');
    if (this.path.startsWith('/answer-in-headers')) return;
    if (this.path.startsWith('/late')) {
      held.set(this.path, () => {
        lateHeaders.set(this.path, this.headers);
        this.sendResponse({ body: `late ${this.path}` });
      });
      return;
    }
    this.sendResponse({ body: `ok ${this.path}` });
  }

  override onClose(errorCode: number): void {
    this.note(`close ${errorCode}`);
  }
}

function get(port: number, path: string, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const IN_ORDER = ['headers', 'done', `close ${ErrorCode.NO_ERROR}`];

test('HTTP/1.1 and HTTP/2: sendResponse from onHeaders ends the exchange, and onRequestDone and onClose still come once each, in order', async () => {
  const { server, url } = await startServer(Recorder);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const session = await connect(url);
  try {
    // Two on one keep-alive connection: the second must not see the first's callbacks.
    assert.deepEqual(await get(server.port, '/answer-in-headers-1', agent), { status: 200, body: 'early /answer-in-headers-1' });
    assert.deepEqual(await get(server.port, '/answer-in-headers-2', agent), { status: 200, body: 'early /answer-in-headers-2' });
    assert.equal((await h2request(session, { ':path': '/answer-in-headers-h2' })).body.toString(), 'early /answer-in-headers-h2');
    for (const path of ['/answer-in-headers-1', '/answer-in-headers-2', '/answer-in-headers-h2']) {
      await waitFor(() => (calls.get(path)?.length ?? 0) >= 3, `onClose of ${path}`);
    }
    // A later request on each connection has completed: any late duplicate callback would have come by now.
    await get(server.port, '/after-1', agent);
    await h2request(session, { ':path': '/after-h2' });
    await waitFor(() => calls.get('/after-1')?.length === 3 && calls.get('/after-h2')?.length === 3, 'the later requests closed');
    for (const path of ['/answer-in-headers-1', '/answer-in-headers-2', '/answer-in-headers-h2', '/after-1', '/after-h2']) {
      assert.deepEqual(calls.get(path), IN_ORDER, path);
    }
  } finally {
    agent.destroy();
    await closeSession(session);
    await server.close();
  }
});

test('HTTP/1.1: a throw in onHeaders or onRequestDone gets that request a 500, logged; the server serves on and onClose still comes', async () => {
  const { server, logger } = await startServer(Recorder);
  try {
    assert.equal((await get(server.port, '/throw-headers-1')).status, 500);
    assert.equal((await get(server.port, '/throw-done-1')).status, 500);
    assert.deepEqual(await get(server.port, '/fine-1'), { status: 200, body: 'ok /fine-1' });
    await waitFor(() => logger.lines.length >= 2, 'both failures logged');
    assert.ok(logger.lines.some((l) => /\(GET \/throw-headers-1\): onHeaders failed/.test(l)));
    assert.ok(logger.lines.some((l) => /\(GET \/throw-done-1\): onRequestDone failed/.test(l)));
    assert.equal(server.stats.unexpectedErrors, 0, 'a handler failure is not an h2kit fault');
    // onRequestDone is not called after onHeaders failed; onClose is, once (the 500 went out whole).
    await waitFor(() => calls.get('/throw-headers-1')?.length === 2 && calls.get('/throw-done-1')?.length === 3, 'onClose of both');
    assert.deepEqual(calls.get('/throw-headers-1'), ['headers', `close ${ErrorCode.NO_ERROR}`]);
    assert.deepEqual(calls.get('/throw-done-1'), IN_ORDER);
  } finally {
    await server.close();
  }
});

test('HTTP/2: a throw in onHeaders or onRequestDone resets that stream (INTERNAL_ERROR); the same connection serves on', async () => {
  const { server, url, logger } = await startServer(Recorder);
  const session = await connect(url);
  try {
    for (const path of ['/throw-headers-h2', '/throw-done-h2']) {
      await assert.rejects(h2request(session, { ':path': path }), (err: { rstCode?: number }) => err.rstCode === http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
    assert.equal((await h2request(session, { ':path': '/fine-h2' })).body.toString(), 'ok /fine-h2');
    await waitFor(() => logger.lines.length >= 2, 'both failures logged');
    assert.equal(server.stats.unexpectedErrors, 0);
    await waitFor(() => calls.get('/throw-headers-h2')?.length === 2 && calls.get('/throw-done-h2')?.length === 3, 'onClose of both');
    assert.deepEqual(calls.get('/throw-headers-h2'), ['headers', `close ${ErrorCode.INTERNAL_ERROR}`]);
    assert.deepEqual(calls.get('/throw-done-h2'), ['headers', 'done', `close ${ErrorCode.INTERNAL_ERROR}`]);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('HTTP/1.1: pipelined requests are answered in order when the first handler answers after the others did; its fields, read then, are its own', async () => {
  const { server } = await startServer(Recorder);
  try {
    const socket = net.connect(server.port, '127.0.0.1');
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    // The later requests carry other names in the same places: the first's fields, made when its handler reads them, must not take theirs.
    socket.write(
      'GET /late-p1 HTTP/1.1\r\nHost: a\r\nX-First: 1\r\nTE: trailers\r\nAccept: text/a\r\n\r\n' +
        'GET /p2 HTTP/1.1\r\nHost: b\r\nX-Second: 2\r\nUser-Agent: u\r\nAccept: text/b\r\n\r\n' +
        'GET /p3 HTTP/1.1\r\nHost: c\r\nConnection: close\r\nX-Third: 3\r\n\r\n',
    );
    // The later two have been answered by their handlers (node:http holds their bytes back) before the first answers.
    await waitFor(() => calls.get('/p3')?.includes('done') === true && held.has('/late-p1'), 'all three handlers ran');
    assert.equal(got, '', 'nothing is written before the first response');
    held.get('/late-p1')!();
    await closed;
    const bodies = [...got.matchAll(/(late|ok) (\/(?:late-)?p\d)/g)].map((m) => m[2]);
    assert.deepEqual(bodies, ['/late-p1', '/p2', '/p3']);
    assert.equal(got.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
    assert.deepEqual(lateHeaders.get('/late-p1'), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':authority', 'a'],
      [':path', '/late-p1'],
      ['x-first', '1'],
      ['accept', 'text/a'],
      ['te', 'trailers'],
    ]);
    for (const path of ['/late-p1', '/p2', '/p3']) {
      await waitFor(() => calls.get(path)?.length === 3, `onClose of ${path}`);
      assert.deepEqual(calls.get(path), IN_ORDER, path);
    }
  } finally {
    await server.close();
  }
});
