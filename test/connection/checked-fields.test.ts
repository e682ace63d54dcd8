/**
 * The request checks skip rescanning strings the connection's last well-formed request proved
 * valid (src/connection/checked-fields.ts). What must hold whatever is remembered:
 *  - a field inserted into the HPACK dynamic table valid and then referenced by index is accepted
 *    on every use;
 *  - a malformed field is refused on every use: sent as a literal with incremental indexing (the
 *    block is decoded, so the entry stays in the table), then referenced by index in later
 *    blocks, with a well-formed request remembered before it at the same positions;
 *  - the application changing the list of a request it received changes nothing the checks trust.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from '../../src/errors.js';
import { FrameType } from '../../src/frame/index.js';
import type { HeaderList } from '../../src/connection/index.js';
import { checkRequest, MessageInfo } from '../../src/connection/field-validation.js';
import { CheckedFields } from '../../src/connection/checked-fields.js';
import { eventsOf, ofType, ScriptedPeer } from './helpers/peer.js';
import { literalBlock } from '../conformance/helpers/client.js';

/** Number of static table entries: dynamic index 1 is HPACK index 62 (RFC 7541 section 2.3.3). */
const STATIC_LENGTH = 61;

function pushInteger(out: number[], flags: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) + 128);
  out.push(value);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  pushInteger(out, 0x00, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

/** Every field as a literal with incremental indexing and a new name (section 6.2.1): the first ends up oldest. */
function indexingBlock(headers: HeaderList): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    out.push(0x40);
    pushString(out, name);
    pushString(out, value);
  }
  return Buffer.from(out);
}

/** Every field by index into the entries `indexingBlock(headers)` added last (no other entry added since). */
function indexedBlock(count: number): Buffer {
  const out: number[] = [];
  for (let j = 0; j < count; j++) pushInteger(out, 0x80, 7, STATIC_LENGTH + count - j);
  return Buffer.from(out);
}

const VALID: HeaderList = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'example.com:8443'],
  ['user-agent', 'test-agent/1.0'],
  ['accept', '*/*'],
];

function server(): ScriptedPeer {
  const p = new ScriptedPeer({ role: 'server' });
  p.handshake();
  return p;
}

/** The RST_STREAM code the server sent on `id`, or undefined. */
function resetOf(p: ScriptedPeer, id: number): number | undefined {
  return ofType(p.frames(), FrameType.RST_STREAM).find((f) => f.streamId === id)?.errorCode;
}

test('fields inserted valid into the dynamic table are accepted on every reference by index', () => {
  const p = server();
  p.send((w) => w.headers(1, indexingBlock(VALID), true, 16384));
  for (let id = 3; id <= 21; id += 2) p.send((w) => w.headers(id, indexedBlock(VALID.length), true, 16384));
  const requests = eventsOf(p.events, 'headers');
  assert.equal(requests.length, 11);
  for (const r of requests) assert.deepEqual(r.headers, VALID);
  assert.equal(ofType(p.frames(), FrameType.RST_STREAM).length, 0);
});

/** One malformed field, and where it goes in VALID: replacing a field, or added after the pseudo-headers. */
interface BadField {
  field: [string, string];
  at: number;
  replace: boolean;
}

const latin1 = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 });
/** A new name, or one of VALID's regular names (the field then replaces VALID's at its position). */
const lowerName = fc.oneof(fc.stringMatching(/^x-[a-z0-9-]{1,10}$/), fc.constantFrom('user-agent', 'accept'));
const BAD_FIELD: fc.Arbitrary<BadField> = fc.oneof(
  // A value with NUL, CR or LF inside, or SP/HTAB at an end (RFC 9113 section 8.2.1).
  fc.tuple(lowerName, latin1, fc.constantFrom('\0', '\r', '\n', '\r\n'), latin1).map(([n, a, c, b]): [string, string] => [n, `${a}${c}${b}`]),
  fc.tuple(lowerName, latin1, fc.constantFrom(' ', '\t'), fc.boolean()).map(([n, v, ws, lead]): [string, string] => [n, lead ? ws + v : v + ws]),
  // A name with an uppercase letter or a space, a connection-specific field, te other than trailers.
  fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,10}$/), fc.constantFrom('A', 'Z', ' ', '\x7f'), latin1).map(([n, c, v]): [string, string] => [n + c, v]),
  fc.tuple(fc.constantFrom('connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'), latin1).map(([n, v]): [string, string] => [n, v]),
  fc.constantFrom<[string, string]>(['te', 'gzip'], ['te', 'trailers, gzip']),
  // A value the pseudo-header it replaces may not carry, or the same value with an octet more.
  fc.constantFrom<[string, string]>([':path', '/index.html\x01'], [':path', '/index html'], [':path', 'index.html'], [':path', '/index.html '], [':path', '/index.html\x7f']),
  fc.constantFrom<[string, string]>([':authority', 'example.com:8443 '], [':authority', 'example.com:84430'], [':authority', 'user@example.com:8443'], [':authority', 'example.com:8443/']),
  fc.constantFrom<[string, string]>([':method', 'GET '], [':method', 'G\x00T'], [':method', 'GE(T']),
).chain((field) => {
  const same = VALID.findIndex(([n]) => n === field[0]);
  if (same >= 0) return fc.constant({ field, at: same, replace: true });
  return fc.record({ field: fc.constant(field), at: fc.integer({ min: 4, max: VALID.length }), replace: fc.boolean() }).map((b) => ({ ...b, replace: b.replace && b.at < VALID.length }));
});

function withBad(bad: BadField): HeaderList {
  const list = VALID.map(([n, v]): [string, string] => [n, v]);
  list.splice(bad.at, bad.replace ? 1 : 0, bad.field);
  return list;
}

