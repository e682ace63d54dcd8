/**
 * Fastify on node:http2's compatibility API through `serverFactory` (`http2: true`, and
 * `https` for TLS), the contract of support.ts on node:http2 and on h2kit's drop-in.
 *
 * With a serverFactory Fastify builds no server of its own: it hands its request handler to
 * the factory and then calls `server.listen({ port, host, ... })` (the options-object form),
 * `server.address()`, and `server.close(cb)` from `app.close()`. `http2` and `https` then only
 * shape Fastify's types and the URL it logs.
 */
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { boom, digest, errorBody, frameworkSuite, parseCookies, serverOptions, streamBody, variants, type Http2Api, type Running, type Start, type Tls } from './support.js';

type Handler = (req: unknown, res: unknown) => void;

function makeApp(api: Http2Api, tls: Tls | null): FastifyInstance {
  // Fastify's types tie the app to node's own server classes: the factory below returns
  // whatever `api` builds, so the instance is typed as the plain default.
  const serverFactory = (handler: Handler) => tls === null
    ? api.createServer(serverOptions(null), handler)
    : api.createSecureServer(serverOptions(tls), handler);
  const app = Fastify({
    http2: true,
    https: tls === null ? undefined : { allowHTTP1: true },
    serverFactory,
  } as unknown as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.setErrorHandler((err, _request, reply) => {
    void reply.code(500).send(errorBody(err));
  });
  // The upload arrives as a raw stream: hashed as it comes, never buffered (Fastify's own
  // parsers would buffer it, under a 1 MiB bodyLimit).
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.get('/hello', async (_request, reply) => reply.type('text/plain').send('hello'));
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
  app.post('/echo', async (request) => ({ received: request.body }));
  app.get('/boom', async () => boom());
  app.get('/stream', async (_request, reply) => reply.type('text/plain').send(streamBody()));
  app.post('/upload', async (request) => digest(request.body as Readable));
  app.get<{ Querystring: { name: string; tag?: string | string[] } }>('/query', async (request) => {
    const { name, tag } = request.query;
    return { name, tags: tag === undefined ? [] : ([] as string[]).concat(tag) };
  });
  app.get('/cookies', async (request, reply) => {
    // No @fastify/cookie: the header is parsed by hand and both fields set through reply.header.
    const c = parseCookies(request.headers.cookie);
    void reply.header('set-cookie', ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
    return { a: c.a, b: c.b };
  });
  app.get('/redirect', async (_request, reply) => reply.redirect('/hello'));
  return app;
}

const start = (api: Http2Api): Start => async (tls): Promise<Running> => {
  const app = makeApp(api, tls);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address !== 'object') throw new Error(`Fastify's server address(): ${String(address)}`);
  return { port: address.port, close: () => app.close() };
};

frameworkSuite('Fastify', await variants(start));
