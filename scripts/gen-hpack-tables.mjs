#!/usr/bin/env node
// Generates the HPACK tables from the RFC's own source, so they match RFC 7541 bit for bit:
//   - src/hpack/static-table.generated.ts   (Appendix A, the static table)
//   - src/hpack/huffman-table.generated.ts  (Appendix B, the Huffman code)
//
// Usage (from the repo root):
//   node scripts/gen-hpack-tables.mjs              rewrite both files
//   node scripts/gen-hpack-tables.mjs --check      exit 1 if the committed files differ
//   ... [--rfc path/to/rfc7541-hpack.xml] [--out dir]
// The RFC defaults to ../shared/rfc/rfc7541-hpack.xml (next to the repo), the output to src/hpack.
// A test runs `--check`, so a hand edit of a generated file fails the build.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);

function parseArgs(argv) {
  const opts = { check: false, rfc: join(root, '..', 'shared', 'rfc', 'rfc7541-hpack.xml'), out: join(root, 'src', 'hpack') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') opts.check = true;
    else if (argv[i] === '--rfc') opts.rfc = resolve(argv[++i]);
    else if (argv[i] === '--out') opts.out = resolve(argv[++i]);
    else throw new Error(`gen-hpack-tables: unknown argument ${argv[i]}`);
  }
  return opts;
}

function decodeXmlText(s) {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Appendix A: the rows of the table anchored "static.table.entries". */
export function parseStaticTable(xml) {
  const start = xml.indexOf('<table anchor="static.table.entries">');
  const end = xml.indexOf('</table>', start);
  if (start < 0 || end < 0) throw new Error('static table not found in the RFC');
  const body = xml.slice(start, end);
  const rows = [];
  const rowRe = /<tr>([\s\S]*?)<\/tr>/g;
  let m;
  while ((m = rowRe.exec(body)) !== null) {
    const cells = [...m[1].matchAll(/<td>([\s\S]*?)<\/td>|<td\/>/g)].map((c) => decodeXmlText((c[1] ?? '').trim()));
    if (cells.length === 0) continue; // the <thead> row has <th> cells
    if (cells.length !== 3) throw new Error(`static table row with ${cells.length} cells: ${m[1]}`);
    const index = Number(cells[0]);
    if (index !== rows.length + 1) throw new Error(`static table index ${cells[0]} out of sequence`);
    rows.push([cells[1], cells[2]]);
  }
  if (rows.length !== 61) throw new Error(`expected 61 static table entries, found ${rows.length}`);
  return rows;
}

/** Appendix B: one line per symbol, `(sym) |bits|... hex [len]`; checks the three columns agree. */
export function parseHuffmanCode(xml) {
  const start = xml.indexOf('<section anchor="huffman.code">');
  const end = xml.indexOf('</section>', start);
  if (start < 0 || end < 0) throw new Error('Huffman code not found in the RFC');
  const body = xml.slice(start, end);
  const codes = [];
  const lineRe = /\(\s*(\d+)\)\s+\|([01|]+)\s+([0-9a-f]+)\s+\[\s*(\d+)\]/g;
  let m;
  while ((m = lineRe.exec(body)) !== null) {
    const sym = Number(m[1]);
    const bits = m[2].replace(/\|/g, '');
    const hex = parseInt(m[3], 16);
    const len = Number(m[4]);
    if (sym !== codes.length) throw new Error(`Huffman symbol ${sym} out of sequence`);
    if (bits.length !== len || parseInt(bits, 2) !== hex) throw new Error(`Huffman symbol ${sym}: columns disagree`);
    codes.push([hex, len]);
  }
  if (codes.length !== 257) throw new Error(`expected 257 Huffman symbols (with EOS), found ${codes.length}`);
  // A complete prefix code: the Kraft sum is exactly 1 (the decoder's state table relies on it).
  let kraft = 0;
  for (const [, len] of codes) kraft += 2 ** -len;
  if (kraft !== 1) throw new Error(`Huffman code is not complete (Kraft sum ${kraft})`);
  return codes;
}

const HEADER = (what) =>
  `// GENERATED FILE, do not edit. ${what} of RFC 7541, extracted from ../shared/rfc/rfc7541-hpack.xml\n` +
  `// by scripts/gen-hpack-tables.mjs. Regenerate with: node scripts/gen-hpack-tables.mjs\n` +
  `// (a test runs it with --check, so this file always matches the RFC).\n`;

export function renderStaticTable(rows) {
  const lines = rows.map(([name, value], i) => `  [${JSON.stringify(name)}, ${JSON.stringify(value)}], // ${i + 1}`);
  return (
    HEADER('The static table (Appendix A)') +
    `\n/** The HPACK static table: entry i (from 0) has HPACK index i + 1. */\n` +
    `export const STATIC_TABLE: ReadonlyArray<readonly [name: string, value: string]> = [\n${lines.join('\n')}\n];\n`
  );
}

export function renderHuffmanTable(codes) {
  const chunk = (arr, per) => {
    const out = [];
    for (let i = 0; i < arr.length; i += per) out.push('  ' + arr.slice(i, i + per).join(', ') + ',');
    return out.join('\n');
  };
  const hex = codes.map(([code]) => '0x' + code.toString(16));
  const lens = codes.map(([, len]) => String(len));
  return (
    HEADER('The Huffman code (Appendix B)') +
    `\n/** Code of symbol s (0..255 are octets, 256 is EOS), aligned on the least significant bit. */\n` +
    `export const HUFFMAN_CODES: Uint32Array = new Uint32Array([\n${chunk(hex, 8)}\n]);\n` +
    `\n/** Length in bits of the code of symbol s. */\n` +
    `export const HUFFMAN_LENGTHS: Uint8Array = new Uint8Array([\n${chunk(lens, 16)}\n]);\n` +
    `\n/** The end-of-string symbol; its code's leading bits pad the last octet of a Huffman string. */\n` +
    `export const HUFFMAN_EOS = 256;\n`
  );
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const xml = readFileSync(opts.rfc, 'utf8');
  const files = [
    [join(opts.out, 'static-table.generated.ts'), renderStaticTable(parseStaticTable(xml))],
    [join(opts.out, 'huffman-table.generated.ts'), renderHuffmanTable(parseHuffmanCode(xml))],
  ];
  let stale = 0;
  for (const [path, text] of files) {
    if (opts.check) {
      const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
      if (current !== text) {
        console.error(`gen-hpack-tables: ${path} differs from what the RFC gives; run node scripts/gen-hpack-tables.mjs`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      console.log(`gen-hpack-tables: wrote ${path}`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
