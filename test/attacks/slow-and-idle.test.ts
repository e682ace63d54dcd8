/**
 * Connections that cost the server a socket while doing (almost) nothing: slowloris on the TLS
 * handshake and on the HTTP/2 preface (or an HTTP/1.1 head), and idle HTTP/2 connections. The
 * server's handshakeTimeout and idleTimeout are made short; an honest client is served throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { TestContext } from 'node:test';
import { HTTP2Server, type HTTP2ServerOptions } from '../../src/server/server.js';
import { DEFAULT_SHUTDOWN_PING_TIMEOUT } from '../../src/connection/index.js';
import { CONNECTION_PREFACE, FrameWriter } from '../../src/frame/index.js';
import { makeTestCert } from '../server/support.js';
import { QuietLogger, sampleMemory, startHonestClient, TargetHandler } from './support.js';

const HANDSHAKE_MS = 300;
const IDLE_MS = 300;

/** Opens `count` sockets that each write `bytes` one octet every `everyMs` (at most `maxMs`); resolves with each socket's close time (-1: still open at the end). */
async function dribble(port: number, count: number, bytes: Buffer, everyMs: number, maxMs: number): Promise<number[]> {
  const runs: Array<Promise<number>> = [];
  for (let n = 0; n < count; n++) {
    runs.push(
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        const start = performance.now();
        let i = 0;
        let done = false;
        socket.on('error', () => {});
        socket.on('data', () => {});
        const finish = (closedAt: number): void => {
          if (done) return;
          done = true;
          clearInterval(timer);
          clearTimeout(giveUp);
          socket.destroy();
          resolve(closedAt);
        };
        const timer = setInterval(() => {
          if (i < bytes.length && !socket.destroyed) socket.write(bytes.subarray(i, ++i));
        }, everyMs);
        const giveUp = setTimeout(() => finish(-1), maxMs);
        socket.on('close', () => finish(performance.now() - start));
      }),
    );
  }
  return Promise.all(runs);
}

async function withServer(
  t: TestContext,
  options: HTTP2ServerOptions,
  run: (server: HTTP2Server) => Promise<void>,
): Promise<void> {
  const server = new HTTP2Server(['127.0.0.1', 0], TargetHandler, { logger: new QuietLogger(), ...options });
  await server.listen();
  const honest = startHonestClient(`${options.ssl ? 'https' : 'http'}://127.0.0.1:${server.port}`);
  await honest.ready;
  const memory = sampleMemory();
  try {
    await run(server);
  } finally {
    const mem = memory.stop();
    await honest.stop();
    await server.close();
    t.diagnostic(`peak RSS growth ${mem.peakGrowthMiB.toFixed(1)} MiB, honest ${honest.stats.ok} ok / ${honest.stats.failed.length} failed`);
    assert.deepEqual(honest.stats.failed, [], 'every honest request succeeded');
    assert.ok(honest.stats.ok > 0);
    assert.ok(mem.peakGrowthMiB < 48, `peak RSS growth ${mem.peakGrowthMiB.toFixed(1)} MiB < 48 MiB`);
  }
}

function summary(times: number[]): string {
  const closed = times.filter((x) => x >= 0);
  return `${closed.length}/${times.length} closed, slowest ${closed.length ? Math.max(...closed).toFixed(0) : '-'} ms`;
}

let tlsSilent: number[] = [];
let tlsSlow: number[] = [];
let tlsSkipped = false;

test('Slowloris on the TLS handshake: silent sockets and a ClientHello dribbled an octet at a time; server healthy', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) {
    tlsSkipped = true;
    t.skip('openssl is not available to make a test certificate');
    return;
  }
  await withServer(t, { ssl: cert, handshakeTimeout: HANDSHAKE_MS }, async (server) => {
    // A TLS record header of a handshake message, then a ClientHello that never completes.
    const hello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), Buffer.alloc(100, 7)]);
    [tlsSilent, tlsSlow] = await Promise.all([
      dribble(server.port, 20, Buffer.alloc(0), 50, 1500),
      dribble(server.port, 20, hello, 50, 1500),
    ]);
    t.diagnostic(`silent: ${summary(tlsSilent)}; dribbling a ClientHello: ${summary(tlsSlow)}`);
  });
});

