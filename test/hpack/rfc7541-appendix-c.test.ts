/**
 * RFC 7541 Appendix C, byte for byte, read from the RFC's own XML: for every example, the
 * header list, the hex dump and the dynamic table after it. Each example is encoded (with the
 * representation choices the RFC made) and decoded, and both sides' tables are compared with
 * the RFC's after every step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RFC_DIR, SHARED_SKIP } from '../helpers/paths.js';
import { HDDeflater, HDInflater, decodeInteger, encodeInteger, type DeflaterOptions, type HDTableEntry } from '../../src/hpack/index.js';

interface Example {
  title: string;
  headers: Array<[string, string]>;
  hex: string;
  /** `[size, "name: value"]`, newest first. */
  table: Array<[number, string]>;
  tableSize: number;
}

// The examples come from the RFC's own XML (../shared); without it those tests are skipped.
const xml = SHARED_SKIP === false ? readFileSync(join(RFC_DIR, 'rfc7541-hpack.xml'), 'utf8') : '';
const skip = SHARED_SKIP;

function sectionBody(anchor: string): string {
  const start = xml.indexOf(`<section anchor="${anchor}">`);
  assert.ok(start >= 0, `RFC section ${anchor} not found`);
  // The examples' subsections hold no nested sections: the group ends at the first
  // "</section>" that closes the anchor's own section (two in a row).
  const end = xml.indexOf('</section>\n      </section>', start);
  return xml.slice(start, end);
}

function parseExamples(anchor: string): Example[] {
  const body = sectionBody(anchor);
  const examples: Example[] = [];
  for (const part of body.split('<section>').slice(1)) {
    const title = /<name>([^<]*)<\/name>/.exec(part)?.[1] ?? '?';
    const artworks = new Map<string, string>();
    for (const m of part.matchAll(/<t[^>]*>([^<]*)<\/t>\s*<artwork[^>]*><!\[CDATA\[([\s\S]*?)\]\]><\/artwork>/g)) {
      artworks.set(m[1].trim().toLowerCase(), m[2]);
    }
    const list = artworks.get('header list to encode:');
    const dump = artworks.get('hex dump of encoded data:');
    assert.ok(list !== undefined && dump !== undefined, `example ${title}: header list or hex dump missing`);
    const headers = list
      .trim()
      .split('\n')
      .map((line): [string, string] => {
        const m = /^(:?[^:]+): (.*)$/.exec(line);
        assert.ok(m, `example ${title}: unreadable header line ${line}`);
        return [m[1], m[2]];
      });
    const hex = dump
      .trim()
      .split('\n')
      .map((line) => line.split('|')[0].replace(/\s+/g, ''))
      .join('');
    const table: Array<[number, string]> = [];
    let tableSize = 0;
    const tableText = artworks.get('dynamic table (after decoding):');
    if (tableText === undefined) {
      assert.match(part, /Dynamic table \(after decoding\): empty\./, `example ${title}: no table`);
    } else {
      for (const line of tableText.trim().split('\n')) {
        const entry = /^\[\s*\d+\] \(s =\s*(\d+)\) (.*)$/.exec(line);
        const size = /Table size:\s*(\d+)/.exec(line);
        if (entry) table.push([Number(entry[1]), entry[2].trim()]);
        else if (size) tableSize = Number(size[1]);
        else table[table.length - 1][1] += ' ' + line.trim(); // a long entry wrapped onto the next line
      }
    }
    examples.push({ title, headers, hex, table, tableSize });
  }
  return examples;
}

function render(table: HDTableEntry[]): Array<[number, string]> {
  return table.map((e) => [e.size, `${e.name.toString('latin1')}: ${e.value.toString('latin1')}`]);
}

function totalSize(table: HDTableEntry[]): number {
  return table.reduce((sum, e) => sum + e.size, 0);
}

const c2 = skip === false ? parseExamples('header.field.representation.examples') : [];
const c3 = skip === false ? parseExamples('request.examples.without.huffman.coding') : [];
const c4 = skip === false ? parseExamples('request.examples.with.huffman.coding') : [];
const c5 = skip === false ? parseExamples('response.examples.without.huffman.coding') : [];
const c6 = skip === false ? parseExamples('response.examples.with.huffman.coding') : [];

test('the RFC XML yields every Appendix C example', { skip }, () => {
  assert.deepEqual(
    [c2.length, c3.length, c4.length, c5.length, c6.length],
    [4, 3, 3, 3, 3],
  );
  assert.equal(c2[0].hex, '400a637573746f6d2d6b65790d637573746f6d2d686561646572');
  assert.deepEqual(c5[2].table[0], [98, 'set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1']);
});

