/**
 * The hpack-test-case corpus (`../shared/hpack-test-case/`), loaded and checked once:
 * one folder per encoder (plus `raw-data/`, the header lists alone), 32 stories each.
 * Used by the story tests and by `bench/hpack.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type StoryCase, parseStory } from '../../src/cli/story.js';
import { HPACK_TEST_CASE_DIR } from './paths.js';

export interface CorpusStory {
  /** `folder/story_NN.json`, for messages. */
  name: string;
  folder: string;
  file: string;
  cases: StoryCase[];
}

/** The folder of header lists without wire: input for an encoder. */
export const RAW_DATA = 'raw-data';

/** The folders the corpus is known to hold; a test checks none went missing. */
export const EXPECTED_FOLDERS = [
  'go-hpack',
  'haskell-http2-linear-huffman',
  'nghttp2',
  'python-hpack',
  'raw-data',
  'swift-nio-hpack-plain-text',
] as const;

/** Every folder of the corpus, sorted. */
export function corpusFolders(): string[] {
  return readdirSync(HPACK_TEST_CASE_DIR)
    .filter((name) => statSync(join(HPACK_TEST_CASE_DIR, name)).isDirectory())
    .sort();
}

/** Every story of one folder, sorted by file name. */
export function loadFolder(folder: string): CorpusStory[] {
  const dir = join(HPACK_TEST_CASE_DIR, folder);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const name = `${folder}/${file}`;
      return { name, folder, file, cases: parseStory(readFileSync(join(dir, file), 'utf8'), name).cases };
    });
}

/** The header list of a case as it must be on the wire: UTF-8 bytes, shown as latin1 (one char per byte). */
export function expectedLatin1(headers: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  return headers.map(([n, v]) => [Buffer.from(n, 'utf8').toString('latin1'), Buffer.from(v, 'utf8').toString('latin1')]);
}
