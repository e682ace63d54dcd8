/**
 * The `h2kit` command line: a small dispatcher over subcommands, one file each in this folder.
 * `main.ts` is the executable that calls `runCli` with the process's arguments and streams;
 * tests call `runCli` in-process with their own.
 *
 *   h2kit deflatehd [FILE]   encode an HPACK story (hpack-test-case JSON)
 *   h2kit inflatehd [FILE]   decode one
 *   h2kit serve DIR          serve a folder over HTTP/2 (TLS or h2c), with push
 *   h2kit get URL...         fetch URLs over HTTP/2
 *
 * Failures print one line on stderr (`h2kit <command>: <what was wrong>`) and exit non-zero:
 * 2 for a bad command line, 1 for bad input or a decoding error. No stack traces: a user
 * feeding us a broken file needs the problem named, not our call stack. `h2kit --version`
 * (`-V`) prints the version of the package this file belongs to.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { H2Error } from 'h2kit';
import { type CliCommand, type CliIO, CliInputError, CliUsageError, usageErrorOf } from './command.js';
import { deflatehd } from './deflatehd.js';
import { inflatehd } from './inflatehd.js';
import { serve } from './serve.js';
import { get } from './get.js';

/** Every subcommand, in the order `--help` lists them. A new command registers here. */
export const commands: readonly CliCommand[] = [deflatehd, inflatehd, serve, get];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: h2kit <command> [OPTIONS] [ARGS]\n\nCommands:\n${lines.join('\n')}\n\n` +
    `Run "h2kit <command> --help" for a command's options, "h2kit --version" for the version.\n` +
    `Exit status: 0 done, 1 failed (bad input, a failed request), 2 bad command line, ` +
    `141 output closed early (a pipe into head).\n`;
}

/**
 * The version in the package.json nearest above this module, read when asked: the same file
 * works from a clone (dist/src/cli/ under the repo) and from the installed package
 * (node_modules/h2kit/dist/src/cli/), whatever the layout above it.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (true) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** One line, whatever the message holds: a multi-line message would read as several errors. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs `h2kit` with `argv` (without the node and script paths); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`h2kit ${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`h2kit: unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // node:util parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code:
    // put in our words (parseCommandLine does so already; this catches any that slip past).
    const usage = err instanceof CliUsageError ? err : usageErrorOf(err);
    if (usage !== null) {
      io.stderr.write(`h2kit ${command.name}: ${oneLine(usage.message)} (see "h2kit ${command.name} --help")\n`);
      return 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof H2Error) {
      io.stderr.write(`h2kit ${command.name}: ${oneLine(message)}\n`);
      return err instanceof CliInputError ? err.exitCode : 1;
    }
    io.stderr.write(`h2kit ${command.name}: internal error: ${oneLine(message)}\n`);
    return 1;
  }
}

