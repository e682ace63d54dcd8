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
import { createServer } from '../../src/index.js';
import { serveControl } from './common.js';

/** The app, the same on both servers: one JSON route, Fastify's defaults otherwise (no logger). */
function addRoutes(app: FastifyInstance): void {
  app.get('/', async () => ({ hello: 'world' }));
}

type Handler = (req: unknown, res: unknown) => void;

const impl = process.argv[2];
let app: FastifyInstance;
if (impl === 'h2kit') {
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
