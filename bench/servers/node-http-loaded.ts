/**
 * Bench child: `node-http.ts`'s server in a process that has also loaded h2kit (imported, never
 * used), for the HTTP/1.1 rows' second reference, `node:http+h2kit`.
 *
 *   node dist/bench/servers/node-http-loaded.js
 *
 * The bare node:http script is a best case no application process is: with so few kinds of
 * objects built, some of V8's property caches in node's own code (`EventEmitter.init`'s, for
 * one) stay polymorphic, where any larger process makes them megamorphic (bench/README.md).
 * This process has the same module graph as `h2kit.ts`'s, so h2kit against it is the cost of
 * h2kit's HTTP/1.1 layer alone; against the bare script, that and the cost of a bigger process.
 */
import '../../src/index.js';
import './node-http.js';
