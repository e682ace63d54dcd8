/**
 * The framework suites' shared half: the contract every app implements, the clients that
 * exercise it, and `frameworkSuite`, which runs every check over every transport against
 * every implementation of node:http2's server API (node:http2 itself, the reference, and
 * h2kit's drop-in).
 *
 * The contract (each framework file implements these routes its framework's own way: its
 * router, its body parser, its error handler, its cookie and redirect helpers):
 *
 *   GET  /hello               200 text/plain "hello"
 *   GET  /users/:id           200 application/json {"id": ":id"}
 *   POST /echo                JSON body parsed, answered 200 {"received": <the body>}
 *   GET  /boom                the handler throws Error("boom"); the framework's error handler
 *                             answers 500 {"error": "boom", "handledBy": "error handler"}
 *   GET  /stream              200 text/plain, STREAM_CHUNKS written one by one (a Readable piped,
 *                             or the framework's streaming helper): no content-length
 *   POST /upload              the body read as a stream: 200 {"bytes": n, "sha256": hex}
 *   GET  /query?name=&tag=    200 {"name": name, "tags": [every tag]}
 *   GET  /cookies             200 {"a": cookie a, "b": cookie b} and two set-cookie fields:
 *                             session=abc (HttpOnly) and theme=dark
 *   GET  /redirect            302, location: /hello
 *   HEAD /hello               the headers of GET /hello, no body
 *   anything else             404 from the framework
 *
 * Servers are started by a `Start` function: with TLS material they serve h2 and HTTP/1.1
 * (ALPN, allowHTTP1) on one port; without, h2c (prior knowledge).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';

// ---------------------------------------------------------------- the contract's data

/** What GET /stream writes, one chunk per write. */
export const STREAM_CHUNKS = ['chunk 0\n', 'chunk 1\n', 'chunk 2\n', 'chunk 3\n', 'chunk 4\n'];

/** The set-cookie values GET /cookies sends (frameworks may add attributes, e.g. Path). */
export const SET_COOKIES = [{ name: 'session', value: 'abc', httpOnly: true }, { name: 'theme', value: 'dark', httpOnly: false }];

/** A Readable of STREAM_CHUNKS, each produced on its own turn of the event loop. */
export function streamBody(): Readable {
  return Readable.from(chunks(), { objectMode: false });
}

/** STREAM_CHUNKS as an async generator, one chunk per turn of the event loop. */
export async function* chunks(): AsyncGenerator<string> {
  for (const c of STREAM_CHUNKS) {
    await new Promise((r) => setImmediate(r));
    yield c;
  }
}

