/**
 * Bench child for the `compat-plain` row of `bench/http2.ts`: one plain node-style
 * `(req, res)` handler, served by h2kit's `createServer` or by `node:http2.createServer`, so the
 * only difference between the two runs is the server under the same function.
 *
 *   node dist/bench/servers/compat-plain.js h2kit|node:http2 [--tls CERT_DIR]
 *
 * Every request gets `content-type: text/plain` and `hello world` (11 bytes). Prints
 * `listening PORT` and answers `gc` on stdin, as the other bench servers (`common.ts`).
 */
import http2 from 'node:http2';
import { createSecureServer, createServer } from '../../src/index.js';
import { serveControl, tlsFiles } from './common.js';

interface PlainRequest {
  url?: string;
}
interface PlainResponse {
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** The app: what a user of node:http2's compatibility API writes. */
function hello(_req: PlainRequest, res: PlainResponse): void {
  res.setHeader('content-type', 'text/plain');
  res.end('hello world');
}

const [impl, ...rest] = process.argv.slice(2);
const tls = tlsFiles(rest);
const settings = { maxConcurrentStreams: 100 };
// Both servers are node:http2-shaped: listen(port, host, cb) and address().
let server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown };
if (impl === 'h2kit') {
  server = tls === null ? createServer({ settings, idleTimeout: 0 }, hello) : createSecureServer({ ...tls, settings, idleTimeout: 0 }, hello);
} else if (impl === 'node:http2') {
  const s = tls === null ? http2.createServer({ settings }, hello) : http2.createSecureServer({ ...tls, settings }, hello);
  s.on('sessionError', () => {});
  server = s;
} else {
  throw new Error(`compat-plain: the first argument is h2kit or node:http2, not ${String(impl)}`);
}
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveControl(typeof address === 'object' && address !== null ? (address as { port: number }).port : 0);
});
