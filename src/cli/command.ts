/**
 * What a `h2kit` subcommand is. `main.ts` dispatches on the first argument; each command lives
 * in its own file and gets its streams passed in (not `process.*` directly) so tests can run it
 * in-process; every command (`deflatehd`, `inflatehd`, `serve`, `get`) is one such object.
 */
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from 'h2kit';

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

/**
 * Input that cannot be read (missing file, unreadable stdin). Exit 1 unless `exitCode` says
 * otherwise: a file named by an option (`get -d FILE`) is part of the command line, exit 2.
 */
export class CliInputError extends UsageError {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message, 'cli_input');
    this.exitCode = exitCode;
  }
}

/** A file system error code in words, for "cannot read FILE: <why>" lines. */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    default:
      return code ?? String(err);
  }
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** A value that is a negative number (`--port -1`): a value, not an option, so the range check names it. */
const NEGATIVE_NUMBER = /^-\d/;

/**
 * node:util parseArgs with h2kit's own error lines. parseArgs's strict messages are written for
 * programmers (`Unknown option '--x'. To specify a positional argument starting with a '-',
 * place it at the end ... '-- "--x"`, with unbalanced quotes) and it refuses `--port -1` as
 * "ambiguous". So the arguments are read first without strictness, as tokens, and every problem
 * is a CliUsageError in our words (the dispatcher adds `h2kit CMD:` and the pointer to --help,
 * exit 2): `unknown option --x`, `--port needs a value`, `--verbose takes no value`,
 * `unexpected argument "x"`. A negative number after an option is its value (`--port -1` is
 * `--port=-1`), for the option's own range check to refuse. Then the tokens, rewritten as
 * `--name=value`, go through strict parseArgs for the typed result.
 */
export function parseCommandLine<const O extends OptionSpecs>(args: string[], options: O, allowPositionals = true): Parsed<O> {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  const normal: string[] = [];
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!allowPositionals) throw new CliUsageError(`unexpected argument ${JSON.stringify(token.value)}`);
      positionals.push(token.value);
      continue;
    }
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) throw new CliUsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new CliUsageError(`${token.rawName} takes no value, got ${JSON.stringify(token.value)}`);
      normal.push(`--${token.name}`);
      continue;
    }
    // `--port --host x`: the next option is not --port's value (write --port=--host if it is).
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.length > 1 && value.startsWith('-') && !NEGATIVE_NUMBER.test(value))) {
      throw new CliUsageError(`${token.rawName} needs a value`);
    }
    normal.push(`--${token.name}=${value}`);
  }
  try {
    return parseArgs({ args: [...normal, '--', ...positionals], options, allowPositionals: true, strict: true }) as Parsed<O>;
  } catch (err) {
    throw usageErrorOf(err) ?? err;
  }
}

/**
 * node:util parseArgs's errors (ERR_PARSE_ARGS_*) in our words, or null for any other error.
 * parseCommandLine finds these problems itself; this is the net under it (and under any
 * command that calls parseArgs directly), so no raw parseArgs message reaches a user.
 */
export function usageErrorOf(err: unknown): CliUsageError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return null;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new CliUsageError(quoted !== undefined ? `unknown option ${quoted}` : 'unknown option');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new CliUsageError(quoted !== undefined ? `unexpected argument ${JSON.stringify(quoted)}` : 'unexpected argument');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '-p, --port <value>' argument missing", "Option '--port' argument is ambiguous", ...
      const option = quoted?.split(/[ ,]+/).find((part) => part.startsWith('--')) ?? quoted ?? 'an option';
      return new CliUsageError(/does not take/.test(message) ? `${option} takes no value` : `${option} needs a value`);
    }
    default:
      return new CliUsageError(`bad command line (${code})`);
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
    throw new CliInputError(`cannot read ${file}: ${fileProblem(err)}`);
  }
}

/** Parses a port option value (0 to 65535), naming the option when it is not one. */
export function parsePort(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new CliUsageError(`${option} must be a port number 0-65535, got ${/^\S+$/.test(value) ? value : JSON.stringify(value)}`);
  return Number(value);
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
