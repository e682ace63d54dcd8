/**
 * HPACK bench: our codec against hpack.js (the most used JS HPACK) in the same process, same run.
 *
 * - decode: every `wire` of every encoder folder of hpack-test-case (5 x 3384 blocks), one
 *   decoder per story (one connection), for ours through `decodeTo` (the connection's path:
 *   latin1 strings, like hpack.js's string output) and `inflate` (seed API: Buffer pairs).
 * - encode: every raw-data story (3384 header lists), one encoder per story.
 * - compression: our total encoded bytes for raw-data against the nghttp2 folder's total wire
 *   bytes for the same stories (and the other encoders', for context).
 *
 * After a warm-up, rounds interleave the implementations unit by unit (a folder of stories to
 * decode, a quarter of raw-data to encode): ours, hpack.js, ours, hpack.js, ... so drift
 * (thermal, other load on the machine) falls on both alike. A round covers the corpus enough
 * times to take ~0.4 s per implementation. We report the median round and the median of the
 * per-round ratios. Output is checked against the stories' headers before timing: a fast wrong
 * codec gets no number.
 *
 *   npm run bench -- hpack [--rounds N] [--verbose] [--profile decode|inflate|encode]
 *   node --cpu-prof dist/bench/run.js hpack --profile decode   # our decoder alone, for a profile
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_HEADER_TABLE_SIZE, HDDeflater, HDInflater } from '../src/hpack/index.js';
import { type CorpusStory, RAW_DATA, corpusFolders, expectedLatin1, loadFolder } from '../test/helpers/hpack-corpus.js';
import { SHARED_SKIP } from '../test/helpers/paths.js';
import { type HpackJsHeader, HpackJsDecoder, HpackJsEncoder } from '../test/helpers/hpack-js.js';

/** One story's worth of work, prepared for every implementation outside the timed loop. */
interface DecodeStory {
  name: string;
  /** header_table_size per block (undefined: unchanged), aligned with blocks. */
  sizes: Array<number | undefined>;
  blocks: Buffer[];
  expected: Array<Array<[string, string]>>;
}

interface EncodeStory {
  name: string;
  ours: Array<Array<[string, string]>>;
  theirs: HpackJsHeader[][];
}

interface Workload {
  blocks: number;
  /** Uncompressed header bytes (name + value) the blocks carry. */
  headerBytes: number;
}

/**
 * A timed implementation. Its corpus is cut into units (a folder of stories, a group of
 * stories); the units of one operation are the same for every implementation, so a round can
 * interleave them unit by unit. Each unit returns a checksum (fields or bytes seen).
 */
interface Contender {
  op: 'decode' | 'encode';
  name: string;
  work: Workload;
  units: Array<() => number>;
  /** How many times each unit runs per round (sized in the warm-up to ~TARGET_ROUND_MS a round). */
  repeat: number;
  /** Filled in: throughput per round. */
  rounds: number[];
  /** The hpack.js contender this one is compared with. */
  baseline?: Contender;
}

function contender(op: Contender['op'], name: string, work: Workload, units: Array<() => number>, baseline?: Contender): Contender {
  return { op, name, work, units, repeat: 1, rounds: [], ...(baseline === undefined ? {} : { baseline }) };
}

/** One pass over the whole corpus. */
function runAll(c: Contender): number {
  let sum = 0;
  for (const unit of c.units) sum += unit();
  return sum;
}

/** Splits stories into `n` groups of about the same number of blocks. */
function balance<T>(items: T[], weight: (item: T) => number, n: number): T[][] {
  const groups: T[][] = Array.from({ length: n }, () => []);
  const loads = new Array<number>(n).fill(0);
  for (const item of [...items].sort((a, b) => weight(b) - weight(a))) {
    const lightest = loads.indexOf(Math.min(...loads));
    groups[lightest]!.push(item);
    loads[lightest]! += weight(item);
  }
  return groups;
}

let sink = 0;

/**
 * A full collection before each timed unit, so an implementation does not pay for the garbage
 * the previous one left (hpack.js allocates a lot); its own garbage it still pays for, as the
 * young generation fills during its unit. `gc` exposed at run time, so plain `node` runs this.
 */
setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

