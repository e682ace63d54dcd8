#!/usr/bin/env node
/**
 * The `h2kit` executable (package.json `bin`). The dispatcher and the commands are in
 * `dispatch.ts` and one file per command; this file only wires them to the process.
 */
import type { CliIO } from './command.js';
import { runCli } from './dispatch.js';

// A closed pipe downstream (`h2kit inflatehd x.json | head`) is not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') process.stderr.write(`h2kit: cannot write output: ${err.message}\n`);
  process.exit(err.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
});
const io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
// exitCode, not exit(): a large stdout write to a pipe must drain before the process ends.
process.exitCode = await runCli(process.argv.slice(2), io);
