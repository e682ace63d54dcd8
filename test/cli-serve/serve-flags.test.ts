/**
 * `h2kit serve` flags, each run as a user would run the command: TLS with the development
 * certificate and with --cert/--key, --no-tls, --host, --port, --push-preload,
 * --push-manifest (and nothing pushed when the client disabled push), --access-log,
 * --verbose, --workers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { connect, fetchOnce, makeSite, request, serveEnv, startServe } from './support.js';
import { CLI_MAIN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

/** The SHA-256 fingerprint of the certificate a TLS server presents. */
async function presentedFingerprint(origin: string): Promise<string> {
  const session = await connect(origin);
  try {
    const socket = session.socket as TLSSocket;
    assert.equal(socket.alpnProtocol, 'h2');
    return socket.getPeerCertificate().fingerprint256;
  } finally {
    session.close();
  }
}

/** GETs `path` with push enabled and collects the pushed streams (path, body). */
async function getWithPushes(origin: string, path: string, enablePush = true): Promise<{ status: number; pushed: Map<string, string> }> {
  const session = await connect(origin, { settings: { enablePush } });
  const pushed = new Map<string, string>();
  const pushDone: Promise<void>[] = [];
  session.on('stream', (stream: http2.ClientHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    pushDone.push(new Promise((resolve) => stream.on('end', () => {
      pushed.set(String(headers[':path']), Buffer.concat(chunks).toString());
      resolve();
    })));
  });
  try {
    const r = await request(session, path);
    await Promise.all(pushDone);
    return { status: r.status, pushed };
  } finally {
    session.close();
  }
}

