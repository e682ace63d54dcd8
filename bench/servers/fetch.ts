/**
 * Bench child for the `fetch` row of `bench/http2.ts`: one WHATWG fetch handler
 * (`() => new Response('hello world')`), served by h2kit's `serve({ fetch })`, or on node:http2
 * through a fetch adapter, `@hono/node-server`'s `serve({ fetch, createServer: http2.createServer })`.
 *
 *   node dist/bench/servers/fetch.js h2kit|node:http2
 *
 * Cleartext only (the row is h2c). Prints `listening PORT` and answers `gc` on stdin, as the
 * other bench servers (`common.ts`). When h2kit has no `serve` export yet, the h2kit side prints
 * `skipped serve() not built` and exits, and the row reports that instead of numbers.
 */
import http2 from 'node:http2';
import { serveControl } from './common.js';

/** The app, the same function on both servers. */
function hello(): Response {
  return new Response('hello world');
}

interface ServeLike {
  (options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string; idleTimeout?: number; connection?: unknown }): Promise<{ port: number }>;
}

const impl = process.argv[2];
if (impl === 'h2kit') {
  // Imported by name at run time, so this file compiles and runs before `serve` exists.
  const h2kit = (await import('../../src/index.js')) as Record<string, unknown>;
  const serve = h2kit.serve as ServeLike | undefined;
  if (typeof serve !== 'function') {
    process.stdout.write('skipped serve() not built\n');
    process.exit(0);
  }
  const server = await serve({ fetch: hello, port: 0, hostname: '127.0.0.1', idleTimeout: 0, connection: { settings: { maxConcurrentStreams: 100 } } });
  serveControl(server.port);
} else if (impl === 'node:http2') {
  // @hono/node-server replaces the global Request/Response with its own lighter classes by
  // default (its usual setup); `hello` then builds one of those.
  const { serve } = await import('@hono/node-server');
  serve({ fetch: hello, port: 0, hostname: '127.0.0.1', createServer: http2.createServer, serverOptions: { settings: { maxConcurrentStreams: 100 } } }, (info) => serveControl(info.port));
} else {
  throw new Error(`fetch: the first argument is h2kit or node:http2, not ${String(impl)}`);
}
