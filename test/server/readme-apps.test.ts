/**
 * The README's "Running Node apps" examples run as written: every ```ts block of that section is
 * written to a .mjs file inside the repo (test-artifacts/, git-ignored, so `from 'h2kit'`
 * resolves through package.json `exports` and the frameworks from node_modules), with its port
 * 3000 replaced by a free one, and run with node. Once it prints "listening on", it must answer
 * `GET /` with a JSON `hello` over h2c (node:http2's client) and over HTTP/1.1 (`allowHTTP1`).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/paths.js';

function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `README.md has a "## ${heading}" section`);
  const rest = readme.slice(start + 4);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = [...section(readme, 'Running Node apps').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);


const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs `code` and resolves once it printed "listening on". */
function start(code: string, name: string): Promise<ChildProcess> {
  const dir = join(REPO_ROOT, 'test-artifacts', 'readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "listening on" within 30 s: ${out}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (status) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${status}) before listening: ${out}`));
    });
  });
}

function getH2(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':path': '/' });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    req.on('error', reject);
    req.end();
  });
}

function getH1(port: number): Promise<{ status: number; body: string; version: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, version: res.httpVersion }));
      })
      .on('error', reject);
  });
}

test('the README shows node:http2-style, Fastify, Koa and Hono apps', () => {
  assert.equal(blocks.length, 4, `found ${blocks.length} ts blocks`);
  for (const [i, name] of ['createServer', 'fastify', 'koa', 'hono'].entries()) assert.match(blocks[i]!, new RegExp(name));
});

blocks.forEach((code, i) => {
  test(`README app example ${i + 1} answers over h2c and HTTP/1.1`, async () => {
    assert.match(code, /\b3000\b/, 'the example listens on port 3000');
    const port = await freePort();
    const child = await start(code.replace(/\b3000\b/g, String(port)), `app-example-${i + 1}`);
    try {
      const h2 = await getH2(port);
      assert.equal(h2.status, 200, h2.body);
      assert.ok(typeof (JSON.parse(h2.body) as { hello?: unknown }).hello === 'string', h2.body);
      const h1 = await getH1(port);
      assert.equal(h1.status, 200, h1.body);
      assert.equal(h1.version, '1.1');
      assert.deepEqual(JSON.parse(h1.body), JSON.parse(h2.body.replace('"2.0"', '"1.1"')));
    } finally {
      child.kill('SIGTERM');
    }
  });
});

test('the README Quick start runs as written: its server answers its client, and HTTP/1.1', async () => {
  const quick = [...section(readme, 'Quick start').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  assert.equal(quick.length, 2, 'a server block and a client block');
  const [serverCode, clientCode] = quick as [string, string];
  assert.ok(serverCode.split('\n').length <= 16, 'the server stays short');
  assert.match(serverCode, /\b8080\b/);
  assert.match(clientCode, /\b8080\b/);
  const port = await freePort();
  const server = await start(serverCode.replace(/\b8080\b/g, String(port)), 'quick-start-server');
  try {
    const dir = join(REPO_ROOT, 'test-artifacts', 'readme');
    const file = join(dir, 'quick-start-client.mjs');
    writeFileSync(file, clientCode.replace(/\b8080\b/g, String(port)));
    const client = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(client);
    let out = '';
    client.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    client.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
    assert.equal(code, 0, out);
    // The comment in the README says what it prints.
    assert.equal(out, '200 hello /world\n');
    const h1 = await getH1(port);
    assert.equal(h1.status, 200);
    assert.equal(h1.body, 'hello /\n');
  } finally {
    server.kill('SIGTERM');
  }
});
