/**
 * Bench child for the `compat-fastify` row of `bench/http2.ts`: one Fastify app (one route
 * answering `{ hello: 'world' }` as JSON), on h2kit's `createServer` through Fastify's
 * `serverFactory`, or on node:http2 as Fastify builds it itself (`http2: true`).
 *
 *   node dist/bench/servers/compat-fastify.js h2kit|node:http2
 *
 * Cleartext only (the row is h2c). Prints `listening PORT` and answers `gc` on stdin, as the
 * other bench servers (`common.ts`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { createServer, Http2ServerResponse } from '../../src/index.js';
import { serveControl } from './common.js';

/** The app, the same on both servers: one JSON route, Fastify's defaults otherwise (no logger). */
function addRoutes(app: FastifyInstance): void {
  app.get('/', async () => ({ hello: 'world' }));
}

type Handler = (req: unknown, res: unknown) => void;

/**
 * Fastify ends a response with `res.end(payload, null, null)`. node accepts a null callback; h2kit's
 * `end()` at bd9ab02 passes it to `once('finish', null)`, which throws after the response is marked
 * ended, so the response is never sent. Until compat-response.ts treats null as no callback, the
 * bench drops null arguments before they reach it (one extra call per response).
 */
function acceptNullEndArguments(): void {
  const end = Http2ServerResponse.prototype.end;
  Http2ServerResponse.prototype.end = function (this: Http2ServerResponse, ...args: unknown[]) {
    while (args.length > 0 && (args[args.length - 1] === null || args[args.length - 1] === undefined)) args.pop();
    return (end as (...a: unknown[]) => Http2ServerResponse).apply(this, args);
  } as typeof end;
}

const impl = process.argv[2];
let app: FastifyInstance;
if (impl === 'h2kit') {
  acceptNullEndArguments();
  // With a serverFactory Fastify builds no server: it hands its handler to ours and calls
  // listen({ port, host }), address() and close() on what comes back. Fastify's types tie the
  // instance to node's server classes, hence the casts.
  const serverFactory = (handler: Handler) => createServer({ settings: { maxConcurrentStreams: 100 }, idleTimeout: 0 }, handler);
  app = Fastify({ http2: true, serverFactory } as unknown as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
} else if (impl === 'node:http2') {
  app = Fastify({ http2: true }) as unknown as FastifyInstance;
} else {
  throw new Error(`compat-fastify: the first argument is h2kit or node:http2, not ${String(impl)}`);
}
addRoutes(app);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
serveControl(typeof address === 'object' && address !== null ? address.port : 0);
