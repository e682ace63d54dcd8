// Interop, HTTP/1.1 side: `h2kit serve` (the CLI, with its default allowHTTP1) answers clients
// that speak only HTTP/1.1 on the same port as HTTP/2: curl --http1.1 (TLS and cleartext), curl
// without --http2 (cleartext), Python's http.client (keep-alive: two requests on one connection),
// wrk (a short bounded load), and TLS clients that offer no ALPN at all (openssl s_client, node's
// https). Each test asserts status 200, the exact bytes of the file, and that the protocol was
// HTTP/1.1 (from the client where it can tell, and from the server's access log line `http/1.1`).
// A test is skipped, with the reason, only when its tool is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import https from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { startServe, type ServeProcess } from '../cli-serve/support.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (bounded by `timeout`) without blocking the event loop. */
function run(cmd: string, args: string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const available = new Map<string, boolean>();
async function has(tool: string): Promise<boolean> {
  if (!available.has(tool)) available.set(tool, (await run('sh', ['-c', `command -v ${tool}`])).code === 0);
  return available.get(tool)!;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// A file whose bytes are not text (every byte value, odd length): a wrong byte anywhere shows.
const FILE_PATH = '/data.bin';
const FILE = Buffer.alloc(100_003);
for (let i = 0; i < FILE.length; i++) FILE[i] = (i * 131 + (i >> 8)) & 0xff;

let tmp = '';
let fileOnDisk = '';
let tls: ServeProcess | undefined;
let plain: ServeProcess | undefined;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'h2kit-interop-h1-'));
  const site = join(tmp, 'site');
  mkdirSync(site);
  fileOnDisk = join(site, 'data.bin');
  writeFileSync(fileOnDisk, FILE);
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>h1</title><p>hello</p>\n');
  // Both with the defaults of `h2kit serve` (so allowHTTP1 on); TLS with its development certificate.
  tls = await startServe([site, '--port', '0', '--access-log']);
  plain = await startServe([site, '--no-tls', '--port', '0', '--access-log']);
});

after(async () => {
  await tls?.stop();
  await plain?.stop();
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

/**
 * Resolves once the server's stdout (its access log) satisfies `check`, checked on each chunk
 * it prints; rejects after `timeoutMs` or if the process ends first.
 */
function waitForLog<T>(serve: ServeProcess, check: (out: string) => T | undefined, timeoutMs = 10_000): Promise<T> {
  const now = check(serve.stdout());
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const stdout = serve.child.stdout!;
    const done = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      stdout.off('close', onClose);
    };
    const onData = (): void => {
      const r = check(serve.stdout());
      if (r !== undefined) {
        done();
        resolve(r);
      }
    };
    const onClose = (): void => {
      done();
      reject(new Error(`h2kit serve stopped before the expected access log lines; stdout:\n${serve.stdout()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no expected access log lines in ${timeoutMs} ms; stdout:\n${serve.stdout()}`));
    }, timeoutMs);
    stdout.on('data', onData);
    stdout.once('close', onClose);
  });
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The access log lines for `GET path` (path with its `?via=` tag). */
function logLines(out: string, path: string): string[] {
  return out.split('\n').filter((l) => l.includes(`"GET ${path}" `));
}

/** Waits for the access log line of one GET of the file and asserts it says 200, all bytes, http/1.1. */
async function assertLoggedHttp1(serve: ServeProcess, path: string): Promise<void> {
  const line = await waitForLog(serve, (out) => logLines(out, path)[0]);
  assert.match(line, new RegExp(`"GET ${escape(path)}" 200 ${FILE.length} http/1\\.1 stream=\\d+$`));
}

// ---- curl ----

