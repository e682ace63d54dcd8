/**
 * 10,000 streams opened, reset and closed in every way, over 20 connections that end in three
 * ways; afterwards the server holds no session, stream, handler or timer.
 *
 * Ways a stream ends (stream index mod 10): answered; client RST while held; client RST right after
 * asking for a large body; POST answered with its echo; client RST mid-upload; handler throws
 * (server RST INTERNAL_ERROR); backend never answers then client RST; malformed request (server RST
 * PROTOCOL_ERROR); onData rejects (server RST); answered late from a timer.
 * Ways a connection ends (connection index mod 3): client GOAWAY then FIN; socket destroyed with
 * held streams still open; client resets everything it holds, then destroys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { HTTP2Server } from '../../src/server/server.js';
import { Attacker, QuietLogger } from '../attacks/support.js';
import { literalBlock, TestClient } from '../conformance/helpers/client.js';
import { assertNothingHeld, FaultHandler, stats, timerCount } from './support.js';
import { waitFor } from '../helpers/wait.js';

const CONNECTIONS = 20;
const STREAMS_PER_CONNECTION = 500;
const BATCH = 50;

const MALFORMED = literalBlock([...TestClient.requestHeaders({ path: '/' }), ['Upper-Case', 'x']]);

/** Kinds whose request reaches a handler (2 and 4 are reset in the packet that opens them, 7 is malformed). */
const REACHES_HANDLER = new Set([0, 1, 3, 5, 6, 8, 9]);
/** Kinds the client resets once its handler runs (in a later packet). */
const RESET_LATER = new Set([1, 6]);

/**
 * Writes stream `id` of kind `kind`; returns true when the client itself ends it (so nothing
 * needs to come back). Kinds in RESET_LATER are reset by the caller after their handler ran.
 */
function openStream(a: Attacker, id: number, kind: number): boolean {
  const w = a.writer;
  switch (kind) {
    case 0:
      w.headers(id, a.requestBlock('/'), true, 16384);
      return false;
    case 1:
      w.headers(id, a.requestBlock('/hold'), true, 16384);
      return true;
    case 2:
      w.headers(id, a.requestBlock('/stream?n=200000'), true, 16384);
      w.rstStream(id, ErrorCode.CANCEL);
      return true;
    case 3:
      w.headers(id, a.requestBlock('/echo', 'POST'), false, 16384);
      w.data(id, Buffer.from('echo me'), true);
      return false;
    case 4:
      w.headers(id, a.requestBlock('/echo', 'POST'), false, 16384);
      w.data(id, Buffer.alloc(500, 0x75), false);
      w.rstStream(id, ErrorCode.CANCEL);
      return true;
    case 5:
      w.headers(id, a.requestBlock('/throw/onHeaders'), true, 16384);
      return false;
    case 6:
      w.headers(id, a.requestBlock('/deferred'), true, 16384);
      return true;
    case 7:
      w.headers(id, MALFORMED, true, 16384);
      return false;
    case 8:
      w.headers(id, a.requestBlock('/reject/onData', 'POST'), false, 16384);
      w.data(id, Buffer.from('x'), true);
      return false;
    default:
      w.headers(id, a.requestBlock('/async-late'), true, 16384);
      return false;
  }
}

test('10,000 streams opened, reset and closed in every way: the server holds no stream, handler, session or timer', { timeout: 120000 }, async (t) => {
  const baseline = timerCount();
  const server = new HTTP2Server(['127.0.0.1', 0], FaultHandler, { logger: new QuietLogger() });
  await server.listen();
  const createdBefore = stats.created;
  let streams = 0;
  try {
    for (let n = 0; n < CONNECTIONS; n++) {
      const a = await Attacker.connect(server.port);
      a.autoCredit = true;
      a.start();
      let id = 1;
      for (let b = 0; b < STREAMS_PER_CONNECTION / BATCH; b++) {
        const waiting: number[] = [];
        const resetLater: number[] = [];
        const handlersBefore = stats.created;
        let handlersDue = 0;
        for (let k = 0; k < BATCH; k++, id += 2, streams++) {
          const kind = streams % 10;
          if (REACHES_HANDLER.has(kind)) handlersDue++;
          if (RESET_LATER.has(kind)) resetLater.push(id);
          if (!openStream(a, id, kind)) waiting.push(id);
          else a.finished.add(id);
        }
        await a.send();
        // Reset the /hold and /deferred streams once their handlers run (a request reset in the
        // packet that opens it never reaches one).
        await waitFor(() => stats.created - handlersBefore >= handlersDue, {
          what: `connection ${n}: the ${handlersDue} handlers`,
          interval: 1,
          detail: () => `${stats.created - handlersBefore} ran`,
        });
        for (const s of resetLater) a.writer.rstStream(s, ErrorCode.CANCEL);
        await a.send();
        await waitFor(() => a.closed || waiting.every((s) => a.finished.has(s)), {
          what: `connection ${n}: its streams to end`,
          interval: 2,
          detail: () => `streams ${waiting.filter((s) => !a.finished.has(s)).join(',')} never ended`,
        });
        assert.ok(waiting.every((s) => a.finished.has(s)), `connection ${n} closed by the server (GOAWAY ${a.goawayCode ?? '-'} ${a.goawayDebug})`);
      }
      // Leave some streams in flight for the connection's end.
      for (let k = 0; k < 10; k++, id += 2) a.writer.headers(id, a.requestBlock(k % 2 ? '/hold' : '/deferred'), true, 16384);
      await a.send();
      if (n % 3 === 0) {
        a.writer.goaway(id - 2, ErrorCode.NO_ERROR);
        await a.send();
        a.socket.end();
        await a.waitClosed(3000);
        a.close();
      } else if (n % 3 === 1) {
        a.close();
      } else {
        for (let s = id - 20; s < id; s += 2) a.writer.rstStream(s, ErrorCode.CANCEL);
        await a.send();
        a.close();
      }
    }
    const summary = await assertNothingHeld(server, baseline, 6000);
    t.diagnostic(`${streams} streams over ${CONNECTIONS} connections (+${CONNECTIONS * 10} left in flight at the end), ${stats.created - createdBefore} handlers run; after: ${summary}`);
    assert.ok(streams >= 10000);
    // 7 kinds of 10 reach a handler, plus some of the 200 left in flight; the two kinds reset in
    // the packet that opened them reach none.
    const handlers = stats.created - createdBefore;
    assert.ok(handlers >= 7000 && handlers <= 7200, `${handlers} handlers: 7000 + up to 200 in flight`);
  } finally {
    await server.close();
  }
});