/** Reads a body stream to its end: its length and SHA-256 (what POST /upload answers). */
export async function digest(body: AsyncIterable<Uint8Array | string>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += b.length;
    hash.update(b);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Parses a cookie request header ("a=1; b=2") for the apps whose framework has no parser. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** The error the /boom route throws. */
export function boom(): never {
  throw new Error('boom');
}

/** What every framework's error handler answers (status 500). */
export function errorBody(err: unknown): { error: string; handledBy: string } {
  return { error: err instanceof Error ? err.message : String(err), handledBy: 'error handler' };
}

// ---------------------------------------------------------------- implementations under test

export interface Tls {
  key: string;
  cert: string;
}

export interface Running {
  port: number;
  close(): Promise<void>;
}

/** Starts an app: TLS material → h2 + HTTP/1.1 by ALPN; null → h2c (cleartext). */
export type Start = (tls: Tls | null) => Promise<Running>;

/** node:http2's two server factories: what h2kit exports under the same names. */
export interface Http2Api {
  createServer: typeof http2.createServer;
  createSecureServer: typeof http2.createSecureServer;
}

/** h2kit's fetch-style server (a helper builds it; shape from issue 15). */
export type ServeFn = (options: {
  fetch: (request: Request) => Response | Promise<Response>;
  port?: number;
  hostname?: string;
  tls?: Tls;
  allowHTTP1?: boolean;
}) => Promise<{ port: number; url: string; close(): Promise<void> }>;

export interface Variant {
  /** 'node:http2', 'h2kit', ... */
  impl: string;
  /** How to start the app, or why this variant is skipped. */
  start: Start | { skip: string };
  /** Whether the cleartext server also answers HTTP/1.1 (allowHTTP1 without TLS). */
  h1Cleartext: boolean;
}

/** h2kit's package root, loaded by path so these files compile before its exports exist. */
async function h2kitRoot(): Promise<Record<string, unknown>> {
  return (await import('../../src/index.js')) as Record<string, unknown>;
}

/** h2kit's node:http2-compatible factories, or why they cannot be tested yet. */
export async function h2kitApi(): Promise<Http2Api | { skip: string }> {
  const h2kit = await h2kitRoot();
  if (typeof h2kit.createServer !== 'function' || typeof h2kit.createSecureServer !== 'function') {
    return { skip: 'h2kit.createServer not built yet' };
  }
  return h2kit as unknown as Http2Api;
}

/** h2kit's `serve({ fetch })`, or why it cannot be tested yet. */
export async function h2kitServe(): Promise<ServeFn | { skip: string }> {
  const h2kit = await h2kitRoot();
  if (typeof h2kit.serve !== 'function') return { skip: 'h2kit.serve not built yet' };
  return h2kit.serve as ServeFn;
}

/**
 * The reference and (once built) h2kit, for files whose app takes an `Http2Api`.
 * `cleartextHTTP1: false` when the app's cleartext server is made without allowHTTP1.
 */
export async function variants(start: (api: Http2Api) => Start, { cleartextHTTP1 = true } = {}): Promise<Variant[]> {
  const h2kit = await h2kitApi();
  return [
    // node:http2 on Node 20 has no HTTP/1.1 on a cleartext server: `allowHTTP1` is honoured by
    // createSecureServer only, and an HTTP/1.1 request to createServer gets an HTTP/2 SETTINGS
    // frame back (node's own client reports "Parse Error: Expected HTTP/").
    { impl: 'node:http2', start: start(http2), h1Cleartext: false },
    // h2kit answers HTTP/1.1 on the cleartext port too when given allowHTTP1 (its HTTP2Server
    // always has), so the drop-in is checked for it.
    { impl: 'h2kit', start: 'skip' in h2kit ? h2kit : start(h2kit), h1Cleartext: cleartextHTTP1 },
  ];
}

/** Server options for `createSecureServer` / `createServer` (allowHTTP1 on both). */
export function serverOptions(tls: Tls | null): http2.SecureServerOptions {
  return tls === null ? { allowHTTP1: true } as http2.ServerOptions : { ...tls, allowHTTP1: true };
}

/** Listens on an ephemeral loopback port; resolves with the server's `Running` handle. */
export function listen(server: http2.Http2Server | http2.Http2SecureServer): Promise<Running> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object', 'address() after listening is an AddressInfo');
      resolve({ port: address.port, close: () => closeServer(server) });
    });
  });
}

