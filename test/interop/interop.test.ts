// Interop: our server against other HTTP/2 implementations run as separate programs: curl
// (prior knowledge, Upgrade: h2c, TLS with ALPN), nghttp (frames, push, upgrade), h2load, and a
// client on python-hyper's h2. Each test asserts what came back, not only the exit code, and is
// skipped (with the reason) only when its tool is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseRequestHandler } from '../../src/server/request-handler.js';
import type { HTTP2Server } from '../../src/server/server.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { makeTestCert, startServer } from '../server/support.js';

const STYLE = 'body{margin:0;}';
const SCRIPT = 'console.log("pushed");';
const PAGE = '<!DOCTYPE html><html><head><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head><body>h2kit</body></html>';

class InteropHandler extends BaseRequestHandler {
  private hash = createHash('sha256');
  private size = 0;

  override onHeaders(): void {
    if (this.path === '/push') {
      if (this.canPush) {
        this.push({ path: '/style.css', headers: [['content-type', 'text/css']], body: STYLE });
        this.push({ path: '/app.js', headers: [['content-type', 'text/javascript']], body: SCRIPT });
      }
      this.sendResponse({ headers: [['content-type', 'text/html']], body: PAGE });
    } else if (this.path === '/style.css') {
      this.sendResponse({ headers: [['content-type', 'text/css']], body: STYLE });
    } else if (this.path === '/app.js') {
      this.sendResponse({ headers: [['content-type', 'text/javascript']], body: SCRIPT });
    } else if (this.path.startsWith('/hello')) {
      this.sendResponse({ headers: [['content-type', 'text/plain']], body: `hello ${this.scheme} ${this.method} ${this.path}\n` });
    }
  }

  override onData(data: Buffer): void {
    this.hash.update(data);
    this.size += data.length;
  }

  override onRequestDone(): void {
    if (this.path === '/echo') {
      this.sendResponse({
        headers: [['content-type', 'application/json']],
        body: JSON.stringify({ size: this.size, sha256: this.hash.digest('hex'), trailers: this.trailers }),
        trailers: [['x-served-by', 'h2kit']],
      });
    }
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the event loop (the server under test lives in this process). */
function run(cmd: string, args: string[], timeout = 60000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const available = new Map<string, boolean>();
async function has(tool: string): Promise<boolean> {
  if (!available.has(tool)) {
    if (tool === 'python3-h2') available.set(tool, (await run('/usr/bin/python3', ['-c', 'import h2'])).code === 0);
    else available.set(tool, (await run('sh', ['-c', `command -v ${tool}`])).code === 0);
  }
  return available.get(tool)!;
}

let h2c: HTTP2Server;
let tlsServer: HTTP2Server | null = null;
let h2OnlyTlsServer: HTTP2Server | null = null;
let h2OnlyTlsUrl = '';
let plainUrl = '';
let tlsUrl = '';
let tmp = '';

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'h2kit-interop-'));
  const plain = await startServer(InteropHandler);
  h2c = plain.server;
  plainUrl = plain.url;
  const cert = await makeTestCert();
  if (cert !== null) {
    const secure = await startServer(InteropHandler, { ssl: cert });
    tlsServer = secure.server;
    tlsUrl = secure.url;
    const h2Only = await startServer(InteropHandler, { ssl: cert, allowHTTP1: false });
    h2OnlyTlsServer = h2Only.server;
    h2OnlyTlsUrl = h2Only.url;
  }
});

