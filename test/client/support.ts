/**
 * Helpers for the client tests: peers to talk to (a node:http2 server with test routes, our
 * own HTTP2Server, nghttpd as a child process), hashes, and a frame recorder built on the
 * client's `onFrame` trace. Everything listens on loopback port 0 (nghttpd: a port just
 * found free) and is closed by the test that started it.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from '../../src/frame/types.js';
import type { FrameDirection, TraceEvent } from '../../src/frame/trace.js';
import type { HeaderList } from '../../src/connection/index.js';
import { FrameType } from '../../src/frame/constants.js';
import { freePort } from '../helpers/ports.js';

export { makeTestCert } from '../server/support.js';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `n` octets of a repeating, position-dependent pattern (a shifted or dropped chunk changes the hash). */
export function patterned(n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = (i * 31 + (i >>> 8)) & 0xff;
  return buf;
}

export function header(fields: HeaderList | null | undefined, name: string): string | undefined {
  return fields?.find((f) => f[0] === name)?.[1];
}

/** Records the client's frame trace. */
export class FrameLog {
  readonly frames: Array<{ direction: FrameDirection; frame: Frame; headers: HeaderList | null }> = [];
  readonly errors: unknown[] = [];
  readonly observer = (ev: TraceEvent): void => {
    if (ev.preface === true) return;
    if (ev.frame === null) this.errors.push(ev.error);
    else this.frames.push({ direction: ev.direction, frame: ev.frame, headers: ev.headers });
  };

  of(direction: FrameDirection, type: number): Frame[] {
    return this.frames.filter((f) => f.direction === direction && f.frame.type === type).map((f) => f.frame);
  }

  /**
   * True once the peer has used all the flow-control credit we gave `streamId`, or the
   * connection: it can send no more DATA there until we grant more. The event that proves a
   * reader that stopped reading has stopped the peer (instead of a sleep).
   */
  creditSpent(streamId: number): boolean {
    let initial = 65535;
    let stream = 0;
    let connection = 65535;
    let received = 0;
    let receivedOnStream = 0;
    for (const { direction, frame: f } of this.frames) {
      if (direction === 'send' && f.type === FrameType.SETTINGS) {
        for (const [id, value] of f.settings) if (id === 0x4) initial = value;
      } else if (direction === 'send' && f.type === FrameType.WINDOW_UPDATE) {
        if (f.streamId === 0) connection += f.increment;
        else if (f.streamId === streamId) stream += f.increment;
      } else if (direction === 'recv' && f.type === FrameType.DATA) {
        received += f.flowLength;
        if (f.streamId === streamId) receivedOnStream += f.flowLength;
      }
    }
    return receivedOnStream >= initial + stream || received >= connection;
  }
}

export interface NodeServer {
  server: http2.Http2Server | http2.Http2SecureServer;
  url: string;
  /** Sessions seen, for tests that act on the connection (GOAWAY). */
  sessions: http2.ServerHttp2Session[];
  /** Streams the server saw, by path, in arrival order. */
  seen: string[];
  close(): Promise<void>;
}

/**
 * A node:http2 server with test routes:
 * - `/echo`: 200 with the request body, `x-sha256`/`x-length` of it, request trailers echoed as response trailers
 * - `/bytes?n=N`: N patterned octets
 * - `/push`: pushes `/pushed1` and `/pushed2`, then 200 `page`; pushes the client reset with CANCEL are counted in `pushResets`
 * - `/push-held`: the same promises, never answered (a refused one is only ended by the client's RST_STREAM)
 * - `/trailers`: 200 `body` with trailers `x-checksum: abc`, `grpc-status: 0`
 * - `/hold`: never answered (the test ends it)
 * - `/reset`: RST_STREAM with INTERNAL_ERROR
 * - else 200 `hello <path>`
 */
