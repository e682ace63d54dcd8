/**
 * The `h2kit` command line itself, run as a user runs it (the built CLI as a child process):
 * `--version`/`-V`, and option errors in h2kit's own words, one line, exit 2, for every
 * subcommand (never node:util parseArgs's raw messages).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_MAIN, repoPath } from '../helpers/paths.js';

function h2kit(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', timeout: 20_000, input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, nothing on stdout, exactly `line` on stderr. */
function assertUsageLine(args: string[], line: string): void {
  const r = h2kit(args);
  assert.equal(r.code, 2, `exit code of h2kit ${args.join(' ')}; stderr: ${r.stderr}`);
  assert.equal(r.stderr, line + '\n', `h2kit ${args.join(' ')}`);
  assert.equal(r.stdout, '');
}

describe('h2kit --version', () => {
  const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) {
    test(`${flag} prints the package version and exits 0`, () => {
      const r = h2kit([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `h2kit ${version}\n`);
      assert.equal(r.stderr, '');
    });
  }
  test('--help names --version and the exit statuses', () => {
    const r = h2kit(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /"h2kit --version"/);
    assert.match(r.stdout, /Exit status: 0 done, 1 failed .*, 2 bad command line, 141 output closed early/);
  });
});

describe('option errors: one line in our words, exit 2, for every subcommand', () => {
  for (const command of ['serve', 'get', 'deflatehd', 'inflatehd']) {
    const see = `(see "h2kit ${command} --help")`;
    test(`${command}: an unknown option, long and short`, () => {
      assertUsageLine([command, '--frobnicate'], `h2kit ${command}: unknown option --frobnicate ${see}`);
      assertUsageLine([command, '-Z'], `h2kit ${command}: unknown option -Z ${see}`);
    });
    test(`${command}: --help takes no value`, () => {
      assertUsageLine([command, '--help=yes'], `h2kit ${command}: --help takes no value, got "yes" ${see}`);
    });
  }

  test('an option missing its value (at the end, or followed by another option)', () => {
    assertUsageLine(['serve', '--port'], 'h2kit serve: --port needs a value (see "h2kit serve --help")');
    assertUsageLine(['serve', '--port', '--no-tls'], 'h2kit serve: --port needs a value (see "h2kit serve --help")');
    assertUsageLine(['get', '-o'], 'h2kit get: -o needs a value (see "h2kit get --help")');
    assertUsageLine(['deflatehd', '-s'], 'h2kit deflatehd: -s needs a value (see "h2kit deflatehd --help")');
    assertUsageLine(['inflatehd', '--table-size'], 'h2kit inflatehd: --table-size needs a value (see "h2kit inflatehd --help")');
  });

  test('negative numbers are values, refused by the range check: --port -1, --port=-1, -t -1, -s -1', () => {
    assertUsageLine(['serve', '--port', '-1'], 'h2kit serve: --port must be a port number 0-65535, got -1 (see "h2kit serve --help")');
    assertUsageLine(['serve', '--port=-1'], 'h2kit serve: --port must be a port number 0-65535, got -1 (see "h2kit serve --help")');
    assertUsageLine(['get', '-t', '-1', 'http://127.0.0.1:1/'], 'h2kit get: --timeout expects an integer from 0 to 86400, got "-1" (see "h2kit get --help")');
    assertUsageLine(['deflatehd', '-s', '-1'], 'h2kit deflatehd: --table-size expects an integer from 0 to 4294967295, got "-1" (see "h2kit deflatehd --help")');
  });

  test('no message carries parseArgs\'s wording', () => {
    for (const args of [['serve', '--frobnicate'], ['serve', '--port', '-1'], ['get', '--bogus', 'http://x/'], ['inflatehd', '-s']]) {
      const r = h2kit(args);
      assert.doesNotMatch(r.stderr, /Unknown option '|ambiguous|place it at the end|argument missing/, r.stderr);
    }
  });

  test('"--" ends the options: what follows is an argument', () => {
    assertUsageLine(['get', '--', '--frobnicate'], 'h2kit get: not a URL: "--frobnicate" (see "h2kit get --help")');
  });
});
