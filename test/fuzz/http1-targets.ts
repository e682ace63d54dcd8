/**
 * Fuzz targets for what a server reads before HTTP/2 starts (src/server/first-bytes.ts,
 * src/server/http1.ts), as fast-check properties:
 *
 * - `http1Head`: arbitrary bytes, and heads assembled from plausible and broken pieces (methods,
 *   target forms, versions, separators, line ends, field lines with any octet), through
 *   parseHttp1RequestHead and h2cUpgradeOf;
 * - `h2cUpgrade`: valid upgrade requests (random HTTP2-Settings, valid or not, some not base64url;
 *   bodies announced; target forms) with a few octets overwritten or inserted;
 * - `firstBytes`: the first-bytes classifier on arbitrary and plausible first bytes in arbitrary
 *   chunks.
 *
 * What must hold: only Http1RequestError (400 or 431, an `http1_` token) is thrown, and the
 * classifier throws nothing; a head that parses has a token method, a target without controls, an
 * HTTP/1.x version, lowercase token names and values without controls or surrounding whitespace,
 * and lies within the bytes and the size limit; an upgrade's fields pass the HTTP/2 request check
 * (checkRequestFields), its SETTINGS payload is whole entries, at most 32, each in range; an
 * unmutated valid upgrade is accepted. The classifier's resumed scans agree with one scan, a final
 * verdict stays, `preface` means the preface, and it never calls garbage what the parser accepts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRequestFields, isToken, isValidTargetOctets } from '../../src/connection/index.js';
import { CONNECTION_PREFACE, checkSettingValue } from '../../src/frame/index.js';
import { Http1RequestError } from '../../src/server/errors.js';
import { classifyFirstBytes, FIRST_BYTES_START, type FirstBytesScan } from '../../src/server/first-bytes.js';
import { DEFAULT_MAX_SETTINGS_ENTRIES } from '../../src/connection/index.js';
import { h2cUpgradeOf, type H2cUpgrade } from '../../src/server/http1.js';
import { parseHttp1RequestHead, type ParsedHead as Http1RequestHead } from '../helpers/http1-head.js';

/** Splits `data` at the given cut points (taken modulo its length). */
export function chunksAt(data: Uint8Array, cuts: number[]): Buffer[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) return [buf];
  const points = [...new Set(cuts.map((c) => c % buf.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) out.push(buf.subarray(at, p));
    at = Math.max(at, p);
  }
  out.push(buf.subarray(at));
  return out;
}

/** The only error the HTTP/1.1 side may throw: typed, with a status we answer and a stable token. */
function assertHttp1Error(err: unknown, where: string): void {
  if (!(err instanceof Http1RequestError)) {
    throw new assert.AssertionError({ message: `${where} threw ${String(err)}, not an Http1RequestError\n${(err as Error)?.stack ?? ''}` });
  }
  assert.ok(err.status === 400 || err.status === 431, `${where}: status ${err.status}`);
  assert.ok(err.token.startsWith('http1_'), `${where}: token ${err.token}`);
}

// ---- inputs --------------------------------------------------------------------------------------

/** One octet as a latin1 char, printable most of the time, any octet some of the time. */
const octetChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\0', '\t', ' ', ':', '\x7f', '\xff', '@', '#', '[', ']') },
);
const anyText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: octetChar, maxLength });

/**
 * One piece of a head: valid most of the time, so that a head has one or two broken pieces at
 * most and the parser's later rules are reached; otherwise a known-bad variant or arbitrary text.
 */
const piece = (valid: string[], broken: string[], randomLength: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 18, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...broken) }, { weight: 1, arbitrary: anyText(randomLength) });
const method = piece(['GET', 'POST', 'OPTIONS', 'CONNECT', 'HEAD', 'PRI', 'get'], ['G(T', 'A'.repeat(33), ''], 8);
const target = piece(
  ['/', '/a?b=c', '*', 'http://a/b', 'http://a', 'HTTP://a:80?x', 'https://a/', 'http:///x', 'http://u@a/', 'a:443', '[::1]:443', '/caf\xe9'],
  ['a', '/a#f', '/a\x01', '', '/a b'],
  24,
);
const version = piece(['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.9'], ['HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', ''], 10);
const sep = piece([' '], ['  ', '\t', ''], 2);
const eol = piece(['\r\n'], ['\n', '\r', '', '\r\r\n'], 2);
const fieldName = piece(
  ['Host', 'Host', 'host', 'Upgrade', 'Connection', 'HTTP2-Settings', 'Content-Length', 'Transfer-Encoding', 'TE', 'Expect', 'X-A'],
  ['Host ', ' X', '', 'X(Y'],
  10,
);
const fieldValue = piece(['h2c', 'a', 'localhost', '[::1]:80', 'trailers', '100-continue', '5', 'chunked', '', ' a ', 'AAMAAABk', 'Upgrade, HTTP2-Settings'], ['a\x01', 'a\x7f', 'a\0'], 30);
const colon = piece([':', ': ', ':\t'], [' : ', ''], 2);
const fieldLine = fc.tuple(fieldName, colon, fieldValue, eol).map(([n, c, v, e]) => n + c + v + e);