test('C.1 integer representation examples', () => {
  // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix; C.1.3: 42 at an octet boundary.
  assert.equal(encodeInteger(10, 5).toString('hex'), '0a');
  assert.equal(encodeInteger(1337, 5).toString('hex'), '1f9a0a');
  assert.equal(encodeInteger(42, 8).toString('hex'), '2a');
  assert.deepEqual(decodeInteger(Buffer.from('0a', 'hex'), 5), { value: 10, length: 1 });
  assert.deepEqual(decodeInteger(Buffer.from('1f9a0a', 'hex'), 5), { value: 1337, length: 3 });
  assert.deepEqual(decodeInteger(Buffer.from('2a', 'hex'), 8), { value: 42, length: 1 });
  // The prefix's high bits belong to the representation, not the integer.
  assert.deepEqual(decodeInteger(Buffer.from('ea', 'hex'), 5), { value: 10, length: 1 });
});

test('C.2 header field representations: encode and decode each', { skip }, () => {
  const cases: Array<{ options: DeflaterOptions; sensitive?: boolean }> = [
    { options: { huffman: 'never', indexing: 'always' } }, // C.2.1 literal with indexing
    { options: { huffman: 'never', indexing: 'never' } }, // C.2.2 literal without indexing
    { options: { huffman: 'never' }, sensitive: true }, // C.2.3 never indexed
    { options: { huffman: 'never' } }, // C.2.4 indexed (static)
  ];
  c2.forEach((example, i) => {
    const deflater = new HDDeflater(4096, cases[i].options);
    const [name, value] = example.headers[0];
    const block = deflater.deflate([[name, value, { sensitive: cases[i].sensitive === true }]]);
    assert.equal(block.toString('hex'), example.hex, `C.2.${i + 1} ${example.title}: encoding`);
    assert.deepEqual(render(deflater.getHdTable()), example.table, `C.2.${i + 1}: encoder table`);

    const inflater = new HDInflater();
    const decoded = inflater.inflate(Buffer.from(example.hex, 'hex'));
    assert.deepEqual(decoded.map(([n, v]) => [n.toString(), v.toString()]), example.headers, `C.2.${i + 1}: decoding`);
    assert.deepEqual(render(inflater.getHdTable()), example.table, `C.2.${i + 1}: decoder table`);
    assert.equal(totalSize(inflater.getHdTable()), example.tableSize);
  });
});

/** A sequence of examples on one connection: every block encodes to the RFC's bytes and back. */
function runSequence(label: string, examples: Example[], tableSize: number, options: DeflaterOptions): void {
  const deflater = new HDDeflater(4096, options);
  const inflater = new HDInflater({ maxTableSize: tableSize });
  // The RFC's responses assume SETTINGS_HEADER_TABLE_SIZE was 256 from the start; our
  // deflater learns it through changeTableSize and so opens its first block with the size
  // update RFC 7541 section 4.2 requires (0x3fe101 = update to 256), then the RFC's bytes.
  let prefix = '';
  if (tableSize !== 4096) {
    deflater.changeTableSize(tableSize);
    prefix = encodeInteger(tableSize, 5, 0x20).toString('hex');
  }
  examples.forEach((example, i) => {
    const block = deflater.deflate(example.headers);
    assert.equal(block.toString('hex'), (i === 0 ? prefix : '') + example.hex, `${label}.${i + 1} ${example.title}: encoding`);
    assert.deepEqual(render(deflater.getHdTable()), example.table, `${label}.${i + 1}: encoder table`);

    const decoded = inflater.inflate(Buffer.from(example.hex, 'hex'));
    assert.deepEqual(decoded.map(([n, v]) => [n.toString(), v.toString()]), example.headers, `${label}.${i + 1}: decoding`);
    assert.deepEqual(render(inflater.getHdTable()), example.table, `${label}.${i + 1}: decoder table`);
    assert.equal(totalSize(inflater.getHdTable()), example.tableSize, `${label}.${i + 1}: table size`);
    assert.equal(inflater.tableSize, example.tableSize);
  });
}

test('C.3 requests without Huffman coding', { skip }, () => {
  runSequence('C.3', c3, 4096, { huffman: 'never', indexing: 'always' });
});

test('C.4 requests with Huffman coding', { skip }, () => {
  runSequence('C.4', c4, 4096, { huffman: 'always', indexing: 'always' });
});

test('C.5 responses without Huffman coding, table size 256 with evictions', { skip }, () => {
  runSequence('C.5', c5, 256, { huffman: 'never', indexing: 'always' });
});

test('C.6 responses with Huffman coding, table size 256 with evictions', { skip }, () => {
  // The RFC Huffman-codes every string, even "307" where that is no shorter (3 octets either way).
  runSequence('C.6', c6, 256, { huffman: 'always', indexing: 'always' });
});

test('the default deflater decodes back to the C.3 to C.6 header lists', { skip }, () => {
  for (const examples of [c3, c5]) {
    const deflater = new HDDeflater();
    const inflater = new HDInflater();
    for (const example of examples) {
      const decoded = inflater.inflate(deflater.deflate(example.headers));
      assert.deepEqual(decoded.map(([n, v]) => [n.toString(), v.toString()]), example.headers);
    }
  }
});
