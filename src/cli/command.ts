/**
 * What a `h2kit` subcommand is. `main.ts` dispatches on the first argument; each command lives
 * in its own file and gets its streams passed in (not `process.*` directly) so tests can run it
 * in-process; every command (`deflatehd`, `inflatehd`, `serve`, `get`) is one such object.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** The streams a command reads and writes. */
export interface CliIO {
  stdin: AsyncIterable<Buffer | string>;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export interface CliCommand {
  /** The subcommand word, e.g. `deflatehd`. */
  name: string;
  /** One line for `h2kit --help`. */
  summary: string;
  /** The full `--help` text. */
  usage: string;
  /** Runs the command; resolves to the process exit code. Throws H2Error subclasses for bad input. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Bad command-line arguments (unknown option, missing value); `main` exits 2 for these. */
export class CliUsageError extends UsageError {
  constructor(message: string) {
    super(message, 'cli_usage');
  }
}

/** Input that cannot be read (missing file, unreadable stdin). */
export class CliInputError extends UsageError {
  constructor(message: string) {
    super(message, 'cli_input');
  }
}

/** Reads FILE, or stdin when FILE is absent or `-`, as UTF-8 text. Returns the text and a name for messages. */
export async function readInput(file: string | undefined, io: CliIO): Promise<{ text: string; source: string }> {
  if (file === undefined || file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
  }
  try {
    return { text: await readFile(file, 'utf8'), source: file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
    throw new CliInputError(`cannot read ${file}: ${why}`);
  }
}

/** Parses a non-negative integer option value, naming the option when it is not one. */
export function parseSize(value: string, option: string, max = 0xffffffff): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new CliUsageError(`${option} expects an integer from 0 to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/**
 * The start every FILE-reading command shares: `--help` prints `usage` (exit 0), more than one
 * FILE is refused (exit 2). Returns the exit code when the command is done, else null.
 */
export function helpOrExtraFiles(command: string, usage: string, help: boolean | undefined, positionals: readonly string[], io: CliIO): number | null {
  if (help === true) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1) {
    io.stderr.write(`h2kit ${command}: one FILE at most, got ${positionals.length}\n`);
    return 2;
  }
  return null;
}
