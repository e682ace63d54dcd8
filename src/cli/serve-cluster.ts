/**
 * The cluster primary of `h2kit serve --workers N` (node:cluster: one process per worker, all
 * sharing the port): forks the workers, prints the URL once all listen, replaces a worker that
 * dies, stops them all on SIGINT/SIGTERM, and on SIGHUP replaces them one by one (a rolling
 * restart, to deploy new code or certificate files without refusing a connection):
 *
 *   for each old worker: fork a new one (it reads the code, the site and the certificate files
 *   from disk), wait until it listens, then tell the old one to leave (SIGTERM: its server's
 *   graceful close, GOAWAY(NO_ERROR), streams in flight finish) and wait until it has exited.
 *
 * At most N + 1 workers exist at a time, and never fewer than N listen. The worker side is
 * `serveWorker` in serve.ts; they talk through `WorkerMessage`s.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { CliIO } from './command.js';
import { CliInputError } from './command.js';
import type { ServeConfig } from './serve.js';

/** The environment variable that carries a worker's `ServeConfig` (JSON). */
export const WORKER_ENV = 'H2KIT_SERVE_WORKER';

export type WorkerMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

export interface PrimaryOptions {
  config: ServeConfig;
  workers: number;
  /** Prints the start-up lines once every worker listens (`port`: the one they share). */
  announce(port: number): void;
  /**
   * The configuration for the workers of a rolling restart: the certificate files read again
   * (throws a CliInputError with one line if they are unusable: the restart is then not begun).
   */
  reload(): Promise<{ config: ServeConfig; note: string | null }>;
}

/** Resolves when SIGINT or SIGTERM arrives (listeners removed afterwards). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** How a freshly forked worker started: listening, or the one line saying why not. */
type Outcome = { ok: true } | { ok: false; message: string };

/** The cluster primary: runs until a signal (0) or until a worker cannot start (a CliInputError). */
export async function servePrimary(io: CliIO, options: PrimaryOptions): Promise<number> {
  const { workers } = options;
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  cluster.setupPrimary({ exec: main, args: ['serve'] });
  const envOf = (config: ServeConfig): Record<string, string> => ({ [WORKER_ENV]: JSON.stringify(config) });
  /** What a worker forked now gets: after a SIGHUP, the reloaded configuration. */
  let env = envOf(options.config);
  const log = (line: string): void => void io.stderr.write(`h2kit serve: ${line}\n`);

  let stopping = false;
  let announced = false;
  let restarting = false;
  /** A SIGHUP arrived while a restart ran (or before the workers listened): one more round follows. */
  let hupPending = false;
  /** Workers told to leave by a rolling restart: their exit is planned, not a crash. */
  const leaving = new Set<Worker>();
  let resolveFailed!: (message: string) => void;
  const failed = new Promise<string>((resolve) => (resolveFailed = resolve));

  /** Forks a worker; `started` hears once whether it listens. After that, an exit is a crash. */
  const fork = (started: (outcome: Outcome, port: number) => void): Worker => {
    const worker = cluster.fork(env);
    let settled = false;
    const settle = (outcome: Outcome, port = 0): void => {
      if (settled) return;
      settled = true;
      started(outcome, port);
    };
    // Node's cluster can still write to a worker that has just exited (a listen error it
    // forwards as the worker stops): EPIPE there is expected, and unheard it would crash this
    // process with a stack trace instead of our one-line error. The 'exit' below says what happened.
    worker.on('error', () => {});
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'error') settle({ ok: false, message: msg.message });
      else if (msg.type === 'listening') settle({ ok: true }, msg.port);
    });
    worker.on('exit', (code, signal) => {
      if (!settled) {
        settle({ ok: false, message: `worker ${worker.process.pid} exited before listening (code ${code ?? signal})` });
        return;
      }
      if (stopping || leaving.delete(worker)) return;
      // A worker that dies while serving is replaced; the others kept serving meanwhile.
      log(`worker ${worker.process.pid} exited (${code ?? signal}); starting another`);
      fork((outcome) => {
        if (!outcome.ok) log(`the replacement worker could not start: ${outcome.message}`);
      });
    });
    return worker;
  };

  // Start-up: all N must listen, or the command fails with the first worker's reason.
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    fork((outcome, port) => {
      if (!outcome.ok) return resolveFailed(outcome.message);
      if (++listening === workers) {
        announced = true;
        options.announce(port);
        if (hupPending) void rollingRestart();
      }
    });
  }

  // ---- SIGHUP: the rolling restart ----
  // A SIGHUP during a restart is queued (one, however many arrive), not ignored: the files it
  // announces may have landed after the new workers of this round read theirs, and the
  // workers already replaced would keep the older ones. One more round after this one
  // brings every worker to what is on disk now.
  const onHup = (): void => {
    if (stopping) return;
    if (restarting || !announced) {
      if (!hupPending) log(`SIGHUP: ${restarting ? 'a rolling restart is under way' : 'the workers are still starting'}; another will follow it`);
      hupPending = true;
      return;
    }
    void rollingRestart();
  };
  process.on('SIGHUP', onHup);

  const untilExit = (worker: Worker): Promise<void> =>
    new Promise((resolve) => {
      if (worker.isDead()) resolve();
      else worker.once('exit', () => resolve());
    });

  async function rollingRestart(): Promise<void> {
    restarting = true;
    hupPending = false;
    try {
      let next: Awaited<ReturnType<PrimaryOptions['reload']>>;
      try {
        next = await options.reload();
      } catch (err) {
        log(`SIGHUP: rolling restart not begun, the workers keep serving: ${(err as Error).message}`);
        return;
      }
      env = envOf(next.config);
      const old = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      log(`SIGHUP: rolling restart of ${old.length} workers${next.note === null ? '' : ` (${next.note})`}`);
      let replaced = 0;
      for (const previous of old) {
        if (stopping) return;
        if (previous.isDead()) continue; // it crashed meanwhile, and was replaced already (with the new files)
        let fresh!: Worker;
        const outcome = await new Promise<Outcome>((resolve) => (fresh = fork((o) => resolve(o))));
        if (stopping) return;
        if (!outcome.ok) {
          log(`rolling restart stopped after ${replaced} of ${old.length}: a new worker could not start: ${outcome.message}; the other workers keep serving`);
          return;
        }
        leaving.add(previous);
        previous.process.kill('SIGTERM');
        await untilExit(previous);
        replaced++;
        log(`rolling restart: worker ${previous.process.pid} replaced by ${fresh.process.pid} (${replaced}/${old.length})`);
      }
      log(`rolling restart complete (${replaced} workers replaced)`);
    } finally {
      restarting = false;
      if (hupPending && !stopping) void rollingRestart();
    }
  }

  const outcome = await Promise.race([failed.then((message) => ({ message })), untilSignal().then(() => null)]);
  stopping = true;
  process.off('SIGHUP', onHup);
  const exits = Object.values(cluster.workers ?? {}).map(
    (w) => new Promise<void>((resolve) => {
      if (w === undefined || w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    }),
  );
  await Promise.all(exits);
  if (outcome !== null) throw new CliInputError(outcome.message);
  io.stdout.write('h2kit serve: stopped\n');
  return 0;
}
