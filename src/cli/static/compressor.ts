/**
 * Compression on the fly (node:zlib), for files that have no precompressed sibling: made once per
 * version of a file and coding, in libuv's thread pool (the event loop keeps serving meanwhile),
 * then kept with the resource while the file is unchanged. Requests that want it while it is
 * being made wait for the same result.
 *
 * Settings, chosen by measuring first-request cost against size (examples/site/index.html
 * 1,133 B; 64 KiB and 1 MiB of JavaScript-like text; one core of this machine):
 *
 *   brotli quality 5:  1.1 KB -> 502 B in ~0.3 ms;  64 KiB -> 14.1 KiB in ~4 ms;  1 MiB -> 130 KiB in ~33 ms
 *   brotli quality 11: 1.1 KB -> 430 B in ~8 ms;    64 KiB -> 12.3 KiB in ~125 ms; 1 MiB -> 114 KiB in ~3.2 s
 *   gzip level 6:      1.1 KB -> 585 B in ~0.9 ms;  64 KiB -> 14.3 KiB in ~2 ms;  1 MiB -> 148 KiB in ~36 ms
 *
 * Quality 11 saves another 10% for 30-100x the time, too slow for a first request to wait on;
 * a site that wants it ships `file.br` made at build time, which is preferred anyway. Brotli 5
 * beats gzip 6 on size at about its speed. Files outside MIN_SIZE..MAX_SIZE are not compressed:
 * below, a few bytes saved do not pay for a second representation; above, the first request
 * would wait too long and the result would crowd the cache.
 *
 * Bounded memory: the input waiting in or for the thread pool is at most MAX_PENDING_INPUT
 * bytes; past that a request gets identity (the next one will try again), so a burst of
 * requests for many large files cannot queue up unbounded copies of them.
 */
import { brotliCompress, constants, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Coding } from './accept-encoding.js';

export const MIN_SIZE = 256;
export const MAX_SIZE = 8 * 1024 * 1024;
const MAX_PENDING_INPUT = 32 * 1024 * 1024;
export const BROTLI_QUALITY = 5;
export const GZIP_LEVEL = 6;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export class Compressor {
  private pendingInput = 0;

  /** Whether a file of `size` bytes is compressed on the fly (for a compressible type). */
  static fits(size: number): boolean {
    return size >= MIN_SIZE && size <= MAX_SIZE;
  }

  /**
   * Compresses `input` (read by `read` only once a place is free) with `coding`. Resolves null when
   * it cannot be done now (too much input waiting) or the input could not be read or coded.
   */
  async compress(coding: Exclude<Coding, 'identity'>, size: number, read: () => Buffer | Promise<Buffer | null>): Promise<Buffer | null> {
    if (this.pendingInput + size > MAX_PENDING_INPUT) return null;
    this.pendingInput += size;
    try {
      const input = await read();
      if (input === null) return null;
      if (coding === 'br') {
        return await brotliAsync(input, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: input.length,
          },
        });
      }
      return await gzipAsync(input, { level: GZIP_LEVEL });
    } catch {
      return null; // identity is always there to fall back on
    } finally {
      this.pendingInput -= size;
    }
  }
}
