/**
 * Runs curl for the framework suites, in a process of its own (forked once by support.ts).
 *
 * Spawning a process blocks the spawner's event loop until the child has exec'd (libuv waits
 * for it), and on a loaded machine that wait reached seconds: the servers under test, in the
 * same event loop as the test, then answered TLS handshakes seconds late, and curl 7.88's h2
 * upload stalled behind them. Spawned from here, only this small process waits.
 *
 * Protocol (IPC): { id, args } in; { id, code, stdout, stderr } out.
 */
import { spawn } from 'node:child_process';

interface Job {
  id: number;
  args: string[];
}

process.on('message', (job: Job) => {
  const child = spawn('curl', job.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.on('error', (err) => process.send?.({ id: job.id, code: null, stdout, stderr: `${stderr}\nspawn: ${err.message}` }));
  child.on('close', (code) => process.send?.({ id: job.id, code, stdout, stderr }));
});
// The test process went away (or closed the channel): nothing more will come.
process.on('disconnect', () => process.exit(0));
