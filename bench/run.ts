/**
 * `npm run bench [-- NAME [ARGS...]]`: runs every bench, or the one named (e.g. `hpack`).
 * Each bench is a module exporting `run(args)`; it is imported only when it runs, so one
 * bench's set-up (corpora, peers) costs nothing to the others.
 */
import { readFileSync } from 'node:fs';

interface Bench {
  summary: string;
  load(): Promise<{ run(args: string[]): Promise<void> }>;
}

const benches: Record<string, Bench> = {
  hpack: {
    summary: 'HPACK encode/decode throughput and compression vs hpack.js over hpack-test-case',
    load: () => import('./hpack.js'),
  },
  http2: {
    summary: 'HTTP/2 server vs node:http2 and nghttpd under h2load (throughput, TLS, big bodies, latency, memory)',
    load: () => import('./http2.js'),
  },
  core: {
    summary: 'the sans-I/O Connection alone: a client and a server back to back in one process (CPU per request)',
    load: () => import('./core.js'),
  },
  h1ab: {
    summary: 'HTTP/1.1 small GETs, h2kit (allowHTTP1) vs node:http: server CPU per request by request count, alternating rounds',
    load: () => import('./h1ab.js'),
  },
  static: {
    summary: 'h2kit serve vs nghttpd -d, h2o and node:http2 respondWithFile: 1 KiB, 64 KiB, 1 MiB files, h2c and TLS (req/s, server CPU)',
    load: () => import('./static.js'),
  },
  client: {
    summary: 'HTTP/2 client vs node:http2 and undici against nghttpd: small GETs on one connection, 10 and 100 in flight (req/s, client CPU)',
    load: () => import('./client.js'),
  },
};

/** The bench's own documentation: the first doc comment of its module (every bench has one). */
function usageOf(name: string): string {
  const source = readFileSync(new URL(`./${name}.js`, import.meta.url), 'utf8');
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  return doc.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim() + '\n';
}

/** A bad option names itself in one line (node's parseArgs errors); anything else keeps its stack. */
function isUsageError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    const lines = Object.entries(benches).map(([n, b]) => `  ${n.padEnd(8)} ${b.summary}`);
    process.stdout.write(`Usage: npm run bench [-- NAME [ARGS...]]\n\nBenches:\n${lines.join('\n')}\n`);
    return 0;
  }
  const selected = name === undefined ? Object.keys(benches) : [name];
  for (const n of selected) {
    const bench = benches[n];
    if (bench === undefined) {
      process.stderr.write(`bench: unknown bench ${JSON.stringify(n)} (benches: ${Object.keys(benches).join(', ')})\n`);
      return 2;
    }
    if (rest.includes('-h') || rest.includes('--help')) {
      process.stdout.write(usageOf(n));
      return 0;
    }
    try {
      await (await bench.load()).run(name === undefined ? [] : rest);
    } catch (err) {
      if (!isUsageError(err)) throw err;
      process.stderr.write(`bench ${n}: ${err.message} (npm run bench -- ${n} --help)\n`);
      return 2;
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
