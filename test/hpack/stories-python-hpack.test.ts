/**
 * Cross-check against Python `hpack` (Debian python3-hpack, pulled in by python3-h2 which
 * .ci/run installs; run with the system `/usr/bin/python3`): a careful independent HPACK.
 *
 * - Python decodes what `h2kit deflatehd` writes for every raw-data story, with the table size
 *   changing mid-story (Python also checks that our encoder shrank its table when told to).
 * - Python encodes every raw-data story with the same size changes; our HDInflater decodes it.
 *
 * The corpus's python-hpack/ folder already covers Python's encoder without size changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateStory } from '../../src/cli/deflatehd.js';
import { formatStory } from '../../src/cli/story.js';
import { DEFAULT_HEADER_TABLE_SIZE, HDInflater } from '../../src/hpack/index.js';
import { RAW_DATA, expectedLatin1, loadFolder } from '../helpers/hpack-corpus.js';
import { HPACK_TEST_CASE_DIR, SHARED_SKIP } from '../helpers/paths.js';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import hpack'], { encoding: 'utf8' });
// Needs Python's hpack, and the raw-data stories from ../shared (paths.ts).
const skip = probe.status === 0 ? SHARED_SKIP : `needs ${PYTHON} with the hpack module (apt-get install python3-hpack)`;

/**
 * SETTINGS_HEADER_TABLE_SIZE per case, cycled every 3 cases: down to 0 (empties the table),
 * up past our deflater's own 4096 cap (8192: we keep using 4096), and back.
 */
const SCHEDULE = [4096, 512, 0, 8192, 1024, 4096, 100] as const;
const sizeAt = (i: number): number => SCHEDULE[Math.floor(i / 3) % SCHEDULE.length]!;

const PY_DECODE = `
import json, sys, hpack
out = {"cases": 0, "mismatches": []}
for path in sys.argv[1:]:
    story = json.load(open(path, encoding="utf-8"))
    d = hpack.Decoder()
    for c in story["cases"]:
        if c.get("header_table_size") is not None:
            d.max_allowed_table_size = c["header_table_size"]
        try:
            got = [[n.decode("latin1"), v.decode("latin1")] for n, v in d.decode(bytes.fromhex(c["wire"]), raw=True)]
        except Exception as e:
            out["mismatches"].append("%s seqno %d: %s: %s" % (path, c["seqno"], type(e).__name__, e))
            break
        want = [[k.encode("utf-8").decode("latin1"), v.encode("utf-8").decode("latin1")] for h in c["headers"] for k, v in h.items()]
        if got != want:
            out["mismatches"].append("%s seqno %d: decoded %r" % (path, c["seqno"], got[:3]))
            break
        out["cases"] += 1
print(json.dumps(out))
`;

const PY_ENCODE = `
import json, sys, hpack
schedule = json.loads(sys.argv[1])
out = []
for path in sys.argv[2:]:
    story = json.load(open(path, encoding="utf-8"))
    e = hpack.Encoder()
    wires = []
    for i, c in enumerate(story["cases"]):
        size = schedule[(i // 3) % len(schedule)]
        if size != e.header_table_size:
            e.header_table_size = size
        headers = [(k.encode("utf-8"), v.encode("utf-8")) for h in c["headers"] for k, v in h.items()]
        wires.append(e.encode(headers).hex())
    out.append(wires)
print(json.dumps(out))
`;

test('Python hpack decodes our deflatehd output for every raw-data story, table size changing mid-story', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-pyhpack-'));
  try {
    const files: string[] = [];
    let total = 0;
    for (const story of loadFolder(RAW_DATA)) {
      const cases = story.cases.map((c, i) => ({ ...c, headerTableSize: sizeAt(i) }));
      const file = join(dir, story.file);
      writeFileSync(file, formatStory({ cases: deflateStory(cases, { source: story.name }) }));
      files.push(file);
      total += cases.length;
    }
    const r = spawnSync(PYTHON, ['-c', PY_DECODE, ...files], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { cases: number; mismatches: string[] };
    assert.deepEqual(result.mismatches, []);
    assert.equal(result.cases, total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HDInflater decodes Python hpack\'s encoding of every raw-data story, table size changing mid-story', { skip }, () => {
  const stories = loadFolder(RAW_DATA);
  const paths = stories.map((s) => join(HPACK_TEST_CASE_DIR, s.folder, s.file));
  const r = spawnSync(PYTHON, ['-c', PY_ENCODE, JSON.stringify(SCHEDULE), ...paths], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  const wires = JSON.parse(r.stdout) as string[][];
  assert.equal(wires.length, stories.length);
  let sawUpdate = 0;
  stories.forEach((story, s) => {
    const inflater = new HDInflater();
    let inForce = DEFAULT_HEADER_TABLE_SIZE;
    story.cases.forEach((c, i) => {
      const size = sizeAt(i);
      if (size !== inForce) inflater.changeTableSize((inForce = size));
      const block = Buffer.from(wires[s]![i]!, 'hex');
      if ((block[0]! & 0xe0) === 0x20) sawUpdate++;
      const got = inflater.inflate(block).map(([n, v]) => [n.toString('latin1'), v.toString('latin1')]);
      assert.deepEqual(got, expectedLatin1(c.headers!), `${story.name} seqno ${c.seqno} (table ${size})`);
    });
  });
  assert.ok(sawUpdate > 50, `Python sent ${sawUpdate} size updates`);
});