function loadDecodeStories(): DecodeStory[] {
  const out: DecodeStory[] = [];
  for (const folder of corpusFolders().filter((f) => f !== RAW_DATA)) {
    for (const s of loadFolder(folder)) {
      out.push({
        name: s.name,
        sizes: s.cases.map((c) => c.headerTableSize),
        blocks: s.cases.map((c) => c.wire!),
        expected: s.cases.map((c) => expectedLatin1(c.headers!)),
      });
    }
  }
  return out;
}

function loadEncodeStories(raw: CorpusStory[]): EncodeStory[] {
  return raw.map((s) => ({
    name: s.name,
    ours: s.cases.map((c) => c.headers!),
    theirs: s.cases.map((c) => c.headers!.map(([name, value]) => ({ name, value }))),
  }));
}

function workOf(lists: Array<Array<[string, string]>>): Workload {
  let headerBytes = 0;
  for (const list of lists) for (const [n, v] of list) headerBytes += Buffer.byteLength(n) + Buffer.byteLength(v);
  return { blocks: lists.length, headerBytes };
}

// --- the passes ---------------------------------------------------------------------------

function oursDecodeTo(stories: DecodeStory[]): number {
  let fields = 0;
  const emit = (name: string, value: string): void => {
    fields += name.length + value.length > -1 ? 1 : 0;
  };
  for (const s of stories) {
    const inflater = new HDInflater();
    let inForce = DEFAULT_HEADER_TABLE_SIZE;
    for (let i = 0; i < s.blocks.length; i++) {
      const size = s.sizes[i];
      if (size !== undefined && size !== inForce) inflater.changeTableSize((inForce = size));
      inflater.decodeTo(s.blocks[i]!, emit);
    }
  }
  return fields;
}

function oursInflate(stories: DecodeStory[]): number {
  let fields = 0;
  for (const s of stories) {
    const inflater = new HDInflater();
    let inForce = DEFAULT_HEADER_TABLE_SIZE;
    for (let i = 0; i < s.blocks.length; i++) {
      const size = s.sizes[i];
      if (size !== undefined && size !== inForce) inflater.changeTableSize((inForce = size));
      fields += inflater.inflate(s.blocks[i]!).length;
    }
  }
  return fields;
}

function theirsDecode(stories: DecodeStory[]): number {
  let fields = 0;
  const emit = (name: string, value: string): void => {
    fields += name.length + value.length > -1 ? 1 : 0;
  };
  for (const s of stories) {
    const decoder = new HpackJsDecoder();
    for (const block of s.blocks) decoder.decodeTo(block, emit);
  }
  return fields;
}

function oursEncode(stories: EncodeStory[]): number {
  let bytes = 0;
  for (const s of stories) {
    const deflater = new HDDeflater();
    for (const list of s.ours) bytes += deflater.deflate(list).length;
  }
  return bytes;
}

function theirsEncode(stories: EncodeStory[]): number {
  let bytes = 0;
  for (const s of stories) {
    const encoder = new HpackJsEncoder();
    for (const list of s.theirs) bytes += encoder.encode(list).length;
  }
  return bytes;
}

// --- checks before timing ------------------------------------------------------------------

/** Decodes everything once with each decoder and compares with the stories' headers. */
function verify(decode: DecodeStory[], encode: EncodeStory[]): string[] {
  const problems: string[] = [];
  const check = (who: string, name: string, i: number, got: Array<[string, string]>, want: Array<[string, string]>): boolean => {
    if (JSON.stringify(got) === JSON.stringify(want)) return true;
    problems.push(`${who}: ${name} block ${i} decodes wrong`);
    return false;
  };
  for (const s of decode) {
    const ours = new HDInflater();
    const theirs = new HpackJsDecoder();
    let inForce = DEFAULT_HEADER_TABLE_SIZE;
    for (let i = 0; i < s.blocks.length; i++) {
      const size = s.sizes[i];
      if (size !== undefined && size !== inForce) ours.changeTableSize((inForce = size));
      const got: Array<[string, string]> = [];
      ours.decodeTo(s.blocks[i]!, (n, v) => got.push([n, v]));
      if (!check('h2kit', s.name, i, got, s.expected[i]!)) break;
      if (!check('hpack.js', s.name, i, theirs.decode(s.blocks[i]!), s.expected[i]!)) break;
    }
  }
  for (const s of encode) {
    const deflater = new HDDeflater();
    const inflater = new HpackJsDecoder();
    for (let i = 0; i < s.ours.length; i++) {
      if (!check('h2kit encode (read by hpack.js)', s.name, i, inflater.decode(deflater.deflate(s.ours[i]!)), expectedLatin1(s.ours[i]!))) break;
    }
  }
  return problems;
}

