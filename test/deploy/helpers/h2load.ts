/**
 * h2load (nghttp2's load generator): run it, and read its summary.
 *
 *   requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout
 *   status codes: 20000 2xx, 0 3xx, 0 4xx, 0 5xx
 */
import { findCommand } from './tools.js';
import { runToExit } from './process.js';

export interface H2loadResult {
  total: number;
  started: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** h2load's exit code. */
  code: number | null;
  /** Everything it printed (stdout then stderr). */
  output: string;
  /** The summary lines (finished in, requests, status codes, traffic, ...), for the test log. */
  summary: string[];
}

/** Reads h2load's summary; throws (with the output) when the two counting lines are missing. */
export function parseH2loadOutput(output: string): Omit<H2loadResult, 'code' | 'output'> {
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
  if (req === null || status === null) throw new Error(`h2load printed no summary:\n${output.slice(-3000)}`);
  const n = (s: string | undefined): number => Number(s);
  const summary = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(finished in|requests:|status codes:|traffic:|time for request:|req\/s|Application protocol:)/.test(l));
  return {
    total: n(req[1]), started: n(req[2]), done: n(req[3]), succeeded: n(req[4]), failed: n(req[5]), errored: n(req[6]), timeout: n(req[7]),
    status2xx: n(status[1]), status3xx: n(status[2]), status4xx: n(status[3]), status5xx: n(status[4]),
    summary,
  };
}

/** Runs `h2load ARGS` (killed after `timeoutMs`) and parses its summary; throws if h2load is missing or printed none. */
export async function runH2load(args: string[], timeoutMs = 120_000): Promise<H2loadResult> {
  const h2load = findCommand('h2load');
  if (h2load === undefined) throw new Error('h2load not installed: apt-get install nghttp2-client');
  const { code, stdout, stderr } = await runToExit(h2load, args, timeoutMs);
  const output = stdout + stderr;
  return { ...parseH2loadOutput(output), code, output };
}
