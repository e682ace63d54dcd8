/**
 * `h2kit inflatehd [FILE]`: decode a story's header blocks, in the spirit of nghttp2's inflatehd.
 *
 * Reads a story (hpack-test-case JSON) from FILE or stdin, decodes every case's `wire` with one
 * HDInflater (one connection's worth of context) and writes the story with `headers` set to what
 * was decoded (keeping `seqno`, `wire` and `header_table_size`). A case's `header_table_size` is
 * the SETTINGS_HEADER_TABLE_SIZE we advertise from that case on: the inflater's maximum changes
 * before that case. Names and values are written as UTF-8 text.
 */
import { DEFAULT_HEADER_TABLE_SIZE, HDInflater } from 'h2kit/hpack';
import { type CliCommand, type CliIO, parseCommandLine, helpOrExtraFiles, parseSize } from './command.js';
import { type StoryCase, type StoryCaseJson, StoryCaseError, StoryFormatError, TableSizeInForce, recodeStory, tableDumper } from './story.js';

export interface InflateStoryOptions {
  /** SETTINGS_HEADER_TABLE_SIZE in force before the first case (default 4096). */
  tableSize?: number;
  /** The inflater's bound on one decoded header list (name + value + 32 per field). */
  maxHeaderListSize?: number;
  /** Names the input in error messages. */
  source?: string;
  /** Called after each case with the inflater, e.g. to dump its table. */
  afterCase?: (seqno: number, inflater: HDInflater) => void;
}

/** Decodes every case of a story with one inflater; returns the cases with `headers` set. */
export function inflateStory(cases: readonly StoryCase[], options: InflateStoryOptions = {}): StoryCaseJson[] {
  const source = options.source ?? 'story';
  const inflater = new HDInflater(
    options.maxHeaderListSize === undefined ? undefined : { maxHeaderListSize: options.maxHeaderListSize },
  );
  const tableSize = new TableSizeInForce(inflater, options.tableSize);
  const out: StoryCaseJson[] = [];
  for (const c of cases) {
    if (c.wire === undefined) {
      throw new StoryFormatError(`${source}: seqno ${c.seqno}: no "wire" to decode`, 'story_bad_shape');
    }
    tableSize.change(c.headerTableSize);
    let fields: Array<[Buffer, Buffer]>;
    try {
      fields = inflater.inflate(c.wire);
    } catch (err) {
      throw new StoryCaseError(source, c.seqno, err);
    }
    const headers: Array<Record<string, string>> = [];
    for (const [name, value] of fields) {
      const field = Object.create(null) as Record<string, string>;
      field[name.toString('utf8')] = value.toString('utf8');
      headers.push(field);
    }
    const decoded: StoryCaseJson = { seqno: c.seqno, wire: c.wire.toString('hex'), headers };
    if (c.headerTableSize !== undefined) decoded.header_table_size = c.headerTableSize;
    out.push(decoded);
    options.afterCase?.(c.seqno, inflater);
  }
  return out;
}

const usage = `Usage: h2kit inflatehd [OPTIONS] [FILE]

Decodes the header blocks ("wire", hex) of an HPACK story (hpack-test-case JSON) read from
FILE, or stdin when FILE is absent or "-", and writes the story with the decoded "headers".
All cases share one decompression context; a case's "header_table_size" changes the
table size the decoder allows before that case.

Options:
  -s, --table-size N             SETTINGS_HEADER_TABLE_SIZE in force at the start (default ${DEFAULT_HEADER_TABLE_SIZE})
  -m, --max-header-list-size N   reject a block whose header list is larger (default 65536)
  -d, --dump-header-table        print the dynamic table after each case on stderr
  -h, --help                     show this help
`;

export const inflatehd: CliCommand = {
  name: 'inflatehd',
  summary: 'decode an HPACK story (hpack-test-case JSON): set "headers" from each "wire"',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {
      'table-size': { type: 'string', short: 's' },
      'max-header-list-size': { type: 'string', short: 'm' },
      'dump-header-table': { type: 'boolean', short: 'd' },
      help: { type: 'boolean', short: 'h' },
    });
    const done = helpOrExtraFiles('inflatehd', usage, values.help, positionals, io);
    if (done !== null) return done;
    const options: InflateStoryOptions = {};
    if (values['table-size'] !== undefined) options.tableSize = parseSize(values['table-size'], '--table-size');
    if (values['max-header-list-size'] !== undefined) {
      options.maxHeaderListSize = parseSize(values['max-header-list-size'], '--max-header-list-size');
    }
    if (values['dump-header-table']) options.afterCase = tableDumper(io, 'inflater');
    return recodeStory(positionals[0], io, (cases, source) => inflateStory(cases, { ...options, source }));
  },
};
