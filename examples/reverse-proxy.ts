#!/usr/bin/env node
/**
 * The seed's second example, in TypeScript: a simplified reverse proxy. Each request's path is
 * fetched from the backend with Node's own `http` client; once the backend's response head is in,
 * its status and end-to-end header fields go out (hop-by-hop ones stay behind, RFC 9110 section
 * 7.6.1) with a body generator that answers DATA_DEFERRED until data is there; `resume()`
 * restarts it as backend bytes arrive. A backend that cannot be reached gets the client a 502, one
 * that sends no response head within 30 s a 504; a backend failing mid-body resets the stream.
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

/** How long the backend has to send its response head. */
const BACKEND_HEAD_TIMEOUT_MS = 30_000;

/** Fields about one connection, not the message (RFC 9110 section 7.6.1), and HTTP/2's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings', 'host']);

/** The backend's fields a proxy passes on. */
function endToEnd(fields: Iterable<readonly [string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of fields) if (name.charCodeAt(0) !== 0x3a && !HOP_BY_HOP.has(name)) out.push([name, value]);
  return out;
}

/** A short plain-text answer of our own (the backend gave none). */
function answer(handler: BaseRequestHandler, status: number, text: string): void {
  handler.sendResponse({ status, headers: [['content-type', 'text/plain; charset=utf-8']], body: `${text}\n` });
}

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

/** Fetches url from the backend with Node's http client: the head is answered, then `body` fed as bytes arrive. */
function proxyHttp(handler: BaseRequestHandler, body: Body, url: string): void {
  let answered = false;
  const req = http.get(url, { timeout: BACKEND_HEAD_TIMEOUT_MS }, (res) => {
    answered = true;
    req.setTimeout(0);
    const fields: Array<[string, string]> = [];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) fields.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
    handler.sendResponse({ status: res.statusCode ?? 502, headers: endToEnd(fields), body: body.generate });
    res.on('data', (chunk: Buffer) => body.push(chunk));
    res.on('end', () => body.end());
    res.on('error', (err) => body.end(err));
  });
  req.on('timeout', () => {
    if (answered) return;
    answered = true;
    answer(handler, 504, `Gateway Timeout: ${args.backend} sent no response within ${BACKEND_HEAD_TIMEOUT_MS / 1000} s`);
    req.destroy();
  });
  req.on('error', (err) => {
    if (answered) body.end(err);
    else {
      answered = true;
      answer(handler, 502, `Bad Gateway: ${args.backend}: ${err.message}`);
    }
  });
}

/** An HTTP/2 backend's response: its head answered, then fed into `body` as DATA arrives. */
class BackendResponse extends BaseResponseHandler {
  private answered = false;
  constructor(
    private readonly handler: BaseRequestHandler,
    private readonly body: Body,
  ) {
    super();
  }
  override onHeaders(): void {
    this.answered = true;
    this.handler.sendResponse({ status: this.status, headers: endToEnd(this.headers), body: this.body.generate });
  }
  override onData(data: Buffer): void {
    this.body.push(data);
  }
  override onResponseDone(): void {
    this.body.end();
  }
  override onClose(): void {
    if (this.error === null) return;
    if (this.answered) this.body.end(this.error);
    else answer(this.handler, 502, `Bad Gateway: ${args.backend}: ${this.error.message}`);
  }
}

const h2Backend = /^h2c?:\/\//.test(args.backend)
  ? new ReconnectingHTTP2Client(args.backend.replace(/^h2c:/, 'http:').replace(/^h2:/, 'https:'), { rejectUnauthorized: false })
  : null;

class Handler extends BaseRequestHandler {
  override onHeaders(): void {
    const body = new Body(this);
    if (h2Backend !== null) h2Backend.send({ path: this.path }, new BackendResponse(this, body));
    else proxyHttp(this, body, args.backend + this.path);
  }
}

const server = new HTTP2Server([args.host, args.port], Handler, serverOptions(args));
await server.listen();
console.log(`reverse-proxy listening on ${args.ssl ? 'https' : 'http'}://${args.host}:${server.port}/ -> ${args.backend}`);
process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
await server.serveForever();
await h2Backend?.close();
