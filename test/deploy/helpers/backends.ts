/**
 * h2kit backends: `h2kit serve --no-tls --port 0 --access-log DIR` processes, as an operator
 * would run them behind a load balancer, and the counting of what each one served.
 */
import { CLI_MAIN } from '../../helpers/paths.js';
import { startProcess, type ManagedProcess } from './process.js';

export interface Backend {
  proc: ManagedProcess;
  /** The port it listens on, 127.0.0.1. */
  port: number;
  /** Its access log so far, parsed (one entry per response). */
  accessLog(): AccessLogEntry[];
  stop(): Promise<unknown>;
}

export interface AccessLogEntry {
  /** The peer, `ADDRESS:PORT`: one value per connection the proxy opened. */
  peer: string;
  method: string;
  path: string;
  status: number;
  line: string;
}

// 127.0.0.1:58102 [2026-12-06T19:31:07.839Z] "GET /index.html" 200 1095 h2 stream=1
const ACCESS_LINE = /^(\S+) \[[^\]]*\] "(\S+) (\S+)[^"]*" (\d{3})\b/;

/** The access-log lines of `text` (other lines, such as the start-up banner, are skipped). */
export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const m = ACCESS_LINE.exec(line);
    if (m !== null) entries.push({ peer: m[1]!, method: m[2]!, path: m[3]!, status: Number(m[4]), line });
  }
  return entries;
}

/** Starts `h2kit serve --no-tls --port 0 --access-log ...extraArgs DIR` and resolves once it printed its URL. */
export async function startH2kitBackend(dir: string, extraArgs: string[] = []): Promise<Backend> {
  const proc = await startProcess(process.execPath, [CLI_MAIN, 'serve', '--no-tls', '--port', '0', '--access-log', ...extraArgs, dir], {
    readyLine: /open http:\/\/[^\s/]+:(\d+)\//,
    name: 'h2kit serve',
  });
  return {
    proc,
    port: Number(proc.ready![1]),
    accessLog: () => parseAccessLog(proc.stdout()),
    stop: () => proc.stop(),
  };
}
