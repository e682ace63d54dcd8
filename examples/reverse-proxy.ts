#!/usr/bin/env node
/**
 * The seed's second example, in TypeScript: a simplified reverse proxy. Each request's path is
 * fetched from the backend with Node's own `http` client while the response body generator
 * answers DATA_DEFERRED until data is there; `resume()` restarts it as backend bytes arrive.
 *
 *   npm run build
 *   node dist/examples/reverse-proxy.js --port 8443 --cert server.crt --key server.key --backend http://localhost
 *   node dist/examples/reverse-proxy.js --port 8080 --backend http://127.0.0.1:8000      # h2c
 *
 * An HTTP/2 backend: `--backend h2c://host:port` (prior knowledge) or `--backend h2://host:port`
 * (TLS, ALPN h2; the backend's certificate is not verified in this example). Requests share one
 * multiplexed connection (ReconnectingHTTP2Client: a new one when the backend ends it).
 */
import http from 'node:http';
import {
  BaseRequestHandler,
  BaseResponseHandler,
  DATA_DEFERRED,
  DATA_EOF,
  DATA_OK,
  HTTP2Server,
  ReconnectingHTTP2Client,
  type DataFlag,
} from '../src/index.js';
import { parseArgs, serverOptions } from './cli-args.js';

const args = parseArgs(process.argv.slice(2), { port: 8443, backend: 'http://localhost' });

/** Buffers what the backend sent so far; the body generator hands it out. */
class Body {
  private readonly chunks: Buffer[] = [];
  private eof = false;
  private error: Error | null = null;

  constructor(private readonly handler: BaseRequestHandler) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.handler.resume();
  }

  end(error: Error | null = null): void {
    this.eof = true;
    this.error = error;
    this.handler.resume();
  }

  /** The seed's body generator: at most n bytes and a flag. */
  generate = (n: number): [Buffer | null, DataFlag] => {
    if (this.error !== null) throw this.error; // resets the stream: the backend failed mid-body
    const first = this.chunks[0];
    if (first === undefined) return this.eof ? [null, DATA_EOF] : [null, DATA_DEFERRED];
    let data = first;
    if (first.length > n) {
      data = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    } else {
      this.chunks.shift();
    }
    return [data, this.eof && this.chunks.length === 0 ? DATA_EOF : DATA_OK];
  };
}

/** Fetches url from the backend with Node's http client, feeding `body` as bytes arrive. */
function getHttpBody(body: Body, url: string): void {
  http
    .get(url, (res) => {
      res.on('data', (chunk: Buffer) => body.push(chunk));
      res.on('end', () => body.end());
      res.on('error', (err) => body.end(err));
    })
    .on('error', (err) => body.end(err));
}

/** An HTTP/2 backend's response, fed into `body` as DATA arrives. */
class BackendResponse extends BaseResponseHandler {
  constructor(private readonly body: Body) {
    super();
  }
  override onData(data: Buffer): void {
    this.body.push(data);
  }
  override onResponseDone(): void {
    this.body.end();
  }
  override onClose(): void {
    if (this.error !== null) this.body.end(this.error);
  }
}

const h2Backend = /^h2c?:\/\//.test(args.backend)
  ? new ReconnectingHTTP2Client(args.backend.replace(/^h2c:/, 'http:').replace(/^h2:/, 'https:'), { rejectUnauthorized: false })
  : null;

/** Fetches `path` from the HTTP/2 backend on the shared connection. */
function getH2Body(body: Body, path: string): void {
  h2Backend!.send({ path }, new BackendResponse(body));
}

class Handler extends BaseRequestHandler {
  override onHeaders(): void {
    const body = new Body(this);
    if (h2Backend !== null) getH2Body(body, this.path);
    else getHttpBody(body, args.backend + this.path);
    this.sendResponse({ status: 200, body: body.generate });
  }
}

const server = new HTTP2Server([args.host, args.port], Handler, serverOptions(args));
await server.listen();
console.log(`reverse-proxy listening on ${args.ssl ? 'https' : 'http'}://${args.host}:${server.port}/ -> ${args.backend}`);
process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
await server.serveForever();
await h2Backend?.close();
