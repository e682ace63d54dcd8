/**
 * Bench child: `node:http` (Node's HTTP/1.1 server, llhttp) answering like the other peers of
 * `bench/http2.ts`, for the HTTP/1.1 rows: h2kit's HTTP/1.1 side parses with the same node:http,
 * so this is the floor its overhead is measured against.
 *
 *   node dist/bench/servers/node-http.js
 *
 * Routes, output and the stdin `gc` line: as in `h2kit.ts` (no TLS: the HTTP/1.1 rows are
 * cleartext). Headers: `content-type: text/plain` and the content-length, as h2kit sends them;
 * node:http adds `date`, `connection` and `keep-alive` on both.
 */
import http from 'node:http';
import { LARGE_BODY, SMALL_BODY, serveControl } from './common.js';

const SMALL_HEADERS = { 'content-type': 'text/plain', 'content-length': SMALL_BODY.length };
const LARGE_HEADERS = { 'content-type': 'text/plain', 'content-length': LARGE_BODY.length };

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/hold' || res.destroyed) return;
  if (req.url === '/10m') {
    res.writeHead(200, LARGE_HEADERS);
    res.end(LARGE_BODY);
  } else {
    res.writeHead(200, SMALL_HEADERS);
    res.end(SMALL_BODY);
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' || req.method === 'HEAD') {
    answer(req, res);
  } else {
    req.on('end', () => answer(req, res));
    req.resume();
  }
});
server.on('clientError', (_err, socket) => socket.destroy());
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveControl(typeof address === 'object' && address !== null ? address.port : 0);
});
