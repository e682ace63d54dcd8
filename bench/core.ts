/**
 * `npm run bench -- core`: the sans-I/O core alone, no sockets: a client and a server Connection
 * wired back to back in one process, small GETs with N in flight, answered with an 18-byte body.
 * Prints CPU microseconds per request (both ends together), the median of `--rounds` runs. For
 * changes inside src/connection, whose cost h2load's noise hides: run it from the build before
 * and after, alternating (`node dist/bench/run.js core` in each tree).
 *
 *   npm run bench -- core [--requests 300000] [--in-flight 100] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { Connection, type HeaderList } from '../src/connection/index.js';

function exchange(requests: number, inFlight: number): void {
  const client = new Connection({ role: 'client', now: 0 });
  const server = new Connection({ role: 'server', now: 0 });
  const body = Buffer.from('hello from server!');
  const request: HeaderList = [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':authority', 'localhost'],
    [':path', '/small'],
  ];
  const response: HeaderList = [
    [':status', '200'],
    ['content-length', String(body.length)],
  ];
  let started = 0;
  let done = 0;
  const pump = (): void => {
    for (const bytes of client.takeOutput()) {
      for (const ev of server.receive(bytes, 0)) {
        if (ev.type === 'headers' && ev.kind === 'request') {
          server.sendHeaders(ev.streamId, response, false);
          server.sendData(ev.streamId, body, true);
        }
      }
    }
    server.takeEvents();
    for (const bytes of server.takeOutput()) {
      for (const ev of client.receive(bytes, 0)) {
        if (ev.type !== 'data') continue;
        client.consume(ev.streamId, ev.data.length);
        if (ev.endStream) done++;
      }
    }
    client.takeEvents();
  };
  pump();
  while (done < requests) {
    while (started - done < inFlight && started < requests) {
      client.request(request, true);
      started++;
    }
    pump();
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '300000' },
      'in-flight': { type: 'string', default: '100' },
      rounds: { type: 'string', default: '7' },
    },
  });
  const requests = Number(values.requests);
  const inFlight = Number(values['in-flight']);
  const rounds = Number(values.rounds);
  exchange(20000, inFlight); // warm-up: the JIT sees the path first
  const perRequest: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.cpuUsage();
    exchange(requests, inFlight);
    const t = process.cpuUsage(t0);
    perRequest.push((t.user + t.system) / requests);
  }
  perRequest.sort((a, b) => a - b);
  const median = perRequest[Math.floor(perRequest.length / 2)]!;
  process.stdout.write(
    `core: a client and a server Connection in one process, ${requests} GETs, ${inFlight} in flight, ${rounds} rounds\n` +
      `CPU per request (both ends): median ${median.toFixed(3)} us (rounds: ${perRequest.map((v) => v.toFixed(3)).join(', ')})\n`,
  );
  await Promise.resolve();
}