// --- timing ---------------------------------------------------------------------------------

const TARGET_ROUND_MS = 400;

function calibrate(c: Contender): void {
  // Warm-up: a few passes so the JIT has compiled the hot paths before we measure anything.
  const start = performance.now();
  let passes = 0;
  while (passes < 3 || performance.now() - start < 200) {
    sink += runAll(c);
    passes++;
  }
  const perPass = (performance.now() - start) / passes;
  c.repeat = Math.max(1, Math.ceil(TARGET_ROUND_MS / perPass));
}

/**
 * One round of a group of contenders of the same operation: unit by unit, each contender runs
 * the unit in turn. The implementations compared are measured within tens of milliseconds of
 * each other, so load from elsewhere on the machine falls on both.
 */
function timeRound(group: Contender[]): void {
  const elapsed = group.map(() => 0);
  for (let u = 0; u < group[0]!.units.length; u++) {
    group.forEach((c, i) => {
      const unit = c.units[u]!;
      collectGarbage();
      const start = performance.now();
      for (let k = 0; k < c.repeat; k++) sink += unit();
      elapsed[i]! += performance.now() - start;
    });
  }
  group.forEach((c, i) => c.rounds.push((c.work.blocks * c.repeat) / (elapsed[i]! / 1000)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtFixed = (n: number, d: number): string => n.toFixed(d);

function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r, ri) => {
      const line = r.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

// --- compression ----------------------------------------------------------------------------

function totalWireBytes(folder: string): number {
  let n = 0;
  for (const s of loadFolder(folder)) for (const c of s.cases) n += c.wire!.length;
  return n;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string', default: '5' },
      verbose: { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  const roundCount = Math.max(1, Number(values.rounds) | 0);
  if (SHARED_SKIP !== false) {
    // The corpus is the bench's input: without it there is nothing to measure.
    console.error(`hpack bench: ${SHARED_SKIP}`);
    process.exitCode = 1;
    return;
  }

  const raw = loadFolder(RAW_DATA);
  const decodeStories = loadDecodeStories();
  const encodeStories = loadEncodeStories(raw);
  const decodeWork = workOf(decodeStories.flatMap((s) => s.expected));
  const encodeWork = workOf(encodeStories.flatMap((s) => s.ours));

  if (values.profile !== undefined) {
    // Our side alone, for `node --cpu-prof`: ~5 s of the one operation, no hpack.js in the profile.
    const profiles: Record<string, () => number> = {
      encode: () => oursEncode(encodeStories),
      decode: () => oursDecodeTo(decodeStories),
      inflate: () => oursInflate(decodeStories),
    };
    const pass = profiles[values.profile];
    if (pass === undefined) {
      console.log(`hpack bench: --profile takes ${Object.keys(profiles).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const end = performance.now() + 5000;
    let passes = 0;
    while (performance.now() < end) {
      sink += pass();
      passes++;
    }
    console.log(`profiled ${values.profile}: ${passes} passes (checksum ${sink})`);
    return;
  }

  const problems = verify(decodeStories, encodeStories);
  if (problems.length > 0) {
    console.log(`hpack bench: output check failed, no numbers:\n  ${problems.slice(0, 10).join('\n  ')}`);
    process.exitCode = 1;
    return;
  }

  // Units: decode one folder (one encoder's stories) at a time; encode a quarter of raw-data.
  const decodeUnits = corpusFolders()
    .filter((f) => f !== RAW_DATA)
    .map((folder) => decodeStories.filter((s) => s.name.startsWith(`${folder}/`)));
  const encodeUnits = balance(encodeStories, (s) => s.ours.length, 4);
  const hpackJsDecode = contender('decode', 'hpack.js', decodeWork, decodeUnits.map((u) => () => theirsDecode(u)));
  const decodeGroup = [
    contender('decode', 'h2kit decodeTo', decodeWork, decodeUnits.map((u) => () => oursDecodeTo(u)), hpackJsDecode),
    hpackJsDecode,
    contender('decode', 'h2kit inflate', decodeWork, decodeUnits.map((u) => () => oursInflate(u)), hpackJsDecode),
  ];
  const hpackJsEncode = contender('encode', 'hpack.js', encodeWork, encodeUnits.map((u) => () => theirsEncode(u)));
  const encodeGroup = [
    contender('encode', 'h2kit deflate', encodeWork, encodeUnits.map((u) => () => oursEncode(u)), hpackJsEncode),
    hpackJsEncode,
  ];
  const [oursDecodeToC, , oursInflateC] = decodeGroup as [Contender, Contender, Contender];
  const [oursEncodeC] = encodeGroup as [Contender, Contender];
  const contenders = [...decodeGroup, ...encodeGroup];

  for (const c of contenders) calibrate(c);
  for (let r = 0; r < roundCount; r++) {
    timeRound(decodeGroup);
    timeRound(encodeGroup);
  }

  const rows: string[][] = [['op', 'implementation', 'blocks/s', 'MB/s', 'ours/hpack.js']];
  const ratios = new Map<Contender, number>();
  for (const c of contenders) {
    const blocksPerSec = median(c.rounds);
    const mbPerSec = (blocksPerSec * (c.work.headerBytes / c.work.blocks)) / 1e6;
    let ratio = '';
    if (c.baseline !== undefined) {
      // The median of per-round ratios: each round's two runs are seconds apart, so load from
      // elsewhere on the machine hits both alike and cancels out of the ratio.
      const baseline = c.baseline;
      const x = median(c.rounds.map((v, r) => v / baseline.rounds[r]!));
      ratios.set(c, x);
      ratio = `${fmtFixed(x, 2)}x`;
    }
    rows.push([c.op, c.name, fmtInt(blocksPerSec), fmtFixed(mbPerSec, 1), ratio]);
    if (values.verbose) console.log(`${c.op} ${c.name}: rounds ${c.rounds.map(fmtInt).join(', ')} blocks/s (corpus x${c.repeat} a round)`);
  }

  // Compression: one encoder per raw-data story, as a connection would.
  const ours = oursEncode(encodeStories);
  const theirs = theirsEncode(encodeStories);
  const nghttp2 = totalWireBytes('nghttp2');
  const compression: string[][] = [['encoder', 'total bytes', 'vs nghttp2']];
  const cmp = (name: string, bytes: number): string[] => [name, fmtInt(bytes), fmtFixed(bytes / nghttp2, 3)];
  compression.push(cmp('h2kit HDDeflater', ours));
  for (const folder of corpusFolders().filter((f) => f !== RAW_DATA)) compression.push(cmp(`${folder} (corpus wire)`, totalWireBytes(folder)));
  compression.push(cmp('hpack.js', theirs));

  const decodeRatio = ratios.get(oursDecodeToC)!;
  const inflateRatio = ratios.get(oursInflateC)!;
  const encodeRatio = ratios.get(oursEncodeC)!;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  console.log(`HPACK bench: node ${process.version}, ${decodeStories.length} stories x ${decodeWork.blocks} blocks to decode, ` +
    `${encodeStories.length} stories x ${encodeWork.blocks} blocks to encode (hpack-test-case)`);
  console.log(`median of ${roundCount} alternating rounds after warm-up (ratio: median of per-round ratios); ` +
    `MB/s counts header name+value bytes\n`);
  console.log(table(rows, [false, false, true, true, true]));
  console.log('\nCompression, raw-data stories (one encoder per story):\n');
  console.log(table(compression, [false, true, true]));
  console.log(`\nTargets: decode >= 3x hpack.js: ${verdict(decodeRatio >= 3)} (decodeTo ${fmtFixed(decodeRatio, 2)}x, inflate ${fmtFixed(inflateRatio, 2)}x); ` +
    `encode >= 3x: ${verdict(encodeRatio >= 3)} (${fmtFixed(encodeRatio, 2)}x); ` +
    `bytes <= nghttp2: ${verdict(ours <= nghttp2)} (${fmtFixed(ours / nghttp2, 3)})`);
  if (sink === -1) console.log('');
}
