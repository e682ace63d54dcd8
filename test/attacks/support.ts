/**
 * The attack harness: a live HTTP2Server on loopback, an honest node:http2 client making
 * requests on its own connection the whole time, a light raw-frame attacker, and a memory
 * sampler. One call runs one attack and returns its numbers:
 *
 *   const r = await runAttack(t, {
 *     server: { connection: { resetLimit: { burst: 100 } } },
 *     attack: async (a) => { ...write frames with a.writer, then await a.send()... },
 *   });
 *   assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
 *
 * The attacker reuses the conformance client's way of building frames (FrameWriter, HPACK
 * encoder, `literalBlock`, `TestClient.requestHeaders`) but keeps only counters of what it
 * receives: a flood of thousands of answers must not fill the test process (whose memory is
 * the server's memory we measure) with a log.
 */
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { errorCodeName } from '../../src/errors.js';
import { CONNECTION_PREFACE, FrameDecoder, FrameType, FrameWriter } from '../../src/frame/index.js';
import { HDDeflater } from '../../src/hpack/index.js';
import { HTTP2Server, type HTTP2ServerOptions } from '../../src/server/server.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { DATA_EOF, DATA_OK } from '../../src/io/data-flags.js';
import type { BodyGenerator } from '../../src/io/body-source.js';
import type { ServerLogger } from '../../src/server/session.js';
import { TestClient, literalBlock, type HeaderList } from '../conformance/helpers/client.js';
import { waitFor } from '../helpers/wait.js';

export { TestClient, literalBlock };
export type { HeaderList };

const MiB = 1024 * 1024;

/** Handlers alive now (constructed, onClose not yet seen): a leak shows up here. */
export const handlerStats = { created: 0, closed: 0, get live(): number { return this.created - this.closed; } };

/** What the application's body generators were asked for: calls and octets made. */
export const bodyStats = { pulls: 0, generated: 0 };

/** A body generator making `n` octets on demand, `size` at a time. */
function lazyBody(n: number): BodyGenerator {
  let left = n;
  return (size: number) => {
    const len = Math.min(size, left);
    left -= len;
    bodyStats.pulls++;
    bodyStats.generated += len;
    return [Buffer.alloc(len, 0x73), left === 0 ? DATA_EOF : DATA_OK];
  };
}

/**
 * The application under attack:
 * - `/` answers `ok`;
 * - `/hold` is never answered (the stream stays open until the client resets it or leaves);
 * - `/big?n=N` answers N octets (flow-control and buffering attacks);
 * - `/stream?n=N` answers N octets made on demand by a body generator (only what the pump asks for
 *   exists in memory, so RSS measures the server's buffering, not the application's body);
 * - `/echo` answers the request body once it has ended;
 * - `/throw` throws from onHeaders (an application bug a client can trigger at will);
 * - `/stuck` never returns from onData (a backend write that hangs).
 */
export class TargetHandler extends BaseRequestHandler {
  private readonly body: Buffer[] = [];

  override onHeaders(): void {
    handlerStats.created++;
    if (this.path === '/throw') throw new Error('the application fails on /throw (test)');
    const big = /^\/big\?n=(\d+)$/.exec(this.path);
    const stream = /^\/stream\?n=(\d+)$/.exec(this.path);
    if (big) this.sendResponse({ body: Buffer.alloc(Number(big[1]), 0x62) });
    else if (stream) this.sendResponse({ body: lazyBody(Number(stream[1])) });
    else if (this.path === '/') this.sendResponse({ body: 'ok' });
  }

  override onData(data: Buffer): void | Promise<void> {
    if (this.path === '/echo') this.body.push(Buffer.from(data));
    if (this.path === '/stuck') return new Promise<void>(() => {});
  }

  override onRequestDone(): void {
    if (this.path === '/echo') this.sendResponse({ body: Buffer.concat(this.body) });
  }

  override onClose(): void {
    handlerStats.closed++;
  }
}

/** Records instead of printing: handler errors are expected noise under attack. */
export class QuietLogger implements ServerLogger {
  readonly lines: string[] = [];
  error(message: string): void {
    if (this.lines.length < 100) this.lines.push(message);
  }
}

// ---- the attacker -------------------------------------------------------------------------

