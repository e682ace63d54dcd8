// The seed's two examples, run as the README says (node dist/examples/...), checked with node:http2's client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '../helpers/paths.js';
import { closeSession, connect, makeTestCert, request } from './support.js';
import { waitFor } from '../helpers/wait.js';

/** Starts an example and resolves with its URL once it printed "listening on URL". */
function runExample(name: string, args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'examples', `${name}.js`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+?)\/?(\s|$)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function checkPushServer(url: string): Promise<void> {
  const session = await connect(url);
  const pushed: Array<{ path: string; body: string }> = [];
  session.on('stream', (stream, headers) => {
    const p = { path: String(headers[':path']), body: '' };
    pushed.push(p);
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (p.body += c));
  });
  try {
    const r = await request(session, { ':path': '/' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.body.toString(), 'nghttp2-python FTW');
    await waitFor(() => pushed[0]?.body === 'body{margin:0;}', 'the pushed stylesheet');
    assert.equal(pushed[0]!.path, '/css/style.css');
  } finally {
    await closeSession(session);
  }
}

test('examples/push-server over h2c: the response and the pushed /css/style.css', async () => {
  const { child, url } = await runExample('push-server', ['--port', '0']);
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await checkPushServer(url);
  } finally {
    await stop(child);
  }
});

test('examples/push-server over TLS with --cert/--key, as in the seed', async (t) => {
  const cert = await makeTestCert();
  if (cert === null) return t.skip('openssl is not available to make a test certificate');
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-example-'));
  writeFileSync(join(dir, 'server.crt'), cert.cert);
  writeFileSync(join(dir, 'server.key'), cert.key);
  const { child, url } = await runExample('push-server', ['--port', '0', '--cert', join(dir, 'server.crt'), '--key', join(dir, 'server.key')]);
  try {
    assert.match(url, /^https:/);
    await checkPushServer(url);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/reverse-proxy streams the backend body through the deferred body generator, with its status and end-to-end fields', async () => {
  const big = Buffer.alloc(200_000, 'x');
  const backend = http.createServer((req, res) => {
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/plain', 'x-backend': 'yes', connection: 'keep-alive' });
      res.end('no such thing');
    } else if (req.url === '/big') {
      // Slow and in pieces, so the generator must answer DATA_DEFERRED and be resumed.
      res.write(big.subarray(0, 100_000));
      setTimeout(() => res.end(big.subarray(100_000)), 20);
    } else {
      res.end(`backend saw ${req.method} ${req.url}`);
    }
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const { child, url } = await runExample('reverse-proxy', ['--port', '0', '--backend', backendUrl]);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/hello?x=1' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'backend saw GET /hello?x=1');
    const b = await request(session, { ':path': '/big' });
    assert.ok(b.body.equals(big), `got ${b.body.length} bytes`);
    const missing = await request(session, { ':path': '/missing' });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['x-backend'], 'yes');
    assert.equal(missing.headers['content-type'], 'text/plain');
    assert.equal(missing.body.toString(), 'no such thing');
  } finally {
    await closeSession(session);
    await stop(child);
    await new Promise((r) => backend.close(r));
  }
});

test('examples/reverse-proxy answers 502 when the backend cannot be reached', async () => {
  // A port that was free a moment ago: nothing listens there.
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const { child, url } = await runExample('reverse-proxy', ['--port', '0', '--backend', `http://127.0.0.1:${port}`]);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/x' });
    assert.equal(r.status, 502);
    assert.match(r.body.toString(), /Bad Gateway: .*ECONNREFUSED/);
  } finally {
    await closeSession(session);
    await stop(child);
  }
});

test('examples/bring-your-own-io: the sans-I/O core over plain net sockets answers node:http2, a body and 50 streams at once', async () => {
  const { child, url } = await runExample('bring-your-own-io', ['--port', '0']);
  const session = await connect(url);
  try {
    const r = await request(session, { ':path': '/hello' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'you asked for /hello\n');
    // A request body larger than the initial window: the example gives the credit back as it reads.
    const post = await request(session, { ':path': '/upload', ':method': 'POST' }, Buffer.alloc(200_000, 'u'));
    assert.equal(post.body.toString(), 'you asked for /upload\n');
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => request(session, { ':path': `/n/${i}` })));
    assert.deepEqual(
      many.map((m) => m.body.toString()),
      many.map((_, i) => `you asked for /n/${i}\n`),
    );
  } finally {
    await closeSession(session);
    await stop(child);
  }
});

test("'h2kit/connection' resolves through the package's exports to the sans-I/O core", () => {
  // Run from inside the repository: Node's package self-reference resolves 'h2kit/...' as it would for an installed package.
  const script = "import('h2kit/connection').then((m) => { const c = new m.Connection({ role: 'client' }); console.log(typeof m.Connection, c.takeOutput().length > 0); })";
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'function true');
});
