// Timeouts and refusals at the transport, and the push limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_DEFERRED, DATA_EOF } from '../../src/io/data-flags.js';
import { PushRefusedError } from '../../src/server/errors.js';
import { ErrorCode } from '../../src/errors.js';
import { closeSession, connect, request, startServer } from './support.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';

class Hello extends BaseRequestHandler {
  override onHeaders(): void {
    this.sendResponse({ body: 'hello' });
  }
}

/** Connects, writes `data`, and resolves with everything read until the server closes. */
function rawExchange(port: number, data: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      if (data !== null) socket.write(data);
    });
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (got += c));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

test('a connection that sends nothing is closed after handshakeTimeout', async () => {
  const { server } = await startServer(Hello, { handshakeTimeout: 100 });
  try {
    assert.equal(await rawExchange(server.port, null), '');
  } finally {
    await server.close();
  }
});

test('an HTTP/1.1 head that never ends is answered 408 and closed after handshakeTimeout (node:http\'s headersTimeout); one too large gets 431', async () => {
  for (const allowHTTP1 of [true, false]) {
    const { server } = await startServer(Hello, { handshakeTimeout: 100, maxHttp1HeadSize: 1024, allowHTTP1 });
    try {
      assert.match(await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n'), /^(HTTP\/1\.1 408 |$)/);
      const big = await rawExchange(server.port, `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431 /);
    } finally {
      await server.close();
    }
  }
});

test('bytes that are neither the preface nor HTTP/1.x are closed at once, unanswered; allowHTTP1 off: a malformed HTTP/1.1 head gets 400', async () => {
  const { server } = await startServer(Hello, { allowHTTP1: false });
  try {
    // A TLS record (0x16) is no HTTP/1.1 client: an HTTP/1.1 answer would be noise to it (issue 12, item 10).
    assert.equal(await rawExchange(server.port, '\x16\x03\x01 this is not http\r\n\r\n'), '');
    const r = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n');
    assert.match(r, /^HTTP\/1\.1 400 Bad Request\r\n/);
  } finally {
    await server.close();
  }
});

test('allowHTTP1 off: Upgrade: h2c is refused when allowUpgrade is false', async () => {
  const { server } = await startServer(Hello, { allowUpgrade: false, allowHTTP1: false });
  try {
    const r = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n');
    assert.match(r, /^HTTP\/1\.1 505 /);
  } finally {
    await server.close();
  }
});

test('an idle connection (no streams) gets GOAWAY and is closed after idleTimeout', async () => {
  const { server, url } = await startServer(Hello, { idleTimeout: 150 });
  const session = await connect(url);
  let goaway = -1;
  session.on('goaway', (code) => (goaway = code));
  try {
    assert.equal((await request(session, { ':path': '/' })).body.toString(), 'hello');
    await waitFor(() => session.closed || session.destroyed, 'the idle session to close');
    assert.equal(goaway, 0);
    await waitFor(() => server.sessionCount === 0, 'the server to drop the session');
  } finally {
    session.destroy();
    await server.close();
  }
});

test('idleTimeout counts from the end of the last stream; a stream open longer than it keeps the connection', async () => {
  const idle = 400;
  class SlowOrFast extends BaseRequestHandler {
    override onHeaders(): void {
      if (this.path === '/slow') setTimeout(() => this.sendResponse({ body: 'slow' }), idle + 200);
      else this.sendResponse({ body: 'fast' });
    }
  }
  const { server, url } = await startServer(SlowOrFast, { idleTimeout: idle });
  const session = await connect(url);
  // A witness connection made after it and left idle: its close proves the session's first idle period is over.
  const witness = await connect(url);
  let goaway = false;
  session.on('goaway', () => (goaway = true));
  try {
    // A request some way into the idle period (a pace, not a bound: the witness tells when the period ended).
    await new Promise((r) => setTimeout(r, idle * 0.6));
    assert.equal((await request(session, { ':path': '/' })).body.toString(), 'fast');
    await waitFor(() => witness.closed || witness.destroyed, { what: 'the idle witness connection to close', timeout: idle * 10 });
    // A PING round trip: a GOAWAY the server sent at the first deadline would have come before the ACK.
    await pingRoundTrip(session);
    assert.equal(goaway || session.closed || session.destroyed, false, 'closed less than idleTimeout after the last stream ended');
    // A stream that outlives the idle period is answered on the still-open connection.
    assert.equal((await request(session, { ':path': '/slow' })).body.toString(), 'slow');
    const ended = Date.now();
    await waitFor(() => session.closed || session.destroyed, 'the idle session to close');
    assert.ok(Date.now() - ended >= idle * 0.9, `closed ${Date.now() - ended} ms after the last stream, idleTimeout ${idle}`);
  } finally {
    witness.destroy();
    session.destroy();
    await server.close();
  }
});

test('the push limit: canPush turns false and push() returns null (nothing sent)', async () => {
  const results: Array<boolean | string> = [];
  const pushed: BaseRequestHandler[] = [];
  class Pusher extends BaseRequestHandler {
    override onHeaders(): void {
      for (let i = 0; i < 3; i++) {
        results.push(this.canPush);
        try {
          let ready = false;
          const h = this.push({ path: `/p${i}`, body: () => (ready ? ['done', DATA_EOF] : [null, DATA_DEFERRED]) });
          if (h === null) {
            results.push('none');
            continue;
          }
          pushed.push(h);
          setTimeout(() => {
            ready = true;
            h.resume();
          }, 50);
        } catch (e) {
          results.push(e instanceof PushRefusedError ? 'refused' : String(e));
        }
      }
      this.sendResponse({ body: 'main' });
    }
  }
  const { server, url } = await startServer(Pusher, { connection: { maxConcurrentPushes: 2 } });
  const session = await connect(url);
  const bodies: string[] = [];
  session.on('stream', (s) => {
    let b = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (b += c));
    s.on('end', () => bodies.push(b));
  });
  try {
    // A first request lets the client's SETTINGS (push allowed) arrive before we count.
    await request(session, { ':path': '/warmup' });
    await waitFor(() => bodies.length === 2, 'the warm-up pushes');
    results.length = 0;
    bodies.length = 0;
    assert.equal((await request(session, { ':path': '/' })).body.toString(), 'main');
    assert.deepEqual(results, [true, true, false, 'none']);
    await waitFor(() => bodies.length === 2, 'both deferred pushed bodies');
    assert.deepEqual(bodies, ['done', 'done']);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('a client that keeps its window shut on a response for a whole idle period is disconnected', async () => {
  class Big extends BaseRequestHandler {
    override onHeaders(): void {
      this.sendResponse({ body: Buffer.alloc(1 << 20) });
    }
  }
  const { server, url } = await startServer(Big, { idleTimeout: 200 });
  const session = await connect(url);
  try {
    const req = session.request({ ':path': '/big' }, { endStream: true });
    req.on('error', () => {});
    req.pause(); // node's client stops granting window for a paused stream
    await waitFor(() => session.closed || session.destroyed, 'the server to drop the hoarding client');
    await waitFor(() => server.sessionCount === 0, 'the server to drop the session');
  } finally {
    session.destroy();
    await server.close();
  }
});

test('close() drops the connections still busy after closeTimeout; their handlers see onClose', async () => {
  let closedWith = -1;
  let started = false;
  class Never extends BaseRequestHandler {
    override onHeaders(): void {
      started = true;
    }
    override onClose(errorCode: number): void {
      closedWith = errorCode;
    }
  }
  const { server, url } = await startServer(Never, { closeTimeout: 100 });
  const session = await connect(url);
  session.on('error', () => {});
  try {
    const req = session.request({ ':path': '/never' }, { endStream: true });
    req.on('error', () => {});
    await waitFor(() => started, 'the request to reach its handler');
    await server.close(); // resolves only once the stuck connection was dropped
    assert.equal(server.sessionCount, 0);
    await waitFor(() => closedWith !== -1, 'onClose');
    assert.equal(closedWith, ErrorCode.CANCEL);
  } finally {
    session.destroy();
  }
});

test('random bytes instead of a preface or request never crash the server; it keeps serving', async () => {
  const { server, url } = await startServer(Hello, { handshakeTimeout: 200 });
  try {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const prefixes = ['', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'GET / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n', 'PRI * HTTP/2.0\r\n'];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const junk = Buffer.alloc(1 + rand(300));
        for (let j = 0; j < junk.length; j++) junk[j] = rand(256);
        const prefix = prefixes[i % prefixes.length]!;
        return rawExchange(server.port, prefix + junk.toString('latin1'));
      }),
    );
    const session = await connect(url);
    assert.equal((await request(session, { ':path': '/' })).body.toString(), 'hello');
    await closeSession(session);
  } finally {
    await server.close();
  }
});

test('responseTimeout: a handler that never answers gets its client a 504, one log line, and its late answer is ignored', async () => {
  let lateAnswer: (() => void) | null = null;
  class Silent extends BaseRequestHandler {
    override onHeaders(): void {
      lateAnswer = () => this.sendResponse({ body: 'too late' });
    }
  }
  const { server, url, logger } = await startServer(Silent, { responseTimeout: 300 });
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/hangs' });
    assert.equal(r.status, 504);
    assert.match(r.body.toString(), /did not answer in time/);
    assert.equal(server.stats.responseTimeouts, 1);
    assert.equal(logger.lines.filter((l) => /no response within responseTimeout \(300 ms\); answered 504/.test(l)).length, 1, logger.lines.join('\n'));
    assert.doesNotThrow(() => lateAnswer!());
    assert.equal((await request(session, { ':path': '/hangs' })).status, 504, 'the connection still serves');
  } finally {
    await closeSession(session);
    await server.close();
  }
});
