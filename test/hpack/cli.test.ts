/**
 * `h2kit deflatehd` / `h2kit inflatehd`: in-process through `runCli` for the many cases, and as
 * a real process (the built `dist/src/cli/main.js`) for exit codes, stdin and the one-line
 * error contract.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/dispatch.js';
import { CLI_MAIN, HPACK_TEST_CASE_DIR, SHARED_SKIP } from '../helpers/paths.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

function spawnCli(args: string[], stdin = ''): Run {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { input: stdin, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The tests that read a corpus story skip without ../shared (paths.ts). */
const skip = SHARED_SKIP;
const story = (folder: string, n: number): string => join(HPACK_TEST_CASE_DIR, folder, `story_${String(n).padStart(2, '0')}.json`);

interface OutCase {
  seqno: number;
  wire?: string;
  headers?: Array<Record<string, string>>;
  header_table_size?: number;
}

function casesOf(text: string): OutCase[] {
  return (JSON.parse(text) as { cases: OutCase[] }).cases;
}

/** The one-line error contract: non-zero exit, one line on stderr, no stack trace, nothing on stdout. */
function assertOneLineError(r: Run, exitCode: number, mentions: RegExp): void {
  assert.equal(r.code, exitCode, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^h2kit[ :][^\n]+\n$/, `exactly one line: ${JSON.stringify(r.stderr)}`);
  assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/, 'no stack trace');
  assert.match(r.stderr, mentions);
}