/** `server.close(cb)` as a promise (node:http2's waits for every session to end). */
export function closeServer(server: { close(cb: (err?: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** A self-signed certificate for 127.0.0.1/localhost, made once per process. */
let tlsMaterial: Promise<Tls> | undefined;
export function certificate(): Promise<Tls> {
  tlsMaterial ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return tlsMaterial;
}

// ---------------------------------------------------------------- clients

export interface Req {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer;
}

export interface Res {
  status: number;
  /** Lower-case names; set-cookie always an array. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The protocol the exchange used, as the client saw it: '2' or '1.1'. */
  version: string;
}

interface Client {
  send(req: Req): Promise<Res>;
  close(): Promise<void>;
}

interface Transport {
  /** e.g. 'h2 (TLS), node:http2 client'. */
  name: string;
  protocol: '2' | '1.1';
  tls: boolean;
  curl: boolean;
  client(port: number): Client;
}

/**
 * Bounds one exchange: a server that never answers fails the test instead of hanging it.
 * Generous: on a machine whose CPUs are saturated by other work (CPU pressure ~95%), a 5 MiB
 * upload through TLS was measured at up to 37 s, on node:http2 and h2kit alike.
 */
const EXCHANGE_MS = 45_000;

function nodeH2Client(origin: string): Client {
  let session: http2.ClientHttp2Session | undefined;
  const open = (): http2.ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed) {
      session = http2.connect(origin, { rejectUnauthorized: false });
      session.on('error', () => {}); // each request reports its own failure
    }
    return session;
  };
  return {
    send(req) {
      return new Promise<Res>((resolve, reject) => {
        const s = open();
        const stream = s.request({ ':method': req.method, ':path': req.path, ...req.headers }, { endStream: req.body === undefined });
        stream.setTimeout(EXCHANGE_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        let head: http2.IncomingHttpHeaders | undefined;
        const body: Buffer[] = [];
        stream.on('response', (h) => { head = h; });
        stream.on('data', (c: Buffer) => body.push(c));
        stream.on('end', () => {
          if (head === undefined) return reject(new Error(`${req.method} ${req.path}: the stream ended without a response`));
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(head)) {
            if (!name.startsWith(':') && value !== undefined) headers[name] = name === 'set-cookie' && !Array.isArray(value) ? [String(value)] : value as string | string[];
          }
          const tls = s.socket as TLSSocket | undefined;
          if (origin.startsWith('https:')) assert.equal(tls?.alpnProtocol, 'h2', 'ALPN chose h2');
          resolve({ status: Number(head[':status']), headers, body: Buffer.concat(body), version: '2' });
        });
        stream.on('close', () => {
          if (!stream.readableEnded) reject(new Error(`${req.method} ${req.path}: stream closed before its end (RST code ${stream.rstCode})`));
        });
        stream.on('error', reject);
        if (req.body !== undefined) stream.end(req.body);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (session === undefined || session.closed) return resolve();
        session.close(() => resolve());
      });
    },
  };
}

function nodeH1Client(port: number, tls: boolean): Client {
  const agent = tls ? new https.Agent({ keepAlive: true, rejectUnauthorized: false }) : new http.Agent({ keepAlive: true });
  return {
    send(req) {
      return new Promise<Res>((resolve, reject) => {
        const headers: Record<string, string | string[]> = { ...req.headers };
        // HTTP/1.1 has one cookie field: the crumbs an h2 client may send apart are joined here.
        if (Array.isArray(headers.cookie)) headers.cookie = headers.cookie.join('; ');
        const r = (tls ? https : http).request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent, timeout: EXCHANGE_MS }, (res) => {
          const body: Buffer[] = [];
          res.on('data', (c: Buffer) => body.push(c));
          res.on('end', () => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = value;
            resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(body), version: res.httpVersion });
          });
          res.on('error', reject);
        });
        r.on('timeout', () => r.destroy(new Error(`${req.method} ${req.path}: no answer within ${EXCHANGE_MS} ms`)));
        r.on('error', reject);
        r.end(req.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}

let curlChecked: string | null | undefined;
/** Why curl cannot be used here (missing, or built without HTTP/2), or null when it can. */
function curlMissing(): string | null {
  if (curlChecked === undefined) {
    const v = spawnSync('curl', ['--version'], { encoding: 'utf8' });
    if (v.error !== undefined || v.status !== 0) curlChecked = 'curl is not installed';
    else if (!/\bHTTP2\b/.test(v.stdout)) curlChecked = 'this curl has no HTTP/2 support';
    else curlChecked = null;
  }
  return curlChecked;
}

/**
 * curl, one process per exchange. HEAD is sent with --head (curl's -X HEAD would wait for an
 * HTTP/1.1 body that never comes), so curl reads no body: the no-body half of the HEAD check
 * is the node clients'. For a large HTTP/1.1 POST curl sends `Expect: 100-continue`: the
 * server's checkContinue path is exercised, and the header dump holds two blocks (the last
 * one is the response).
 */
function curlClient(port: number, mode: 'h2' | 'h2c' | 'h1'): Client {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-frameworks-curl-'));
  let n = 0;
  const origin = `${mode === 'h2c' ? 'http' : 'https'}://127.0.0.1:${port}`;
  return {
    async send(req) {
      const id = n++;
      const headerFile = join(dir, `${id}.headers`);
      const bodyFile = join(dir, `${id}.body`);
      // -v: when an exchange fails, the message says how far it got (headers sent, upload
      // complete, what came back).
      const args = ['-sS', '-v', '--max-time', String(EXCHANGE_MS / 1000), '-D', headerFile, '-o', bodyFile, '-w', '%{http_version}'];
      args.push(mode === 'h2c' ? '--http2-prior-knowledge' : mode === 'h2' ? '--http2' : '--http1.1');
      if (mode !== 'h2c') args.push('-k');
      if (req.method === 'HEAD') args.push('--head');
      else if (req.method !== 'GET') args.push('-X', req.method);
      for (const [name, value] of Object.entries(req.headers ?? {})) {
        args.push('-H', `${name}: ${Array.isArray(value) ? value.join('; ') : value}`);
      }
      if (req.body !== undefined) {
        const dataFile = join(dir, `${id}.data`);
        writeFileSync(dataFile, req.body);
        args.push('--data-binary', `@${dataFile}`);
      }
      args.push(origin + req.path);
      const { code, stdout, stderr } = await runCurl(args);
      const trace = stderr.split('\n').filter((l) => !/^[{}] \[|^\* h2h3 |^\* (ALPN|TLSv1|SSL|CA|Server cert| {2})/.test(l)).slice(-25).join('\n');
      assert.equal(code, 0, `curl ${args.join(' ')} exited ${code}:\n${trace}`);
      const blocks = readFileSync(headerFile, 'latin1').split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
      const lines = blocks[blocks.length - 1].split(/\r?\n/);
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0])?.[1]);
      const headers: Record<string, string | string[]> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'set-cookie') headers[name] = [...(headers[name] ?? []), value];
        else headers[name] = headers[name] === undefined ? value : `${String(headers[name])}, ${value}`;
      }
      // With --head curl writes the header block to -o as well: there is no body to read.
      const body = req.method === 'HEAD' ? Buffer.alloc(0) : readFileSync(bodyFile, { flag: 'a+' });
      return { status, headers, body, version: stdout.trim() === '2' ? '2' : stdout.trim() };
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface CurlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let runner: ChildProcess | undefined;
const pending = new Map<number, (r: CurlResult) => void>();
let nextJob = 0;

/**
 * Runs curl through curl-runner.js, a process forked once: spawning from here would block this
 * event loop (the servers' too) until each curl has exec'd, seconds on a loaded machine.
 */
function runCurl(args: string[]): Promise<CurlResult> {
  if (runner === undefined) {
    const r = fork(fileURLToPath(new URL('./curl-runner.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    r.on('message', (m: CurlResult & { id: number }) => {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
      if (pending.size === 0) r.channel?.unref();
    });
    r.on('exit', (code) => {
      for (const done of pending.values()) done({ code: null, stdout: '', stderr: `curl-runner exited (${code})` });
      pending.clear();
      runner = undefined;
    });
    r.unref();
    runner = r;
  }
  const id = nextJob++;
  const r = runner;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    r.channel?.ref(); // a job in flight keeps this process alive until its answer
    r.send({ id, args });
  });
}

