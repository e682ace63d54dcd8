// Failures stay with their stream: throwing/rejecting handlers, a client that resets mid-response,
// and a client that stops reading (the server must not buffer without bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_OK, type DataFlag } from '../../src/io/data-flags.js';
import { ErrorCode } from '../../src/errors.js';
import { closeSession, connect, request, startServer, until } from './support.js';

const closes: Array<[string, number]> = [];

class Faulty extends BaseRequestHandler {
  override onHeaders(): void {
    if (this.path === '/throw') throw new TypeError('handler bug');
  }
  override async onData(): Promise<void> {
    if (this.path === '/reject') throw new RangeError('async handler bug');
  }
  override onRequestDone(): void {
    this.sendResponse({ body: `ok ${this.path}` });
  }
  override onClose(errorCode: number): void {
    closes.push([this.path, errorCode]);
  }
}

test('a throwing or rejecting callback resets only its stream with INTERNAL_ERROR and is logged', async () => {
  closes.length = 0;
  const { server, url, logger } = await startServer(Faulty);
  const session = await connect(url);
  try {
    const [thrown, rejected, fine] = await Promise.allSettled([
      request(session, { ':path': '/throw' }),
      request(session, { ':method': 'POST', ':path': '/reject' }, 'data'),
      request(session, { ':path': '/fine' }),
    ]);
    assert.equal(thrown.status, 'rejected');
    assert.equal((thrown as PromiseRejectedResult).reason.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    assert.equal(rejected.status, 'rejected');
    assert.equal((rejected as PromiseRejectedResult).reason.rstCode, http2.constants.NGHTTP2_INTERNAL_ERROR);
    assert.equal(fine.status, 'fulfilled');
    assert.equal((fine as PromiseFulfilledResult<{ body: Buffer }>).value.body.toString(), 'ok /fine');
    assert.equal(logger.lines.length, 2);
    assert.ok(logger.lines.some((l) => /\(GET \/throw\): onHeaders failed/.test(l)));
    assert.ok(logger.lines.some((l) => /\(POST \/reject\): onData failed/.test(l)));
    assert.ok(logger.details.some((d) => d instanceof TypeError));
    // The connection is still good, and onClose saw the codes.
    assert.equal((await request(session, { ':path': '/again' })).body.toString(), 'ok /again');
    await until(() => closes.length === 4, 'four onClose calls');
    assert.deepEqual(closes.find(([p]) => p === '/throw'), ['/throw', ErrorCode.INTERNAL_ERROR]);
    assert.deepEqual(closes.find(([p]) => p === '/fine'), ['/fine', ErrorCode.NO_ERROR]);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('a client that resets mid-response: onClose(CANCEL), the body source stops', async () => {
  let pulled = 0;
  let closedWith = -1;
  class Endless extends BaseRequestHandler {
    override onHeaders(): void {
      this.sendResponse({
        body: (size: number): [Buffer, DataFlag] => {
          pulled += size;
          return [Buffer.alloc(size, 0x61), DATA_OK];
        },
      });
    }
    override onClose(errorCode: number): void {
      closedWith = errorCode;
    }
  }
  const { server, url } = await startServer(Endless);
  const session = await connect(url);
  try {
    const req = session.request({ ':path': '/endless' }, { endStream: true });
    let got = 0;
    await new Promise<void>((resolve) => {
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 200_000 && !req.closed) {
          req.close(http2.constants.NGHTTP2_CANCEL);
          resolve();
        }
      });
    });
    await until(() => closedWith !== -1, 'onClose');
    assert.equal(closedWith, ErrorCode.CANCEL);
    const pulledAtClose = pulled;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pulled, pulledAtClose, 'the generator is not called after the reset');
    // Still serving.
    const again = session.request({ ':path': '/endless' }, { endStream: true });
    await new Promise<void>((resolve) => again.once('data', () => resolve()));
    again.close(http2.constants.NGHTTP2_CANCEL);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('a client that stops reading never makes the server buffer more than a bounded amount', async () => {
  let pulled = 0;
  class Endless extends BaseRequestHandler {
    override onHeaders(): void {
      this.sendResponse({
        body: (size: number): [Buffer, DataFlag] => {
          pulled += size;
          return [Buffer.alloc(size, 0x62), DATA_OK];
        },
      });
    }
  }
  const { server, url } = await startServer(Endless);
  const session = await connect(url);
  try {
    const req = session.request({ ':path': '/endless' }, { endStream: true });
    req.pause(); // never read: node's client stops granting window
    await until(() => pulled > 0, 'the body to be pulled');
    let last = -1;
    while (pulled !== last) {
      last = pulled;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Windows are 64 KiB, the pump holds at most one 64 KiB chunk, the socket a 1 MiB high-water mark; a paused client bounds all of it by its windows.
    assert.ok(pulled > 0 && pulled <= 1 << 20, `the server pulled ${pulled} bytes from the body for a client that reads nothing`);
    req.close(http2.constants.NGHTTP2_CANCEL);
  } finally {
    await closeSession(session);
    await server.close();
  }
});

test('onClose runs even while an onData promise never settles (the handler can cancel its backend)', async () => {
  const closed: number[] = [];
  let started = 0;
  class Stuck extends BaseRequestHandler {
    override onData(): Promise<void> {
      started++;
      return new Promise(() => {}); // a backend that never answers
    }
    override onRequestDone(): void {
      throw new Error('not reached: the request never completes');
    }
    override onClose(errorCode: number): void {
      closed.push(errorCode);
    }
  }
  const { server, url, logger } = await startServer(Stuck);
  const session = await connect(url);
  try {
    const req = session.request({ ':method': 'POST', ':path': '/stuck' });
    req.on('error', () => {});
    req.write('first');
    await until(() => started === 1, 'the first onData');
    req.write('queued behind the pending onData');
    req.close(http2.constants.NGHTTP2_CANCEL);
    await until(() => closed.length === 1, 'onClose');
    assert.deepEqual(closed, [ErrorCode.CANCEL]);
    assert.equal(started, 1, 'queued callbacks are dropped, not run after onClose');
    await until(() => server.stats.streams === 0, 'the stream to be released');
    assert.deepEqual(logger.lines, []);
  } finally {
    await closeSession(session);
    await server.close();
  }
});
