/**
 * HDDeflater and HDInflater through their public API: the seed's behaviour, the encoder's
 * choices (indexing, never-indexed fields, Huffman only when shorter, size updates) and every
 * decoding error token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecodingError, HpackEncodingError, UsageError, ErrorCode } from '../../src/errors.js';
import {
  DEFAULT_HEADER_TABLE_SIZE,
  DEFLATE_MAX_HEADER_TABLE_SIZE,
  HDDeflater,
  HDInflater,
  HeaderListTooLargeError,
  HpackErrorToken,
  encodeInteger,
  huffmanEncodedLength,
  printHdTable,
  type HeaderField,
} from '../../src/hpack/index.js';
import * as h2kit from '../../src/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const strings = (pairs: Array<[Buffer, Buffer]>): Array<[string, string]> => pairs.map(([n, v]) => [n.toString(), v.toString()]);

function decodeError(block: Buffer, token: string, inflater = new HDInflater()): HpackDecodingError {
  let caught: unknown;
  try {
    inflater.inflate(block);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HpackDecodingError, `expected HpackDecodingError ${token}, got ${String(caught)}`);
  assert.equal(caught.token, token, caught.message);
  assert.equal(caught.code, ErrorCode.COMPRESSION_ERROR);
  return caught;
}

test('the seed API is exported from the package root with the seed names', () => {
  assert.equal(h2kit.HDDeflater, HDDeflater);
  assert.equal(h2kit.HDInflater, HDInflater);
  assert.equal(h2kit.printHdTable, printHdTable);
  assert.equal(DEFAULT_HEADER_TABLE_SIZE, 4096);
  assert.equal(DEFLATE_MAX_HEADER_TABLE_SIZE, 4096);
});

test('the seed examples: deflate foo/bar, baz/buz and inflate them back', () => {
  const deflater = new HDDeflater();
  const data = deflater.deflate([
    [Buffer.from('foo'), Buffer.from('bar')],
    [Buffer.from('baz'), Buffer.from('buz')],
  ]);
  const headers = new HDInflater().inflate(data);
  assert.deepEqual(headers, [
    [Buffer.from('foo'), Buffer.from('bar')],
    [Buffer.from('baz'), Buffer.from('buz')],
  ]);
  assert.ok(headers.every(([n, v]) => Buffer.isBuffer(n) && Buffer.isBuffer(v)));
});

test('order and duplicates are kept; strings are UTF-8, bytes are sent as they are', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  const fields: HeaderField[] = [
    ['x-dup', 'one'],
    ['x-dup', 'two'],
    ['x-dup', 'one'],
    ['x-utf8', 'héllo ✓'],
    [new Uint8Array([0x78, 0x2d, 0x62]), new Uint8Array([0, 0xff, 0x80, 0x0a])],
    ['x-empty', ''],
  ];
  const decoded = inflater.inflate(deflater.deflate(fields));
  assert.deepEqual(decoded.slice(0, 4).map(([n, v]) => [n.toString(), v.toString('utf8')]), [
    ['x-dup', 'one'],
    ['x-dup', 'two'],
    ['x-dup', 'one'],
    ['x-utf8', 'héllo ✓'],
  ]);
  assert.deepEqual(decoded[4], [Buffer.from('x-b'), Buffer.from([0, 0xff, 0x80, 0x0a])]);
  assert.deepEqual(decoded[5], [Buffer.from('x-empty'), Buffer.alloc(0)]);
});

test('decodeTo emits latin1 strings (one char per octet) and the never-indexed flag', () => {
  const deflater = new HDDeflater();
  const block = deflater.deflate([
    [':method', 'GET'],
    ['x-utf8', 'é'],
    ['x-secret', 'hunter2', { sensitive: true }],
  ]);
  const got: Array<[string, string, boolean]> = [];
  new HDInflater().decodeTo(block, (name, value, neverIndexed) => got.push([name, value, neverIndexed]));
  assert.deepEqual(got, [
    [':method', 'GET', false],
    ['x-utf8', '\u00c3\u00a9', false],
    ['x-secret', 'hunter2', true],
  ]);
});

test('repeated fields are indexed: the second block is one octet per field', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  const fields: HeaderField[] = [
    [':authority', 'www.example.com'],
    ['user-agent', 'h2kit-test/1.0'],
    ['x-custom', 'value'],
  ];
  inflater.inflate(deflater.deflate(fields));
  const second = deflater.deflate(fields);
  assert.equal(second.length, 3);
  assert.deepEqual(strings(inflater.inflate(second)), fields);
  assert.deepEqual(
    deflater.getHdTable().map((e) => e.name.toString()),
    inflater.getHdTable().map((e) => e.name.toString()),
  );
});

test('sensitive fields are never-indexed literals and stay out of the table', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  const neverIndexed: string[] = [];
  const cases: HeaderField[] = [
    ['authorization', 'Bearer abc'],
    ['proxy-authorization', 'Basic xyz'],
    ['cookie', 'sid=123'], // short cookie
    ['x-token', 'secret', { sensitive: true }],
  ];
  for (let round = 0; round < 2; round++) {
    for (const field of cases) {
      const block = deflater.deflate([field]);
      assert.equal(block[0] & 0xf0, 0x10, `${String(field[0])}: never-indexed representation`);
      inflater.decodeTo(block, (name, _value, never) => {
        if (never) neverIndexed.push(name);
      });
    }
  }
  assert.equal(neverIndexed.length, 8);
  assert.deepEqual(deflater.getHdTable(), []);
  assert.deepEqual(inflater.getHdTable(), []);
  // A long cookie is worth indexing.
  const long = deflater.deflate([['cookie', 'session=' + 'x'.repeat(40)]]);
  assert.equal(long[0] & 0xc0, 0x40);
  assert.equal(deflater.deflate([['cookie', 'session=' + 'x'.repeat(40)]]).length, 1);
});

test('fields that would churn the table are not indexed', () => {
  const deflater = new HDDeflater();
  for (const field of [
    ['content-length', '1234'],
    [':path', '/search?q=1'],
    ['x-huge', 'v'.repeat(3100)], // more than 3/4 of 4096
  ] as HeaderField[]) {
    const block = deflater.deflate([field]);
    assert.equal(block[0] & 0xf0, 0x00, `${String(field[0])}: literal without indexing`);
  }
  assert.deepEqual(deflater.getHdTable(), []);
});

test('a name whose values never repeat stops being indexed, one whose values repeat does not', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  const kinds = (name: string, value: (i: number) => string): string => {
    let out = '';
    for (let i = 0; i < 64; i++) {
      const block = deflater.deflate([[name, value(i)]]);
      inflater.inflate(block);
      out += (block[0] & 0xc0) === 0x40 ? 'I' : (block[0] & 0x80) !== 0 ? '=' : '-';
    }
    return out;
  };
  const unique = kinds('x-request-id', (i) => `req-${i}-${i * 7919}`);
  assert.match(unique, /^I{9}-{7}I-{15}I-{15}I-{15}$/);
  const repeating = kinds('x-shard', (i) => `shard-${i % 3}`);
  assert.equal(repeating, 'III' + '='.repeat(61));
  assert.deepEqual(inflater.getHdTable(), deflater.getHdTable());
});

test('Huffman coding is used only when strictly shorter', () => {
  const deflater = new HDDeflater(4096, { indexing: 'never' });
  // Literal without indexing, new name: 0x00, name string, value string.
  for (const value of ['www.example.com', '\x00\x01\x02', 'zzzz', '302', 'a', '']) {
    const block = deflater.deflate([['x', value]]);
    const valueOctet = block[3]; // 00 | 01 'x' | value length octet
    const huffmanLength = huffmanEncodedLength(Buffer.from(value, 'latin1'));
    const expectHuffman = huffmanLength < value.length;
    assert.equal((valueOctet & 0x80) !== 0, expectHuffman, `${JSON.stringify(value)}: Huffman flag`);
    assert.equal(valueOctet & 0x7f, expectHuffman ? huffmanLength : value.length);
  }
  const never = new HDDeflater(4096, { huffman: 'never' }).deflate([['x-a', 'www.example.com']]);
  assert.equal(never.length, 1 + 1 + 3 + 1 + 15);
});

test('changeTableSize: the next block starts with the smallest size since the last block, then the final one', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  inflater.inflate(deflater.deflate([['x-a', 'a'], ['x-b', 'b']]));
  deflater.changeTableSize(0);
  deflater.changeTableSize(1000);
  const block = deflater.deflate([['x-a', 'a']]);
  assert.deepEqual([...block.subarray(0, 4)], [...encodeInteger(0, 5, 0x20), ...encodeInteger(1000, 5, 0x20)]);
  assert.deepEqual(strings(inflater.inflate(block)), [['x-a', 'a']]);
  assert.equal(inflater.tableMaxSize, 1000);
  assert.deepEqual(inflater.getHdTable(), deflater.getHdTable());
  // One change: one update. No change: none.
  deflater.changeTableSize(500);
  assert.deepEqual([...deflater.deflate([]).subarray(0, 3)], [...encodeInteger(500, 5, 0x20)]);
  assert.equal(deflater.deflate([]).length, 0);
  // Above hdTableBufsizeMax: capped.
  deflater.changeTableSize(100000);
  assert.deepEqual([...deflater.deflate([])], [...encodeInteger(4096, 5, 0x20)]);
  assert.equal(deflater.tableMaxSize, 4096);
});

test('a deflater capped below 4096 announces its size in the first block', () => {
  const deflater = new HDDeflater(1024);
  const block = deflater.deflate([['x-a', 'a']]);
  assert.deepEqual([...block.subarray(0, 3)], [...encodeInteger(1024, 5, 0x20)]);
  const inflater = new HDInflater();
  inflater.inflate(block);
  assert.equal(inflater.tableMaxSize, 1024);
  deflater.changeTableSize(4096); // capped at 1024
  assert.equal(deflater.tableMaxSize, 1024);
  // A bigger cap than 4096 starts at 4096 (the protocol's initial size) and grows on request.
  const big = new HDDeflater(65536);
  assert.equal(big.tableMaxSize, 4096);
  assert.equal(big.deflate([]).length, 0);
  big.changeTableSize(16384);
  assert.equal(big.tableMaxSize, 16384);
});

test('setNoRefset is accepted and changes nothing', () => {
  const a = new HDDeflater();
  const b = new HDDeflater();
  b.setNoRefset(true);
  const fields: HeaderField[] = [['x-a', 'a'], [':method', 'GET']];
  assert.deepEqual(a.deflate(fields), b.deflate(fields));
  b.setNoRefset(false);
  assert.deepEqual(a.deflate(fields), b.deflate(fields));
});

test('getHdTable returns copies and printHdTable prints one line an entry', () => {
  const deflater = new HDDeflater();
  deflater.deflate([['x-first', 'one'], ['x-second', 'two']]);
  const table = deflater.getHdTable();
  assert.deepEqual(table.map((e) => [e.name.toString(), e.value.toString(), e.size]), [
    ['x-second', 'two', 8 + 3 + 32],
    ['x-first', 'one', 7 + 3 + 32],
  ]);
  table[0].name[0] = 0x41;
  assert.equal(deflater.getHdTable()[0].name.toString(), 'x-second');
  let printed = '';
  printHdTable(deflater.getHdTable(), { write: (s: string) => (printed += s) });
  assert.equal(printed, '[1] (s=43) x-second: two\n[2] (s=42) x-first: one\n');
});

test('bad arguments throw typed errors', () => {
  const deflater = new HDDeflater();
  assert.throws(() => deflater.deflate([[42 as unknown as string, 'x']]), HpackEncodingError);
  assert.throws(() => deflater.deflate(['nope' as unknown as HeaderField]), HpackEncodingError);
  assert.throws(() => deflater.changeTableSize(-1), UsageError);
  assert.throws(() => new HDDeflater(1.5), UsageError);
  assert.throws(() => new HDInflater({ maxHeaderListSize: -1 }), UsageError);
  assert.throws(() => new HDInflater().changeTableSize(Number.NaN), UsageError);
});

test('a deflate that throws on a bad field encodes nothing: the table is unchanged', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater();
  assert.throws(() => deflater.deflate([['x-a', 'a'], ['x-b', null as unknown as string]]), HpackEncodingError);
  assert.deepEqual(deflater.getHdTable(), []);
  // The next block still decodes: nothing refers to an entry the peer never saw.
  assert.deepEqual(strings(inflater.inflate(deflater.deflate([['x-a', 'a']]))), [['x-a', 'a']]);
});

test('deflate accepts any iterable and returns independent blocks', () => {
  const deflater = new HDDeflater();
  function* fields(): Generator<HeaderField> {
    yield ['x-a', 'a'];
    yield [':method', 'GET'];
  }
  const first = deflater.deflate(fields());
  const copy = Buffer.from(first);
  const blocks = [first];
  for (let i = 0; i < 2000; i++) blocks.push(deflater.deflate([['x-' + i, 'v'.repeat(i % 50)]])); // fills several slabs
  assert.deepEqual(first, copy);
  const inflater = new HDInflater();
  assert.deepEqual(strings(inflater.inflate(first)), [['x-a', 'a'], [':method', 'GET']]);
  for (let i = 1; i < blocks.length; i++) {
    assert.deepEqual(strings(inflater.inflate(blocks[i])), [['x-' + (i - 1), 'v'.repeat((i - 1) % 50)]]);
  }
});

test('decoding errors: integers', () => {
  decodeError(hex('ff'), HpackErrorToken.TRUNCATED_INTEGER);
  decodeError(hex('ff ff'), HpackErrorToken.TRUNCATED_INTEGER);
  decodeError(hex('ff ffffffff0f'), HpackErrorToken.INTEGER_OVERFLOW);
  decodeError(hex('ff 8080808080 00'), HpackErrorToken.INTEGER_OVERFLOW);
  decodeError(hex('40 ff ffffffff7f'), HpackErrorToken.INTEGER_OVERFLOW); // a string length
});

test('decoding errors: strings', () => {
  decodeError(hex('40'), HpackErrorToken.TRUNCATED_STRING); // no name string at all
  decodeError(hex('40 05 616263'), HpackErrorToken.TRUNCATED_STRING);
  decodeError(hex('41'), HpackErrorToken.TRUNCATED_STRING); // no value string
  decodeError(hex('41 04 616263'), HpackErrorToken.TRUNCATED_STRING); // value one octet short
  decodeError(hex('41 7f'), HpackErrorToken.TRUNCATED_INTEGER);
  decodeError(hex('40 81 ff 00'), HpackErrorToken.HUFFMAN_BAD_PADDING); // 8 bits of padding
  decodeError(hex('40 81 1e 00'), HpackErrorToken.HUFFMAN_BAD_PADDING); // 'a' + padding 110
  decodeError(hex('40 84 ffffffff 00'), HpackErrorToken.HUFFMAN_EOS);
  const limited = () => new HDInflater({ maxStringLength: 10 });
  decodeError(hex('40 0b' + '61'.repeat(11) + '00'), HpackErrorToken.STRING_TOO_LONG, limited());
  // Huffman: 8 octets of 'a' (5 bits each) decode to 12 octets, over the limit.
  const a12 = Buffer.from('a'.repeat(12));
  const huffman = new HDDeflater(4096, { huffman: 'always', indexing: 'never' }).deflate([['x', a12]]);
  decodeError(huffman, HpackErrorToken.STRING_TOO_LONG, limited());
  assert.doesNotThrow(() => limited().inflate(new HDDeflater().deflate([['x', 'a'.repeat(10)]])));
});

test('decoding errors: indexes', () => {
  decodeError(hex('80'), HpackErrorToken.INDEX_ZERO);
  decodeError(hex('be'), HpackErrorToken.INDEX_OUT_OF_RANGE); // 62: dynamic table empty
  decodeError(hex('7e 01 61'), HpackErrorToken.INDEX_OUT_OF_RANGE); // literal with indexed name 62
  decodeError(hex('0f 2f 01 61'), HpackErrorToken.INDEX_OUT_OF_RANGE); // literal without indexing, name 62
  decodeError(hex('ff 80 80 80 80 0f'), HpackErrorToken.INDEX_OUT_OF_RANGE); // a huge index
  const inflater = new HDInflater();
  inflater.inflate(hex('40 01 61 01 62')); // one entry: index 62 is valid now, 63 is not
  assert.deepEqual(strings(inflater.inflate(hex('be'))), [['a', 'b']]);
  decodeError(hex('bf'), HpackErrorToken.INDEX_OUT_OF_RANGE, inflater);
});

test('decoding errors: dynamic table size updates', () => {
  decodeError(encodeInteger(4097, 5, 0x20), HpackErrorToken.SIZE_UPDATE_TOO_LARGE);
  decodeError(hex('82 20'), HpackErrorToken.SIZE_UPDATE_NOT_AT_START);
  assert.doesNotThrow(() => new HDInflater().inflate(hex('20 3f e1 1f 82'))); // two updates at the start are fine
  const inflater = new HDInflater();
  inflater.changeTableSize(100); // lowered: the next block must start with an update <= 100
  decodeError(hex('82'), HpackErrorToken.SIZE_UPDATE_MISSING, inflater);
  decodeError(encodeInteger(101, 5, 0x20), HpackErrorToken.SIZE_UPDATE_TOO_LARGE, inflater);
  assert.deepEqual(strings(inflater.inflate(Buffer.concat([encodeInteger(100, 5, 0x20), hex('82')]))), [[':method', 'GET']]);
  assert.doesNotThrow(() => inflater.inflate(hex('82'))); // once is enough
  const raised = new HDInflater();
  raised.changeTableSize(8192); // raised: no update required, but one up to 8192 is accepted
  assert.doesNotThrow(() => raised.inflate(hex('82')));
  assert.doesNotThrow(() => raised.inflate(encodeInteger(8192, 5, 0x20)));
  assert.equal(raised.tableMaxSize, 8192);
});

test('header list too large: the whole block is processed, the table stays in step, the error names sizes', () => {
  const deflater = new HDDeflater();
  const inflater = new HDInflater({ maxHeaderListSize: 200 });
  const big: HeaderField[] = [];
  for (let i = 0; i < 10; i++) big.push([`x-field-${i}`, `value-${i}`]); // ~49 octets each
  const error = decodeError(deflater.deflate(big), HpackErrorToken.HEADER_LIST_TOO_LARGE, inflater);
  assert.ok(error instanceof HeaderListTooLargeError);
  assert.equal(error.maxHeaderListSize, 200);
  assert.ok(error.listSize > 200);
  // Every field was still added to the decoder's table, so the next block decodes.
  assert.deepEqual(inflater.getHdTable(), deflater.getHdTable());
  const next = deflater.deflate(big.slice(0, 3));
  assert.equal(next.length, 3);
  assert.deepEqual(strings(inflater.inflate(next)), big.slice(0, 3));
});

test('header list too large: past the limit nothing more is emitted, however much the block repeats', () => {
  // One 4000-octet entry, then 100000 one-octet references to it: 400 MB if materialized.
  const entry = Buffer.concat([hex('40 01 78'), encodeInteger(4000, 7), Buffer.alloc(4000, 0x61)]);
  const block = Buffer.concat([entry, Buffer.alloc(100000, 0xbe)]);
  const inflater = new HDInflater({ maxHeaderListSize: 65536 });
  let emitted = 0;
  assert.throws(
    () => inflater.decodeTo(block, () => emitted++),
    (e: unknown) => e instanceof HeaderListTooLargeError,
  );
  assert.equal(emitted, Math.floor(65536 / (1 + 4000 + 32)));
  assert.throws(() => inflater.inflate(block), HeaderListTooLargeError);
});

test('header list size counts name + value + 32 per field, up to the limit inclusive', () => {
  const block = new HDDeflater().deflate([['ab', 'cd']]); // 36
  assert.doesNotThrow(() => new HDInflater({ maxHeaderListSize: 36 }).inflate(block));
  decodeError(block, HpackErrorToken.HEADER_LIST_TOO_LARGE, new HDInflater({ maxHeaderListSize: 35 }));
});

test('an empty block decodes to an empty list', () => {
  assert.deepEqual(new HDInflater().inflate(Buffer.alloc(0)), []);
  assert.equal(new HDDeflater().deflate([]).length, 0);
});

test('inflate accepts any Uint8Array view', () => {
  const block = new HDDeflater().deflate([['x-a', 'b']]);
  const padded = new Uint8Array(block.length + 10);
  padded.set(block, 5);
  assert.deepEqual(strings(new HDInflater().inflate(padded.subarray(5, 5 + block.length))), [['x-a', 'b']]);
});
