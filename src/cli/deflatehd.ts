/**
 * `h2kit deflatehd [FILE]`: encode a story's header lists, in the spirit of nghttp2's deflatehd.
 *
 * Reads a story (hpack-test-case JSON) from FILE or stdin and writes it back with `wire` (hex of
 * our encoded header block) on every case. All cases go through one HDDeflater, as the blocks of
 * one connection would. A case's `header_table_size` is the peer's SETTINGS_HEADER_TABLE_SIZE in
 * force from that case on: when it differs from the size in force, the deflater is told before
 * that case, so the block starts with the dynamic table size update(s) RFC 7541 section 4.2 asks for.
 */
import { DEFAULT_HEADER_TABLE_SIZE, DEFLATE_MAX_HEADER_TABLE_SIZE, HDDeflater } from 'h2kit/hpack';
import { type CliCommand, type CliIO, parseCommandLine, helpOrExtraFiles, parseSize } from './command.js';
import {
  type StoryCase,
  type StoryCaseJson,
  StoryCaseError,
  StoryFormatError,
  TableSizeInForce,
  headersToJson,
  recodeStory,
  tableDumper,
} from './story.js';

export interface DeflateStoryOptions {
  /** SETTINGS_HEADER_TABLE_SIZE in force before the first case (default 4096). */
  tableSize?: number;
  /** The deflater's own cap on its table (HDDeflater's hdTableBufsizeMax; default 4096). */
  deflateTableSize?: number;
  /** Never Huffman-code strings (default: Huffman only where it is shorter). */
  noHuffman?: boolean;
  /** Names the input in error messages. */
  source?: string;
  /** Called after each case with the deflater, e.g. to dump its table. */
  afterCase?: (seqno: number, deflater: HDDeflater) => void;
}

/** Encodes every case of a story with one deflater; returns the cases with `wire` added. */
export function deflateStory(cases: readonly StoryCase[], options: DeflateStoryOptions = {}): StoryCaseJson[] {
  const source = options.source ?? 'story';
  const deflater = new HDDeflater(
    options.deflateTableSize ?? DEFLATE_MAX_HEADER_TABLE_SIZE,
    options.noHuffman === true ? { huffman: 'never' } : {},
  );
  const tableSize = new TableSizeInForce(deflater, options.tableSize);
  const out: StoryCaseJson[] = [];
  for (const c of cases) {
    if (c.headers === undefined) {
      throw new StoryFormatError(`${source}: seqno ${c.seqno}: no "headers" to encode`, 'story_bad_shape');
    }
    tableSize.change(c.headerTableSize);
    let wire: Buffer;
    try {
      wire = deflater.deflate(c.headers);
    } catch (err) {
      throw new StoryCaseError(source, c.seqno, err);
    }
    const encoded: StoryCaseJson = { seqno: c.seqno, wire: wire.toString('hex'), headers: headersToJson(c.headers) };
    // State the size whenever it is not the default, so a decoder of our output can follow it.
    if (c.headerTableSize !== undefined || tableSize.size !== DEFAULT_HEADER_TABLE_SIZE) encoded.header_table_size = tableSize.size;
    out.push(encoded);
    options.afterCase?.(c.seqno, deflater);
  }
  return out;
}

const usage = `Usage: h2kit deflatehd [OPTIONS] [FILE]

Encodes the header lists of an HPACK story (hpack-test-case JSON) read from FILE, or stdin
when FILE is absent or "-", and writes the story with "wire" (hex) added to every case.
All cases share one compression context, like the header blocks of one connection; a case's
"header_table_size" changes the table size before that case.

Options:
  -s, --table-size N          SETTINGS_HEADER_TABLE_SIZE in force at the start (default ${DEFAULT_HEADER_TABLE_SIZE})
  -S, --deflate-table-size N  cap the deflater's own table at N bytes (default ${DEFLATE_MAX_HEADER_TABLE_SIZE})
      --no-huffman            send every string as plain octets (no Huffman coding)
  -d, --dump-header-table     print the dynamic table after each case on stderr
  -h, --help                  show this help
`;

export const deflatehd: CliCommand = {
  name: 'deflatehd',
  summary: 'encode an HPACK story (hpack-test-case JSON): add "wire" to each case',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {
      'table-size': { type: 'string', short: 's' },
      'deflate-table-size': { type: 'string', short: 'S' },
      'no-huffman': { type: 'boolean' },
      'dump-header-table': { type: 'boolean', short: 'd' },
      help: { type: 'boolean', short: 'h' },
    });
    const done = helpOrExtraFiles('deflatehd', usage, values.help, positionals, io);
    if (done !== null) return done;
    const options: DeflateStoryOptions = {};
    if (values['table-size'] !== undefined) options.tableSize = parseSize(values['table-size'], '--table-size');
    if (values['deflate-table-size'] !== undefined) {
      options.deflateTableSize = parseSize(values['deflate-table-size'], '--deflate-table-size');
    }
    if (values['no-huffman']) options.noHuffman = true;
    if (values['dump-header-table']) options.afterCase = tableDumper(io, 'deflater');
    return recodeStory(
      positionals[0],
      io,
      (cases, source) => deflateStory(cases, { ...options, source }),
      'Encoded by h2kit deflatehd (RFC 7541 HPACK, one compression context for the whole story).',
    );
  },
};
