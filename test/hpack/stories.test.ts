/**
 * The hpack-test-case corpus against our codec.
 *
 * - Every story of every encoder's folder decodes with HDInflater to exactly its `headers`
 *   (order and duplicates kept), through both `inflate` (seed API, Buffers) and `decodeTo`
 *   (the connection's fast path, latin1 strings), following `header_table_size` changes.
 * - Every raw-data story round-trips through one HDDeflater/HDInflater pair (one connection),
 *   and hpack.js, an independent decoder, reads our blocks to the same headers.
 * - The same round trip with the table size changed mid-story, as a peer's SETTINGS would.
 *
 * Headers are compared as latin1 strings of their UTF-8 bytes: byte-exact, readable on failure.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEADER_TABLE_SIZE, HDDeflater, HDInflater } from '../../src/hpack/index.js';
import { EXPECTED_FOLDERS, RAW_DATA, corpusFolders, expectedLatin1, loadFolder } from '../helpers/hpack-corpus.js';
import { HpackJsDecoder } from '../helpers/hpack-js.js';
import { SHARED_SKIP } from '../helpers/paths.js';

// The stories live in ../shared/hpack-test-case; without it these tests are skipped (paths.ts).
const skip = SHARED_SKIP;

const STORIES_PER_FOLDER = 32;
const CASES_PER_FOLDER = 3384;

function latin1Pairs(fields: Array<[Buffer, Buffer]>): Array<[string, string]> {
  return fields.map(([n, v]) => [n.toString('latin1'), v.toString('latin1')]);
}

test('the corpus holds every folder, each with all its stories and cases', { skip }, () => {
  assert.deepEqual(corpusFolders(), [...EXPECTED_FOLDERS]);
  for (const folder of EXPECTED_FOLDERS) {
    const stories = loadFolder(folder);
    assert.equal(stories.length, STORIES_PER_FOLDER, folder);
    const cases = stories.reduce((n, s) => n + s.cases.length, 0);
    assert.equal(cases, CASES_PER_FOLDER, folder);
    for (const s of stories) {
      for (const c of s.cases) {
        assert.ok(c.headers !== undefined, `${s.name} seqno ${c.seqno} has headers`);
        assert.equal(c.wire === undefined, folder === RAW_DATA, `${s.name} seqno ${c.seqno}: wire iff not raw-data`);
      }
    }
  }
});

for (const folder of skip === false ? corpusFolders().filter((f) => f !== RAW_DATA) : []) {
  describe(`${folder}: every story decodes to its headers`, () => {
    for (const story of loadFolder(folder)) {
      test(story.file, () => {
        const inflater = new HDInflater();
        const fast = new HDInflater();
        let inForce = DEFAULT_HEADER_TABLE_SIZE;
        for (const c of story.cases) {
          const where = `${story.name} seqno ${c.seqno}`;
          assert.ok(c.wire !== undefined && c.headers !== undefined, `${where}: wire and headers`);
          if (c.headerTableSize !== undefined && c.headerTableSize !== inForce) {
            inflater.changeTableSize(c.headerTableSize);
            fast.changeTableSize(c.headerTableSize);
            inForce = c.headerTableSize;
          }
          const expected = expectedLatin1(c.headers);
          assert.deepEqual(latin1Pairs(inflater.inflate(c.wire)), expected, `${where} (inflate)`);
          const viaDecodeTo: Array<[string, string]> = [];
          fast.decodeTo(c.wire, (name, value) => viaDecodeTo.push([name, value]));
          assert.deepEqual(viaDecodeTo, expected, `${where} (decodeTo)`);
        }
      });
    }
  });
}

describe('raw-data: every story round-trips through HDDeflater and HDInflater, and hpack.js reads our blocks', { skip }, () => {
  for (const story of loadFolder(RAW_DATA)) {
    test(story.file, () => {
      const deflater = new HDDeflater();
      const inflater = new HDInflater();
      const peer = new HpackJsDecoder();
      for (const c of story.cases) {
        const where = `${story.name} seqno ${c.seqno}`;
        assert.ok(c.headers !== undefined);
        const block = deflater.deflate(c.headers);
        const expected = expectedLatin1(c.headers);
        assert.deepEqual(latin1Pairs(inflater.inflate(block)), expected, `${where} (HDInflater)`);
        assert.deepEqual(peer.decode(block), expected, `${where} (hpack.js)`);
      }
    });
  }
});

/**
 * Table sizes a peer might set, cycled every few blocks: shrinking (down to 0, which empties
 * the table) and growing back, so eviction and the size updates at block start get exercised.
 */