describe('TLS', () => {
  test('without --cert/--key: a development certificate, its SHA-256 fingerprint printed, h2 by ALPN', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--port', '0']);
    try {
      assert.match(serve.url, /^https:\/\/localhost:\d+\/$/);
      const m = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(serve.stdout());
      assert.ok(m, `fingerprint printed: ${serve.stdout()}`);
      assert.equal(await presentedFingerprint(serve.origin), m[1], 'the printed fingerprint is the presented certificate');
      const r = await fetchOnce(serve.origin, '/hello.txt');
      assert.equal(r.body.toString(), 'hello, world\n');
      // The certificate names localhost: a client checking names (with the cert as CA) accepts it.
      const session = http2.connect(`https://localhost:${serve.port}`, { rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
      const cert = (session.socket as TLSSocket).getPeerCertificate();
      assert.match(String(cert.subjectaltname), /DNS:localhost/);
      assert.match(String(cert.subjectaltname), /IP Address:127\.0\.0\.1/);
      session.close();
    } finally {
      assert.equal(await serve.stop(), 0);
      site.cleanup();
    }
  });

  test('--cert/--key: that certificate is served and its fingerprint printed', async () => {
    const site = makeSite();
    const pems = await generate([{ name: 'commonName', value: 'h2kit-test' }], { keyType: 'ec', algorithm: 'sha256' });
    writeFileSync(join(site.dir, 'cert.pem'), pems.cert);
    writeFileSync(join(site.dir, 'key.pem'), pems.private);
    const serve = await startServe([site.site, '--port', '0', '--cert', join(site.dir, 'cert.pem'), '--key', join(site.dir, 'key.pem')]);
    try {
      const fp = await presentedFingerprint(serve.origin);
      assert.ok(serve.stdout().includes(`fingerprint ${fp}`), serve.stdout());
      assert.ok(!serve.stdout().includes('development certificate'));
      assert.equal((await fetchOnce(serve.origin, '/hello.txt')).status, 200);
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });

  test('--no-tls: cleartext h2 (prior knowledge), http:// URL', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0']);
    try {
      assert.match(serve.url, /^http:\/\/localhost:\d+\/$/);
      assert.ok(!serve.stdout().includes('fingerprint'));
      assert.equal((await fetchOnce(serve.origin, '/hello.txt')).body.toString(), 'hello, world\n');
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });
});

describe('--host and --port', () => {
  test('--host ::1 listens on IPv6 loopback only; --port 0 picks a port and prints it', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--host', '::1', '--port', '0']);
    try {
      assert.ok(serve.port > 0);
      assert.match(serve.stdout(), new RegExp(`listening on ::1 port ${serve.port}`));
      assert.equal((await fetchOnce(`http://[::1]:${serve.port}`, '/hello.txt')).status, 200);
      await assert.rejects(fetchOnce(`http://127.0.0.1:${serve.port}`, '/hello.txt'), /ECONNREFUSED/);
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });

  test('--port N listens on that port', async () => {
    const site = makeSite();
    // Find a free port, then ask for it by number.
    const probe = await startServe([site.site, '--no-tls', '--port', '0']);
    const port = probe.port;
    await probe.stop();
    const serve = await startServe([site.site, '--no-tls', '--port', String(port)]);
    try {
      assert.equal(serve.port, port);
      assert.equal((await fetchOnce(serve.origin, '/hello.txt')).status, 200);
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });
});

describe('push', () => {
  test('--push-preload pushes the page\'s same-origin <link rel=preload> targets (not nopush, not other origins)', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--push-preload', '--access-log']);
    try {
      const { status, pushed } = await getWithPushes(serve.origin, '/');
      assert.equal(status, 200);
      assert.deepEqual([...pushed.keys()].sort(), ['/app.js', '/style.css']);
      assert.equal(pushed.get('/style.css'), 'body { color: red }\n');
      assert.equal(pushed.get('/app.js'), 'console.log(1);\n');
      // A page with no preload links, and a non-HTML file: nothing pushed.
      assert.equal((await getWithPushes(serve.origin, '/sub/page.html')).pushed.size, 0);
      assert.equal((await getWithPushes(serve.origin, '/hello.txt')).pushed.size, 0);
      await serve.stop(); // the log is complete once the server is gone
      assert.equal(serve.stdout().split('\n').filter((l) => l.endsWith(' pushed')).length, 2, serve.stdout());
    } finally {
      await serve.stop();
      assert.match(serve.stdout(), /stopped \(2 responses pushed\)/);
      site.cleanup();
    }
  });

  test('nothing is pushed to a client that disabled push (SETTINGS_ENABLE_PUSH = 0)', async () => {
    const site = makeSite();
    writeFileSync(join(site.dir, 'manifest.json'), JSON.stringify({ '/': ['/hello.txt'] }));
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--push-preload', '--push-manifest', join(site.dir, 'manifest.json'), '--access-log']);
    try {
      const { status, pushed } = await getWithPushes(serve.origin, '/', false);
      assert.equal(status, 200);
      assert.equal(pushed.size, 0);
      await serve.stop(); // the log is complete once the server is gone
      assert.ok(!serve.stdout().includes(' pushed\n'), serve.stdout());
    } finally {
      await serve.stop();
      assert.match(serve.stdout(), /stopped \(0 responses pushed\)/);
      site.cleanup();
    }
  });

  test('--push-manifest pushes the assets listed for the page (by the asked path and by its index path)', async () => {
    const site = makeSite();
    writeFileSync(join(site.dir, 'manifest.json'), JSON.stringify({ '/sub/': ['/hello.txt', '/missing.css'], '/sub/index.html': ['/digits.txt'], '/hello.txt': ['/app.js'] }));
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--push-manifest', join(site.dir, 'manifest.json')]);
    try {
      const sub = await getWithPushes(serve.origin, '/sub/');
      assert.deepEqual([...sub.pushed.keys()].sort(), ['/digits.txt', '/hello.txt'], 'a missing asset is skipped');
      assert.equal(sub.pushed.get('/digits.txt'), '0123456789');
      const hello = await getWithPushes(serve.origin, '/hello.txt');
      assert.deepEqual([...hello.pushed.keys()], ['/app.js'], 'any page kind can have pushes in a manifest');
      assert.equal((await getWithPushes(serve.origin, '/')).pushed.size, 0, 'no --push-preload: link tags are not pushed');
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });

  test('the example site: --push-preload pushes its stylesheet and script', async () => {
    const serve = await startServe([join(process.cwd(), 'examples', 'site'), '--no-tls', '--port', '0', '--push-preload']);
    try {
      const { status, pushed } = await getWithPushes(serve.origin, '/');
      assert.equal(status, 200);
      assert.deepEqual([...pushed.keys()].sort(), ['/app.js', '/style.css']);
      assert.equal(pushed.get('/style.css'), readFileSync(join(process.cwd(), 'examples', 'site', 'style.css'), 'utf8'));
    } finally {
      await serve.stop();
    }
  });
});

describe('--access-log and --verbose', () => {
  test('--access-log: one line per response with method, path, status, bytes', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--access-log']);
    try {
      await fetchOnce(serve.origin, '/hello.txt');
      await fetchOnce(serve.origin, '/nope');
      await serve.stop(); // the log is complete once the server is gone
      const lines = serve.stdout().split('\n').filter((l) => l.includes('" '));
      assert.equal(lines.length, 2, serve.stdout());
      assert.match(lines[0]!, /^127\.0\.0\.1:\d+ \[[^\]]+\] "GET \/hello\.txt" 200 13 h2 stream=1$/);
      assert.match(lines[1]!, /"GET \/nope" 404 14 h2 stream=1$/);
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });

  test('without --access-log nothing is logged per request', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0']);
    try {
      await fetchOnce(serve.origin, '/hello.txt');
      await serve.stop(); // the log is complete once the server is gone
      assert.ok(!serve.stdout().includes('GET /hello.txt'));
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });

  test('--verbose: one line per frame received and sent, header blocks decoded', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--port', '0', '--verbose']);
    try {
      await fetchOnce(serve.origin, '/hello.txt');
      await serve.stop(); // the trace is complete once the server is gone
      const out = serve.stdout();
      assert.match(out, /\[id=1\] \[ *\d+\.\d{3}\] recv connection preface/);
      assert.match(out, /recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>/);
      assert.match(out, /send SETTINGS frame <length=0, flags=0x01, stream_id=0> ; ACK/);
      assert.match(out, /recv HEADERS frame <length=\d+, flags=0x05, stream_id=1> ; END_STREAM \| END_HEADERS\n/);
      assert.match(out, / +:method: GET\n/);
      assert.match(out, / +:path: \/hello\.txt\n/);
      assert.match(out, /send HEADERS frame <length=\d+, flags=0x04, stream_id=1> ; END_HEADERS\n +:status: 200\n/);
      assert.match(out, /send DATA frame <length=13, flags=0x01, stream_id=1> ; END_STREAM/);
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });
});

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number | undefined): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

describe('--workers', () => {
  test('--workers 2 (TLS): two worker processes share the port, all serve, all present the printed certificate', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--port', '0', '--workers', '2']);
    try {
      assert.match(serve.stdout(), /2 workers/);
      const children = childrenOf(serve.child.pid);
      assert.equal(children.length, 2, `worker processes: ${children.join(', ')}`);
      const printed = /SHA-256 fingerprint ([0-9A-F:]{95})/.exec(serve.stdout())?.[1];
      const fingerprints = await Promise.all(Array.from({ length: 6 }, () => presentedFingerprint(serve.origin)));
      assert.ok(fingerprints.every((f) => f === printed), 'one development certificate, made by the primary, for every worker');
      const results = await Promise.all(Array.from({ length: 12 }, () => fetchOnce(serve.origin, '/hello.txt')));
      assert.ok(results.every((r) => r.status === 200 && r.body.toString() === 'hello, world\n'));
    } finally {
      assert.equal(await serve.stop(), 0);
      site.cleanup();
    }
  });

  test('--workers auto: one worker per CPU', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--workers', 'auto']);
    try {
      const cpus = availableParallelism();
      // One CPU: one process, serving by itself (no cluster).
      const expected = cpus > 1 ? cpus : 0;
      if (cpus > 1) assert.match(serve.stdout(), new RegExp(`${cpus} workers`));
      await waitFor(() => childrenOf(serve.child.pid).length >= expected, { what: `${expected} worker processes`, timeout: 10_000, interval: 50 });
      assert.equal(childrenOf(serve.child.pid).length, expected);
      assert.equal((await fetchOnce(serve.origin, '/hello.txt')).status, 200);
    } finally {
      assert.equal(await serve.stop(), 0);
      site.cleanup();
    }
  });

  test('a worker that dies is replaced and the port keeps serving', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--workers', '2']);
    try {
      const [victim] = childrenOf(serve.child.pid);
      assert.ok(victim !== undefined);
      process.kill(victim, 'SIGKILL');
      await waitFor(() => serve.stderr().includes('starting another'), { what: 'the primary to replace the worker', timeout: 10_000, interval: 50 });
      assert.match(serve.stderr(), new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting another`));
      await waitFor(() => childrenOf(serve.child.pid).length >= 2, { what: 'two workers again', timeout: 10_000, interval: 50 });
      const now = childrenOf(serve.child.pid);
      assert.equal(now.length, 2);
      assert.ok(!now.includes(victim));
      const results = await Promise.all(Array.from({ length: 8 }, () => fetchOnce(serve.origin, '/hello.txt')));
      assert.ok(results.every((r) => r.status === 200));
      assert.equal(serve.stdout().split('\n').filter((l) => l.includes('open http')).length, 1, 'the URL is announced once');
    } finally {
      assert.equal(await serve.stop(), 0);
      site.cleanup();
    }
  });
});

describe('HTTP/1.1 (allowHTTP1)', () => {
  /** One HTTP/1.1 GET (cleartext or TLS without ALPN h2); resolves with status, body and the response's range/etag fields. */
  function get1(origin: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    const mod = origin.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.get(`${origin}${path}`, { agent: false, rejectUnauthorized: false, headers } as https.RequestOptions, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
    });
  }

  test('h2kit serve answers HTTP/1.1 clients, cleartext and TLS, with the same files, ranges and validators; the access log says http/1.1', async () => {
    const site = makeSite();
    const plain = await startServe([site.site, '--no-tls', '--port', '0', '--access-log']);
    const secure = await startServe([site.site, '--port', '0']);
    try {
      assert.match(plain.stdout(), /h2c and HTTP\/1\.1, cleartext/);
      for (const origin of [plain.origin, secure.origin]) {
        const r = await get1(origin, '/hello.txt');
        assert.deepEqual({ status: r.status, body: r.body }, { status: 200, body: 'hello, world\n' }, origin);
        assert.ok(r.headers.etag, 'validators as over HTTP/2');
        const range = await get1(origin, '/digits.txt', { range: 'bytes=2-4' });
        assert.deepEqual({ status: range.status, body: range.body }, { status: 206, body: '234' });
        assert.equal((await get1(origin, '/hello.txt', { 'if-none-match': r.headers.etag! })).status, 304);
        assert.equal((await get1(origin, '/.env')).status, 404, 'hidden files stay hidden');
      }
      await waitFor(() => /"GET \/hello\.txt" 200 13 http\/1\.1/.test(plain.stdout()), 'the access log line of the HTTP/1.1 request');
    } finally {
      await plain.stop();
      await secure.stop();
      site.cleanup();
    }
  });

  test('--no-http1: HTTP/1.x clients get 505; HTTP/2 is served as before', async () => {
    const site = makeSite();
    const serve = await startServe([site.site, '--no-tls', '--port', '0', '--no-http1']);
    try {
      assert.match(serve.stdout(), /\(h2c, cleartext\)/);
      const r = await get1(serve.origin, '/hello.txt');
      assert.equal(r.status, 505);
      const session = await connect(serve.origin);
      try {
        assert.equal((await request(session, '/hello.txt')).status, 200);
      } finally {
        session.close();
      }
    } finally {
      await serve.stop();
      site.cleanup();
    }
  });
});

describe('stopping', () => {
  // Whoever reads the "open URL" line may signal at once: the handlers must be in place by then,
  // or the SIGTERM kills the process (exit status null, by the signal) instead of stopping it.
  test('SIGTERM sent the moment the URL is printed: a graceful stop, exit status 0 (20 times)', async (t) => {
    const site = makeSite();
    t.after(() => site.cleanup());
    for (let i = 0; i < 20; i++) {
      const child = spawn(process.execPath, [CLI_MAIN, 'serve', site.site, '--no-tls', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: serveEnv() });
      let out = '';
      let signalled = false;
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (signalled || !out.includes('open http://')) return;
        signalled = true;
        child.kill('SIGTERM');
      });
      const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, `run ${i}: ${out}`);
      assert.match(out, /stopped/);
    }
  });
});