/** A raw HTTP/2 peer that sends what it is told and only counts what comes back. */
export class Attacker {
  readonly socket: net.Socket;
  readonly writer = new FrameWriter();
  readonly deflater = new HDDeflater();
  private readonly decoder = new FrameDecoder({ maxFrameSize: 16777215 });
  /** Frames received, by type. */
  readonly received = new Map<number, number>();
  /** RST_STREAM frames received, by error code. */
  readonly resets = new Map<number, number>();
  goawayCode: number | null = null;
  goawayDebug = '';
  /** ms after `startedAt` when GOAWAY came / the socket closed; -1 until then. */
  goawayAfter = -1;
  closedAfter = -1;
  startedAt = performance.now();
  closed = false;
  /** Answer the server's SETTINGS with an ACK (an attacker that wants to stay connected does). */
  autoAck = true;
  dataBytes = 0;
  /** Streams that ended (END_STREAM from the server, or RST_STREAM either way we saw). */
  readonly finished = new Set<number>();
  /** Return connection-level credit for every DATA received (a reading client), so responses keep flowing. */
  autoCredit = false;
  private closeWaiters: Array<() => void> = [];
  /** PING ACK payloads received (the answers to roundTrip()). */
  private readonly pingAcks = new Set<string>();
  private pings = 0;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.closedAfter = performance.now() - this.startedAt;
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    });
  }

  static async connect(port: number, options: { tls?: boolean } = {}): Promise<Attacker> {
    const socket = options.tls
      ? tls.connect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false, servername: 'localhost' })
      : net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new Attacker(socket);
  }

  /** Preface + SETTINGS (ours), no waiting: the server's SETTINGS are ACKed as they come. */
  start(settings: Array<[number, number]> = []): this {
    this.socket.write(CONNECTION_PREFACE);
    this.writer.settings(settings);
    this.startedAt = performance.now();
    return this;
  }

  count(type: number): number {
    return this.received.get(type) ?? 0;
  }

  resetCount(): number {
    let n = 0;
    for (const v of this.resets.values()) n += v;
    return n;
  }

  /** A request header block, HPACK-encoded with our (stateful) encoder. */
  encode(headers: HeaderList): Buffer {
    return this.deflater.deflate(headers);
  }

  requestBlock(path: string, method = 'GET', extra: HeaderList = []): Buffer {
    return this.encode(TestClient.requestHeaders({ path, method, headers: extra }));
  }

  /** Writes what the writer gathered; waits for 'drain' so a flood never piles up in our own memory. */
  async send(): Promise<void> {
    const out = this.writer.take();
    if (this.closed || this.socket.destroyed) return;
    let ok = true;
    for (const b of out) ok = this.socket.write(b);
    if (!ok) await this.drain();
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.closeWaiters = this.closeWaiters.filter((w) => w !== done);
        resolve();
      };
      this.socket.once('drain', done);
      this.closeWaiters.push(done);
    });
  }

  /**
   * Runs `rounds` rounds of `build(writer, round)`, sending after each and letting the event
   * loop turn, until the server closes the connection. Returns the rounds actually sent.
   */
  async flood(rounds: number, build: (w: FrameWriter, round: number) => void): Promise<number> {
    let i = 0;
    for (; i < rounds && !this.closed; i++) {
      build(this.writer, i);
      await this.send();
      if ((i & 7) === 7) await new Promise((r) => setImmediate(r));
    }
    return i;
  }

  /** Resolves when the server has closed the connection, or after `ms` (then `closed` is false). */
  waitClosed(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.closeWaiters = this.closeWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.closeWaiters.push(done);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * A PING and its ACK: when this resolves, the server has handled every frame we sent before,
   * and we have counted every frame it sent before the ACK. Rejects if the connection closes first.
   */
  async roundTrip(timeout = 5000): Promise<void> {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(0x7e57_0000 + ++this.pings, 4);
    const key = payload.toString('hex');
    this.writer.ping(payload, false);
    await this.send();
    await waitFor(() => this.pingAcks.has(key) || this.closed, { what: 'the ACK of our PING', timeout });
    if (!this.pingAcks.has(key)) throw new Error(`the connection closed before the PING ACK (GOAWAY ${this.goawayCode ?? '-'} ${this.goawayDebug})`);
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
      let credit = 0;
      for (let f = this.decoder.next(); f !== null; f = this.decoder.next()) {
        this.received.set(f.type, (this.received.get(f.type) ?? 0) + 1);
        if (f.type === FrameType.RST_STREAM || ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.endStream)) this.finished.add(f.streamId);
        if (f.type === FrameType.DATA) credit += f.flowLength;
        if (f.type === FrameType.SETTINGS && !f.ack && this.autoAck) {
          this.writer.settingsAck();
          void this.send();
        } else if (f.type === FrameType.GOAWAY && this.goawayCode === null) {
          this.goawayCode = f.errorCode;
          this.goawayDebug = f.debugData.toString('latin1');
          this.goawayAfter = performance.now() - this.startedAt;
        } else if (f.type === FrameType.RST_STREAM) {
          this.resets.set(f.errorCode, (this.resets.get(f.errorCode) ?? 0) + 1);
        } else if (f.type === FrameType.DATA) {
          this.dataBytes += f.data.length;
        } else if (f.type === FrameType.PING && f.ack) {
          this.pingAcks.add(f.data.toString('hex'));
        }
      }
      if (this.autoCredit && credit > 0) {
        this.writer.windowUpdate(0, credit);
        void this.send();
      }
    } catch {
      this.socket.destroy();
    }
  }
}

