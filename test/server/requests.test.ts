// Request side: attributes, bodies of every size (sha256-checked), trailers from the client,
// async onData (callbacks serialized, credit held back), many concurrent streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { closeSession, connect, readResponse, request, startServer } from './support.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';

class Digest extends BaseRequestHandler {
  private hash = createHash('sha256');
  private size = 0;
  private calls: string[] = [];

  override onHeaders(): void {
    this.calls.push('headers');
  }

  override onData(data: Buffer): void {
    if (this.calls.at(-1) !== 'data') this.calls.push('data');
    this.hash.update(data);
    this.size += data.length;
  }

  override onRequestDone(): void {
    this.calls.push('done');
    this.sendResponse({
      headers: [['x-calls', this.calls.join(',')]],
      body: JSON.stringify({
        size: this.size,
        sha256: this.hash.digest('hex'),
        method: this.method,
        scheme: this.scheme,
        host: this.host,
        path: this.path,
        headers: this.headers,
        trailers: this.trailers,
        client: this.clientAddress,
        streamId: this.streamId,
      }),
    });
  }
}

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >>> 8)) & 0xff;
  return b;
}

test('request attributes: method, scheme, host, path, headers in order with cookies joined, client address', async () => {
  const { server, url } = await startServer(Digest);
  const session = await connect(url);
  try {
    const req = session.request({ ':path': '/a/b?c=d', 'x-first': '1', cookie: ['a=1', 'b=2'], 'x-last': '2' }, { endStream: true });
    const r = await readResponse(req);
    const info = JSON.parse(r.body.toString());
    assert.equal(info.method, 'GET');
    assert.equal(info.scheme, 'http');
    assert.equal(info.host, `127.0.0.1:${server.port}`);
    assert.equal(info.path, '/a/b?c=d');
    assert.equal(info.streamId, 1);
    assert.equal(info.client[0], '127.0.0.1');
    assert.equal(info.client[1], session.socket.localPort);
    const regular = (info.headers as Array<[string, string]>).filter(([n]) => !n.startsWith(':'));
    assert.deepEqual(regular.find(([n]) => n === 'cookie'), ['cookie', 'a=1; b=2']);
    assert.equal(regular.filter(([n]) => n === 'cookie').length, 1);
    const names = regular.map(([n]) => n);
    assert.ok(names.indexOf('x-first') < names.indexOf('x-last'));
    assert.deepEqual((info.headers as Array<[string, string]>).slice(0, 1)[0]![0].startsWith(':'), true);
    assert.equal(r.headers['x-calls'], 'headers,done');
  } finally {
    await closeSession(session);
    await server.close();
  }
});

for (const size of [0, 1, 65535, 1 << 20, 16 << 20]) {
  test(`a request body of ${size} bytes arrives whole (sha256)`, async () => {
    const { server, url } = await startServer(Digest);
    const session = await connect(url);
    try {
      const body = pattern(size);
      const r = await request(session, { ':method': 'POST', ':path': '/upload' }, body);
      const info = JSON.parse(r.body.toString());
      assert.equal(info.size, size);
      assert.equal(info.sha256, createHash('sha256').update(body).digest('hex'));
      assert.equal(r.headers['x-calls'], size === 0 ? 'headers,done' : 'headers,data,done');
    } finally {
      await closeSession(session);
      await server.close();
    }
  });
}

test('request trailers are in handler.trailers by onRequestDone', async () => {
  const { server, url } = await startServer(Digest);
  const session = await connect(url);
  try {
    const req = session.request({ ':method': 'POST', ':path': '/t' }, { waitForTrailers: true });
    req.on('wantTrailers', () => req.sendTrailers({ 'x-trailer': 'sum=42' }));
    const done = readResponse(req);
    req.end('body');
    const info = JSON.parse((await done).body.toString());
    assert.equal(info.size, 4);
    assert.deepEqual(info.trailers, [['x-trailer', 'sum=42']]);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('an async onData runs one at a time, in order, and holds back flow-control credit until it settles', async () => {
  let active = 0;
  let maxActive = 0;
  let gate: () => void = () => {};
  const gateOpen = new Promise<void>((r) => (gate = r));
  let received = 0;
  const order: string[] = [];
  class Slow extends BaseRequestHandler {
    private hash = createHash('sha256');
    override async onHeaders(): Promise<void> {
      order.push('headers');
      await new Promise((r) => setTimeout(r, 5));
      order.push('headers-settled');
    }
    override async onData(data: Buffer): Promise<void> {
      if (order.at(-1) !== 'data') order.push('data');
      active++;
      maxActive = Math.max(maxActive, active);
      received += data.length;
      this.hash.update(data);
      await gateOpen;
      active--;
    }
    override onRequestDone(): void {
      order.push('done');
      this.sendResponse({ body: this.hash.digest('hex') });
    }
  }
  const { server, url } = await startServer(Slow);
  const session = await connect(url);
  try {
    const body = pattern(1 << 20);
    const req = session.request({ ':method': 'POST', ':path': '/slow' });
    const done = readResponse(req);
    req.end(body);
    // While the first onData is pending no credit goes back, so the client can put at most the
    // stream window (65535) on the wire: wait until it has, then for two PING round trips (a
    // WINDOW_UPDATE the server wrongly sent would come before the ACKs, and the client would write on).
    await waitFor(() => received > 0, 'the first onData');
    await waitFor(() => session.socket.bytesWritten >= 65535, 'the client to spend the stream window');
    await pingRoundTrip(session);
    await pingRoundTrip(session);
    const last = session.socket.bytesWritten;
    assert.ok(last < 65535 + 8192, `the client wrote ${last} bytes while the credit was held back`);
    gate();
    const r = await done;
    assert.equal(r.body.toString(), createHash('sha256').update(body).digest('hex'));
    assert.equal(maxActive, 1);
    assert.deepEqual(order, ['headers', 'headers-settled', 'data', 'done']);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('120 concurrent streams on one connection, all open at once', async () => {
  const N = 120;
  let open = 0;
  let release: () => void = () => {};
  const allOpen = new Promise<void>((r) => (release = r));
  class Barrier extends BaseRequestHandler {
    override async onRequestDone(): Promise<void> {
      open++;
      if (open === N) release();
      await allOpen;
      this.sendResponse({ body: `stream ${this.streamId} ${this.path}` });
    }
  }
  const { server, url } = await startServer(Barrier, { connection: { settings: { maxConcurrentStreams: 200 } } });
  const session = await connect(url);
  try {
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => request(session, { ':path': `/n${i}` })));
    assert.equal(open, N);
    responses.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `stream ${2 * i + 1} /n${i}`);
    });
  } finally {
    await closeSession(session);
    await server.close();
  }
});
