#!/usr/bin/env node
/**
 * The seed's first example, in TypeScript: every request gets /css/style.css pushed, then a
 * plain-text response whose body is a stream (the seed's io.BytesIO).
 *
 *   npm run build
 *   node dist/examples/push-server.js --port 8443 --cert server.crt --key server.key   # TLS, as in the seed
 *   node dist/examples/push-server.js --port 8080                                      # h2c (no TLS)
 *   nghttp -nv http://127.0.0.1:8080/     or     curl --http2-prior-knowledge http://127.0.0.1:8080/
 */
import { Readable } from 'node:stream';
import { BaseRequestHandler, HTTP2Server } from '../src/index.js';
import { parseArgs, serverOptions } from './cli-args.js';

class Handler extends BaseRequestHandler {
  override onHeaders(): void {
    if (this.canPush) {
      this.push({
        path: '/css/style.css',
        requestHeaders: [['content-type', 'text/css']],
        status: 200,
        body: 'body{margin:0;}',
      });
    }
    this.sendResponse({
      status: 200,
      headers: [['content-type', 'text/plain']],
      body: Readable.from([Buffer.from('nghttp2-python FTW')]),
    });
  }
}

const args = parseArgs(process.argv.slice(2), { port: 8443 });
// Give ssl: null (or no --cert/--key) to make the server non-TLS.
const server = new HTTP2Server([args.host, args.port], Handler, serverOptions(args));
await server.listen();
console.log(`push-server listening on ${args.ssl ? 'https' : 'http'}://${args.host}:${server.port}/`);
process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
await server.serveForever();
