/**
 * Child processes for the deploy tests (proxies, h2kit backends): started, waited on until
 * ready (a line of output or a port answering), and always stopped.
 *
 * Each child leads its own process group, and stopping it signals the group: nginx's workers
 * and `h2kit serve --workers N`'s cluster workers go with their master. `stop()` sends SIGTERM,
 * then SIGKILL if the group has not gone within the grace period. Every child still running
 * when this test process exits (a failed assertion, a timeout) is SIGKILLed by an 'exit'
 * handler, on top of the `t.after(() => p.stop())` each test registers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { waitForPort } from '../../helpers/ports.js';

export interface StartProcessOptions {
  /** Ready once a line of stdout or stderr matches (the match is kept in `ready`). */
  readyLine?: RegExp;
  /** Ready once a TCP connect to this port (on `host`) is accepted. Both may be given: both are awaited. */
  port?: number;
  host?: string;
  /** Limit for getting ready, ms (default 20000). */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** For messages (default: the command's base name). */
  name?: string;
  /** Between SIGTERM and SIGKILL in stop(), ms (default 5000). */
  graceMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** What matched `readyLine` (undefined without one). */
  ready: RegExpExecArray | undefined;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is read. */
  exited: Promise<ExitStatus>;
  /** True once it exited. */
  hasExited(): boolean;
  /** Resolves with the first match of `re` in stdout+stderr (already printed, or to come); rejects on exit or timeout. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM to the group, SIGKILL after the grace period; resolves with the exit status (idempotent). */
  stop(): Promise<ExitStatus>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already; fall back on the process itself
    try {
      child.kill(signal);
    } catch {
      // gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killGroup(child, 'SIGKILL');
  });
}

function describe(p: { name: string; stdout(): string; stderr(): string }): string {
  const tail = (s: string): string => (s.length > 3000 ? '...' + s.slice(-3000) : s);
  return `${p.name} stdout: ${tail(p.stdout())}\n${p.name} stderr: ${tail(p.stderr())}`;
}

/** Spawns `cmd args` and resolves once it is ready (see StartProcessOptions); rejects, with its output, if it exits first or times out. */
export async function startProcess(cmd: string, args: string[], options: StartProcessOptions = {}): Promise<ManagedProcess> {
  const { readyLine, port, host = '127.0.0.1', timeoutMs = 20_000, cwd, env, graceMs = 5000 } = options;
  const name = options.name ?? cmd.split('/').pop() ?? cmd;
  installExitHook();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd, env });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    notify();
  });
  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (e) => {
      err += `\nspawn error: ${e.message}`;
      // 'close' follows 'error' when the spawn itself failed
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      exitStatus = { code, signal };
      notify();
      resolve(exitStatus);
    });
  });

  let stopping: Promise<ExitStatus> | undefined;
  const proc: ManagedProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    ready: undefined,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => exitStatus !== undefined,
    waitForLine(re: RegExp, lineTimeoutMs = timeoutMs): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out) ?? re.exec(err);
          if (m !== null) {
            finish();
            resolve(m);
          } else if (exitStatus !== undefined) {
            finish();
            reject(new Error(`${name} exited (${exitStatus.code ?? exitStatus.signal}) before printing ${re}\n${describe(proc)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${name} printed nothing matching ${re} within ${lineTimeoutMs} ms\n${describe(proc)}`));
        }, lineTimeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    stop(): Promise<ExitStatus> {
      if (stopping !== undefined) return stopping;
      stopping = (async () => {
        if (exitStatus !== undefined) return exitStatus;
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        const status = await exited;
        clearTimeout(timer);
        // workers of a master that exited on SIGTERM are gone with it; make sure of stragglers
        killGroup(child, 'SIGKILL');
        return status;
      })();
      return stopping;
    },
  };

  try {
    if (readyLine !== undefined) proc.ready = await proc.waitForLine(readyLine, timeoutMs);
    if (port !== undefined) {
      await waitForPort(port, {
        host,
        timeoutMs,
        abort: () => (exitStatus === undefined ? undefined : new Error(`${name} exited (${exitStatus.code ?? exitStatus.signal}) before listening on ${host}:${port}\n${describe(proc)}`)),
      });
    }
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}

/** Runs `cmd args` to completion (SIGKILL after `timeoutMs`): exit code and output. */
export function runToExit(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.once('error', (e) => (stderr += `\nspawn error: ${e.message}`));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
