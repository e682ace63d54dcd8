/**
 * Fuzz target `liveServer`: fuzzed first bytes (noise, broken and valid HTTP/1.1 heads and upgrade
 * requests, preface prefixes, TLS records, the preface followed by noise) written in arbitrary
 * chunks to a live HTTP2Server in this process over loopback, then the write side closed.
 *
 * What must hold: the process survives (no uncaughtException or unhandledRejection while the
 * target runs), the server counts no unexpected error (`stats.unexpectedErrors` stays 0), every
 * connection is closed by the server within its deadlines, and every PROBE_EVERY inputs a probe
 * request on a fresh node:http2 connection is answered `ok` and the server holds no socket, session
 * or stream of the inputs before it.
 *
 * One server serves the whole run (made on first use); `closeLiveServer()` ends it so the process
 * can exit.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import fc from 'fast-check';
import { CONNECTION_PREFACE, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';
import { HTTP2Server } from '../../src/server/server.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import type { ServerLogger } from '../../src/server/session.js';
import { chunksAt, upgradeRequest } from './http1-targets.js';
import { waitFor } from '../helpers/wait.js';

/** Inputs between two probe requests. */
const PROBE_EVERY = 100;
/** The server's deadlines: short, so an input the server keeps waiting on costs the run little. */
const HANDSHAKE_MS = 500;
const IDLE_MS = 500;
/** An input's connection must be closed by the server within this long. */
const CLOSE_WITHIN_MS = 3000;

class OkHandler extends BaseRequestHandler {
  override onHeaders(): void {
    this.sendResponse({ body: 'ok' });
  }
}

/** Counts what the server logs (handler failures, unexpected errors) instead of printing thousands of lines. */
class CountingLogger implements ServerLogger {
  lines = 0;
  last = '';
  error(message: string): void {
    this.lines++;
    this.last = message;
  }
}

interface Live {
  server: HTTP2Server;
  port: number;
  logger: CountingLogger;
  /** Errors that reached the process while the target ran. */
  escaped: string[];
  inputs: number;
  detach(): void;
}

let live: Promise<Live> | null = null;

function start(): Promise<Live> {
  live ??= (async () => {
    const logger = new CountingLogger();
    const server = new HTTP2Server(['127.0.0.1', 0], OkHandler, { logger, handshakeTimeout: HANDSHAKE_MS, idleTimeout: IDLE_MS, closeTimeout: 1000 });
    await server.listen();
    const escaped: string[] = [];
    const onException = (err: unknown): void => void escaped.push(`uncaughtException: ${String((err as Error)?.stack ?? err)}`);
    const onRejection = (err: unknown): void => void escaped.push(`unhandledRejection: ${String((err as Error)?.stack ?? err)}`);
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    return {
      server,
      port: server.port,
      logger,
      escaped,
      inputs: 0,
      detach() {
        process.off('uncaughtException', onException);
        process.off('unhandledRejection', onRejection);
      },
    };
  })();
  return live;
}

/** Closes the run's server (if one was started) and stops watching the process for escaped errors. */
export async function closeLiveServer(): Promise<void> {
  if (live === null) return;
  const l = await live;
  live = null;
  l.detach();
  await l.server.close();
}

/** Writes `chunks` (a turn of the event loop between them), ends the write side, and resolves with ms until the server closed (-1: not within CLOSE_WITHIN_MS). */
function exchange(port: number, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let began = 0;
    let done = false;
    const finish = (ms: number): void => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      socket.destroy();
      resolve(ms);
    };
    const giveUp = setTimeout(() => finish(-1), CLOSE_WITHIN_MS);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => finish(performance.now() - began));
    socket.on('connect', async () => {
      began = performance.now();
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        await new Promise((r) => setImmediate(r));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

/** One request on a fresh prior-knowledge connection: resolves with the body, rejects on failure or after 3 s. */
function probe(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error('probe: no answer within 3 s'));
    }, 3000);
    session.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const req = session.request({ ':path': '/probe' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve(body);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    });
  });
}

/** The preface and SETTINGS, then a request: what follows an upgrade or starts prior knowledge. */
function h2Start(): Buffer {
  const w = new FrameWriter();
  w.settings([]);
  w.settingsAck();
  w.headers(3, new HDDeflater().deflate([[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/']]), true, 16384);
  return Buffer.concat([CONNECTION_PREFACE, ...w.take()]);
}
const H2_START = h2Start();

const liveInput = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  upgradeRequest.map((u) => u.bytes),
  upgradeRequest.map((u) => Buffer.concat([u.bytes, H2_START])),
  fc.tuple(fc.nat({ max: 24 }), fc.uint8Array({ maxLength: 60 })).map(([n, tail]) => Buffer.concat([CONNECTION_PREFACE.subarray(0, n), tail])),
  fc.uint8Array({ maxLength: 60 }).map((u) => Buffer.concat([H2_START, u])),
  fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u])),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\n${s}`, 'latin1')),
);

export const liveServer = fc.asyncProperty(liveInput, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, cuts) => {
  const l = await start();
  const closedMs = await exchange(l.port, chunksAt(bytes, cuts));
  l.inputs++;
  assert.deepEqual(l.escaped, [], 'nothing reached the process');
  assert.equal(l.server.stats.unexpectedErrors, 0, `no unexpected error in the server (last log line: ${l.logger.last})`);
  assert.ok(closedMs >= 0, `the server closed the connection within ${CLOSE_WITHIN_MS} ms (input ${JSON.stringify(bytes.toString('latin1').slice(0, 120))})`);
  if (l.inputs % PROBE_EVERY === 0) {
    assert.equal(await probe(l.port), 'ok', 'the probe request is answered');
    await waitFor(
      () => {
        const st = l.server.stats;
        return st.pendingSockets === 0 && st.sessions === 0 && st.streams === 0;
      },
      { what: 'nothing held after the inputs', timeout: 2000, detail: () => JSON.stringify(l.server.stats) },
    );
  }
});
