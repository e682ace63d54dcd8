/** What the Node bench servers (`h2kit.ts`, `node-http2.ts`) share: bodies, TLS files, the control channel. */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The small response: 18 bytes, as in the measurements. */
export const SMALL_BODY = Buffer.from('nghttp2-python FTW');
/** The large response of `/10m`. */
export const LARGE_BODY = Buffer.alloc(10 * 1024 * 1024, 0x61);

/** `--tls DIR` (holding `key.pem` and `cert.pem`) gives TLS options; otherwise null (h2c). */
export function tlsFiles(argv: string[]): { key: Buffer; cert: Buffer } | null {
  const i = argv.indexOf('--tls');
  if (i < 0) return null;
  const dir = argv[i + 1];
  if (dir === undefined) throw new Error('--tls needs a directory holding key.pem and cert.pem');
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

/** Announces the port on stdout and answers `gc` lines on stdin (a full GC, then `gc done`). */
export function serveControl(port: number): void {
  process.stdout.write(`listening ${port}\n`);
  const gc = (globalThis as { gc?: () => void }).gc;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'gc') {
      gc?.();
      process.stdout.write('gc done\n');
    }
  });
  // The parent going away (stdin closed) ends the child too.
  lines.on('close', () => process.exit(0));
}

/**
 * A node:http2 server (TLS with `--tls DIR` in `argv`, else h2c) on a free loopback port, with the
 * bench's settings (100 concurrent streams, as every server in the bench), `onStream` for each
 * stream, and its port announced by `serveControl`.
 */
export function serveNodeHttp2(argv: string[], onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void): void {
  const tls = tlsFiles(argv);
  const settings = { maxConcurrentStreams: 100 };
  const server = tls === null ? http2.createServer({ settings }) : http2.createSecureServer({ ...tls, settings });
  server.on('stream', onStream);
  server.on('sessionError', () => {});
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    serveControl(typeof address === 'object' && address !== null ? address.port : 0);
  });
}
