/**
 * Ports on loopback: a free one (for a config file, or a program that takes a fixed port), and waiting until one answers.
 */
import net from 'node:net';

/**
 * A port nobody listens on right now (the kernel picks it for a listener we close at once).
 * For programs that need a port number in their config file (haproxy, nginx); h2kit itself
 * takes `--port 0` and prints the one it got.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the kernel'))));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** One TCP connect attempt: true if something accepted it. */
function tryConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1000);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  /** Overall limit, ms (default 15000). */
  timeoutMs?: number;
  /** Stop early (with this error) when it returns one: e.g. the process that should listen exited. */
  abort?: () => Error | undefined;
}

/**
 * Resolves once a TCP connection to host:port is accepted; retries a refused connect every
 * 20 ms, rejects after `timeoutMs` or as soon as `abort()` returns an error.
 */
export async function waitForPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  const { host = '127.0.0.1', timeoutMs = 15_000, abort } = options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const reason = abort?.();
    if (reason !== undefined) throw reason;
    if (await tryConnect(port, host)) return;
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
