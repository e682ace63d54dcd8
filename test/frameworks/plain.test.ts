/**
 * A plain `(req, res)` app, written against node:http2's compatibility API only (no
 * framework): the contract of support.ts on node:http2 and on h2kit's drop-in.
 */
import type http2 from 'node:http2';
import { pipeline } from 'node:stream/promises';
import { boom, digest, errorBody, frameworkSuite, listen, parseCookies, serverOptions, streamBody, variants, type Http2Api, type Start } from './support.js';

type Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => Promise<void>;

function sendJson(res: http2.Http2ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  // node:http2's compat response, unlike node:http's, never adds content-length by itself.
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

async function readJson(req: http2.Http2ServerRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString());
}

const routes: Record<string, Handler> = {
  'GET /hello': async (_req, res) => {
    // HEAD reaches this handler too (as with node:http): node:http2's compat response sends the
    // head and drops the body of a HEAD request's response.
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-length', 5);
    res.end('hello');
  },
  'POST /echo': async (req, res) => sendJson(res, 200, { received: await readJson(req) }),
  'GET /boom': async () => boom(),
  'GET /stream': async (_req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    await pipeline(streamBody(), res);
  },
  'POST /upload': async (req, res) => sendJson(res, 200, await digest(req)),
  'GET /query': async (req, res) => {
    const q = new URL(req.url, 'http://x').searchParams;
    sendJson(res, 200, { name: q.get('name'), tags: q.getAll('tag') });
  },
  'GET /cookies': async (req, res) => {
    const c = parseCookies(req.headers.cookie);
    res.setHeader('set-cookie', ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
    sendJson(res, 200, { a: c.a, b: c.b });
  },
  'GET /redirect': async (_req, res) => {
    res.writeHead(302, { location: '/hello', 'content-length': 0 });
    res.end();
  },
};

async function app(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
  const path = new URL(req.url, 'http://x').pathname;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  try {
    const user = /^\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && user !== null) return sendJson(res, 200, { id: decodeURIComponent(user[1]) });
    const route = routes[`${method} ${path}`];
    if (route === undefined) return sendJson(res, 404, { error: 'not found' });
    await route(req, res);
  } catch (err) {
    if (res.headersSent) res.stream.close();
    else sendJson(res, 500, errorBody(err));
  }
}

const start = (api: Http2Api): Start => (tls) => {
  const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void => void app(req, res);
  return listen(tls === null ? api.createServer(serverOptions(null), handler) : api.createSecureServer(serverOptions(tls), handler));
};

frameworkSuite('plain (req, res)', await variants(start));