describe('h2kit deflatehd / inflatehd round trip', () => {
  test('deflatehd adds a wire to every raw-data case; inflatehd decodes them back to the headers', { skip }, async () => {
    const input = readFileSync(story('raw-data', 20), 'utf8');
    const original = casesOf(input);
    const deflated = await cli(['deflatehd', story('raw-data', 20)]);
    assert.equal(deflated.code, 0, deflated.stderr);
    const encoded = casesOf(deflated.stdout);
    assert.equal(encoded.length, original.length);
    for (const [i, c] of encoded.entries()) {
      // Most raw-data stories carry no seqno: a case's position stands in for it.
      assert.equal(c.seqno, original[i]!.seqno ?? i);
      assert.match(c.wire ?? '', /^([0-9a-f]{2})+$/, `seqno ${c.seqno} has a wire`);
      assert.deepEqual(c.headers, original[i]!.headers);
    }
    // Later blocks reuse the table: the story compresses to well under its header bytes.
    const wireBytes = encoded.reduce((n, c) => n + c.wire!.length / 2, 0);
    const headerBytes = original.reduce((n, c) => n + JSON.stringify(c.headers).length, 0);
    assert.ok(wireBytes < headerBytes / 2, `${wireBytes} wire bytes for ~${headerBytes} header bytes`);

    const stripped = JSON.stringify({ cases: encoded.map(({ seqno, wire }) => ({ seqno, wire })) });
    const inflated = await cli(['inflatehd'], stripped);
    assert.equal(inflated.code, 0, inflated.stderr);
    const decoded = casesOf(inflated.stdout);
    assert.deepEqual(decoded.map((c) => c.headers), original.map((c) => c.headers));
    assert.deepEqual(decoded.map((c) => c.wire), encoded.map((c) => c.wire));
  });

  test('inflatehd decodes another encoder\'s story (nghttp2) to its headers, keeping seqno and wire', { skip }, async () => {
    const input = casesOf(readFileSync(story('nghttp2', 3), 'utf8'));
    const r = await cli(['inflatehd', story('nghttp2', 3)]);
    assert.equal(r.code, 0, r.stderr);
    const out = casesOf(r.stdout);
    assert.deepEqual(out.map((c) => [c.seqno, c.wire, c.headers]), input.map((c) => [c.seqno, c.wire, c.headers]));
  });

  test('header_table_size: deflatehd changes the size before that case; inflatehd follows', async () => {
    const headers = [{ ':method': 'GET' }, { ':path': '/a-long-enough-path' }, { 'x-custom': 'some value' }];
    const input = JSON.stringify({
      cases: [
        { seqno: 0, headers },
        { seqno: 1, headers, header_table_size: 0 },
        { seqno: 2, headers, header_table_size: 0 },
        { seqno: 3, headers, header_table_size: 256 },
        { seqno: 4, headers },
      ],
    });
    const d = await cli(['deflatehd'], input);
    assert.equal(d.code, 0, d.stderr);
    const enc = casesOf(d.stdout);
    const first = (c: OutCase): number => parseInt(c.wire!.slice(0, 2), 16);
    assert.notEqual(first(enc[0]!) & 0xe0, 0x20, 'no size update before any change');
    assert.equal(enc[1]!.wire!.slice(0, 2), '20', 'size update to 0 opens seqno 1');
    assert.notEqual(first(enc[2]!) & 0xe0, 0x20, 'no update when the size is unchanged');
    assert.equal(first(enc[3]!) & 0xe0, 0x20, 'size update opens seqno 3');
    assert.deepEqual(enc.map((c) => c.header_table_size), [undefined, 0, 0, 256, 256]);
    const i = await cli(['inflatehd'], d.stdout);
    assert.equal(i.code, 0, i.stderr);
    assert.deepEqual(casesOf(i.stdout).map((c) => c.headers), enc.map(() => headers));
  });

  test('names and values with quotes, backslashes, non-ASCII text, empty values and odd names survive the round trip', async () => {
    const pairs: Array<[string, string]> = [
      ['x-quote', 'say "hi"\\ and \\"'],
      ['x-text', 'café ☕ 日本'],
      ['x-empty', ''],
      ['__proto__', 'not a prototype'],
      ['constructor', 'x'],
      ['x-text', 'café ☕ 日本'],
    ];
    // Computed keys make own properties, even `__proto__`.
    const headers = pairs.map(([name, value]) => ({ [name]: value }));
    const input = JSON.stringify({ cases: [{ seqno: 0, headers }, { seqno: 1, headers }] });
    assert.match(input, /"__proto__":"not a prototype"/);
    const d = await cli(['deflatehd'], input);
    assert.equal(d.code, 0, d.stderr);
    const i = await cli(['inflatehd'], d.stdout);
    assert.equal(i.code, 0, i.stderr);
    const out = JSON.parse(i.stdout) as { cases: OutCase[] };
    for (const c of out.cases) {
      assert.deepEqual(c.headers!.map((h) => Object.entries(h)[0]), pairs);
    }
    // UTF-8 on the wire: the second block reuses the table for the repeated non-ASCII field.
    assert.ok(out.cases[1]!.wire!.length < out.cases[0]!.wire!.length);
  });

  test('-s sets the table size in force from the first case', async () => {
    const input = JSON.stringify({ cases: [{ seqno: 0, headers: [{ a: 'b' }] }] });
    const d = await cli(['deflatehd', '-s', '1024'], input);
    assert.equal(d.code, 0, d.stderr);
    const [c] = casesOf(d.stdout);
    assert.equal(parseInt(c!.wire!.slice(0, 2), 16) & 0xe0, 0x20);
    assert.equal(c!.header_table_size, 1024);
  });

  test('-S caps the deflater\'s own table: with 0 it announces size 0 and never indexes', async () => {
    const headers = [{ 'x-repeated': 'the same value every time' }];
    const input = JSON.stringify({ cases: [{ seqno: 0, headers }, { seqno: 1, headers }] });
    const capped = casesOf((await cli(['deflatehd', '-S', '0'], input)).stdout);
    assert.equal(capped[0]!.wire!.slice(0, 2), '20', 'first block opens with a size update to 0');
    assert.equal(capped[1]!.wire!.length, capped[0]!.wire!.length - 2, 'second block: the same literal again');
    const normal = casesOf((await cli(['deflatehd'], input)).stdout);
    assert.ok(normal[1]!.wire!.length <= 4, `indexed when not capped: ${normal[1]!.wire}`);
  });

  test('inflatehd -m bounds the decoded header list; a larger block is an error naming the seqno', async () => {
    const encoded = (await cli(['deflatehd'], JSON.stringify({ cases: [{ seqno: 0, headers: [{ 'x-big': 'v'.repeat(200) }] }] }))).stdout;
    assert.equal((await cli(['inflatehd', '-m', '1000'], encoded)).code, 0);
    assertOneLineError(await cli(['inflatehd', '-m', '100'], encoded), 1, /stdin: seqno 0: /);
  });

  test('--no-huffman sends strings as plain octets, and the result still decodes', async () => {
    const input = JSON.stringify({ cases: [{ seqno: 0, headers: [{ 'x-plain': 'readable-text' }] }] });
    const plain = await cli(['deflatehd', '--no-huffman'], input);
    assert.equal(plain.code, 0, plain.stderr);
    const wire = casesOf(plain.stdout)[0]!.wire!;
    assert.ok(Buffer.from(wire, 'hex').includes('readable-text'), `plain text in ${wire}`);
    const huffman = casesOf((await cli(['deflatehd'], input)).stdout)[0]!.wire!;
    assert.ok(!Buffer.from(huffman, 'hex').includes('readable-text') && huffman.length < wire.length);
    const back = await cli(['inflatehd'], plain.stdout);
    assert.deepEqual(casesOf(back.stdout)[0]!.headers, [{ 'x-plain': 'readable-text' }]);
  });

  test('-d dumps the dynamic table after each case on stderr', async () => {
    const input = JSON.stringify({ cases: [{ seqno: 0, headers: [{ 'x-dumped': 'yes' }] }] });
    const d = await cli(['deflatehd', '-d'], input);
    assert.equal(d.code, 0);
    assert.match(d.stderr, /seqno 0/);
    assert.match(d.stderr, /\[1\] \(s=\d+\) x-dumped: yes/);
  });
});

