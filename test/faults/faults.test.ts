/**
 * Faults on a live HTTP2Server: clients vanishing mid-request and mid-response, handlers that throw
 * (or reject) in every callback, a handler class whose constructor throws, a body generator that
 * throws, a backend that never answers (DATA_DEFERRED forever) until the client resets. After each:
 * no crash, the connection (when it survives) still serves, and nothing is held: no session, live
 * handler, stream or timer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import { HTTP2Server } from '../../src/server/server.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import type { RequestHandlerClass } from '../../src/server/request-handler.js';
import { Attacker, QuietLogger } from '../attacks/support.js';
import { TestClient } from '../conformance/helpers/client.js';
import { assertNothingHeld, FaultHandler, stats, timerCount } from './support.js';
import { waitFor } from '../helpers/wait.js';

async function withServer(
  run: (server: HTTP2Server, logger: QuietLogger) => Promise<void>,
  handler: RequestHandlerClass = FaultHandler,
): Promise<string> {
  const baseline = timerCount();
  const logger = new QuietLogger();
  const server = new HTTP2Server(['127.0.0.1', 0], handler, { logger });
  await server.listen();
  try {
    await run(server, logger);
    return await assertNothingHeld(server, baseline);
  } finally {
    await server.close();
  }
}

test('a client vanishing mid-request (bodies half sent on 10 streams) leaves nothing behind', async (t) => {
  const summary = await withServer(async (server) => {
    const created = stats.created;
    const a = await Attacker.connect(server.port);
    a.start();
    for (let id = 1; id <= 19; id += 2) {
      a.writer.headers(id, a.requestBlock('/echo', 'POST'), false, 16384);
      a.writer.data(id, Buffer.alloc(1000, 0x61), false);
    }
    await a.send();
    await waitFor(() => stats.created - created === 10, 'the 10 handlers');
    a.close();
  });
  t.diagnostic(summary);
});

test('a client vanishing mid-response (10 large responses flowing) leaves nothing behind', async (t) => {
  const summary = await withServer(async (server) => {
    const a = await Attacker.connect(server.port);
    a.autoCredit = true;
    a.start([[4, 0x7fffffff]]);
    a.writer.windowUpdate(0, 0x7fffffff - 65535);
    for (let id = 1; id <= 19; id += 2) a.writer.headers(id, a.requestBlock('/stream?n=100000000'), true, 16384);
    await a.send();
    await waitFor(() => a.dataBytes > 2_000_000, '2 MB of response');
    a.close();
  });
  t.diagnostic(summary);
});

const CALLBACKS = ['onHeaders', 'onData', 'onRequestDone'] as const;

test('a handler that throws or rejects in each callback: its stream is reset INTERNAL_ERROR, the connection serves on', async (t) => {
  const summary = await withServer(async (server, logger) => {
    const c = await TestClient.connect(server.port);
    await c.handshake();
    let id = 1;
    for (const how of ['throw', 'reject']) {
      for (const cb of CALLBACKS) {
        c.request(id, { method: 'POST', path: `/${how}/${cb}`, endStream: false });
        c.data(id, 'body', true);
        await c.expectRstStream(id, ErrorCode.INTERNAL_ERROR);
        id += 2;
      }
      // onClose failing: the response was already complete; the error is only logged.
      c.request(id, { method: 'POST', path: `/${how}/onClose`, endStream: false });
      c.data(id, 'body', true);
      assert.equal((await c.expectResponse(id)).status, '200');
      id += 2;
      c.request(id, { path: '/' });
      assert.equal((await c.expectResponse(id)).body.toString(), 'ok', 'the connection still serves');
      id += 2;
    }
    await c.expectAlive();
    c.close();
    assert.ok(logger.lines.length >= 8, `every failure was logged (${logger.lines.length} lines)`);
  });
  t.diagnostic(summary);
});

class ThrowingConstructor extends BaseRequestHandler {
  constructor(...args: ConstructorParameters<typeof BaseRequestHandler>) {
    super(...args);
    throw new Error('constructor throws (test)');
  }
}

test('a handler class whose constructor throws: every stream reset INTERNAL_ERROR, nothing held', async (t) => {
  const summary = await withServer(async (server, logger) => {
    const c = await TestClient.connect(server.port);
    await c.handshake();
    for (let id = 1; id <= 9; id += 2) {
      c.request(id, { path: '/' });
      await c.expectRstStream(id, ErrorCode.INTERNAL_ERROR);
    }
    await c.expectAlive();
    c.close();
    assert.ok(logger.lines.length >= 5);
  }, ThrowingConstructor);
  t.diagnostic(summary);
});

test('a body generator that throws: headers sent, then RST_STREAM INTERNAL_ERROR; the connection serves on', async (t) => {
  const summary = await withServer(async (server) => {
    const c = await TestClient.connect(server.port);
    await c.handshake();
    c.request(1, { path: '/gen-throws' });
    const r = await c.waitFor('RST_STREAM on stream 1', (f) => {
      if (f.type === FrameType.GOAWAY) return 'connection error';
      return f.type === FrameType.RST_STREAM && f.streamId === 1 ? 'take' : 'skip';
    });
    assert.ok(r.frame.type === FrameType.RST_STREAM);
    assert.equal(r.frame.errorCode, ErrorCode.INTERNAL_ERROR);
    c.request(3, { path: '/' });
    assert.equal((await c.expectResponse(3)).status, '200');
    c.close();
  });
  t.diagnostic(summary);
});

test('a backend that never answers (DATA_DEFERRED forever), then the client resets: onClose runs, nothing held', async (t) => {
  const summary = await withServer(async (server) => {
    const closedBefore = stats.closed;
    const c = await TestClient.connect(server.port);
    await c.handshake();
    for (let id = 1; id <= 39; id += 2) c.request(id, { path: '/deferred' });
    for (let id = 1; id <= 39; id += 2) await c.expectFrame(FrameType.HEADERS, id);
    for (let id = 1; id <= 39; id += 2) c.rstStream(id, ErrorCode.CANCEL);
    await waitFor(() => stats.closed - closedBefore === 20, 'onClose of the 20 deferred streams');
    await c.expectAlive();
    c.close();
  });
  t.diagnostic(summary);
});

test('a response answered after its client left (late sendResponse from a timer) is dropped quietly', async (t) => {
  const summary = await withServer(async (server, logger) => {
    const a = await Attacker.connect(server.port);
    a.start();
    for (let id = 1; id <= 9; id += 2) a.writer.headers(id, a.requestBlock('/async-late'), true, 16384);
    await a.send();
    await waitFor(() => stats.live >= 5, 'the handlers');
    const answered = stats.lateAnswers;
    a.close();
    // Every late answer has been made (and dropped, or it would have been logged by now).
    await waitFor(() => stats.lateAnswers - answered === 5, 'the five late answers');
    assert.deepEqual(logger.lines, [], 'nothing to report');
  });
  t.diagnostic(summary);
});

test('the leak check itself sees a held stream and a live handler (so the tests above can fail)', async () => {
  const baseline = timerCount();
  const server = new HTTP2Server(['127.0.0.1', 0], FaultHandler, { logger: new QuietLogger() });
  await server.listen();
  const c = await TestClient.connect(server.port);
  try {
    await c.handshake();
    c.request(1, { path: '/hold' });
    await waitFor(() => stats.live > 0, 'the held handler');
    await assert.rejects(assertNothingHeld(server, baseline, 100), /stream records|live handlers/);
  } finally {
    c.close();
    await server.close();
  }
  await assertNothingHeld(server, baseline);
});

test('onData awaiting a backend that never answers, then the client vanishes: onClose still runs (so the handler can cancel the backend)', async () => {
  await withServer(async (server) => {
    const closedBefore = stats.closed;
    const a = await Attacker.connect(server.port);
    a.start();
    for (let id = 1; id <= 9; id += 2) {
      a.writer.headers(id, a.requestBlock('/stuck-ondata', 'POST'), false, 16384);
      a.writer.data(id, Buffer.from('x'), false);
    }
    await a.send();
    await waitFor(() => stats.live >= 5, 'the handlers');
    a.close();
    await waitFor(() => stats.closed - closedBefore === 5, { what: 'onClose of the 5 stuck handlers', timeout: 1000 });
  });
});
