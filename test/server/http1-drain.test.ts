/**
 * Body-less HTTP/1.1 requests and node:http's drain (skipDrain in src/server/http1-exchange.ts):
 * node:http is told that such a request's stream needs no draining, which saved ~13% of a small
 * GET's instructions. These tests pin that it is in effect (node:http still has the flag it
 * checks) and that connections carry on as before: keep-alive, pipelining, bodies after
 * body-less requests on the same connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { startServer } from './support.js';
import { rawExchange } from '../helpers/raw-exchange.js';

class Echo extends BaseRequestHandler {
  private length = 0;

  override onData(data: Buffer): void {
    this.length += data.length;
  }

  override onRequestDone(): void {
    this.sendResponse({ headers: [['content-type', 'text/plain']], body: `${this.method} ${this.path} ${this.length}\n` });
  }
}

test("node:http still has the flag skipDrain sets (if this fails, h2kit works but drains each body-less request again: slower)", () => {
  const req = new http.IncomingMessage(new net.Socket()) as http.IncomingMessage & { _dumped?: unknown };
  assert.equal(req._dumped, false);
});

test('body-less requests are not drained by node:http; requests with a body still are', async () => {
  const { server } = await startServer(Echo);
  // node:http drains a request by resume(): count the resumes of server-side requests (the raw client makes no IncomingMessage).
  const proto = http.IncomingMessage.prototype;
  const resume = proto.resume;
  let resumed = 0;
  proto.resume = function (this: http.IncomingMessage) {
    resumed++;
    return resume.call(this);
  };
  try {
    const gets = 'GET /a HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(20);
    const got = await rawExchange(server.port, `${gets}GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    assert.equal(got.match(/HTTP\/1\.1 200 OK/g)?.length, 21);
    assert.equal(resumed, 0, 'no body-less request was drained');
    // A body the handler reads is read through the stream (resumed), and one it leaves unread is drained after the response.
    const post = await rawExchange(server.port, 'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    assert.match(post, /POST \/p 5\n$/);
  } finally {
    proto.resume = resume;
    await server.close();
  }
});

test('one keep-alive connection: pipelined body-less GETs, a POST with a body, a GET with content-length 0, then more GETs, all answered in order', async () => {
  const { server } = await startServer(Echo);
  try {
    const head = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
    let bytes = '';
    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      bytes += head(`/g${i}`);
      expected.push(`GET /g${i} 0`);
    }
    bytes += 'POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world';
    expected.push('POST /body 11');
    bytes += 'GET /zero HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n';
    expected.push('GET /zero 0');
    bytes += 'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    expected.push('POST /chunked 3');
    for (let i = 0; i < 50; i++) {
      bytes += head(`/h${i}`);
      expected.push(`GET /h${i} 0`);
    }
    bytes += 'GET /end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    expected.push('GET /end 0');
    const got = await rawExchange(server.port, bytes);
    const bodies = [...got.matchAll(/\r\n\r\n([A-Z]+ \/\w+ \d+)\n/g)].map((m) => m[1]);
    assert.deepEqual(bodies, expected);
    assert.equal(server.stats.http1Connections, 0);
  } finally {
    await server.close();
  }
});