after(async () => {
  await h2c.close();
  await tlsServer?.close();
  await h2OnlyTlsServer?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// ---- curl ----

test('curl --http2-prior-knowledge: GET, and a 1 MiB POST checked by sha256', async (t) => {
  if (!(await has('curl'))) return t.skip('curl is not installed');
  const get = await run('curl', ['-sS', '--http2-prior-knowledge', `${plainUrl}/hello`, '-w', '\n%{http_version} %{http_code}']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(get.stdout, 'hello http GET /hello\n\n2 200');

  const upload = Buffer.alloc(1 << 20);
  for (let i = 0; i < upload.length; i++) upload[i] = (i * 13) & 0xff;
  const file = join(tmp, 'upload.bin');
  writeFileSync(file, upload);
  const post = await run('curl', ['-sS', '--http2-prior-knowledge', '--data-binary', `@${file}`, `${plainUrl}/echo`]);
  assert.equal(post.code, 0, post.stderr);
  const info = JSON.parse(post.stdout);
  assert.equal(info.size, upload.length);
  assert.equal(info.sha256, createHash('sha256').update(upload).digest('hex'));
});

test('curl --http2 over cleartext: Upgrade: h2c, 101, the answer over HTTP/2 (GET and POST with a body)', async (t) => {
  if (!(await has('curl'))) return t.skip('curl is not installed');
  const get = await run('curl', ['-sS', '-v', '--http2', `${plainUrl}/hello/upgraded`, '-w', '\n%{http_version} %{http_code}']);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stderr, /Upgrade: h2c/);
  assert.match(get.stderr, /HTTP\/1\.1 101 Switching Protocols/);
  assert.equal(get.stdout, 'hello http GET /hello/upgraded\n\n2 200');

  const post = await run('curl', ['-sS', '-v', '--http2', '--data-binary', 'upgrade body', `${plainUrl}/echo`]);
  assert.equal(post.code, 0, post.stderr);
  assert.match(post.stderr, /101 Switching Protocols/);
  const info = JSON.parse(post.stdout);
  assert.equal(info.size, 12);
  assert.equal(info.sha256, createHash('sha256').update('upgrade body').digest('hex'));

  // A bigger upgrade body behind Expect: 100-continue: we answer 100, read the body, then switch.
  const body = Buffer.alloc(300_000, 0x42);
  const file = join(tmp, 'upgrade.bin');
  writeFileSync(file, body);
  const big = await run('curl', ['-sS', '-v', '--http2', '-H', 'Expect: 100-continue', '--data-binary', `@${file}`, `${plainUrl}/echo`]);
  assert.equal(big.code, 0, big.stderr);
  assert.match(big.stderr, /HTTP\/1\.1 100 Continue/);
  assert.match(big.stderr, /101 Switching Protocols/);
  const bigInfo = JSON.parse(big.stdout);
  assert.equal(bigInfo.size, body.length);
  assert.equal(bigInfo.sha256, createHash('sha256').update(body).digest('hex'));
});

test('curl over TLS: ALPN negotiates h2; an HTTP/1.1-only client is served over HTTP/1.1, or gets a clear 505 with allowHTTP1 off', async (t) => {
  if (!(await has('curl'))) return t.skip('curl is not installed');
  if (tlsServer === null) return t.skip('openssl is not available to make a test certificate');
  const r = await run('curl', ['-sS', '-k', '-v', '--http2', `${tlsUrl}/hello`, '-w', '\n%{http_version} %{http_code}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ALPN.*(accepted|server accepted).*h2/i);
  assert.equal(r.stdout, 'hello https GET /hello\n\n2 200');
  // allowHTTP1 is on by default: the same port answers HTTP/1.1 (the HTTP/1.1 suite is http1.test.ts).
  const h1 = await run('curl', ['-sS', '-k', '--http1.1', `${tlsUrl}/hello`, '-w', '\n%{http_version} %{http_code}']);
  assert.equal(h1.code, 0, h1.stderr);
  assert.equal(h1.stdout, 'hello https GET /hello\n\n1.1 200');
  const refused = await run('curl', ['-sS', '-k', '--http1.1', `${h2OnlyTlsUrl}/hello`, '-w', '\n%{http_code}']);
  assert.equal(refused.code, 0, refused.stderr);
  assert.match(refused.stdout, /HTTP\/2 only.*ALPN "h2"[\s\S]*\n505$/);
});

// ---- nghttp ----

test('nghttp -nv: the frames of a GET (SETTINGS both ways, HEADERS with :status 200, DATA with END_STREAM)', async (t) => {
  if (!(await has('nghttp'))) return t.skip('nghttp (nghttp2-client) is not installed');
  const r = await run('nghttp', ['-nv', `${plainUrl}/hello`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/);
  assert.match(r.stdout, /recv SETTINGS frame <length=0, flags=0x01, stream_id=0>\s+; ACK/);
  assert.match(r.stdout, /recv \(stream_id=(\d+)\) :status: 200/);
  const bodyLength = Buffer.byteLength('hello http GET /hello\n');
  assert.match(r.stdout, new RegExp(`recv DATA frame <length=${bodyLength}, flags=0x01, stream_id=\\d+>\\s+; END_STREAM`));
  assert.doesNotMatch(r.stdout, /GOAWAY frame[^\n]*\n[^\n]*error_code=(?!NO_ERROR)/);
});

test('nghttp with push: PUSH_PROMISE frames for /style.css and /app.js, pushed bodies counted by -ans', async (t) => {
  if (!(await has('nghttp'))) return t.skip('nghttp (nghttp2-client) is not installed');
  const v = await run('nghttp', ['-nv', `${plainUrl}/push`]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /recv PUSH_PROMISE frame <length=\d+, flags=0x04, stream_id=\d+>\s+; END_HEADERS\s+\(padlen=0, promised_stream_id=2\)/);
  assert.match(v.stdout, /recv \(stream_id=\d+\) :path: \/style\.css/);
  assert.match(v.stdout, /recv \(stream_id=\d+\) :path: \/app\.js/);
  assert.match(v.stdout, /recv \(stream_id=2\) :status: 200/);
  assert.match(v.stdout, /; First push response header/);

  // -a fetches the page's assets; the pushed ones are not requested again and show with '*' in the stats.
  const a = await run('nghttp', ['-ans', `${plainUrl}/push`]);
  assert.equal(a.code, 0, a.stderr);
  const rows = a.stdout.split('\n').filter((l) => /^\s*\d+\s+\+/.test(l));
  const row = (path: string): string => rows.find((l) => l.trimEnd().endsWith(` ${path}`)) ?? '';
  assert.match(row('/style.css'), new RegExp(`\\*.*\\s200\\s+${STYLE.length}\\s+/style\\.css$`));
  assert.match(row('/app.js'), new RegExp(`\\*.*\\s200\\s+${SCRIPT.length}\\s+/app\\.js$`));
  assert.match(row('/push'), new RegExp(`\\s200\\s+${PAGE.length}\\s+/push$`));
  assert.equal(rows.length, 3, `nghttp fetched only the page and the two pushed assets:\n${a.stdout}`);
});

test('nghttp -u: HTTP/1.1 Upgrade to h2c, then the response over HTTP/2', async (t) => {
  if (!(await has('nghttp'))) return t.skip('nghttp (nghttp2-client) is not installed');
  const r = await run('nghttp', ['-uv', `${plainUrl}/hello/nghttp-upgrade`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /HTTP\/1\.1 101 Switching Protocols/);
  assert.match(r.stdout, /HTTP Upgrade success/);
  assert.match(r.stdout, /recv \(stream_id=1\) :status: 200/);
  assert.match(r.stdout, /hello http GET \/hello\/nghttp-upgrade/);
});

test('nghttp over TLS: ALPN h2 and a pushed asset', async (t) => {
  if (!(await has('nghttp'))) return t.skip('nghttp (nghttp2-client) is not installed');
  if (tlsServer === null) return t.skip('openssl is not available to make a test certificate');
  const r = await run('nghttp', ['-nv', `${tlsUrl}/push`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /The negotiated protocol: h2/);
  assert.match(r.stdout, /recv \(stream_id=\d+\) :scheme: https/);
  assert.match(r.stdout, /promised_stream_id=2/);
});

// ---- h2load ----

function parseH2load(out: string): { total: number; succeeded: number; failed: number; errored: number; status2xx: number } {
  const req = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const codes = /status codes: (\d+) 2xx/.exec(out);
  assert.ok(req && codes, `unexpected h2load output:\n${out}`);
  return { total: +req[1]!, succeeded: +req[2]!, failed: +req[3]!, errored: +req[4]!, status2xx: +codes[1]! };
}

test('h2load -n 1000 -c 10 -m 10 (h2c): every request succeeds', async (t) => {
  if (!(await has('h2load'))) return t.skip('h2load (nghttp2-client) is not installed');
  const r = await run('h2load', ['-n', '1000', '-c', '10', '-m', '10', `${plainUrl}/hello`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseH2load(r.stdout), { total: 1000, succeeded: 1000, failed: 0, errored: 0, status2xx: 1000 });
});

test('h2load over TLS with ALPN and POST bodies: every request succeeds', async (t) => {
  if (!(await has('h2load'))) return t.skip('h2load (nghttp2-client) is not installed');
  if (tlsServer === null) return t.skip('openssl is not available to make a test certificate');
  const file = join(tmp, 'post.bin');
  writeFileSync(file, Buffer.alloc(100_000, 0x5a));
  const r = await run('h2load', ['-n', '200', '-c', '4', '-m', '10', '-d', file, `${tlsUrl}/echo`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Application protocol: h2/);
  assert.deepEqual(parseH2load(r.stdout), { total: 200, succeeded: 200, failed: 0, errored: 0, status2xx: 200 });
});

// ---- python-hyper h2 ----

test('a python h2 client: GET with push, POST of 200000 bytes with trailers, flow control both ways', async (t) => {
  if (!(await has('python3-h2'))) return t.skip('/usr/bin/python3 cannot import h2 (Debian python3-h2)');
  const port = new URL(plainUrl).port;
  const r = await run('/usr/bin/python3', [join(REPO_ROOT, 'test', 'interop', 'h2_client.py'), '127.0.0.1', port]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const page = out.streams['/push'];
  assert.deepEqual(page.headers[0], [':status', '200']);
  assert.equal(page.body, PAGE);
  assert.equal(out.pushes.length, 2);
  const css = out.pushes.find((p: { request_headers: string[][] }) => p.request_headers.some(([n, v]) => n === ':path' && v === '/style.css'));
  assert.ok(css, JSON.stringify(out.pushes));
  assert.equal(css.parent, 1);
  assert.equal(css.body, STYLE);
  assert.equal(css.ended, true);
  assert.deepEqual(css.request_headers.find(([n]: string[]) => n === ':authority'), [':authority', `127.0.0.1:${port}`]);
  const echo = out.streams['/echo'];
  const upload = Buffer.alloc(200000);
  for (let i = 0; i < upload.length; i++) upload[i] = (i * 7) & 0xff;
  const digest = createHash('sha256').update(upload).digest('hex');
  const info = JSON.parse(echo.body);
  assert.equal(info.size, 200000);
  assert.equal(info.sha256, digest);
  assert.deepEqual(info.trailers, [['x-upload-sha256', digest]]);
  assert.deepEqual(echo.trailers, [['x-served-by', 'h2kit']]);
  assert.equal(out.uploaded, 200000);
});

test('a python h2 client over TLS: ALPN h2 from the ssl module of Python, :scheme https pushed', async (t) => {
  if (!(await has('python3-h2'))) return t.skip('/usr/bin/python3 cannot import h2 (Debian python3-h2)');
  if (tlsServer === null) return t.skip('openssl is not available to make a test certificate');
  const port = new URL(tlsUrl).port;
  const r = await run('/usr/bin/python3', [join(REPO_ROOT, 'test', 'interop', 'h2_client.py'), '127.0.0.1', port, '--tls']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.alpn, 'h2');
  assert.equal(out.streams['/push'].body, PAGE);
  assert.equal(out.pushes.length, 2);
  for (const p of out.pushes) assert.deepEqual(p.request_headers.find(([n]: string[]) => n === ':scheme'), [':scheme', 'https']);
  assert.equal(JSON.parse(out.streams['/echo'].body).size, 200000);
});