test('a malformed field inserted into the dynamic table is refused on every reference by index', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(BAD_FIELD, fc.integer({ min: 1, max: 4 }), (bad, uses) => {
      const p = server();
      // A well-formed request first, so the checks remember it at the same positions (literals
      // without indexing: the dynamic table holds only what indexingBlock adds).
      p.send((w) => w.headers(1, literalBlock(VALID), true, 16384));
      assert.equal(resetOf(p, 1), undefined);
      const list = withBad(bad);
      const token = checkRequest(list, false, new MessageInfo());
      assert.notEqual(token, null, `${JSON.stringify(list)} is malformed`);
      p.send((w) => w.headers(3, indexingBlock(list), true, 16384));
      assert.equal(resetOf(p, 3), ErrorCode.PROTOCOL_ERROR, 'refused as a literal');
      for (let u = 0, id = 5; u < uses; u++, id += 4) {
        p.send((w) => w.headers(id, indexedBlock(list.length), true, 16384));
        assert.equal(resetOf(p, id), ErrorCode.PROTOCOL_ERROR, `refused by index, use ${u + 1}`);
        // Interleaved with well-formed requests, which refill what the checks remember.
        p.send((w) => w.headers(id + 2, literalBlock(VALID), true, 16384));
        assert.equal(resetOf(p, id + 2), undefined);
      }
      assert.equal(p.conn.isClosed, false);
      assert.deepEqual(
        eventsOf(p.events, 'headers').map((e) => e.headers),
        Array.from({ length: uses + 1 }, () => VALID),
        'only the well-formed requests reach the application',
      );
    }),
    { numRuns: 300 },
  );
});

test('checkRequest with a connection\'s MessageInfo gives every malformed list the token a fresh one gives', () => {
  fc.assert(
    fc.property(BAD_FIELD, (bad) => {
      const info = new MessageInfo();
      assert.equal(checkRequest(VALID.map(([n, v]) => [n, v]), false, info), null);
      const list = withBad(bad);
      assert.equal(checkRequest(list, false, info), checkRequest(list, false, new MessageInfo()));
      assert.equal(checkRequest(VALID.map(([n, v]) => [n, v]), false, info), null, 'and the well-formed one still passes');
    }),
    { numRuns: 500 },
  );
});

test('what the application does to a received list changes nothing the checks trust', () => {
  const p = server();
  const block = indexingBlock(VALID);
  p.send((w) => w.headers(1, block, true, 16384));
  const received = eventsOf(p.events, 'headers')[0]!.headers;
  // The application rewrites the list it was given, to exactly what the next request carries.
  received[4]![1] = 'test-agent/1.0\r\nx-injected: 1';
  received[2] = [':path', '/a b'];
  received.push(['connection', 'close']);
  const next: HeaderList = [...received.map(([n, v]): [string, string] => [n, v])];
  p.send((w) => w.headers(3, indexingBlock(next), true, 16384));
  assert.equal(resetOf(p, 3), ErrorCode.PROTOCOL_ERROR);
  for (const [i, field] of [[2, [':path', '/a b']], [4, ['user-agent', 'test-agent/1.0\r\nx-injected: 1']]] as const) {
    const one = VALID.map(([n, v]): [string, string] => [n, v]);
    one[i] = [field[0], field[1]];
    p.send((w) => w.headers(5 + i * 2, literalBlock(one), true, 16384));
    assert.equal(resetOf(p, 5 + i * 2), ErrorCode.PROTOCOL_ERROR, `field ${i} as the application left it`);
  }
  assert.equal(eventsOf(p.events, 'headers').length, 1);
});

test('a host without :authority is checked unless it equals an authority already found valid', () => {
  const info = new MessageInfo();
  const noAuthority = (host: string): HeaderList => [[':method', 'GET'], [':scheme', 'https'], [':path', '/'], ['host', host]];
  assert.equal(checkRequest(VALID.map(([n, v]) => [n, v]), false, info), null);
  assert.equal(checkRequest(noAuthority('example.com:8443'), false, info), null);
  assert.equal(checkRequest(noAuthority('example.com:8443 '), false, info), 'field_value_invalid');
  assert.equal(checkRequest(noAuthority('exa mple.com'), false, info), 'host_invalid');
  assert.equal(checkRequest(noAuthority('user@example.com'), false, info), 'host_invalid');
});

test('a connection remembers at most 4 KiB of field octets and 1 KiB targets of its last request', () => {
  const checked = new CheckedFields();
  const big = 'v'.repeat(2000);
  const path = `/${'p'.repeat(1100)}`;
  checked.remember([[':method', 'GET'], [':path', path], ['x-a', big], ['x-b', big], ['x-c', 'c']], 'GET', path, 'example.com');
  assert.equal(checked.has(0, ':method', 'GET'), true);
  assert.equal(checked.has(1, ':path', path), true, 'as a field it fits the 4 KiB');
  assert.equal(checked.has(2, 'x-a', big), true);
  assert.equal(checked.has(3, 'x-b', big), false, 'past 4 KiB');
  assert.equal(checked.has(4, 'x-c', 'c'), false, 'nothing after the first field that did not fit');
  assert.equal(checked.path, null, 'a :path over 1 KiB is not kept apart');
  assert.equal(checked.authority, 'example.com');
  checked.remember([[':method', 'GET']], 'GET', '/', null);
  assert.equal(checked.has(1, ':path', path), false, 'a shorter request lets go of the rest');
  assert.equal(checked.authority, 'example.com', 'an authority found valid stays valid');
});
