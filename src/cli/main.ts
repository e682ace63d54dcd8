#!/usr/bin/env node
/**
 * The `h2kit` executable (package.json `bin`). The dispatcher and the commands are in
 * `dispatch.ts` and one file per command; this file only wires them to the process.
 */
import type { CliIO } from './command.js';
import { runCli } from './dispatch.js';

/**
 * A reader that goes away early (`h2kit get URL | head`, `h2kit inflatehd x.json | head`) ends
 * the command quietly: no error text, no further summary, and exit status 141 (128 + SIGPIPE),
 * what the shell reports for `cat`, `yes` or git in the same place: a truncated output is not
 * success (0 would say the whole body was written), nor a failed request (1). Node ignores
 * SIGPIPE, so the write fails with EPIPE and we exit with the number the signal would have given.
 */
const EXIT_PIPE_CLOSED = 141;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_PIPE_CLOSED);
  process.stderr.write(`h2kit: cannot write output: ${err.message}\n`);
  process.exit(1);
});
process.stderr.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? EXIT_PIPE_CLOSED : 1));
const io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
// exitCode, not exit(): a large stdout write to a pipe must drain before the process ends.
process.exitCode = await runCli(process.argv.slice(2), io);
