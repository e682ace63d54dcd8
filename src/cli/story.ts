/**
 * The hpack-test-case story format (https://github.com/http2jp/hpack-test-case), as read and
 * written by `h2kit deflatehd` / `h2kit inflatehd`.
 *
 * A story is one compression context: its `cases` are header blocks sent in order on one
 * connection. A case has `seqno`, `headers` (an array of one-key objects, order and duplicates
 * significant), `wire` (hex of the encoded block; absent in raw-data stories) and, where the
 * peer's SETTINGS_HEADER_TABLE_SIZE was changed, `header_table_size` (4096 when absent; some
 * encoders write `null` for "unchanged", which we read the same way).
 *
 * Parsing validates the whole shape up front, so the commands fail with one line naming the
 * case and the field rather than halfway through their output.
 */
import { H2Error, UsageError } from 'h2kit';
import { DEFAULT_HEADER_TABLE_SIZE, printHdTable, type HDTableEntry } from 'h2kit/hpack';
import { type CliIO, readInput } from './command.js';

/** A story file as JSON: `cases` plus whatever else the producer wrote (`description`, `context`). */
export interface StoryJson {
  cases: StoryCaseJson[];
  description?: string;
  context?: string;
  [key: string]: unknown;
}

/** One case as JSON. */
export interface StoryCaseJson {
  seqno: number;
  wire?: string;
  headers?: Array<Record<string, string>>;
  header_table_size?: number | null;
  [key: string]: unknown;
}

/** One case, checked and converted: headers as pairs, wire as bytes. */
export interface StoryCase {
  seqno: number;
  /** Header fields in order, as `[name, value]` (text, UTF-8 on the wire). */
  headers: Array<[string, string]> | undefined;
  /** The encoded header block, when the story has one. */
  wire: Buffer | undefined;
  /** The SETTINGS_HEADER_TABLE_SIZE in force for this case, when the story states it. */
  headerTableSize: number | undefined;
}

/** A story whose JSON or shape is not what the format says. */
export class StoryFormatError extends UsageError {}

/** The largest SETTINGS_HEADER_TABLE_SIZE: a 32-bit setting value (RFC 9113 section 6.5.1). */
const MAX_SETTING_VALUE = 0xffffffff;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Parses and checks a story. `source` names the input in messages (a file name or `stdin`).
 * Throws `StoryFormatError` naming the first problem.
 */
export function parseStory(text: string, source: string): { json: StoryJson; cases: StoryCase[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new StoryFormatError(`${source}: not valid JSON: ${why}`, 'story_bad_json');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new StoryFormatError(`${source}: a story must be a JSON object with "cases"`, 'story_bad_shape');
  }
  const story = json as Record<string, unknown>;
  if (!Array.isArray(story.cases)) {
    throw new StoryFormatError(`${source}: "cases" must be an array`, 'story_bad_shape');
  }
  const cases = story.cases.map((c: unknown, i: number) => checkCase(c, i, source));
  return { json: story as StoryJson, cases };
}