// ---- the honest client ----------------------------------------------------------------------

export interface HonestStats {
  ok: number;
  failed: string[];
  /** Each successful request's time, ms. */
  latencies: number[];
}

/** The `q` quantile (0..1) of `values`, ms; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Requests `/` back to back on one node:http2 connection until `stop()`; records every failure. */
export function startHonestClient(url: string): { stats: HonestStats; ready: Promise<void>; stop(): Promise<void> } {
  const stats: HonestStats = { ok: 0, failed: [], latencies: [] };
  let stopped = false;
  const session = http2.connect(url, { rejectUnauthorized: false });
  session.on('error', (err) => stats.failed.push(`session: ${err.message}`));
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const began = performance.now();
      const req = session.request({ ':path': '/' });
      let body = '';
      let status = 0;
      req.setEncoding('utf8');
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (status === 200 && body === 'ok') {
          stats.ok++;
          stats.latencies.push(performance.now() - began);
        } else stats.failed.push(`status ${status} body ${JSON.stringify(body)}`);
        resolve();
      });
      req.on('error', (err) => {
        stats.failed.push(`request: ${err.message}`);
        resolve();
      });
      // A stream can close with neither 'end' nor 'error' (a session torn down under it): a
      // failure, counted, rather than a request awaited for ever (which hung stop(), and the test).
      req.on('close', () => {
        if (!req.readableEnded && !req.errored) stats.failed.push(`request closed before its end (RST code ${req.rstCode})`);
        resolve();
      });
    });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const loop = (async () => {
    await one();
    markReady();
    while (!stopped && !session.destroyed) {
      await one();
      // A short pause: the honest client is a steady customer, not a second flood.
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stats,
    ready,
    async stop() {
      stopped = true;
      markReady();
      await loop;
      // session.close(cb) never calls cb on a session already closing or closed (the server may
      // have ended it): wait for its 'close' unless it is gone already.
      if (session.destroyed) return;
      await new Promise<void>((resolve) => {
        session.once('close', () => resolve());
        session.close();
      });
    },
  };
}

// ---- memory ---------------------------------------------------------------------------------

/** Samples the process RSS (the server runs in this process) every few ms; reports the peak growth. */
export function sampleMemory(): { stop(): { baseMiB: number; peakGrowthMiB: number } } {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      return { baseMiB: base / MiB, peakGrowthMiB: (peak - base) / MiB };
    },
  };
}

// ---- one attack, end to end -----------------------------------------------------------------

export interface AttackOptions {
  /** Server options (limits made small where that keeps the test quick). */
  server?: HTTP2ServerOptions;
  /** Attack over TLS (a throwaway certificate is made with openssl). */
  tls?: { key: Buffer; cert: Buffer };
  /** Connect and send the preface + SETTINGS first (default true). */
  start?: boolean;
  /** Our SETTINGS for the attacker's connection. */
  settings?: Array<[number, number]>;
  /** The attack; it returns when it has sent everything it meant to (or was cut off). */
  attack(a: Attacker, server: HTTP2Server): Promise<void>;
  /** How long after the attack's end to wait for the cut-off, ms. Default 5000. */
  cutOffWithin?: number;
  /** Keep the honest client running at least this long, ms (so it overlaps the attack). Default 100. */
  minHonestMs?: number;
}

export interface AttackResult {
  attacker: Attacker;
  honest: HonestStats;
  cutOff: boolean;
  /** ms from the attack's start to the socket close (or GOAWAY), -1 if never. */
  cutOffMs: number;
  goaway: string;
  peakGrowthMiB: number;
  liveHandlersAfter: number;
  sessionsAfter: number;
  log: string[];
}