describe('h2kit errors: one line, non-zero exit', () => {
  test('bad JSON', async () => {
    assertOneLineError(await cli(['inflatehd'], '{"cases": ['), 1, /stdin: not valid JSON/);
  });
  test('not a story', async () => {
    assertOneLineError(await cli(['inflatehd'], '{"stories": []}'), 1, /"cases" must be an array/);
  });
  test('bad hex in wire names the seqno and the digit', async () => {
    const r = await cli(['inflatehd'], JSON.stringify({ cases: [{ seqno: 7, wire: '82zz' }] }));
    assertOneLineError(r, 1, /seqno 7: "wire" is not hex: bad hex digit "z" at offset 2/);
  });
  test('odd-length hex', async () => {
    assertOneLineError(await cli(['inflatehd'], JSON.stringify({ cases: [{ seqno: 0, wire: '828' }] })), 1, /odd number of hex digits/);
  });
  test('a block that does not decode names the seqno (index 0, then a truncated literal)', async () => {
    const ok = '82';
    const r = await cli(['inflatehd'], JSON.stringify({ cases: [{ seqno: 0, wire: ok }, { seqno: 1, wire: '80' }] }));
    assertOneLineError(r, 1, /stdin: seqno 1: /);
    const t = await cli(['inflatehd'], JSON.stringify({ cases: [{ seqno: 4, wire: '4085' }] }));
    assertOneLineError(t, 1, /stdin: seqno 4: /);
  });
  test('a header that is not a one-key object', async () => {
    const r = await cli(['deflatehd'], JSON.stringify({ cases: [{ seqno: 2, headers: [{ a: 'b', c: 'd' }] }] }));
    assertOneLineError(r, 1, /seqno 2: headers\[0\] must be an object with one string-valued key/);
  });
  test('deflatehd without headers, inflatehd without wire', async () => {
    assertOneLineError(await cli(['deflatehd'], '{"cases":[{"seqno":0}]}'), 1, /seqno 0: no "headers" to encode/);
    assertOneLineError(await cli(['inflatehd'], '{"cases":[{"seqno":0}]}'), 1, /seqno 0: no "wire" to decode/);
  });
  test('a missing file', async () => {
    assertOneLineError(await cli(['inflatehd', '/nonexistent/story.json']), 1, /cannot read \/nonexistent\/story.json: no such file/);
  });
  test('bad options and commands exit 2', async () => {
    assertOneLineError(await cli(['deflatehd', '--bogus']), 2, /bogus/);
    assertOneLineError(await cli(['deflatehd', '-s', 'lots']), 2, /--table-size expects an integer/);
    assertOneLineError(await cli(['frobnicate']), 2, /unknown command "frobnicate"/);
  });
});

describe('the h2kit executable', () => {
  test('--help lists the commands; each command has --help', () => {
    const r = spawnCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /deflatehd/);
    assert.match(r.stdout, /inflatehd/);
    const d = spawnCli(['deflatehd', '--help']);
    assert.equal(d.code, 0);
    assert.match(d.stdout, /^Usage: h2kit deflatehd/);
  });

  test('deflatehd FILE | inflatehd (stdin) round-trips a story as real processes', { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'h2kit-cli-'));
    try {
      const d = spawnCli(['deflatehd', story('raw-data', 24)]);
      assert.equal(d.code, 0, d.stderr);
      const file = join(dir, 'encoded.json');
      writeFileSync(file, d.stdout);
      const i = spawnCli(['inflatehd'], d.stdout);
      assert.equal(i.code, 0, i.stderr);
      const original = casesOf(readFileSync(story('raw-data', 24), 'utf8'));
      assert.deepEqual(casesOf(i.stdout).map((c) => c.headers), original.map((c) => c.headers));
      const viaFile = spawnCli(['inflatehd', file]);
      assert.equal(viaFile.stdout, i.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a decoding error exits 1 with one line naming the seqno', () => {
    const r = spawnCli(['inflatehd'], JSON.stringify({ cases: [{ seqno: 0, wire: '82' }, { seqno: 1, wire: 'ff' }] }));
    assertOneLineError(r, 1, /^h2kit inflatehd: stdin: seqno 1: /);
  });

  test('bad JSON and no command exit non-zero with one line', () => {
    assertOneLineError(spawnCli(['inflatehd'], 'not json'), 1, /not valid JSON/);
    const none = spawnCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: h2kit/);
  });
});