const SIZE_SCHEDULE = [4096, 1024, 0, 256, 4096, 100, 2048, 0, 4096] as const;
const BLOCKS_PER_SIZE = 2;

describe('raw-data with table size changes mid-story: round-trip, and hpack.js agrees', { skip }, () => {
  for (const story of loadFolder(RAW_DATA)) {
    test(story.file, () => {
      const deflater = new HDDeflater();
      const inflater = new HDInflater();
      const peer = new HpackJsDecoder(DEFAULT_HEADER_TABLE_SIZE);
      let inForce = DEFAULT_HEADER_TABLE_SIZE;
      let sawSizeUpdate = false;
      story.cases.forEach((c, i) => {
        const where = `${story.name} seqno ${c.seqno}`;
        assert.ok(c.headers !== undefined);
        const size = SIZE_SCHEDULE[Math.floor(i / BLOCKS_PER_SIZE) % SIZE_SCHEDULE.length]!;
        const changed = size !== inForce;
        if (changed) {
          // What a SETTINGS_HEADER_TABLE_SIZE exchange does: both ends learn the new size.
          inflater.changeTableSize(size);
          deflater.changeTableSize(size);
          inForce = size;
        }
        const block = deflater.deflate(c.headers);
        if (changed) {
          // RFC 7541 section 4.2: the next block opens with a dynamic table size update (001xxxxx).
          assert.equal(block[0]! & 0xe0, 0x20, `${where}: block after a size change starts with a size update`);
          sawSizeUpdate = true;
        }
        const expected = expectedLatin1(c.headers);
        assert.deepEqual(latin1Pairs(inflater.inflate(block)), expected, `${where} (HDInflater, table ${size})`);
        assert.deepEqual(peer.decode(block), expected, `${where} (hpack.js, table ${size})`);
        const used = inflater.getHdTable().reduce((n, e) => n + e.size, 0);
        assert.ok(used <= size, `${where}: inflater table holds ${used} bytes, more than ${size}`);
      });
      if (story.cases.length > BLOCKS_PER_SIZE) assert.ok(sawSizeUpdate, `${story.name}: schedule changed the size`);
    });
  }
});

test('compression: our raw-data encoding is no larger in total than the nghttp2 encoder\'s wire for the same stories', { skip }, () => {
  let ours = 0;
  for (const story of loadFolder(RAW_DATA)) {
    const deflater = new HDDeflater();
    for (const c of story.cases) ours += deflater.deflate(c.headers!).length;
  }
  let nghttp2 = 0;
  for (const story of loadFolder('nghttp2')) for (const c of story.cases) nghttp2 += c.wire!.length;
  assert.ok(nghttp2 > 300_000, `nghttp2 folder total ${nghttp2}`);
  assert.ok(ours <= nghttp2, `h2kit ${ours} bytes > nghttp2 ${nghttp2} bytes (ratio ${(ours / nghttp2).toFixed(4)})`);
});

test('one context mixing string (UTF-8) and byte inputs that look alike as latin1 keeps every block byte-exact', () => {
  // 'é' as a string is sent as C3 A9; the byte E9 is latin1 'é'. An encoder that keyed its
  // table on the caller's strings could confuse them and send the wrong octets.
  const e9 = Buffer.from([0xe9]);
  const blocks: Array<Array<[string | Buffer, string | Buffer]>> = [
    [['x-v', 'é'], ['é', 'v']],
    [['x-v', e9], [e9, 'v']],
    [['x-v', 'é'], ['é', 'v']],
    [['x-v', Buffer.from('é')], [Buffer.from('é'), 'v']],
    [['x-v', e9], [e9, 'v']],
    [['x-v', 'é'], ['é', 'v']],
  ];
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  const peer = new HpackJsDecoder();
  for (const [i, headers] of blocks.entries()) {
    const block = deflater.deflate(headers);
    const want = headers.map(([n, v]) => [Buffer.from(n).toString('latin1'), Buffer.from(v).toString('latin1')]);
    assert.deepEqual(latin1Pairs(inflater.inflate(block)), want, `block ${i} (HDInflater)`);
    assert.deepEqual(peer.decode(block), want, `block ${i} (hpack.js)`);
  }
});
