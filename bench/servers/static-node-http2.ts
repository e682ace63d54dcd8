/**
 * Bench child of `bench/static.ts`: node:http2 serving the files of a folder with
 * `stream.respondWithFile(path)`, one call per request: the way node:http2's documentation
 * serves files, and the baseline issue 17 measured (~15.6k req/s against nghttpd's ~490k).
 *
 *   node dist/bench/servers/static-node-http2.js DIR [--tls CERT_DIR]
 *
 * Prints `listening PORT`; exits when stdin closes (as the other bench servers).
 */
import http2 from 'node:http2';
import { extname, join, normalize, sep } from 'node:path';
import { serveNodeHttp2 } from './common.js';

// The bench serves three files; a content-type per extension it uses is all a fair row needs.
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.bin': 'application/octet-stream' };

const argv = process.argv.slice(2);
const root = argv[0];
if (root === undefined || root.startsWith('--')) throw new Error('usage: static-node-http2.js DIR [--tls CERT_DIR]');

function notFound(stream: http2.ServerHttp2Stream): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond({ ':status': 404 });
  stream.end();
}

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on('error', () => {});
  const raw = headers[':path'] ?? '/';
  const query = raw.indexOf('?');
  let pathname: string;
  try {
    pathname = decodeURIComponent(query < 0 ? raw : raw.slice(0, query));
  } catch {
    notFound(stream); // a malformed %-escape
    return;
  }
  // normalize() resolves any ".." against the root; a path that still climbs out is refused.
  const rel = normalize(pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  if (rel.split(sep).includes('..')) {
    notFound(stream);
    return;
  }
  const type = TYPES[extname(rel)] ?? 'application/octet-stream';
  // respondWithFile opens and fstats the file for each request (no cache): that is what is measured.
  stream.respondWithFile(join(root!, rel), { 'content-type': type }, { onError: () => notFound(stream) });
}

serveNodeHttp2(argv, onStream);
