/**
 * Bytes that are neither the HTTP/2 preface nor an HTTP/1.x request line, sent to a cleartext
 * port (issue 12, item 10): a TLS ClientHello (a client that meant https://), random binary, and
 * h2spec's `INVALID CONNECTION PREFACE` with and without a line end. Each must be closed at once,
 * with nothing written back (an HTTP/1.1 answer is bytes such a peer cannot read), not held until
 * handshakeTimeout, which is left at its default (10 s) so that waiting for it cannot pass. An
 * honest node:http2 client is served throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { assertCutOff, assertServerHealthy, runAttack, type Attacker } from './support.js';

/** Well under the 10 s default deadline; loopback closes take a few ms (the figures are printed). */
const AT_ONCE_MS = 1000;

/** Counts the bytes the server sends back on the attacker's socket. */
function countReplies(a: Attacker): { bytes: number } {
  const seen = { bytes: 0 };
  a.socket.on('data', (d: Buffer) => (seen.bytes += d.length));
  return seen;
}

for (const [name, bytes] of [
  ['INVALID CONNECTION PREFACE\\r\\n\\r\\n (h2spec 3.5)', 'INVALID CONNECTION PREFACE\r\n\r\n'],
  ['INVALID CONNECTION PREFACE, no line end', 'INVALID CONNECTION PREFACE'],
  ['a request line of another HTTP version (GET / HTTP/2.0)', 'GET / HTTP/2.0\r\n'],
] as const) {
  test(`${name} on a cleartext port: closed at once, nothing answered; honest client served`, async (t) => {
    let replies = { bytes: 0 };
    const r = await runAttack(t, {
      start: false,
      cutOffWithin: 3000,
      attack: async (a) => {
        replies = countReplies(a);
        a.startedAt = performance.now();
        a.socket.write(bytes);
      },
    });
    assertCutOff(r, null, AT_ONCE_MS);
    assert.equal(replies.bytes, 0, 'no HTTP/1.1 answer to a peer that did not speak HTTP/1.x');
    assertServerHealthy(r);
  });
}

test('a TLS ClientHello on a cleartext port (node:tls client): closed at once; honest client served', async (t) => {
  let tlsError = '';
  const r = await runAttack(t, {
    start: false,
    cutOffWithin: 3000,
    attack: async (a) => {
      a.startedAt = performance.now();
      // The TLS client writes its ClientHello over the attacker's TCP socket (first byte 0x16).
      const secure = tls.connect({ socket: a.socket, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
      secure.on('error', (err) => (tlsError = err.message));
    },
  });
  t.diagnostic(`the TLS client saw: ${tlsError || '(no error, the socket closed)'}`);
  assertCutOff(r, null, AT_ONCE_MS);
  assertServerHealthy(r);
});

/** A small deterministic generator: the same "random" bytes on every run. */
function prng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
}

test('random binary first bytes (20 connections, 1-512 bytes each): each closed at once; honest client served', async (t) => {
  const times: number[] = [];
  let replies = 0;
  const r = await runAttack(t, {
    start: false,
    cutOffWithin: 3000,
    attack: async (a, server) => {
      const rand = prng(0x5eed);
      const junk = (): Buffer => {
        const b = Buffer.alloc(1 + rand(512));
        for (let i = 0; i < b.length; i++) b[i] = rand(256);
        return b;
      };
      a.socket.on('data', (d: Buffer) => (replies += d.length));
      const others = Array.from({ length: 19 }, () =>
        new Promise<void>((resolve) => {
          const s = net.connect(server.port, '127.0.0.1');
          const bytes = junk();
          let began = 0;
          s.on('connect', () => {
            began = performance.now();
            s.write(bytes);
          });
          s.on('data', (d: Buffer) => (replies += d.length));
          s.on('error', () => {});
          const giveUp = setTimeout(() => s.destroy(), 3000);
          s.on('close', () => {
            clearTimeout(giveUp);
            times.push(began === 0 ? Infinity : performance.now() - began);
            resolve();
          });
        }),
      );
      a.startedAt = performance.now();
      a.socket.write(junk());
      await Promise.all(others);
    },
  });
  times.push(r.cutOffMs < 0 ? Infinity : r.cutOffMs);
  t.diagnostic(`20 connections of random bytes closed after ${Math.min(...times).toFixed(1)}-${Math.max(...times).toFixed(1)} ms`);
  assertCutOff(r, null, AT_ONCE_MS);
  for (const x of times) assert.ok(x < AT_ONCE_MS, `closed after ${x.toFixed(0)} ms < ${AT_ONCE_MS} ms`);
  assert.equal(replies, 0, 'nothing written back to binary garbage');
  assertServerHealthy(r);
});
