/**
 * Bench child: an h2kit HTTP2Server answering like the other peers of `bench/http2.ts`.
 *
 *   node dist/bench/servers/h2kit.js [--tls CERT_DIR]
 *
 * Routes (same on every peer): `/10m` 10 MiB body, `/hold` never answered (memory per active
 * stream), anything else the 18-byte body; a request with a body is answered once it is read.
 * Prints `listening PORT` on stdout; on stdin, the line `gc` runs a full GC (with --expose-gc)
 * and prints `gc done`, so the parent measures RSS after garbage is gone.
 */
import { BaseRequestHandler, HTTP2Server } from '../../src/index.js';
import { LARGE_BODY, SMALL_BODY, serveControl, tlsFiles } from './common.js';

const TEXT_PLAIN: Array<[string, string]> = [['content-type', 'text/plain']];

class BenchHandler extends BaseRequestHandler {
  override onHeaders(): void {
    if (this.method === 'GET' || this.method === 'HEAD') this.answer();
  }

  override onRequestDone(): void {
    if (this.method !== 'GET' && this.method !== 'HEAD') this.answer();
  }

  private answer(): void {
    if (this.path === '/hold') return;
    this.sendResponse({ status: 200, headers: TEXT_PLAIN, body: this.path === '/10m' ? LARGE_BODY : SMALL_BODY });
  }
}

const tls = tlsFiles(process.argv.slice(2));
const server = new HTTP2Server(['127.0.0.1', 0], BenchHandler, {
  ssl: tls,
  connection: { settings: { maxConcurrentStreams: 100 } },
  idleTimeout: 0,
});
await server.listen();
serveControl(server.port);
