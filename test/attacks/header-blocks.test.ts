/**
 * Attacks on header blocks against a live HTTP2Server: CONTINUATION floods (CVE-2024-27316 and
 * relatives: endless CONTINUATION without END_HEADERS, huge header blocks), HPACK bombs (a tiny
 * block referencing a big table entry thousands of times), and 0-length headers (CVE-2019-9516).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.js';
import { FrameFlags, FrameType } from '../../src/frame/index.js';
import { assertCutOff, assertServerHealthy, literalBlock, runAttack, TestClient, type AttackResult } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** HPACK literal with incremental indexing, new name (RFC 7541 section 6.2.1); lengths < 127 or 2-octet form. */
function indexedLiteral(name: string, value: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'latin1');
    if (b.length < 127) return Buffer.concat([Buffer.from([b.length]), b]);
    // 7-bit prefix integer: 127, then the rest in 7-bit groups (enough for < 16384 + 127).
    const rest = b.length - 127;
    return Buffer.concat([Buffer.from([127, (rest & 0x7f) | 0x80, rest >> 7]), b]);
  };
  return Buffer.concat([Buffer.from([0x40]), str(name), str(value)]);
}

test('CONTINUATION flood (CVE-2024-27316): endless empty CONTINUATION without END_HEADERS, default limit (64 frames)', async (t) => {
  const r = await runAttack(t, {
    async attack(a) {
      // A header block that never ends: the first half of a request, then nothing but empty CONTINUATIONs.
      a.writer.raw(FrameType.HEADERS, FrameFlags.END_STREAM, 1, literalBlock([[':method', 'GET']]));
      await a.flood(1000, (w) => {
        for (let k = 0; k < 20; k++) w.raw(FrameType.CONTINUATION, 0, 1, Buffer.alloc(0));
      });
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r);
});

test('CONTINUATION flood (CVE-2024-27316): a huge header block in 16 KiB CONTINUATIONs, default limit (128 KiB block)', async (t) => {
  const fragment = literalBlock([['x-filler', 'f'.repeat(16000)]]);
  const r = await runAttack(t, {
    async attack(a) {
      a.writer.raw(FrameType.HEADERS, FrameFlags.END_STREAM, 1, literalBlock(TestClient.requestHeaders({ path: '/' })));
      // 10 MiB offered; the server must stop buffering long before.
      await a.flood(640, (w) => w.raw(FrameType.CONTINUATION, 0, 1, fragment));
    },
  });
  assertCutOff(r, [ErrorCode.ENHANCE_YOUR_CALM]);
  assertServerHealthy(r, 32);
  assert.ok(r.attacker.goawayDebug.length > 0, 'the GOAWAY says why');
});

let bomb: AttackResult | null = null;
let answeredAfterBombs = false;

test('HPACK bomb: 10 KB blocks referencing a 4 KB table entry 10,000 times (40 MB decoded) are refused, HPACK stays in step', async (t) => {
  const request = literalBlock(TestClient.requestHeaders({ path: '/' }));
  // Each block: the request, then index 62 (the entry just added) 10,000 times.
  const bombBlock = Buffer.concat([request, Buffer.alloc(10000, 0xbe)]);
  bomb = await runAttack(t, {
    cutOffWithin: 1500,
    async attack(a) {
      let id = 1;
      a.writer.headers(id, Buffer.concat([request, indexedLiteral('x-bomb', 'B'.repeat(4000))]), true, 16384);
      id += 2;
      await a.flood(100, (w) => {
        w.headers(id, bombBlock, true, 16384);
        id += 2;
      });
      // The decoder must still be in step with ours: a plain request on the same connection is answered.
      const before = a.count(FrameType.HEADERS);
      a.writer.headers(id, request, true, 16384);
      await a.send();
      await waitFor(() => a.closed || a.finished.has(id), 'the plain request to be answered, or the connection to be cut');
      answeredAfterBombs = a.finished.has(id) && a.count(FrameType.HEADERS) > before;
    },
  });
  assertServerHealthy(bomb, 32);
  const refused = bomb.attacker.count(FrameType.HEADERS) + bomb.attacker.resetCount();
  assert.ok(refused >= 100 || bomb.attacker.goawayCode === ErrorCode.ENHANCE_YOUR_CALM, `every bomb was refused (431 or reset): ${refused}`);
  assert.ok(answeredAfterBombs || bomb.attacker.goawayCode === ErrorCode.ENHANCE_YOUR_CALM, 'the connection still works after the bombs (or was cut off)');
});

test('HPACK bomb: a client sending bomb after bomb is cut off (431s count against streamErrorLimit)', () => {
  assert.ok(bomb);
  assertCutOff(bomb, [ErrorCode.ENHANCE_YOUR_CALM]);
});

let zeroLength: AttackResult | null = null;

test('0-length headers leak (CVE-2019-9516): blocks of 1000 empty-name, empty-value fields, indexed, are refused without growing memory', async (t) => {
  const request = literalBlock(TestClient.requestHeaders({ path: '/' }));
  const empties = Buffer.alloc(3000);
  for (let i = 0; i < 3000; i += 3) empties[i] = 0x40; // literal, incremental indexing, name "" value ""
  zeroLength = await runAttack(t, {
    cutOffWithin: 1500,
    async attack(a) {
      let id = 1;
      await a.flood(500, (w) => {
        w.headers(id, Buffer.concat([request, empties]), true, 16384);
        id += 2;
      });
    },
  });
  assertServerHealthy(zeroLength, 32);
  const answers = zeroLength.attacker.resetCount() + zeroLength.attacker.count(FrameType.HEADERS) + (zeroLength.attacker.goawayCode !== null ? 1 : 0);
  assert.ok(answers > 0, 'the malformed requests were refused');
  assert.equal(zeroLength.attacker.dataBytes, 0, 'no request with empty field names was served');
});

test('0-length headers leak (CVE-2019-9516): the attacker is cut off', () => {
  assert.ok(zeroLength);
  assertCutOff(zeroLength, [ErrorCode.ENHANCE_YOUR_CALM, ErrorCode.PROTOCOL_ERROR, ErrorCode.COMPRESSION_ERROR]);
});
