/**
 * HTTP/1.1 responses with a whole body and no trailers take a path of their own (no response
 * plan, issue 14's speed bar): they must come out as the plan would make them. Each case is
 * written as the raw bytes node:http sends, so a field's case, order or repetition shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import type { ResponseOptions } from '../../src/server/request-handler.js';
import { startServer } from './support.js';
import { rawExchange } from '../helpers/raw-exchange.js';

const CASES: Record<string, ResponseOptions> = {
  '/pairs': { headers: [['Content-Type', 'text/plain'], ['X-Two', 'a'], ['x-two', 'b'], ['set-cookie', 'a=1'], ['Set-Cookie', 'b=2']], body: 'hello' },
  '/object': { headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, body: Buffer.from('hi') },
  '/bytes': { body: new Uint8Array([0x61, 0x62, 0x63]) },
  '/empty': { body: '' },
  '/none': { status: 202 },
  '/declared': { headers: [['content-length', '5']], body: 'hello' },
  '/mismatch': { headers: [['content-length', '4']], body: 'hello' },
  '/two-lengths': { headers: [['content-length', '5'], ['content-length', '5']], body: 'hello' },
  '/no-content': { status: 204, body: 'ignored' },
  '/not-modified': { status: 304, headers: [['etag', '"1"']], body: 'ignored' },
  '/bad-status': { status: 99, body: 'x' },
  '/bad-value': { headers: [['x-bad', 'a\u0001b']], body: 'x' },
  '/no-date': { sendDate: false, body: 'x' },
  '/trailers': { body: 'whole', trailers: [['x-sum', '1']] },
};

class App extends BaseRequestHandler {
  override onRequestDone(): void {
    this.sendResponse(CASES[this.path] ?? { status: 404 });
  }
}


/** One request, alone on its connection; the response without its `date` line. */
async function get(port: number, path: string, method = 'GET'): Promise<string> {
  const got = await rawExchange(port, `${method} ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
  return got.replace(/\r\nDate: [^\r]*/i, '');
}

test('whole bodies: fields keep their order, repeats and set-cookie lines; the content-length is added, or checked', async () => {
  const { server } = await startServer(App);
  try {
    const port = server.port;
    assert.equal(await get(port, '/pairs'), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-two: a\r\nx-two: b\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 5\r\nConnection: close\r\n\r\nhello');
    assert.equal(await get(port, '/object'), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 2\r\nConnection: close\r\n\r\nhi');
    assert.equal(await get(port, '/bytes'), 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\nConnection: close\r\n\r\nabc');
    assert.equal(await get(port, '/empty'), 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\nConnection: close\r\n\r\n');
    assert.equal(await get(port, '/declared'), 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nConnection: close\r\n\r\nhello');
    assert.match(await get(port, '/none'), /^HTTP\/1\.1 202 Accepted\r\n/);
    assert.match(await get(port, '/no-date'), /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(await rawExchange(port, 'GET /no-date HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), /\r\ndate:/i);
    assert.match(await rawExchange(port, 'GET /pairs HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), /\r\nDate: /, 'node:http adds the date');
  } finally {
    await server.close();
  }
});

test('whole bodies: HEAD, 204 and 304 send none; HEAD keeps the length GET would send', async () => {
  const { server } = await startServer(App);
  try {
    const port = server.port;
    assert.equal(await get(port, '/pairs', 'HEAD'), 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-two: a\r\nx-two: b\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 5\r\nConnection: close\r\n\r\n');
    assert.equal(await get(port, '/no-content'), 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
    assert.equal(await get(port, '/not-modified'), 'HTTP/1.1 304 Not Modified\r\netag: "1"\r\nConnection: close\r\n\r\n');
    // On one keep-alive connection, in order: the 204's ignored body is not read as the next response.
    const got = await rawExchange(port, 'GET /no-content HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes HTTP/1.1\r\nHost: a\r\n\r\nGET /empty HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.deepEqual([...got.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]), ['204', '200', '200']);
    assert.match(got, /\r\n\r\nabcHTTP\/1\.1 200 OK\r\n/);
  } finally {
    await server.close();
  }
});

test('whole bodies: a bad status, content-length or field value is a 500 before anything is sent; trailers still go chunked', async () => {
  const { server } = await startServer(App);
  try {
    const port = server.port;
    for (const path of ['/mismatch', '/two-lengths', '/bad-status', '/bad-value']) {
      assert.match(await get(port, path), /^HTTP\/1\.1 500 /, path);
    }
    const chunked = await get(port, '/trailers');
    assert.match(chunked, /\r\nTransfer-Encoding: chunked\r\n/);
    assert.match(chunked, /\r\n\r\n5\r\nwhole\r\n0\r\nx-sum: 1\r\n\r\n$/);
  } finally {
    await server.close();
  }
});