const TRANSPORTS: Transport[] = [
  { name: 'h2 (TLS), node:http2 client', protocol: '2', tls: true, curl: false, client: (p) => nodeH2Client(`https://127.0.0.1:${p}`) },
  { name: 'h2 (TLS), curl --http2 -k', protocol: '2', tls: true, curl: true, client: (p) => curlClient(p, 'h2') },
  { name: 'HTTP/1.1 (TLS, allowHTTP1), node:https', protocol: '1.1', tls: true, curl: false, client: (p) => nodeH1Client(p, true) },
  { name: 'HTTP/1.1 (TLS, allowHTTP1), curl --http1.1 -k', protocol: '1.1', tls: true, curl: true, client: (p) => curlClient(p, 'h1') },
  { name: 'h2c, node:http2 client', protocol: '2', tls: false, curl: false, client: (p) => nodeH2Client(`http://127.0.0.1:${p}`) },
  { name: 'h2c, curl --http2-prior-knowledge', protocol: '2', tls: false, curl: true, client: (p) => curlClient(p, 'h2c') },
  { name: 'HTTP/1.1 (cleartext, allowHTTP1), node:http', protocol: '1.1', tls: false, curl: false, client: (p) => nodeH1Client(p, false) },
];

// ---------------------------------------------------------------- the checks

