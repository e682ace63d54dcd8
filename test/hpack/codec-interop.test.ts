/**
 * Cross-check with an independent HPACK implementation, python-hyper's `hpack` (Debian
 * python3-hpack, /usr/bin/python3): every raw-data story of hpack-test-case encoded by us is
 * decoded by it, and encoded by it is decoded by us, including table size changes mid-story.
 * Skipped (not failed) where /usr/bin/python3 cannot import hpack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HPACK_TEST_CASE_DIR, SHARED_SKIP } from '../helpers/paths.js';
import { HDDeflater, HDInflater, type DeflaterOptions } from '../../src/hpack/index.js';

const PYTHON = '/usr/bin/python3';

/** A story: one connection's header lists, with a table size change before some of them. */
interface Story {
  name: string;
  lists: Array<Array<[string, string]>>;
  /** Table size to switch to before list i, if any. */
  sizes: Array<number | null>;
}

const SIZES = [4096, 256, 0, 1024, 8192];

function loadStories(): Story[] {
  const dir = join(HPACK_TEST_CASE_DIR, 'raw-data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file, s) => {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: Array<{ headers: Array<Record<string, string>> }> };
      const lists = json.cases.map((c) => c.headers.map((h): [string, string] => Object.entries(h)[0]));
      // Every third story changes the table size now and then, as SETTINGS would.
      const sizes = lists.map((_, i) => (s % 3 === 0 && i % 25 === 10 ? SIZES[(i / 25 + s) % SIZES.length | 0] : null));
      return { name: file, lists, sizes };
    });
}

const PY_DECODE = `
import hpack, json, sys
out = []
for story in json.load(sys.stdin):
    d = hpack.Decoder()
    d.max_header_list_size = 1 << 30
    lists = []
    for size, block in zip(story['sizes'], story['blocks']):
        if size is not None:
            d.max_allowed_table_size = size
        lists.append([[n.decode('latin-1'), v.decode('latin-1')] for n, v in d.decode(bytes.fromhex(block), raw=True)])
    out.append(lists)
json.dump(out, sys.stdout)
`;

const PY_ENCODE = `
import hpack, json, sys
out = []
for story in json.load(sys.stdin):
    e = hpack.Encoder()
    blocks = []
    for i, (size, headers) in enumerate(zip(story['sizes'], story['lists'])):
        if size is not None:
            e.header_table_size = size
        fields = [(n.encode('utf-8'), v.encode('utf-8'), n == 'cookie') for n, v in headers]
        blocks.append(e.encode(fields, huffman=(i % 2 == 0)).hex())
    out.append(blocks)
json.dump(out, sys.stdout)
`;

function python(script: string, input: unknown): unknown {
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const available = spawnSync(PYTHON, ['-c', 'import hpack'], { encoding: 'utf8' }).status === 0;
/** Needs Python's hpack, and the raw-data stories from ../shared (paths.ts). */
const skip = available ? SHARED_SKIP : `${PYTHON} cannot import hpack`;
const latin1 = (lists: Array<Array<[string, string]>>): Array<Array<[string, string]>> =>
  lists.map((l) => l.map(([n, v]): [string, string] => [Buffer.from(n).toString('latin1'), Buffer.from(v).toString('latin1')]));

for (const [label, options] of [
  ['default choices', {}],
  ['Huffman always, index everything', { huffman: 'always', indexing: 'always' }],
  ['no Huffman, no indexing', { huffman: 'never', indexing: 'never' }],
] as Array<[string, DeflaterOptions]>) {
  test(`python hpack decodes every raw-data story we encode (${label})`, { skip }, () => {
    const stories = loadStories();
    const input = stories.map((story) => {
      const deflater = new HDDeflater(8192, options);
      const blocks = story.lists.map((list, i) => {
        const size = story.sizes[i];
        if (size !== null) deflater.changeTableSize(size);
        // Mark some fields sensitive: never-indexed literals must decode too.
        return deflater.deflate(list.map(([n, v], k): [string, string, { sensitive: boolean }] => [n, v, { sensitive: k % 7 === 3 }])).toString('hex');
      });
      return { sizes: story.sizes, blocks };
    });
    const decoded = python(PY_DECODE, input) as Array<Array<Array<[string, string]>>>;
    assert.equal(decoded.length, stories.length);
    stories.forEach((story, s) => assert.deepEqual(decoded[s], latin1(story.lists), story.name));
  });
}

test('we decode every raw-data story python hpack encodes', { skip }, () => {
  const stories = loadStories();
  const encoded = python(PY_ENCODE, stories.map((s) => ({ sizes: s.sizes, lists: s.lists }))) as string[][];
  assert.equal(encoded.length, stories.length);
  let blocks = 0;
  stories.forEach((story, s) => {
    const inflater = new HDInflater();
    story.lists.forEach((list, i) => {
      const size = story.sizes[i];
      if (size !== null) inflater.changeTableSize(size); // the SETTINGS python's encoder was told
      const got: Array<[string, string]> = [];
      inflater.decodeTo(Buffer.from(encoded[s][i], 'hex'), (n, v) => got.push([n, v]));
      assert.deepEqual(got, latin1([list])[0], `${story.name} block ${i}`);
      blocks++;
    });
  });
  assert.ok(blocks > 3000);
});