test('curl --http1.1 over TLS: ALPN http/1.1, status 200, the exact bytes, access log http/1.1', async (t) => {
  if (!(await has('curl'))) return t.skip('curl is not installed');
  const out = join(tmp, 'curl-tls.bin');
  const path = `${FILE_PATH}?via=curl-tls`;
  const r = await run('curl', ['-sS', '-k', '-v', '--http1.1', '-o', out, '-w', '%{http_version} %{http_code} %{size_download}', `https://127.0.0.1:${tls!.port}${path}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `1.1 200 ${FILE.length}`);
  assert.match(r.stderr, /ALPN.*(accepted|server accepted).*http\/1\.1/i);
  assert.match(r.stderr, /< HTTP\/1\.1 200 OK/);
  assert.ok(readFileSync(out).equals(FILE), 'the body is the file, byte for byte');
  await assertLoggedHttp1(tls!, path);
});

test('curl over cleartext without --http2 (its default) and with --http1.1: HTTP/1.1, no Upgrade, the exact bytes', async (t) => {
  if (!(await has('curl'))) return t.skip('curl is not installed');
  for (const [via, flags] of [['curl-plain-default', []], ['curl-plain-http1.1', ['--http1.1']]] as const) {
    const out = join(tmp, `${via}.bin`);
    const path = `${FILE_PATH}?via=${via}`;
    const r = await run('curl', ['-sS', '-v', ...flags, '-o', out, '-w', '%{http_version} %{http_code} %{size_download}', `http://127.0.0.1:${plain!.port}${path}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `1.1 200 ${FILE.length}`, via);
    assert.match(r.stderr, /> GET \/data\.bin\?via=[^ ]+ HTTP\/1\.1/);
    assert.doesNotMatch(r.stderr, /Upgrade: h2c/i);
    assert.match(r.stderr, /< HTTP\/1\.1 200 OK/);
    assert.ok(readFileSync(out).equals(FILE), `${via}: the body is the file, byte for byte`);
    await assertLoggedHttp1(plain!, path);
  }
});

// ---- Python http.client ----

interface PyResponse {
  version: number;
  status: number;
  length: number;
  sha256: string;
  local_port: number;
  alpn: string | null;
}

async function pythonHttp1(port: number, tlsFlag: boolean): Promise<PyResponse[]> {
  const args = [join(REPO_ROOT, 'test', 'interop', 'http1_client.py'), '127.0.0.1', String(port), FILE_PATH];
  if (tlsFlag) args.push('--tls');
  const r = await run('/usr/bin/python3', args, 30_000);
  assert.equal(r.code, 0, r.stderr);
  const { responses } = JSON.parse(r.stdout) as { responses: PyResponse[] };
  assert.equal(responses.length, 2);
  for (const res of responses) {
    assert.equal(res.version, 11, 'http.client saw HTTP/1.1');
    assert.equal(res.status, 200);
    assert.equal(res.length, FILE.length);
    assert.equal(res.sha256, sha256(FILE));
  }
  assert.equal(responses[0]!.local_port, responses[1]!.local_port, 'both requests went over one kept-alive connection');
  return responses;
}

test('Python http.client (HTTPConnection): two GETs on one kept-alive connection, version 11, the exact bytes', async (t) => {
  if (!(await has('/usr/bin/python3'))) return t.skip('/usr/bin/python3 is not installed');
  await pythonHttp1(plain!.port, false);
  await assertLoggedHttp1(plain!, `${FILE_PATH}?via=python-plain-0`);
  await assertLoggedHttp1(plain!, `${FILE_PATH}?via=python-plain-1`);
  // One connection: the two log lines carry the same client address:port.
  const client = (path: string): string => logLines(plain!.stdout(), path)[0]!.split(' ')[0]!;
  assert.equal(client(`${FILE_PATH}?via=python-plain-0`), client(`${FILE_PATH}?via=python-plain-1`));
});

test('Python http.client (HTTPSConnection, unverified context, no ALPN): two GETs on one connection, version 11', async (t) => {
  if (!(await has('/usr/bin/python3'))) return t.skip('/usr/bin/python3 is not installed');
  const responses = await pythonHttp1(tls!.port, true);
  assert.equal(responses[0]!.alpn, null, 'a context of its own: http.client offered no ALPN');
  await assertLoggedHttp1(tls!, `${FILE_PATH}?via=python-tls-0`);
  await assertLoggedHttp1(tls!, `${FILE_PATH}?via=python-tls-1`);
});

// ---- wrk ----

interface WrkResult {
  requests: number;
  good: number;
  bad: number;
}

/** `wrk -t1 -c10 -d2s` with test/interop/wrk_check.lua comparing every body with the file. */
async function runWrk(url: string): Promise<WrkResult> {
  const script = join(REPO_ROOT, 'test', 'interop', 'wrk_check.lua');
  const r = await run('wrk', ['-t1', '-c10', '-d2s', '--timeout', '5s', '-s', script, url, '--', fileOnDisk], 30_000);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Socket errors/, 'no connect/read/write/timeout errors');
  assert.doesNotMatch(r.stdout, /Non-2xx or 3xx responses/);
  const total = /(\d+) requests in ([\d.]+\w+),/.exec(r.stdout);
  const check = /h2kit-check: good=(\d+) bad=(\d+)/.exec(r.stdout);
  assert.ok(total && check, `unexpected wrk output:\n${r.stdout}`);
  const result = { requests: +total[1]!, good: +check[1]!, bad: +check[2]! };
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? '?';
  console.log(`wrk ${url}: ${total[1]} requests in ${total[2]}, ${rate} requests/s, ${check[0]}`);
  assert.ok(result.requests > 0, 'wrk completed requests');
  assert.equal(result.bad, 0, 'every response was 200 with the bytes of the file');
  assert.equal(result.good, result.requests);
  return result;
}