interface Check {
  name: string;
  run(client: Client, transport: Transport, quirks: Quirks): Promise<void>;
}

/** What a framework does its own way on every implementation (the reference included). */
export interface Quirks {
  /** HEAD answered without the content-length GET has (RFC 9110 9.3.2 allows it). */
  headWithoutContentLength?: boolean;
}

/** One header's value as a string (a repeated header's values joined by ", "). */
function header(res: Res, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The status, with the head of the body in the failure message (it usually says why). */
function status(res: Res, want: number): void {
  assert.equal(res.status, want, `status ${res.status}, body ${JSON.stringify(res.body.toString().slice(0, 200))}`);
}

function json(res: Res): unknown {
  assert.match(header(res, 'content-type') ?? '', /^application\/json/, `content-type of a JSON answer (status ${res.status}, body ${res.body.toString().slice(0, 200)})`);
  return JSON.parse(res.body.toString());
}

/** 5 MiB of random bytes, made once per process. */
let upload: Buffer | undefined;

const CHECKS: Check[] = [
  {
    name: 'routing: a static route and a route parameter',
    async run(c, t) {
      const hello = await c.send({ method: 'GET', path: '/hello' });
      assert.equal(hello.version, t.protocol, 'the protocol used');
      status(hello, 200);
      assert.match(header(hello, 'content-type') ?? '', /^text\/plain/);
      assert.equal(hello.body.toString(), 'hello');
      const user = await c.send({ method: 'GET', path: '/users/42' });
      status(user, 200);
      assert.deepEqual(json(user), { id: '42' });
    },
  },
  {
    name: 'a JSON body parsed and echoed',
    async run(c) {
      const sent = { name: 'h2kit', n: [1, 2, 3], nested: { ok: true, text: 'é ✓' } };
      const res = await c.send({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(sent)) });
      status(res, 200);
      assert.deepEqual(json(res), { received: sent });
    },
  },
  {
    name: 'an unknown route: 404 from the framework',
    async run(c) {
      const res = await c.send({ method: 'GET', path: '/no/such/route' });
      status(res, 404);
    },
  },
  {
    name: 'a route that throws: 500 from the error handler',
    async run(c) {
      const res = await c.send({ method: 'GET', path: '/boom' });
      status(res, 500);
      assert.deepEqual(json(res), { error: 'boom', handledBy: 'error handler' });
    },
  },
  {
    name: 'a streamed response: every chunk, no content-length',
    async run(c, t) {
      const res = await c.send({ method: 'GET', path: '/stream' });
      status(res, 200);
      assert.equal(res.body.toString(), STREAM_CHUNKS.join(''));
      // A streamed body's length is not known when the head is sent: a content-length here
      // would mean the response was buffered first.
      assert.equal(header(res, 'content-length'), undefined, 'no content-length on a streamed response');
      if (t.protocol === '1.1') assert.equal(header(res, 'transfer-encoding'), 'chunked');
    },
  },
  {
    name: 'a 5 MiB upload, read as a stream, checksummed',
    async run(c) {
      upload ??= randomBytes(5 * 1024 * 1024);
      const res = await c.send({ method: 'POST', path: '/upload', headers: { 'content-type': 'application/octet-stream' }, body: upload });
      status(res, 200);
      assert.deepEqual(json(res), { bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') });
    },
  },
  {
    name: 'a query string: escapes decoded, a repeated parameter kept whole',
    async run(c) {
      const res = await c.send({ method: 'GET', path: '/query?name=a%20b%26c&tag=x&tag=y' });
      status(res, 200);
      assert.deepEqual(json(res), { name: 'a b&c', tags: ['x', 'y'] });
    },
  },
  {
    name: 'cookies: the cookie header read, two set-cookie fields sent',
    async run(c, t) {
      // Over h2 the node client sends two cookie fields (RFC 9113 8.2.3 lets a client split the
      // header into crumbs); node:http2's compat request joins them with "; " into one
      // `headers.cookie`, which is what the frameworks parse. curl and HTTP/1.1 send one field.
      const res = await c.send({ method: 'GET', path: '/cookies', headers: { cookie: t.curl ? 'a=1; b=two%20words' : ['a=1', 'b=two%20words'] } });
      status(res, 200);
      assert.deepEqual(json(res), { a: '1', b: 'two words' });
      const set = res.headers['set-cookie'];
      assert.ok(Array.isArray(set) && set.length === 2, `two set-cookie fields, got ${JSON.stringify(set)}`);
      for (const [i, want] of SET_COOKIES.entries()) {
        const got: string = set[i];
        assert.ok(got.startsWith(`${want.name}=${want.value}`), `set-cookie ${i}: ${got}`);
        assert.equal(/;\s*httponly/i.test(got), want.httpOnly, `set-cookie ${i} HttpOnly: ${got}`);
      }
    },
  },
  {
    name: 'a redirect: 302 with a location, not followed',
    async run(c) {
      const res = await c.send({ method: 'GET', path: '/redirect' });
      status(res, 302);
      assert.equal(header(res, 'location'), '/hello');
    },
  },
  {
    name: 'HEAD: the headers of GET, no body',
    async run(c, _t, quirks) {
      const get = await c.send({ method: 'GET', path: '/hello' });
      const head = await c.send({ method: 'HEAD', path: '/hello' });
      status(head, 200);
      assert.equal(head.body.length, 0, 'no body after HEAD');
      // The same fields but for those that change with time or the connection.
      const fields = (r: Res): Record<string, string | string[]> => {
        const out = { ...r.headers };
        for (const name of ['date', 'connection', 'keep-alive']) delete out[name];
        if (quirks.headWithoutContentLength === true) delete out['content-length'];
        return out;
      };
      assert.deepEqual(fields(head), fields(get));
      assert.equal(header(get, 'content-length'), '5', 'GET says how long its body is');
      if (quirks.headWithoutContentLength !== true || header(head, 'content-length') !== undefined) {
        assert.equal(header(head, 'content-length'), '5', 'HEAD says how long the GET body is');
      }
    },
  },
];

// ---------------------------------------------------------------- the suite

/**
 * Registers `<framework> on <impl>` for each variant: a TLS server (h2 and HTTP/1.1 by ALPN)
 * and a cleartext one (h2c, and HTTP/1.1 where the implementation offers it), each checked
 * over each of its transports with every check.
 */
export function frameworkSuite(framework: string, all: Variant[], quirks: Quirks = {}): void {
  // Implementations and their two servers run side by side (each server on its own port, each
  // transport with its own client); a server's transports, and a transport's checks, run in
  // order; at most two implementations at a time. Four lanes a file keep two CPUs busy through
  // curl's start-up and TLS handshakes without piling every 5 MiB upload onto the same moment.
  describe(framework, { concurrency: 2 }, () => {
    for (const variant of all) {
      const title = `${framework} on ${variant.impl}`;
      const { start } = variant;
      if ('skip' in start) {
        test(title, (t) => t.skip(start.skip));
        continue;
      }
      describe(title, { timeout: 240_000, concurrency: true }, () => {
        for (const tls of [true, false]) {
          describe(tls ? 'TLS server (h2 + HTTP/1.1 by ALPN)' : 'cleartext server (h2c)', () => {
            let server: Running | undefined;
            before(async () => {
              server = await start(tls ? await certificate() : null);
            });
            after(async () => {
              await server?.close();
            });
            for (const transport of TRANSPORTS.filter((tr) => tr.tls === tls)) {
              const skip = transport.curl ? curlMissing() : !tls && transport.protocol === '1.1' && !variant.h1Cleartext
                ? `no HTTP/1.1 on this cleartext server (${variant.impl}, as the app makes it)` : null;
              describe(transport.name, () => {
                let client: Client | undefined;
                after(async () => {
                  await client?.close();
                });
                for (const check of CHECKS) {
                  test(check.name, async (t: TestContext) => {
                    if (skip !== null) return t.skip(skip);
                    assert.ok(server !== undefined, 'the server started');
                    client ??= transport.client(server.port);
                    await check.run(client, transport, quirks);
                  });
                }
              });
            }
          });
        }
      });
    }
  });
}
