/** printHdTable: the seed's `print_hd_table`. */
import type { HDTableEntry } from './types.js';

/** Anything with a `write(string)`: a stream, or a collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Prints a table from `getHdTable()`, one line an entry: `[INDEX] (s=SIZE) name: value`, INDEX
 * from 1 (newest first), SIZE = name + value + 32. Names and values are shown as UTF-8 (invalid
 * sequences become U+FFFD, as the seed says it cannot print those).
 */
export function printHdTable(table: readonly HDTableEntry[], out: TextSink = process.stdout): void {
  let text = '';
  for (let i = 0; i < table.length; i++) {
    const entry = table[i];
    text += `[${i + 1}] (s=${entry.size}) ${entry.name.toString('utf8')}: ${entry.value.toString('utf8')}\n`;
  }
  if (text !== '') out.write(text);
}