function checkCase(raw: unknown, position: number, source: string): StoryCase {
  const where = `${source}: cases[${position}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StoryFormatError(`${where} must be an object`, 'story_bad_shape');
  }
  const c = raw as Record<string, unknown>;
  const seqno = c.seqno === undefined ? position : c.seqno;
  if (typeof seqno !== 'number' || !Number.isInteger(seqno) || seqno < 0) {
    throw new StoryFormatError(`${where}: "seqno" must be a non-negative integer, got ${JSON.stringify(c.seqno)}`, 'story_bad_shape');
  }
  const label = `${source}: seqno ${seqno}`;

  let headers: Array<[string, string]> | undefined;
  if (c.headers !== undefined) {
    if (!Array.isArray(c.headers)) {
      throw new StoryFormatError(`${label}: "headers" must be an array`, 'story_bad_shape');
    }
    headers = c.headers.map((h: unknown, j: number) => checkHeader(h, `${label}: headers[${j}]`));
  }

  let wire: Buffer | undefined;
  if (c.wire !== undefined) {
    if (typeof c.wire !== 'string') {
      throw new StoryFormatError(`${label}: "wire" must be a hex string`, 'story_bad_shape');
    }
    if (!HEX.test(c.wire)) {
      // Buffer.from(hex) would silently stop at the first bad digit; name the problem instead.
      const bad = c.wire.search(/[^0-9a-fA-F]/);
      const detail = bad >= 0
        ? `bad hex digit ${JSON.stringify(c.wire[bad])} at offset ${bad}`
        : `odd number of hex digits (${c.wire.length})`;
      throw new StoryFormatError(`${label}: "wire" is not hex: ${detail}`, 'story_bad_hex');
    }
    wire = Buffer.from(c.wire, 'hex');
  }

  let headerTableSize: number | undefined;
  const hts = c.header_table_size;
  if (hts !== undefined && hts !== null) {
    if (typeof hts !== 'number' || !Number.isInteger(hts) || hts < 0 || hts > MAX_SETTING_VALUE) {
      throw new StoryFormatError(
        `${label}: "header_table_size" must be an integer from 0 to ${MAX_SETTING_VALUE}, got ${JSON.stringify(hts)}`,
        'story_bad_shape',
      );
    }
    headerTableSize = hts;
  }
  return { seqno, headers, wire, headerTableSize };
}

function checkHeader(raw: unknown, where: string): [string, string] {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const keys = Object.keys(raw);
    if (keys.length === 1) {
      const name = keys[0]!;
      const value = (raw as Record<string, unknown>)[name];
      if (typeof value === 'string') return [name, value];
    }
  }
  throw new StoryFormatError(`${where} must be an object with one string-valued key, like {"name": "value"}`, 'story_bad_shape');
}

/** Header pairs in the story's JSON form: an array of one-key objects. */
export function headersToJson(headers: Iterable<readonly [string, string]>): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const [name, value] of headers) {
    // A prototype-less object: a header named `__proto__` must stay a plain key.
    const field = Object.create(null) as Record<string, string>;
    field[name] = value;
    out.push(field);
  }
  return out;
}

/** A one-member object with a string value, as JSON.stringify(_, null, 2) lays it out over three lines. */
const HEADER_OBJECT = /\{\n\s+("(?:[^"\\]|\\.)*": "(?:[^"\\]|\\.)*")\n\s+\}/g;

/** Serialises a story indented, one header field a line (`{ "name": "value" }`), one trailing newline. */
export function formatStory(story: StoryJson): string {
  return JSON.stringify(story, null, 2).replace(HEADER_OBJECT, '{ $1 }') + '\n';
}

/**
 * An error met while encoding or decoding one case: the codec's error with the story and
 * seqno in front, keeping its token (and the original, with its RFC code if it had one, as
 * `cause`). Not a protocol error itself: no connection is involved.
 */
export class StoryCaseError extends H2Error {
  readonly seqno: number;

  constructor(source: string, seqno: number, cause: unknown) {
    const inner = cause instanceof H2Error ? cause : undefined;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`${source}: seqno ${seqno}: ${why}`, undefined, inner?.token ?? 'story_case_failed');
    this.seqno = seqno;
    this.cause = cause;
  }
}

/** What deflatehd and inflatehd run a story through: an HDDeflater or an HDInflater. */
export interface StoryCoder {
  changeTableSize(size: number): void;
  getHdTable(): HDTableEntry[];
}

/**
 * The SETTINGS_HEADER_TABLE_SIZE in force while a story's cases go through one coder. Only a
 * real change is passed on: telling a deflater the same size again would make it spend a
 * size-update byte on a block for nothing.
 */
export class TableSizeInForce {
  size = DEFAULT_HEADER_TABLE_SIZE;
  private readonly coder: StoryCoder;

  constructor(coder: StoryCoder, initial: number | undefined) {
    this.coder = coder;
    this.change(initial);
  }

  /** Applies a case's (or the command line's) size, if it states one that differs. */
  change(size: number | undefined): void {
    if (size === undefined || size === this.size) return;
    this.coder.changeTableSize(size);
    this.size = size;
  }
}

/** `--dump-header-table`: after each case, the coder's dynamic table on stderr. */
export function tableDumper(io: CliIO, what: 'deflater' | 'inflater'): (seqno: number, coder: StoryCoder) => void {
  return (seqno, coder) => {
    io.stderr.write(`# seqno ${seqno}: ${what} dynamic table\n`);
    printHdTable(coder.getHdTable(), io.stderr);
  };
}

/**
 * The rest of a story command's run: reads the story from FILE (or stdin), re-codes its cases
 * and writes it back with the producer's other fields kept (`description` replaced when given).
 */
export async function recodeStory(
  file: string | undefined,
  io: CliIO,
  recode: (cases: readonly StoryCase[], source: string) => StoryCaseJson[],
  description?: string,
): Promise<number> {
  const { text, source } = await readInput(file, io);
  const { json, cases } = parseStory(text, source);
  const story: StoryJson = { ...json, cases: recode(cases, source) };
  if (description !== undefined) story.description = description;
  io.stdout.write(formatStory(story));
  return 0;
}
