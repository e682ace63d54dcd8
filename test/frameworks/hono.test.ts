/**
 * Hono, two ways: through @hono/node-server with its `createServer` option (node:http2's
 * factories, then h2kit's drop-in), and Hono's `app.fetch` handed unchanged to h2kit's
 * `serve({ fetch })`. node:http2 has no fetch-style server of its own: the reference for
 * that variant is @hono/node-server on node:http2, the first variant here.
 */
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { stream } from 'hono/streaming';
import { serve as nodeServe } from '@hono/node-server';
import { boom, chunks, closeServer, digest, errorBody, frameworkSuite, h2kitServe, serverOptions, variants, type Http2Api, type Running, type Start, type Variant } from './support.js';

function makeApp(): Hono {
  const app = new Hono();
  app.onError((err, c) => c.json(errorBody(err), 500));
  app.get('/hello', (c) => c.text('hello'));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  app.post('/echo', async (c) => c.json({ received: await c.req.json<unknown>() }));
  app.get('/boom', () => boom());
  app.get('/stream', (c) => {
    c.header('content-type', 'text/plain; charset=UTF-8');
    return stream(c, async (s) => {
      for await (const chunk of chunks()) await s.write(chunk);
    });
  });
  app.post('/upload', async (c) => {
    const body = c.req.raw.body;
    if (body === null) return c.json({ bytes: 0 });
    return c.json(await digest(body as unknown as AsyncIterable<Uint8Array>));
  });
  app.get('/query', (c) => c.json({ name: c.req.query('name'), tags: c.req.queries('tag') ?? [] }));
  app.get('/cookies', (c) => {
    setCookie(c, 'session', 'abc', { path: '/', httpOnly: true });
    setCookie(c, 'theme', 'dark', { path: '/' });
    return c.json({ a: getCookie(c, 'a'), b: getCookie(c, 'b') });
  });
  app.get('/redirect', (c) => c.redirect('/hello'));
  return app;
}

/** @hono/node-server's `serve`, building its server with `api`'s factory. */
const viaNodeServer = (api: Http2Api): Start => (tls) => new Promise<Running>((resolve, reject) => {
  const app = makeApp();
  // No `hostname`, as its README's examples: @hono/node-server then takes the request's host
  // from `incoming.authority` when `incoming instanceof Http2ServerRequest` (node:http2's
  // class), else from `incoming.headers.host`, and answers 400 "Missing host header" when
  // neither is there (an h2 request carries :authority, not host). It listens on every
  // interface then; the clients use 127.0.0.1.
  const common = { fetch: app.fetch, port: 0 };
  const listening = (info: AddressInfo): void => {
    server.off('error', reject);
    resolve({ port: info.port, close: () => closeServer(server) });
  };
  const server = tls === null
    ? nodeServe({ ...common, createServer: api.createServer, serverOptions: serverOptions(null) }, listening)
    : nodeServe({ ...common, createServer: api.createSecureServer, serverOptions: serverOptions(tls) }, listening);
  server.once('error', reject);
});

const all: Variant[] = (await variants(viaNodeServer)).map((v) => ({ ...v, impl: `${v.impl} (@hono/node-server)` }));
const h2kitServeFn = await h2kitServe();
all.push({
  impl: 'h2kit serve({ fetch })',
  start: 'skip' in h2kitServeFn ? h2kitServeFn : async (tls) => {
    const app = makeApp();
    const server = await h2kitServeFn({ fetch: (request) => app.fetch(request), port: 0, hostname: '127.0.0.1', tls: tls ?? undefined, allowHTTP1: true });
    return { port: server.port, close: () => server.close() };
  },
  h1Cleartext: true,
});

// Hono answers HEAD by running the GET route and returning `new Response(null, getResponse)`:
// the body is gone and so is its length, and @hono/node-server sends no content-length for a
// null body. The same on node:http2, so not the transport's doing.
frameworkSuite('Hono', all, { headWithoutContentLength: true });