test('Slowloris on the TLS handshake: cut off after handshakeTimeout', () => {
  if (tlsSkipped) return;
  for (const x of [...tlsSilent, ...tlsSlow]) {
    assert.ok(x >= 0, 'every slow handshake was cut off');
    assert.ok(x < HANDSHAKE_MS * 3 + 500, `cut off after ${x.toFixed(0)} ms`);
  }
});

let prefaceTimes: number[] = [];

test('Slowloris on the preface: silent sockets are closed after handshakeTimeout (honest client served)', async (t) => {
  await withServer(t, { handshakeTimeout: HANDSHAKE_MS }, async (server) => {
    const silent = await dribble(server.port, 20, Buffer.alloc(0), 50, 3000);
    t.diagnostic(`silent: ${summary(silent)}`);
    for (const x of silent) assert.ok(x >= 0 && x < HANDSHAKE_MS * 3 + 1000, `cut off after ${x.toFixed(0)} ms`);
    // Measured here, judged by the next test: the preface (then SETTINGS) one octet every 50 ms.
    const w = new FrameWriter();
    w.settings([]);
    const slow = Buffer.concat([CONNECTION_PREFACE, ...w.take()]);
    prefaceTimes = await dribble(server.port, 10, slow, 50, 1500);
    t.diagnostic(`preface dribbled an octet every 50 ms: ${summary(prefaceTimes)}`);
  });
});

test('Slowloris on the preface: a preface dribbled an octet at a time is cut off after handshakeTimeout', () => {
  for (const x of prefaceTimes) assert.ok(x >= 0 && x < HANDSHAKE_MS * 3, `cut off after ${x.toFixed(0)} ms`);
});

let headTimes: number[] = [];

test('Slowloris on an HTTP/1.1 head (before any h2c upgrade): server healthy', async (t) => {
  await withServer(t, { handshakeTimeout: HANDSHAKE_MS }, async (server) => {
    const head = Buffer.from(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(200)}`, 'latin1');
    headTimes = await dribble(server.port, 10, head, 50, 1500);
    t.diagnostic(`HTTP/1.1 head dribbled an octet every 50 ms: ${summary(headTimes)}`);
  });
});

test('Slowloris on an HTTP/1.1 head is cut off after handshakeTimeout', () => {
  for (const x of headTimes) assert.ok(x >= 0 && x < HANDSHAKE_MS * 3, `cut off after ${x.toFixed(0)} ms`);
});

/** A well-formed HTTP/2 start (preface, SETTINGS, ACK of the server's SETTINGS), then `extra` every 100 ms. */
function idleConnection(port: number, pings: boolean, maxMs: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const start = performance.now();
    const w = new FrameWriter();
    w.settings([]);
    w.settingsAck(); // the server's SETTINGS carry nothing we must wait for
    socket.on('connect', () => socket.write(Buffer.concat([CONNECTION_PREFACE, ...w.take()])));
    socket.on('error', () => {});
    socket.on('data', () => {});
    let n = 0;
    const timer = setInterval(() => {
      if (!pings || socket.destroyed) return;
      w.ping(Buffer.alloc(8, n++), false);
      socket.write(Buffer.concat(w.take()));
    }, 100);
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve(-1);
    }, maxMs);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve(performance.now() - start);
    });
  });
}

let pingTimes: number[] = [];

test('Idle connections: 50 HTTP/2 connections with no stream are closed (GOAWAY) after idleTimeout', async (t) => {
  await withServer(t, { idleTimeout: IDLE_MS }, async (server) => {
    const times = await Promise.all(Array.from({ length: 50 }, () => idleConnection(server.port, false, 4000)));
    t.diagnostic(`idle: ${summary(times)}`);
    for (const x of times) assert.ok(x >= 0 && x < IDLE_MS * 3 + 1500, `closed after ${x.toFixed(0)} ms`);
    pingTimes = await Promise.all(Array.from({ length: 10 }, () => idleConnection(server.port, true, 1500)));
    t.diagnostic(`idle but sending a PING every 100 ms: ${summary(pingTimes)}`);
  });
});

test('Idle connections kept open by PINGs alone are closed after idleTimeout', () => {
  // These clients do not answer PINGs: the graceful shutdown waits DEFAULT_SHUTDOWN_PING_TIMEOUT for its own before the final GOAWAY.
  for (const x of pingTimes) assert.ok(x >= 0 && x < IDLE_MS * 3 + DEFAULT_SHUTDOWN_PING_TIMEOUT, `closed after ${x.toFixed(0)} ms`);
});