/** Every access log line of wrk's path says http/1.1, and there is one for each response wrk counted. */
async function assertWrkLogged(serve: ServeProcess, path: string, requests: number): Promise<void> {
  const full = new RegExp(`"GET ${escape(path)}" 200 ${FILE.length} http/1\\.1 stream=\\d+`);
  const lines = await waitForLog(serve, (out) => {
    const ls = logLines(out, path);
    return ls.filter((l) => full.test(l)).length >= requests ? ls : undefined;
  });
  // wrk's connections still in flight at the end of the run are logged too (possibly reset): all http/1.1.
  for (const l of lines) assert.match(l, / http\/1\.1 stream=/, l);
}

test('wrk -t1 -c10 -d2s over cleartext: only HTTP/1.1, 0 socket errors, 0 non-2xx, every body the file', async (t) => {
  if (!(await has('wrk'))) return t.skip('wrk is not installed (Debian wrk)');
  const path = `${FILE_PATH}?via=wrk-plain`;
  const r = await runWrk(`http://127.0.0.1:${plain!.port}${path}`);
  await assertWrkLogged(plain!, path, r.requests);
});

test('wrk -t1 -c10 -d2s over TLS: only HTTP/1.1, 0 socket errors, 0 non-2xx, every body the file', async (t) => {
  if (!(await has('wrk'))) return t.skip('wrk is not installed (Debian wrk)');
  const path = `${FILE_PATH}?via=wrk-tls`;
  const r = await runWrk(`https://127.0.0.1:${tls!.port}${path}`);
  await assertWrkLogged(tls!, path, r.requests);
});

// ---- TLS without ALPN ----

/** Splits a raw HTTP/1.1 response into its head (text) and body (bytes). */
function splitResponse(raw: Buffer): { head: string; body: Buffer } {
  const end = raw.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no response head in ${JSON.stringify(raw.subarray(0, 200).toString('latin1'))}`);
  return { head: raw.subarray(0, end).toString('latin1'), body: raw.subarray(end + 4) };
}

test('openssl s_client with no ALPN, a raw "GET ... HTTP/1.1": 200 and the exact bytes', async (t) => {
  if (!(await has('openssl'))) return t.skip('openssl is not installed');
  const path = `${FILE_PATH}?via=openssl-no-alpn`;
  // -quiet implies -ign_eof: s_client keeps reading after its stdin ends, until the server closes.
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${tls!.port}`, '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  t.after(() => {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdin.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${tls!.port}\r\nConnection: close\r\n\r\n`);
  const code = await closed;
  assert.equal(code, 0, stderr);
  const { head, body } = splitResponse(Buffer.concat(chunks));
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head, new RegExp(`\r\ncontent-length: ${FILE.length}(\r\n|$)`, 'i'));
  assert.ok(body.equals(FILE), `the body is the file, byte for byte (${body.length} bytes)`);
  await assertLoggedHttp1(tls!, path);
});

test("node's https with ALPNProtocols unset (no ALPN): 200 over HTTP/1.1, the exact bytes", async (t) => {
  const path = `${FILE_PATH}?via=node-https-no-alpn`;
  const result = await new Promise<{ alpn: string | false | null; version: string; status: number; body: Buffer }>((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: tls!.port, path, rejectUnauthorized: false, agent: false, timeout: 20_000 }, (res) => {
      const alpn = (res.socket as TLSSocket).alpnProtocol;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ alpn, version: res.httpVersion, status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    t.after(() => req.destroy());
  });
  assert.equal(result.alpn, false, 'no protocol was negotiated by ALPN');
  assert.equal(result.version, '1.1');
  assert.equal(result.status, 200);
  assert.ok(result.body.equals(FILE), 'the body is the file, byte for byte');
  await assertLoggedHttp1(tls!, path);
});
