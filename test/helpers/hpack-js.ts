/**
 * A typed, synchronous face for `hpack.js` (npm; CommonJS, no types), the independent HPACK
 * implementation we cross-check against in tests and race in `npm run bench`.
 *
 * Its streams are driven synchronously: `write` runs the codec at once and `read` drains what
 * it produced. Table size: `{ table: { maxSize } }` is the one option it honours (its README's
 * `{ table: { size } }` is ignored and leaves the table unbounded, which would make it disagree
 * with any encoder that evicts). `maxSize` is both the protocol maximum (largest in-band size
 * update it accepts) and the starting size, so `initialSize` lowers the latter separately.
 */
import { createRequire } from 'node:module';

/** A header as hpack.js takes and gives it. */
export interface HpackJsHeader {
  name: string;
  value: string;
  neverIndex?: boolean;
  huffman?: boolean;
}

interface HpackJsCompressor {
  write(headers: HpackJsHeader[]): boolean;
  read(): Buffer | null;
  updateTableSize(size: number): void;
}

interface HpackJsDecompressor {
  write(block: Buffer): boolean;
  execute(): void;
  read(): HpackJsHeader | null;
  updateTableSize(size: number): void;
}

interface HpackJsModule {
  compressor: { create(options: { table: { maxSize: number } }): HpackJsCompressor };
  decompressor: { create(options: { table: { maxSize: number } }): HpackJsDecompressor };
}

const require = createRequire(import.meta.url);
const hpackJs = require('hpack.js') as HpackJsModule;

/** hpack.js's encoder for one connection. */
export class HpackJsEncoder {
  private readonly compressor: HpackJsCompressor;

  constructor(maxSize = 4096) {
    this.compressor = hpackJs.compressor.create({ table: { maxSize } });
  }

  /** Encodes one header block. */
  encode(headers: HpackJsHeader[]): Buffer {
    this.compressor.write(headers);
    return this.compressor.read() ?? Buffer.alloc(0);
  }
}

/** hpack.js's decoder for one connection. */
export class HpackJsDecoder {
  private readonly decompressor: HpackJsDecompressor;

  /**
   * `maxSize`: the largest table size an in-band size update may set (our SETTINGS value);
   * `initialSize`: the table size before any update (4096 per RFC 9113 unless SETTINGS said otherwise).
   */
  constructor(maxSize = 4096, initialSize = Math.min(maxSize, 4096)) {
    this.decompressor = hpackJs.decompressor.create({ table: { maxSize } });
    if (initialSize !== maxSize) this.decompressor.updateTableSize(initialSize);
  }

  /** Decodes one header block into `[name, value]` pairs (strings, one char per byte). Throws on bad input. */
  decode(block: Uint8Array): Array<[string, string]> {
    this.decompressor.write(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    this.decompressor.execute();
    const out: Array<[string, string]> = [];
    for (let h = this.decompressor.read(); h !== null; h = this.decompressor.read()) out.push([h.name, h.value]);
    return out;
  }

  /** Calls `emit` per field without building an array (for the bench). */
  decodeTo(block: Buffer, emit: (name: string, value: string) => void): void {
    this.decompressor.write(block);
    this.decompressor.execute();
    for (let h = this.decompressor.read(); h !== null; h = this.decompressor.read()) emit(h.name, h.value);
  }
}