/** A head put together from the pieces above: mostly near-valid, broken in one or two places. */
export const assembledHead = fc
  .tuple(
    piece([''], ['\r\n', '\r\n\r\n', '\r\n\r\n\r\n', ' '], 2),
    method,
    sep,
    target,
    sep,
    version,
    eol,
    fc.array(fieldLine, { maxLength: 10 }),
    piece(['\r\n'], ['', '\n'], 2),
    anyText(16),
  )
  .map(([lead, m, s1, t, s2, v, e, fields, end, body]) => Buffer.from(lead + m + s1 + t + s2 + v + e + fields.join('') + end + body, 'latin1'));

/** An HTTP2-Settings value: a payload of random pairs (ids 0-10, values in and out of range), or not base64url at all. */
const settingsValue = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.oneof(fc.nat({ max: 70000 }), fc.constantFrom(0, 1, 2, 16383, 16384, 16777215, 16777216, 0x7fffffff, 0x80000000, 0xffffffff))), { maxLength: 40 })
      .chain((pairs) =>
        fc.tuple(fc.constant(pairs), fc.constantFrom('', '=', '==')).map(([p, pad]) => {
          const b = Buffer.alloc(p.length * 6);
          p.forEach(([id, v], i) => {
            b.writeUInt16BE(id, i * 6);
            b.writeUInt32BE(v >>> 0, i * 6 + 2);
          });
          return b.toString('base64url') + pad;
        }),
      ),
  },
  { weight: 1, arbitrary: anyText(20) },
);

/** Whether every pair of an HTTP2-Settings value is one a SETTINGS frame may carry. */
function settingsAreValid(value: string): boolean {
  if (!/^[A-Za-z0-9_-]*=*$/.test(value)) return false;
  const b = Buffer.from(value, 'base64url');
  if (b.length % 6 !== 0 || b.length / 6 > DEFAULT_MAX_SETTINGS_ENTRIES) return false;
  for (let i = 0; i < b.length; i += 6) {
    try {
      checkSettingValue(b.readUInt16BE(i), b.readUInt32BE(i + 2));
    } catch {
      return false;
    }
  }
  return true;
}

/** A valid upgrade request, then `edits` (overwrite or insert one octet, mostly a dangerous one). */
export const upgradeRequest = fc
  .record({
    line: fc.constantFrom('GET / HTTP/1.1', 'POST /up?x=1 HTTP/1.1', 'OPTIONS * HTTP/1.1', 'GET http://example.com/abs HTTP/1.1', 'GET http://[::1]:8080 HTTP/1.1', 'HEAD /h HTTP/1.1'),
    host: fc.constantFrom('localhost', 'example.com:8080', '[::1]:8080', '127.0.0.1', 'a.b-c_d~e'),
    settings: settingsValue,
    body: fc.oneof(fc.constant(''), fc.string({ maxLength: 20 })),
    expect: fc.boolean(),
    extra: fc.array(
      fc.tuple(fc.constantFrom('Accept', 'User-Agent', 'Cookie', 'X-Y', 'TE', 'Via'), fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 20 })),
      { maxLength: 4 },
    ),
    edits: fc.array(
      fc.tuple(fc.nat(), fc.boolean(), fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x01, 0x7f, 0xff, 0x23, 0x40, 0x2f), fc.nat({ max: 255 }))),
      { maxLength: 3 },
    ),
  })
  .map(({ line, host, settings, body, expect, extra, edits }) => {
    const fields = [`Host: ${host}`, ...extra.map(([n, v]) => `${n}: ${v}`), 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', `HTTP2-Settings: ${settings}`];
    if (body.length > 0) fields.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
    if (expect && body.length > 0) fields.push('Expect: 100-continue');
    let bytes = Buffer.from(`${line}\r\n${fields.join('\r\n')}\r\n\r\n${body}`, 'latin1');
    for (const [at, insert, octet] of edits) {
      const i = at % (bytes.length + (insert ? 1 : 0));
      if (insert) bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([octet]), bytes.subarray(i)]);
      else bytes[i] = octet;
    }
    return { bytes, valid: edits.length === 0 && settingsAreValid(settings) };
  });

// ---- oracles ------------------------------------------------------------------------------------

/** Checks a parsed head's invariants. */
function checkHead(head: Http1RequestHead, buf: Buffer, maxSize: number): void {
  assert.ok(head.headLength <= buf.length && head.headLength <= maxSize, `headLength ${head.headLength}`);
  assert.ok(isToken(head.method), `method ${JSON.stringify(head.method)}`);
  assert.ok(isValidTargetOctets(head.target), `target ${JSON.stringify(head.target)}`);
  assert.match(head.version, /^HTTP\/1\.[0-9]$/);
  for (const [n, v] of head.headers) {
    assert.ok(isToken(n) && n === n.toLowerCase(), `name ${JSON.stringify(n)}`);
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      assert.ok(c === 0x09 || (c >= 0x20 && c !== 0x7f), `value ${JSON.stringify(v)} holds control octet ${c}`);
    }
    assert.ok(!/^[ \t]|[ \t]$/.test(v), `value ${JSON.stringify(v)} keeps its surrounding whitespace`);
  }
}

