/**
 * Helpers for the `h2kit serve` tests: run the built CLI as a child process (as a user would),
 * wait for the line with the URL, talk to it with node:http2's client, stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN } from '../helpers/paths.js';

export interface ServeProcess {
  child: ChildProcess;
  /** The URL printed on the "open" line. */
  url: string;
  /** `https://127.0.0.1:PORT` / `http://127.0.0.1:PORT`: what the tests connect to. */
  origin: string;
  port: number;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code once the process is gone and its output read (idempotent). */
  stop(): Promise<number | null>;
}

export interface StartServeOptions {
  /** Run the server under `ulimit -n N` (through bash, which then execs node: the pid stays the server's). */
  maxOpenFiles?: number;
  /** Environment variables for the server, over `serveEnv()`'s. */
  env?: NodeJS.ProcessEnv;
}

let testConfigHome: string | null = null;

/**
 * The environment a served process gets: ours, with XDG_CONFIG_HOME pointing at a folder of this
 * test process (removed when it exits), so that the development CA `h2kit serve` makes without
 * --cert/--key lands there and not in the user's ~/.config/h2kit.
 */
export function serveEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (testConfigHome === null) {
    const home = mkdtempSync(join(tmpdir(), 'h2kit-test-config-'));
    process.once('exit', () => rmSync(home, { recursive: true, force: true }));
    testConfigHome = home;
  }
  return { ...process.env, XDG_CONFIG_HOME: testConfigHome, ...extra };
}

/** Starts `h2kit serve ARGS` and resolves once it printed the URL to open (rejects if it exits first). */
export function startServe(args: string[], timeoutMs = 20_000, options: StartServeOptions = {}): Promise<ServeProcess> {
  const argv = [CLI_MAIN, 'serve', ...args];
  const env = serveEnv(options.env);
  const child =
    options.maxOpenFiles === undefined
      ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn('bash', ['-c', `ulimit -n ${options.maxOpenFiles} && exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  // 'close', not 'exit': by then all of the child's output has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`h2kit serve ${args.join(' ')} printed no URL in ${timeoutMs} ms; stdout: ${out} stderr: ${err}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /open (https?):\/\/([^\s/]+):(\d+)\//.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const port = Number(m[3]);
      const ipv6 = args.includes('::1');
      resolve({
        child,
        url: m[0].slice('open '.length),
        origin: `${m[1]}://${ipv6 ? '[::1]' : '127.0.0.1'}:${port}`,
        port,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`h2kit serve ${args.join(' ')} exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

/** Runs `h2kit serve ARGS` expecting it to fail; resolves with its exit code and output. */
export function runServeExpectingExit(args: string[], timeoutMs = 20_000, options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_MAIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: serveEnv(options.env), uid: options.uid, gid: options.gid });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function connect(origin: string, options: http2.SecureClientSessionOptions = {}): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin, { rejectUnauthorized: false, ...options });
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => {});
      resolve(session);
    });
    session.once('error', reject);
  });
}

export interface Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

export function request(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ...headers });
    req.end(); // no request body (node leaves a POST's side open otherwise)
    let head: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

/** One request on a fresh connection, closed afterwards. */
export async function fetchOnce(origin: string, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<Response> {
  const session = await connect(origin);
  try {
    return await request(session, path, headers);
  } finally {
    session.close();
  }
}

export const SECRET = 'TOP-SECRET-OUTSIDE-THE-SITE';

/**
 * A temp folder with `site/` (served) and `secret.txt` beside it (must never be served):
 *   site/index.html, site/hello.txt, site/sub/index.html, site/sub/page.html,
 *   site/link-out -> .. (a folder symlink out), site/secret-link.txt -> ../secret.txt (a file symlink out),
 *   site/inner-link.txt -> hello.txt (a symlink that stays inside).
 */
export function makeSite(): { dir: string; site: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-serve-'));
  const site = join(dir, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), SECRET + '\n');
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>t</title><link rel="preload" href="/style.css" as="style"><link rel=preload href=app.js as=script><link rel="preload" href="https://elsewhere.example/x.js" as="script"><link rel="preload" href="skip.js" nopush>');
  writeFileSync(join(site, 'style.css'), 'body { color: red }\n');
  writeFileSync(join(site, 'app.js'), 'console.log(1);\n');
  writeFileSync(join(site, 'skip.js'), '// not pushed\n');
  writeFileSync(join(site, 'hello.txt'), 'hello, world\n');
  writeFileSync(join(site, 'digits.txt'), '0123456789');
  writeFileSync(join(site, 'empty.bin'), '');
  writeFileSync(join(site, 'sub', 'index.html'), '<p>sub index</p>');
  writeFileSync(join(site, 'sub', 'page.html'), '<p>sub page</p>');
  writeFileSync(join(site, '%2e%2e'), 'a file literally named %2e%2e');
  mkdirSync(join(site, '.git'));
  writeFileSync(join(site, '.git', 'config'), '[core] secret = yes\n');
  writeFileSync(join(site, '.env'), 'SECRET=1\n');
  mkdirSync(join(site, '.well-known'));
  writeFileSync(join(site, '.well-known', 'security.txt'), 'Contact: mailto:x@example.org\n');
  symlinkSync('..', join(site, 'link-out'));
  symlinkSync('../secret.txt', join(site, 'secret-link.txt'));
  symlinkSync('hello.txt', join(site, 'inner-link.txt'));
  return { dir, site, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
