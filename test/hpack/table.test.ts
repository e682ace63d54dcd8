/**
 * The tables: the generated files match what the RFC gives (regenerated and compared), the
 * static table's landmarks, and the dynamic table's ring buffer, eviction and encoder lookups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, RFC_DIR, SHARED_SKIP } from '../helpers/paths.js';
import { STATIC_TABLE } from '../../src/hpack/index.js';
import { DynamicTable, EncoderTable } from '../../src/hpack/dynamic-table.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from '../../src/hpack/huffman-table.generated.js';

const GENERATOR = join(REPO_ROOT, 'scripts', 'gen-hpack-tables.mjs');

function runGenerator(...args: string[]): { status: number | null; stderr: string } {
  const rfc = join(RFC_DIR, 'rfc7541-hpack.xml');
  const r = spawnSync(process.execPath, [GENERATOR, '--rfc', rfc, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

// These two read the RFC's XML from ../shared; without it they are skipped (paths.ts).
test('regenerating the tables from the RFC gives the committed files exactly', { skip: SHARED_SKIP }, () => {
  const r = runGenerator('--check');
  assert.equal(r.status, 0, r.stderr);
});

test('the check notices a generated file that differs from the RFC', { skip: SHARED_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-hpack-tables-'));
  try {
    for (const name of ['static-table.generated.ts', 'huffman-table.generated.ts']) {
      copyFileSync(join(REPO_ROOT, 'src', 'hpack', name), join(dir, name));
    }
    assert.equal(runGenerator('--check', '--out', dir).status, 0);
    const path = join(dir, 'static-table.generated.ts');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"gzip, deflate"', '"gzip,deflate"'));
    const r = runGenerator('--check', '--out', dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /static-table\.generated\.ts differs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('static table landmarks (RFC 7541 Appendix A)', () => {
  assert.equal(STATIC_TABLE.length, 61);
  assert.deepEqual(STATIC_TABLE[0], [':authority', '']);
  assert.deepEqual(STATIC_TABLE[1], [':method', 'GET']);
  assert.deepEqual(STATIC_TABLE[7], [':status', '200']);
  assert.deepEqual(STATIC_TABLE[15], ['accept-encoding', 'gzip, deflate']);
  assert.deepEqual(STATIC_TABLE[60], ['www-authenticate', '']);
});

test('Huffman table landmarks (RFC 7541 Appendix B)', () => {
  assert.equal(HUFFMAN_CODES.length, 257);
  assert.equal(HUFFMAN_CODES[47], 0x18); // '/', the RFC's own example
  assert.equal(HUFFMAN_LENGTHS[47], 6);
  assert.equal(HUFFMAN_CODES[256], 0x3fffffff); // EOS
  assert.equal(HUFFMAN_LENGTHS[256], 30);
});

function contents(t: DynamicTable): string[] {
  const out: string[] = [];
  for (let i = 1; i <= t.length; i++) out.push(`${t.nameAt(i)}=${t.valueAt(i)}`);
  return out;
}

test('dynamic table: newest first, size accounting, FIFO eviction', () => {
  const t = new DynamicTable(100);
  t.add('a', '1'); // 34
  t.add('b', '22'); // 35
  assert.deepEqual(contents(t), ['b=22', 'a=1']);
  assert.equal(t.size, 69);
  t.add('c', '333'); // 36: evicts a
  assert.deepEqual(contents(t), ['c=333', 'b=22']);
  assert.equal(t.size, 71);
  t.setMaxSize(40); // evicts b
  assert.deepEqual(contents(t), ['c=333']);
  t.add('x'.repeat(10), ''); // 42 > 40: empties the table, adds nothing
  assert.deepEqual(contents(t), []);
  assert.equal(t.size, 0);
  t.setMaxSize(0);
  t.add('a', '');
  assert.equal(t.length, 0);
});

test('dynamic table: the ring wraps and grows without losing order', () => {
  const t = new DynamicTable(33 * 1000);
  // 1-octet names, 0-octet values: 33 octets each, so up to 1000 entries.
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1500; i++) {
      t.add(String.fromCharCode(i & 0xff), '');
      assert.ok(t.length <= 1000);
      assert.equal(t.nameAt(1), String.fromCharCode(i & 0xff));
    }
  }
  assert.equal(t.length, 1000);
  assert.equal(t.size, 33000);
  for (let i = 1; i <= 1000; i++) assert.equal(t.nameAt(i), String.fromCharCode((1500 - i) & 0xff));
});

test('encoder table: lookups by pair and by name follow inserts and evictions', () => {
  const t = new EncoderTable(34 * 3); // three 1+1-octet entries
  t.add('a', '1');
  t.add('b', '1');
  assert.equal(t.findPair('a', '1'), 2);
  assert.equal(t.findPair('b', '1'), 1);
  assert.equal(t.findPair('a', '2'), 0);
  assert.equal(t.findName('a'), 2);
  t.add('a', '2'); // newest 'a' is now index 1
  assert.equal(t.findName('a'), 1);
  assert.equal(t.findPair('a', '1'), 3);
  t.add('c', '3'); // evicts (a, 1): the name 'a' still maps to the newer entry
  assert.equal(t.findPair('a', '1'), 0);
  assert.equal(t.findName('a'), 2);
  assert.equal(t.findPair('a', '2'), 2);
  t.add('a', '2'); // a duplicate: the newest copy wins; evicting the older keeps the key
  t.add('d', '4');
  assert.equal(t.findPair('a', '2'), 2);
  assert.deepEqual(contents(t), ['d=4', 'a=2', 'c=3']);
  t.setMaxSize(0);
  assert.equal(t.findName('a'), 0);
  assert.equal(t.findPair('d', '4'), 0);
});

test('encoder table: lookups agree with a scan over many random operations', () => {
  let seed = 1;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const t = new EncoderTable(400);
  for (let i = 0; i < 5000; i++) {
    if (rand(50) === 0) t.setMaxSize(rand(500));
    t.add(String.fromCharCode(97 + rand(4)), 'v'.repeat(rand(3)) + rand(3));
    for (const name of ['a', 'b', 'c', 'd']) {
      let nameIndex = 0;
      for (let k = 1; k <= t.length; k++) if (t.nameAt(k) === name) { nameIndex = k; break; }
      assert.equal(t.findName(name), nameIndex);
      for (const value of ['0', 'v1', 'vv2']) {
        let pairIndex = 0;
        for (let k = 1; k <= t.length; k++) if (t.nameAt(k) === name && t.valueAt(k) === value) { pairIndex = k; break; }
        assert.equal(t.findPair(name, value), pairIndex);
      }
    }
  }
});
