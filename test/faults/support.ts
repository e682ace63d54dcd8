/**
 * Fault-test helpers: a handler whose path picks the fault, counters of live handlers and of the
 * sessions they ran on, and a leak check (no session, handler, stream or timer left: the server's own
 * `stats` counters, our handler count, and the process's active timers).
 *
 * Paths:
 *   /                       200 `ok`
 *   /echo                   the request body, once it ended
 *   /hold                   never answered
 *   /stream?n=N             N octets from a body generator (made on demand)
 *   /deferred               a body generator that answers DATA_DEFERRED forever (a backend that never answers)
 *   /throw/<callback>       that callback throws (onHeaders, onData, onRequestDone, onClose)
 *   /reject/<callback>      that callback returns a rejected promise
 *   /gen-throws             the body generator throws on its second call
 *   /async-late             answers 20 ms later (from a timer), whether or not the client is still there
 *   /stuck-ondata           onData returns a promise that never settles (a backend write that hangs)
 */
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_DEFERRED, DATA_EOF, DATA_OK } from '../../src/io/data-flags.js';
import type { BodyGenerator } from '../../src/io/body-source.js';
import type { HTTP2Server } from '../../src/server/server.js';
import type { ServerSession } from '../../src/server/session.js';
import { waitFor } from '../helpers/wait.js';

export const stats = {
  created: 0,
  closed: 0,
  generatorsDestroyed: 0,
  /** `/async-late` answers made (from their timer, whether or not the client was still there). */
  lateAnswers: 0,
  get live(): number {
    return this.created - this.closed;
  },
};

/** Every session a handler ran on (to check each one's stream bookkeeping afterwards). */
export const sessions = new Set<ServerSession>();

class ThrownByTest extends Error {}

function fail(handler: FaultHandler, callback: string): void | Promise<void> {
  if (handler.path === `/throw/${callback}`) throw new ThrownByTest(`${callback} throws (test)`);
  if (handler.path === `/reject/${callback}`) return Promise.reject(new ThrownByTest(`${callback} rejects (test)`));
  return undefined;
}

function lazyBody(n: number): BodyGenerator {
  let left = n;
  return (size: number) => {
    const len = Math.min(size, left);
    left -= len;
    return [Buffer.alloc(len, 0x73), left === 0 ? DATA_EOF : DATA_OK];
  };
}

export class FaultHandler extends BaseRequestHandler {
  private readonly body: Buffer[] = [];

  override onHeaders(): void | Promise<void> {
    stats.created++;
    sessions.add(this.http2 as ServerSession);
    const failed = fail(this, 'onHeaders');
    if (failed !== undefined) return failed;
    const stream = /^\/stream\?n=(\d+)$/.exec(this.path);
    if (this.path === '/') this.sendResponse({ body: 'ok' });
    else if (stream) this.sendResponse({ body: lazyBody(Number(stream[1])) });
    else if (this.path === '/deferred') this.sendResponse({ body: () => [null, DATA_DEFERRED] });
    else if (this.path === '/gen-throws') {
      let calls = 0;
      this.sendResponse({
        body: (size: number) => {
          if (++calls > 1) throw new ThrownByTest('body generator throws (test)');
          return [Buffer.alloc(Math.min(size, 100), 0x67), DATA_OK];
        },
      });
    } else if (this.path === '/async-late') {
      setTimeout(() => {
        this.sendResponse({ body: 'late' });
        stats.lateAnswers++;
      }, 20);
    }
    return undefined;
  }

  override onData(data: Buffer): void | Promise<void> {
    const failed = fail(this, 'onData');
    if (failed !== undefined) return failed;
    if (this.path === '/stuck-ondata') return new Promise<void>(() => {});
    if (this.path === '/echo') this.body.push(Buffer.from(data));
    return undefined;
  }

  override onRequestDone(): void | Promise<void> {
    const failed = fail(this, 'onRequestDone');
    if (failed !== undefined) return failed;
    if (this.path === '/echo' || this.path.startsWith('/throw/') || this.path.startsWith('/reject/')) {
      this.sendResponse({ body: Buffer.concat(this.body) });
    }
    return undefined;
  }

  override onClose(): void | Promise<void> {
    stats.closed++;
    return fail(this, 'onClose');
  }
}

/** Active timers of the process (Node's own bookkeeping): a leaked per-stream or per-connection timer shows here. */
export function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/**
 * Waits (bounded) until the server holds nothing, then asserts it: no session, no live handler,
 * no stream in any Connection or session, timers back to `baselineTimers`.
 */
export async function assertNothingHeld(server: HTTP2Server, baselineTimers: number, ms = 4000): Promise<string> {
  const held = (): string[] => {
    const out: string[] = [];
    const st = server.stats;
    if (st.sessions !== 0) out.push(`${st.sessions} sessions`);
    if (st.pendingSockets !== 0) out.push(`${st.pendingSockets} sockets before HTTP/2`);
    if (st.streams !== 0) out.push(`${st.streams} stream records`);
    if (st.drainWaiters !== 0) out.push(`${st.drainWaiters} streams waiting for drain`);
    if (st.timers !== 0) out.push(`${st.timers} server timers`);
    if (stats.live !== 0) out.push(`${stats.live} live handlers`);
    for (const s of sessions) {
      // A Connection whose socket is gone is dropped with its session (its stream table goes with it);
      // one still connected must have closed every stream.
      const ss = s.stats;
      if (ss.socketOpen && ss.activeStreams !== 0) out.push(`a live connection with ${ss.activeStreams} active streams`);
      if (ss.streams !== 0 || ss.timerArmed || ss.idleTimerArmed) out.push(`a session with ${ss.streams} streams, timers ${ss.timerArmed}/${ss.idleTimerArmed}`);
    }
    if (timerCount() > baselineTimers) out.push(`${timerCount() - baselineTimers} process timers more than before`);
    return out;
  };
  await waitFor(() => held().length === 0, { what: 'the server to let go of everything', timeout: ms, interval: 20, detail: () => `it still holds: ${held().join(', ')}` });
  return `server.stats ${JSON.stringify(server.stats)}, live handlers 0, process timers ${timerCount()} (baseline ${baselineTimers})`;
}
