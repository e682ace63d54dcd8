/**
 * `h2kit get`, run in-process through the CLI dispatcher against our own HTTP2Server: bodies to
 * stdout and text to stderr, -o, -n, -a with pushes (TLS, -k), -v frame trace, --stats, -d
 * upload, and one-line errors with the documented exit codes.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runCli } from '../../src/cli/dispatch.js';
import { assetsOf } from '../../src/cli/get.js';
import { fileProblem } from '../../src/cli/command.js';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import { HTTP2Server } from '../../src/server/server.js';
import { freePort, makeTestCert, patterned, sha256 } from './support.js';
import { makeSite, startServe } from '../cli-serve/support.js';
import { CLI_MAIN, repoPath } from '../helpers/paths.js';
import { spawnSync } from 'node:child_process';

const PAGE = '<html><link rel="stylesheet" href="/style.css"><script src="app.js"></script><img src="/img/a.png"><a href="/not-an-asset">x</a>' +
  '<img src="https://elsewhere.example/x.png"></html>';
const FILES: Record<string, [string, string]> = {
  '/': ['text/html', PAGE],
  '/style.css': ['text/css', 'body{}'],
  '/app.js': ['text/javascript', 'go()'],
  '/img/a.png': ['image/png', 'PNG'],
};

class Site extends BaseRequestHandler {
  private hash = createHash('sha256');
  private length = 0;
  override onData(data: Buffer): void {
    this.hash.update(data);
    this.length += data.length;
  }
  override onRequestDone(): void {
    if (this.method === 'POST') {
      this.sendResponse({ headers: { 'x-sha256': this.hash.digest('hex'), 'x-length': this.length }, body: 'stored' });
      return;
    }
    const file = FILES[this.path];
    if (file === undefined) {
      this.sendResponse({ status: 404, body: 'not found' });
      return;
    }
    if (this.path === '/' && this.canPush) {
      for (const p of ['/style.css', '/app.js']) this.push({ path: p, headers: { 'content-type': FILES[p]![0] }, body: FILES[p]![1] });
    }
    this.sendResponse({ headers: { 'content-type': file[0] }, body: file[1], trailers: this.path === '/style.css' ? { 'x-t': '1' } : null });
  }
}

class Capture {
  text = '';
  bytes: Buffer[] = [];
  write(chunk: string | Uint8Array): boolean {
    if (typeof chunk === 'string') this.text += chunk;
    else this.bytes.push(Buffer.from(chunk));
    return true;
  }
  get body(): Buffer {
    return Buffer.concat(this.bytes);
  }
}

async function get(args: string[], stdin: Buffer[] = []): Promise<{ code: number; stdout: Capture; stderr: Capture }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(['get', ...args], { stdin: (async function* () { yield* stdin; })(), stdout, stderr });
  return { code, stdout, stderr };
}

async function withServer(tls: boolean, fn: (base: string) => Promise<void>): Promise<void> {
  const cert = tls ? await makeTestCert() : null;
  const server = new HTTP2Server(['127.0.0.1', 0], Site, { logger: { error: () => {} }, ...(cert !== null ? { ssl: cert } : {}) });
  await server.listen();
  try {
    await fn(`${cert !== null ? 'https' : 'http'}://127.0.0.1:${server.port}`);
  } finally {
    await server.close();
  }
}

test('get URL: the body on stdout, status and headers on stderr, exit 0', async () => {
  await withServer(false, async (base) => {
    const { code, stdout, stderr } = await get([`${base}/style.css`]);
    assert.equal(code, 0, stderr.text);
    assert.equal(stdout.body.toString(), 'body{}');
    assert.equal(stdout.text, '');
    assert.match(stderr.text, new RegExp(`^GET ${base}/style.css -> 200 \\(stream 1, 6 bytes\\)\\n`));
    assert.match(stderr.text, /\n {2}content-type: text\/css\n/);
    assert.match(stderr.text, /\(trailer\) x-t: 1/);
  });
});

test('get with two URLs writes both bodies in order; -o FILE writes them to the file and the text to stdout', async () => {
  await withServer(false, async (base) => {
    const dir = mkdtempSync(join(tmpdir(), 'h2kit-get-'));
    try {
      const out = join(dir, 'out.bin');
      const { code, stdout } = await get(['-o', out, `${base}/app.js`, `${base}/style.css`]);
      assert.equal(code, 0);
      assert.equal(readFileSync(out, 'utf8'), 'go()body{}');
      assert.match(stdout.text, /app\.js -> 200/);
      assert.equal(stdout.body.length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('get -a -n -k over TLS: pushed assets are listed, the others fetched, off-origin and non-asset links ignored', async (t) => {
  if ((await makeTestCert()) === null) return t.skip('openssl is not available');
  await withServer(true, async (base) => {
    const { code, stdout } = await get(['-a', '-n', '-k', `${base}/`]);
    assert.equal(code, 0, stdout.text);
    assert.match(stdout.text, /^pushed: \/style\.css -> 200/m);
    assert.match(stdout.text, /^pushed: \/app\.js -> 200/m);
    assert.match(stdout.text, /^asset: \/img\/a\.png -> 200/m);
    assert.doesNotMatch(stdout.text, /not-an-asset|elsewhere/);
    assert.match(stdout.text, /^2 pushed: \/style\.css \/app\.js$/m);
    assert.equal(stdout.body.length, 0);
  });
});

test('get -v: one trace line per frame each way, header fields decoded below HEADERS', async () => {
  await withServer(false, async (base) => {
    const { code, stdout } = await get(['-v', '-n', `${base}/style.css`]);
    assert.equal(code, 0);
    const lines = stdout.text.split('\n');
    assert.ok(lines.some((l) => /^\[ *\d+\.\d{3}\] send SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/.test(l)));
    assert.ok(lines.some((l) => /send HEADERS frame <length=\d+, flags=0x05, stream_id=1> ; END_STREAM \| END_HEADERS/.test(l)));
    assert.ok(lines.includes('          :path: /style.css'));
    assert.ok(lines.includes('          :status: 200'));
    assert.ok(lines.some((l) => /recv DATA frame <length=6, flags=0x00, stream_id=1>/.test(l)));
    assert.ok(lines.some((l) => /send GOAWAY frame .*error_code=NO_ERROR\(0x00\)/.test(l)));
  });
});

test('get --stats prints a timing row per request; -d FILE uploads it (POST)', async () => {
  await withServer(false, async (base) => {
    const dir = mkdtempSync(join(tmpdir(), 'h2kit-get-'));
    try {
      const file = join(dir, 'up.bin');
      const data = patterned(3 * 1024 * 1024 + 7);
      writeFileSync(file, data);
      const { code, stdout, stderr } = await get(['--stats', '-d', file, `${base}/upload`]);
      assert.equal(code, 0, stderr.text);
      assert.equal(stdout.body.toString(), 'stored');
      assert.match(stderr.text, new RegExp(`x-sha256: ${sha256(data)}`));
      assert.match(stderr.text, /Request timing:\n.*start.*headers.*end.*status.*size.*path\n.*\+[\d.]+ms.*200 +6 +\/upload\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('get errors: one line, no stack trace; 1 for a failed request, 2 for a bad command line', async () => {
  const port = await freePort();
  const refused = await get([`http://127.0.0.1:${port}/`]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr.text, /^h2kit get: http:\/\/127\.0\.0\.1:\d+\/: cannot connect to .*ECONNREFUSED.*\n$/);
  assert.doesNotMatch(refused.stderr.text, /\n\s+at /);

  const bad = await get(['ftp://x/']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.text, /^h2kit get: ftp:\/\/x\/: only http:\/\/ \(h2c\) and https:\/\/ URLs are supported \(see "h2kit get --help"\)\n$/);
  assert.equal((await get([])).code, 2);
  assert.equal((await get(['--bogus', 'http://x/'])).code, 2);
  // A file named on the command line that cannot be read: the command line is wrong (exit 2),
  // said in words before any connection is tried.
  const missing = await get(['-d', 'nosuch.bin', 'http://127.0.0.1:1/']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.text, 'h2kit get: -d nosuch.bin: no such file\n');
  const folder = await get(['--data', tmpdir(), 'http://127.0.0.1:1/']);
  assert.equal(folder.code, 2);
  assert.equal(folder.stderr.text, `h2kit get: -d ${tmpdir()}: is a directory\n`);
  const ca = await get(['--cacert', 'nosuch.pem', 'https://127.0.0.1:1/']);
  assert.equal(ca.code, 2);
  assert.equal(ca.stderr.text, 'h2kit get: --cacert nosuch.pem: no such file\n');
  const help = await get(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.text, /^Usage: h2kit get/);
});

test('get on a self-signed TLS server without -k fails with a certificate error', async (t) => {
  if ((await makeTestCert()) === null) return t.skip('openssl is not available');
  await withServer(true, async (base) => {
    const { code, stderr } = await get([`${base}/`]);
    assert.equal(code, 1);
    assert.match(stderr.text, /^h2kit get: https:.*: cannot connect to .*(self.signed|certificate)/i);
  });
});

test('fileProblem: the file errors a command line names, in words (EACCES too)', () => {
  const err = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  assert.equal(fileProblem(err('ENOENT')), 'no such file');
  assert.equal(fileProblem(err('EACCES')), 'permission denied');
  assert.equal(fileProblem(err('EISDIR')), 'is a directory');
  assert.equal(fileProblem(err('EIO')), 'EIO');
});

test('assetsOf: stylesheets, preloads, icons, scripts and images of the same origin, once each', () => {
  const base = new URL('http://h/dir/page.html');
  const html = '<link rel="preload" href="a.css" as="style"><link rel=stylesheet href=a.css><link rel="alternate" href="/feed">' +
    "<script src='/s.js'></script><img src=\"img/p.png#x\"><link rel=\"icon\" href=\"//h/i.svg\"><img src=\"http://other/x.png\">";
  assert.deepEqual(assetsOf(html, base).map((u) => u.pathname), ['/dir/a.css', '/s.js', '/dir/img/p.png', '/i.svg']);
});

test('h2kit get -a over TLS against h2kit serve --push-preload examples/site lists the pushed assets (real processes)', async () => {
  const site = await startServe(['--port', '0', '--push-preload', repoPath('examples', 'site')]);
  try {
    const run = spawnSync(process.execPath, [CLI_MAIN, 'get', '-a', '-n', '-k', `${site.origin}/`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^GET https:\/\/127\.0\.0\.1:\d+\/ -> 200/m);
    assert.match(run.stdout, /^pushed: \/style\.css -> 200/m);
    assert.match(run.stdout, /^pushed: \/app\.js -> 200/m);
    assert.match(run.stdout, /^asset: \/img\/logo\.svg -> 200/m);
    assert.match(run.stdout, /^asset: \/img\/dot\.png -> 200/m);
    assert.match(run.stdout, /^2 pushed: \/style\.css \/app\.js$/m);
    assert.equal(run.stderr, '');
  } finally {
    await site.stop();
  }
});

test('h2kit get URL | head: a reader that leaves early ends it quietly with 141 (128 + SIGPIPE), not 0 (real processes)', async () => {
  const site = makeSite();
  writeFileSync(join(site.site, 'big.txt'), Buffer.alloc(4 * 1024 * 1024, 'x'));
  const serve = await startServe(['--no-tls', '--port', '0', site.site]);
  try {
    // bash's PIPESTATUS holds h2kit's own status; head reads 100 bytes of 4 MiB and leaves.
    const script = '"$0" "$1" get "$2" | head -c 100 >/dev/null; echo "status=${PIPESTATUS[0]}" >&2';
    const run = spawnSync('bash', ['-c', script, process.execPath, CLI_MAIN, `${serve.origin}/big.txt`], { encoding: 'utf8', timeout: 20_000 });
    assert.match(run.stderr, /^status=141$/m, run.stderr);
    assert.doesNotMatch(run.stderr, /EPIPE|Error|cannot write|\n\s+at /, 'no error text, no stack');
    // The whole body to a reader that stays: exit 0.
    const all = spawnSync(process.execPath, [CLI_MAIN, 'get', `${serve.origin}/big.txt`], { timeout: 20_000, maxBuffer: 8 * 1024 * 1024 });
    assert.equal(all.status, 0);
    assert.equal(all.stdout.length, 4 * 1024 * 1024);
  } finally {
    await serve.stop();
    site.cleanup();
  }
});

test('h2kit get http:// against a TLS port says so in one line: use https:// (real processes)', async () => {
  const site = makeSite();
  const serve = await startServe(['--port', '0', site.site]);
  try {
    const url = `http://127.0.0.1:${serve.port}/hello.txt`;
    const run = spawnSync(process.execPath, [CLI_MAIN, 'get', url], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `h2kit get: ${url}: the server at 127.0.0.1:${serve.port} answered with TLS; use https://127.0.0.1:${serve.port}/hello.txt\n`);
    assert.equal(run.stdout, '');
  } finally {
    await serve.stop();
    site.cleanup();
  }
});