export async function startNodeServer(
  options: http2.ServerOptions & { key?: Buffer; cert?: Buffer } = {},
  routes: Record<string, (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void> = {},
): Promise<NodeServer & { pushResets: number[]; held: http2.ServerHttp2Stream[] }> {
  const secure = options.key !== undefined;
  const server = secure ? http2.createSecureServer({ ...options, allowHTTP1: false }) : http2.createServer(options);
  const sessions: http2.ServerHttp2Session[] = [];
  const seen: string[] = [];
  const pushResets: number[] = [];
  const held: http2.ServerHttp2Stream[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    s.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const path = String(headers[':path']);
    seen.push(path);
    const route = routes[path.split('?')[0]!];
    if (route !== undefined) return route(stream, headers);
    if (path === '/echo') {
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      let length = 0;
      stream.on('data', (c: Buffer) => {
        hash.update(c);
        length += c.length;
        if (headers['x-echo-body'] !== 'no') chunks.push(c);
      });
      let trailers: http2.IncomingHttpHeaders | null = null;
      stream.on('trailers', (t) => (trailers = t));
      stream.on('end', () => {
        const t = trailers;
        stream.respond({ ':status': 200, 'x-sha256': hash.digest('hex'), 'x-length': String(length) }, { waitForTrailers: t !== null });
        if (t !== null) {
          stream.on('wantTrailers', () => {
            const out: http2.OutgoingHttpHeaders = {};
            for (const [k, v] of Object.entries(t)) if (!k.startsWith(':')) out[k] = v;
            stream.sendTrailers(out);
          });
        }
        stream.end(Buffer.concat(chunks));
      });
      return;
    }
    if (path.startsWith('/bytes')) {
      const n = Number(new URL(path, 'http://x').searchParams.get('n') ?? 0);
      const body = patterned(n);
      stream.respond({ ':status': 200, 'content-length': String(n), 'x-sha256': sha256(body) });
      stream.end(body);
      return;
    }
    if (path === '/push' || path === '/push-held') {
      for (const p of stream.pushAllowed ? ['/pushed1', '/pushed2'] : []) {
        stream.pushStream({ ':path': p }, (err, push) => {
          if (err) return;
          push.on('error', () => {});
          push.on('close', () => {
            if (push.rstCode === http2.constants.NGHTTP2_CANCEL) pushResets.push(push.id ?? 0);
          });
          // /push-held never answers its pushes: only a client reset ends them.
          if (path === '/push-held') return;
          push.respond({ ':status': 200, 'x-pushed': p });
          push.end(`content of ${p}`);
        });
      }
      stream.respond({ ':status': 200 });
      stream.end('page');
      return;
    }
    if (path === '/trailers') {
      stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc', 'grpc-status': '0' }));
      stream.end('body');
      return;
    }
    if (path === '/hold') {
      held.push(stream);
      return;
    }
    if (path === '/reset') {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.respond({ ':status': 200, 'x-path': path });
    stream.end(`hello ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    sessions,
    seen,
    pushResets,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of held) if (!s.destroyed) s.close(http2.constants.NGHTTP2_CANCEL);
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TCP port that was free a moment ago (for servers that cannot bind port 0 and report it, like nghttpd). */
export { freePort };

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export interface Nghttpd {
  url: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts nghttpd on loopback serving `files` (written to a temp htdocs), with extra args
 * (`--push=...`, `--echo-upload`, `--trailer=...`). TLS when `cert` is given, else `--no-tls`.
 * Resolves once it accepts connections; `stop()` kills it and removes the temp folder.
 */
export async function startNghttpd(files: Record<string, string | Buffer>, args: string[], cert: { key: Buffer; cert: Buffer } | null): Promise<Nghttpd> {
  const dir = mkdtempSync(join(tmpdir(), 'h2kit-nghttpd-'));
  const htdocs = join(dir, 'htdocs');
  spawnSync('mkdir', ['-p', htdocs]);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(htdocs, name), content);
  const port = await freePort();
  const argv = ['-a', '127.0.0.1', '-d', htdocs, ...args, String(port)];
  if (cert !== null) {
    writeFileSync(join(dir, 'key.pem'), cert.key);
    writeFileSync(join(dir, 'cert.pem'), cert.cert);
    argv.push(join(dir, 'key.pem'), join(dir, 'cert.pem'));
  } else {
    argv.unshift('--no-tls');
  }
  const child = spawn('nghttpd', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`nghttpd exited with ${child.exitCode}: ${stderr}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nghttpd did not listen on ${port} within 5 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `${cert !== null ? 'https' : 'http'}://127.0.0.1:${port}`, dir, child, stop };
}