/** Checks an upgrade's invariants: HTTP/2-valid fields, a usable SETTINGS payload. */
function checkUpgrade(up: H2cUpgrade): void {
  assert.equal(checkRequestFields(up.headers), null, `upgrade fields pass the HTTP/2 request check: ${JSON.stringify(up.headers)}`);
  assert.equal(up.settingsPayload.length % 6, 0);
  assert.ok(up.settingsPayload.length / 6 <= DEFAULT_MAX_SETTINGS_ENTRIES);
  for (let i = 0; i < up.settingsPayload.length; i += 6) checkSettingValue(up.settingsPayload.readUInt16BE(i), up.settingsPayload.readUInt32BE(i + 2));
  assert.ok(Number.isSafeInteger(up.contentLength) && up.contentLength >= 0);
}

/** Parses `buf` as the server does; returns what came of it. Throws only on a broken oracle. */
function judgeHead(buf: Buffer, maxSize: number): { head: Http1RequestHead | null; upgrade: H2cUpgrade | null; error: Http1RequestError | null } {
  let head: Http1RequestHead | null;
  try {
    head = parseHttp1RequestHead(buf, maxSize);
  } catch (err) {
    assertHttp1Error(err, 'parseHttp1RequestHead');
    return { head: null, upgrade: null, error: err as Http1RequestError };
  }
  if (head === null) {
    assert.ok(buf.length <= maxSize, 'a head not yet complete is within the limit (or refused)');
    return { head, upgrade: null, error: null };
  }
  checkHead(head, buf, maxSize);
  let upgrade: H2cUpgrade | null;
  try {
    upgrade = h2cUpgradeOf(head);
  } catch (err) {
    assertHttp1Error(err, 'h2cUpgradeOf');
    return { head, upgrade: null, error: err as Http1RequestError };
  }
  if (upgrade !== null) checkUpgrade(upgrade);
  return { head, upgrade, error: null };
}

// ---- properties ------------------------------------------------------------------------------------

export const http1Head = fc.property(
  fc.oneof(fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)), assembledHead),
  fc.constantFrom(64, 1024, 16384),
  (buf, maxSize) => {
    judgeHead(buf, maxSize);
  },
);

export const h2cUpgrade = fc.property(upgradeRequest, ({ bytes, valid }) => {
  const r = judgeHead(bytes, 16384);
  if (valid) {
    assert.equal(r.error, null, `a valid upgrade request is accepted: ${r.error?.message}`);
    assert.ok(r.upgrade !== null, 'a valid upgrade request is an upgrade');
  }
});

const firstBytesInput = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  assembledHead,
  upgradeRequest.map((u) => u.bytes),
  fc.tuple(fc.nat({ max: 24 }), fc.uint8Array({ maxLength: 40 })).map(([n, tail]) => Buffer.concat([CONNECTION_PREFACE.subarray(0, n), tail])),
  fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u])),
);

export const firstBytes = fc.property(firstBytesInput, fc.array(fc.nat(), { maxLength: 8 }), (buf, cuts) => {
  const whole = classifyFirstBytes(buf);
  // Resumed scans over growing prefixes end where one scan of the whole ends, and a final verdict stays.
  let scan: FirstBytesScan = FIRST_BYTES_START;
  let seen = 0;
  for (const chunk of chunksAt(buf, cuts)) {
    seen += chunk.length;
    const before = scan;
    scan = classifyFirstBytes(buf.subarray(0, seen), scan);
    if (before.verdict !== 'need-more') assert.equal(scan, before, 'a final verdict does not change');
  }
  assert.equal(scan.verdict, whole.verdict, `resumed ${scan.verdict}, whole ${whole.verdict}`);
  const isPreface = buf.length >= CONNECTION_PREFACE.length && buf.subarray(0, CONNECTION_PREFACE.length).equals(CONNECTION_PREFACE);
  assert.equal(whole.verdict === 'preface', isPreface, 'preface iff the bytes start with the preface');
  if (whole.verdict === 'preface') return;
  // The classifier lets through only what the head parser could accept, and refuses nothing it accepts.
  const r = judgeHead(buf, 16384);
  if (whole.verdict === 'garbage') assert.equal(r.head, null, `classified garbage but parsed: ${JSON.stringify(buf.toString('latin1').slice(0, 80))}`);
  if (whole.verdict === 'need-more') assert.equal(r.head, null, 'no head before the request line is complete');
  if (whole.verdict === 'http1' && r.error !== null) assert.notEqual(r.error.token, 'http1_bad_request_line', `classified http1 but the parser refused the line: ${r.error.message}`);
});
