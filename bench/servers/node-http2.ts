/**
 * Bench child: `node:http2` (nghttp2 inside Node) answering like the other peers of
 * `bench/http2.ts`, through its core `stream` API (its fastest face, no compat layer).
 *
 *   node dist/bench/servers/node-http2.js [--tls CERT_DIR]
 *
 * Routes, output and the stdin `gc` line: as in `h2kit.ts`.
 */
import http2 from 'node:http2';
import { LARGE_BODY, SMALL_BODY, serveNodeHttp2 } from './common.js';

const SMALL_HEADERS = { ':status': 200, 'content-type': 'text/plain', 'content-length': SMALL_BODY.length };
const LARGE_HEADERS = { ':status': 200, 'content-type': 'text/plain', 'content-length': LARGE_BODY.length };

function answer(stream: http2.ServerHttp2Stream, path: string): void {
  // h2load cancels the streams in flight when its duration ends: nothing to answer then.
  if (path === '/hold' || stream.destroyed || stream.closed) return;
  if (path === '/10m') {
    stream.respond(LARGE_HEADERS);
    stream.end(LARGE_BODY);
  } else {
    stream.respond(SMALL_HEADERS);
    stream.end(SMALL_BODY);
  }
}

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const path = headers[':path'] ?? '/';
  const method = headers[':method'];
  stream.on('error', () => {});
  if (method === 'GET' || method === 'HEAD') {
    answer(stream, path);
  } else {
    stream.on('end', () => answer(stream, path));
    stream.resume();
  }
}

serveNodeHttp2(process.argv.slice(2), onStream);
