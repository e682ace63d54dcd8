#!/usr/bin/env node
/**
 * The sans-I/O core (`h2kit/connection`) driven over plain `net` sockets, with no HTTP2Server:
 * bring your own I/O, as python-h2 does. The Connection never touches a socket or a timer; this
 * file does, in the four places every driver has:
 *
 *   bytes read        -> connection.receive(chunk, now) -> events
 *   events, commands  -> connection.takeOutput()        -> socket.write
 *   nextDeadline()    -> one timer                       -> connection.tick(now)
 *   isClosed          -> socket.end()
 *
 * It answers every request with a line naming its path (request bodies are read and dropped).
 *
 *   npm run build
 *   node dist/examples/bring-your-own-io.js --port 8080
 *   curl --http2-prior-knowledge http://127.0.0.1:8080/hello      # h2c with prior knowledge
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
// In an application: import { Connection } from 'h2kit/connection';
import { Connection, type ConnectionEvent } from '../src/connection/index.js';
import { parseArgs } from './cli-args.js';

function serve(socket: net.Socket): void {
  const conn = new Connection({ role: 'server', now: performance.now() });
  /** The request path of each stream until it is answered. */
  const paths = new Map<number, string>();
  let timer: NodeJS.Timeout | undefined;

  const respond = (streamId: number): void => {
    const body = Buffer.from(`you asked for ${paths.get(streamId) ?? '?'}\n`);
    paths.delete(streamId);
    conn.sendHeaders(streamId, [[':status', '200'], ['content-type', 'text/plain'], ['content-length', String(body.length)]], false);
    // A body this small fits the initial window; a large one would send what the window allows
    // (sendData returns false) and go on at the stream's `writable` event.
    conn.sendData(streamId, body, true);
  };

  const handle = (events: ConnectionEvent[]): void => {
    for (const event of events) {
      if (event.type === 'headers' && event.kind === 'request') {
        paths.set(event.streamId, event.headers.find(([name]) => name === ':path')?.[1] ?? '/');
        if (event.endStream) respond(event.streamId);
      } else if (event.type === 'data') {
        // Give the flow-control credit back once the bytes are dealt with (here: dropped).
        conn.consume(event.streamId, event.data.length);
        if (event.endStream) respond(event.streamId);
      } else if (event.type === 'streamClosed') {
        paths.delete(event.streamId);
      }
    }
    // Commands can cause events of their own (a stream closing after our END_STREAM).
    const more = conn.takeEvents();
    if (more.length > 0) return handle(more);
    flush();
  };

  const flush = (): void => {
    const output = conn.takeOutput();
    if (output.length > 0 && !socket.destroyed) {
      socket.cork();
      for (const chunk of output) socket.write(chunk);
      socket.uncork();
    }
    clearTimeout(timer);
    const deadline = conn.nextDeadline();
    if (deadline !== Infinity) timer = setTimeout(() => handle(conn.tick(performance.now())), Math.max(0, Math.ceil(deadline - performance.now())));
    if (conn.isClosed) socket.end();
  };

  socket.on('data', (chunk: Buffer) => handle(conn.receive(chunk, performance.now())));
  socket.on('close', () => clearTimeout(timer));
  socket.on('error', () => {}); // a reset is how a client may leave; 'close' follows
  flush(); // the server's SETTINGS go first
}

const args = parseArgs(process.argv.slice(2), { port: 8080 });
const server = net.createServer(serve);
server.listen(args.port, args.host, () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(`listening on http://${args.host}:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