export async function runAttack(t: TestContext, options: AttackOptions): Promise<AttackResult> {
  const logger = new QuietLogger();
  const server = new HTTP2Server(['127.0.0.1', 0], TargetHandler, { logger, ssl: options.tls ?? null, ...options.server });
  await server.listen();
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${server.port}`;
  const honest = startHonestClient(url);
  // The honest connection is up and served before the attack starts (the attack may count sessions).
  await honest.ready;
  const memory = sampleMemory();
  const attacker = await Attacker.connect(server.port, { tls: options.tls !== undefined });
  const began = performance.now();
  let cutOff = false;
  let cutOffMs = -1;
  try {
    if (options.start ?? true) {
      attacker.start(options.settings ?? []);
      await attacker.send();
    }
    await options.attack(attacker, server);
    cutOff = await attacker.waitClosed(options.cutOffWithin ?? 5000);
    cutOffMs = cutOff ? attacker.closedAfter : -1;
    const minHonest = options.minHonestMs ?? 100;
    // The honest client's own pace: it keeps going at least this long (a duration asked for, not a bound checked).
    while (performance.now() - began < minHonest) await new Promise((r) => setTimeout(r, 10));
  } finally {
    attacker.close();
  }
  const mem = memory.stop();
  await honest.stop();
  // Let the server notice the attacker's socket is gone before counting what it still holds.
  await waitFor(() => server.sessionCount === 0, { what: 'the server to drop both sessions', timeout: 2000 }).catch(() => {});
  const sessionsAfter = server.sessionCount; // asserted (0) by assertServerHealthy, with the rest of the numbers
  await server.close();
  const goaway = attacker.goawayCode === null ? 'none' : `${errorCodeName(attacker.goawayCode)} (${attacker.goawayDebug})`;
  const result: AttackResult = {
    attacker,
    honest: honest.stats,
    cutOff,
    cutOffMs,
    goaway,
    peakGrowthMiB: mem.peakGrowthMiB,
    liveHandlersAfter: handlerStats.live,
    sessionsAfter,
    log: logger.lines,
  };
  const recv = [...attacker.received].map(([type, n]) => `${type}:${n}`).join(' ');
  t.diagnostic(
    `cut-off ${result.cutOff ? `${cutOffMs.toFixed(0)} ms` : 'NEVER'}, GOAWAY ${goaway}, peak RSS growth ${mem.peakGrowthMiB.toFixed(1)} MiB, ` +
      `honest ${honest.stats.ok} ok / ${honest.stats.failed.length} failed (p50 ${quantile(honest.stats.latencies, 0.5).toFixed(2)} ms, ` +
      `p99 ${quantile(honest.stats.latencies, 0.99).toFixed(2)} ms), frames received by type {${recv}}, resets ${attacker.resetCount()}`,
  );
  return result;
}

/** The checks every attack test makes: the server served the honest client throughout and did not balloon. */
export function assertServerHealthy(r: AttackResult, maxGrowthMiB = 64): void {
  assert.deepEqual(r.honest.failed, [], 'every honest request succeeded');
  assert.ok(r.honest.ok > 0, 'the honest client got answers during the attack');
  assert.ok(r.peakGrowthMiB < maxGrowthMiB, `peak RSS growth ${r.peakGrowthMiB.toFixed(1)} MiB < ${maxGrowthMiB} MiB`);
  assert.equal(r.sessionsAfter, 0, 'no session left once both clients are gone');
  assert.equal(r.liveHandlersAfter, 0, 'every handler saw onClose');
}

/** The attacker was cut off: GOAWAY with one of `codes` (if given; null: no GOAWAY required), then the socket closed. */
export function assertCutOff(r: AttackResult, codes: number[] | null, withinMs = 5000): void {
  assert.ok(r.cutOff, `the attacker was disconnected (GOAWAY: ${r.goaway})`);
  assert.ok(r.cutOffMs <= withinMs, `cut off after ${r.cutOffMs.toFixed(0)} ms <= ${withinMs} ms`);
  if (codes !== null) {
    assert.ok(r.attacker.goawayCode !== null, 'a GOAWAY came before the close');
    assert.ok(codes.includes(r.attacker.goawayCode), `GOAWAY ${r.goaway} is one of ${codes.map(errorCodeName).join(', ')}`);
  }
}

/** The attacker's pace between rounds (how fast it attacks). Never a wait before a check: use waitFor or roundTrip. */
export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
