// Failures stay with their stream: throwing/rejecting handlers, a client that resets mid-response,
// and a client that stops reading (the server must not buffer without bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_OK, type DataFlag } from '../../src/io/data-flags.js';
import { ErrorCode } from '../../src/errors.js';
import { closeSession, connect, request, startServer } from './support.js';
import { pingRoundTrip, waitFor } from '../helpers/wait.js';

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
    await waitFor(() => closes.length === 4, 'four onClose calls');
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
      const path = this.path;
      this.sendResponse({
        body: (size: number): [Buffer, DataFlag] => {
          if (path === '/endless') pulled += size;
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
    await waitFor(() => closedWith !== -1, 'onClose');
    assert.equal(closedWith, ErrorCode.CANCEL);
    const pulledAtClose = pulled;
    // Still serving: another endless body flows, so the server's pump has run since the reset,
    // and a PING round trip after that; a pull for the reset stream would have come by then.
    const again = session.request({ ':path': '/again' }, { endStream: true });
    let gotAgain = 0;
    again.on('data', (c: Buffer) => (gotAgain += c.length));
    await waitFor(() => gotAgain > 100_000, 'the next response to flow');
    await pingRoundTrip(session);
    assert.equal(pulled, pulledAtClose, 'the generator is not called after the reset');
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
    await waitFor(() => pulled > 0, 'the body to be pulled');
    // The server has spent the stream's window: it may send nothing more.
    await waitFor(() => req.state.localWindowSize === 0, "the server to fill the paused stream's window");
    // Two PING round trips: the server has had turns of its loop to pull more if it wrongly would.
    await pingRoundTrip(session);
    const atStall = pulled;
    await pingRoundTrip(session);
    assert.equal(pulled, atStall, 'nothing more is pulled while the window stays shut');
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
    await waitFor(() => started === 1, 'the first onData');
    req.write('queued behind the pending onData');
    req.close(http2.constants.NGHTTP2_CANCEL);
    await waitFor(() => closed.length === 1, 'onClose');
    assert.deepEqual(closed, [ErrorCode.CANCEL]);
    assert.equal(started, 1, 'queued callbacks are dropped, not run after onClose');
    await waitFor(() => server.stats.streams === 0, 'the stream to be released');
    assert.deepEqual(logger.lines, []);
  } finally {
    await closeSession(session);
    await server.close();
  }
});
