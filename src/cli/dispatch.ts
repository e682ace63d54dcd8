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
 * feeding us a broken file needs the problem named, not our call stack.
 */
import { H2Error } from '../errors.js';
import { type CliCommand, type CliIO, CliUsageError } from './command.js';
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
    `Run "h2kit <command> --help" for a command's options.\n`;
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
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`h2kit: unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // node:util parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code.
    const argsCode = (err as { code?: unknown }).code;
    if (err instanceof CliUsageError || (typeof argsCode === 'string' && argsCode.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`h2kit ${command.name}: ${oneLine(message)} (see "h2kit ${command.name} --help")\n`);
      return 2;
    }
    if (err instanceof H2Error) {
      io.stderr.write(`h2kit ${command.name}: ${oneLine(message)}\n`);
      return 1;
    }
    io.stderr.write(`h2kit ${command.name}: internal error: ${oneLine(message)}\n`);
    return 1;
  }
}

