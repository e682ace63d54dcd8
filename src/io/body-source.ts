/**
 * Every kind of response body the API accepts, behind one pull interface that the per-stream
 * pump drives: the pump asks for at most N bytes only when the stream, the connection and the
 * socket can take them, so a body is never read faster than the client reads it.
 *
 * Kinds: `null`/`undefined` (no body), `string` (UTF-8), `Uint8Array`, a Node `Readable`, an
 * `AsyncIterable<Uint8Array | string>`, the seed's body generator
 * `(size) => [chunk | null, DATA_OK | DATA_EOF | DATA_DEFERRED]` restarted by `resume()`, and a
 * `fileBody(path, range)` (file-body.ts: opened and read only as the window allows).
 */
// The global `Buffer` is an accessor on globalThis (a getter call at each use); the import is a plain binding.
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { DATA_DEFERRED, DATA_EOF, DATA_OK, type DataFlag } from './data-flags.js';
import { FileBody, FileBodySource } from './file-body.js';

export type BodyChunk = Uint8Array | string;
export type BodyGenerator = (size: number) => readonly [BodyChunk | null | undefined, DataFlag] | [BodyChunk | null | undefined, DataFlag];
export type ResponseBody = null | undefined | string | Uint8Array | Readable | AsyncIterable<BodyChunk> | BodyGenerator | FileBody;

/**
 * A body as the pump sees it. `pull(max)` returns up to `max` bytes, or null when nothing is
 * available right now. After null: if `error` is set the body failed, if `ended` it is complete,
 * otherwise the source calls `onWake` (once) when `pull` has something new to say.
 */
export interface BodySource {
  pull(max: number): Buffer | null;
  readonly ended: boolean;
  readonly error: unknown;
  /** Total length when known before sending (string and byte bodies), else -1. */
  readonly knownLength: number;
  onWake: () => void;
  /** Restart after DATA_DEFERRED (generator bodies); harmless otherwise. */
  resume(): void;
  /** Stop producing and release what the source holds (stream reset, HEAD response). */
  destroy(): void;
  /**
   * After a `pull`: a buffer of FILE_READ_BUFFERS (src/buffer-pool.ts) whose bytes have now all
   * been handed out, or null. Whoever writes them gives it back once the socket has written
   * them (the pump and its driver); a source without one leaves this out.
   */
  takeSpent?(): Buffer | null;
}

function noop(): void {}

const EMPTY = Buffer.alloc(0);

function toBuffer(chunk: BodyChunk): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new UsageError(`a body chunk must be a Uint8Array or a string, got ${typeof chunk}`, 'body_bad_chunk');
}

/** A body held in memory: handed out as slices, never copied. */
export class BufferBodySource implements BodySource {
  private buf: Buffer;
  private offset = 0;
  ended = false;
  readonly error: unknown = undefined;
  readonly knownLength: number;
  onWake: () => void = noop;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.knownLength = buf.length;
    this.ended = buf.length === 0;
  }

  pull(max: number): Buffer | null {
    if (this.ended) return null;
    const end = Math.min(this.buf.length, this.offset + max);
    const chunk = this.buf.subarray(this.offset, end);
    this.offset = end;
    if (end === this.buf.length) this.ended = true;
    return chunk;
  }

  resume(): void {}

  destroy(): void {
    this.ended = true;
    this.buf = EMPTY;
  }
}

/** A body that comes in chunks of any size: keeps the unsent rest of the last chunk. */
abstract class ChunkedBodySource implements BodySource {
  protected rest: Buffer | null = null;
  ended = false;
  error: unknown = undefined;
  readonly knownLength = -1;
  onWake: () => void = noop;

  protected takeRest(max: number): Buffer | null {
    const rest = this.rest;
    if (rest === null) return null;
    if (rest.length <= max) {
      this.rest = null;
      return rest;
    }
    this.rest = rest.subarray(max);
    return rest.subarray(0, max);
  }

  abstract pull(max: number): Buffer | null;
  resume(): void {}
  abstract destroy(): void;
}

/** A Node Readable, read in paused mode so it produces only as fast as we pull. */
export class ReadableBodySource extends ChunkedBodySource {
  private readonly readable: Readable;
  private sourceEnded = false;
  private waiting = false;

  constructor(readable: Readable) {
    super();
    this.readable = readable;
    readable.on('readable', this.onReadable);
    readable.on('end', this.onEnd);
    readable.on('error', this.onError);
  }

  private readonly onReadable = (): void => {
    if (this.waiting) {
      this.waiting = false;
      this.onWake();
    }
  };

  private readonly onEnd = (): void => {
    this.sourceEnded = true;
    if (this.rest === null) this.ended = true;
    this.onReadable();
  };

  private readonly onError = (err: unknown): void => {
    this.error = err ?? new UsageError('the body stream failed', 'body_stream_error');
    this.onReadable();
  };

  pull(max: number): Buffer | null {
    if (this.error !== undefined || this.ended) return null;
    if (this.rest === null && !this.sourceEnded) {
      const chunk: unknown = this.readable.read();
      if (chunk !== null) {
        try {
          this.rest = toBuffer(chunk as BodyChunk);
        } catch (err) {
          this.error = err;
          return null;
        }
      }
    }
    const out = this.takeRest(max);
    if (this.rest === null && this.sourceEnded) this.ended = true;
    if (out === null && !this.ended && this.error === undefined) this.waiting = true;
    return out;
  }

  destroy(): void {
    this.ended = true;
    this.rest = null;
    this.readable.off('readable', this.onReadable);
    this.readable.off('end', this.onEnd);
    // Keep an error listener: destroy() may emit 'error' later and an unheard one would crash.
    if (!this.readable.destroyed) this.readable.destroy();
  }
}

/** An AsyncIterable: one `next()` in flight at a time, started only when the pump asks. */
export class AsyncIterableBodySource extends ChunkedBodySource {
  private readonly iterator: AsyncIterator<BodyChunk>;
  private inFlight = false;
  private destroyed = false;

  constructor(iterable: AsyncIterable<BodyChunk>) {
    super();
    this.iterator = iterable[Symbol.asyncIterator]();
  }

  pull(max: number): Buffer | null {
    if (this.error !== undefined || this.ended) return null;
    const out = this.takeRest(max);
    if (out !== null || this.inFlight) return out;
    this.inFlight = true;
    let result: Promise<IteratorResult<BodyChunk>>;
    try {
      result = Promise.resolve(this.iterator.next());
    } catch (err) {
      this.inFlight = false;
      this.error = err;
      return null;
    }
    result.then(this.onResult, this.onFailure);
    return null;
  }

  private readonly onResult = (r: IteratorResult<BodyChunk>): void => {
    this.inFlight = false;
    if (this.destroyed) return;
    if (r.done) {
      this.ended = true;
    } else {
      try {
        const chunk = toBuffer(r.value);
        if (chunk.length > 0) this.rest = chunk;
      } catch (err) {
        this.error = err;
      }
    }
    this.onWake();
  };

  private readonly onFailure = (err: unknown): void => {
    this.inFlight = false;
    if (this.destroyed) return;
    this.error = err ?? new UsageError('the body iterator rejected', 'body_iterator_rejected');
    this.onWake();
  };

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const wasEnded = this.ended;
    this.ended = true;
    this.rest = null;
    if (!wasEnded && typeof this.iterator.return === 'function') {
      // Let the producer clean up (finally blocks of async generators); its failure is not ours.
      Promise.resolve()
        .then(() => this.iterator.return?.())
        .catch(noop);
    }
  }
}

/** The seed's body generator: `(size) => [chunk, DATA_OK | DATA_EOF | DATA_DEFERRED]`. */
export class GeneratorBodySource extends ChunkedBodySource {
  private readonly generate: BodyGenerator;
  private deferred = false;
  private generatorDone = false;

  constructor(generate: BodyGenerator) {
    super();
    this.generate = generate;
  }

  pull(max: number): Buffer | null {
    if (this.error !== undefined || this.ended) return null;
    let out = this.takeRest(max);
    if (out === null && !this.generatorDone && !this.deferred) {
      try {
        const result = this.generate(max);
        if (!Array.isArray(result) || result.length !== 2) {
          throw new UsageError(`a body generator must return [chunk, flag], got ${String(result)}`, 'body_generator_bad_result');
        }
        const [chunk, flag] = result;
        if (flag === DATA_DEFERRED) {
          this.deferred = true;
        } else if (flag === DATA_EOF) {
          this.generatorDone = true;
          if (chunk !== null && chunk !== undefined) this.rest = toBuffer(chunk);
        } else if (flag === DATA_OK) {
          if (chunk === null || chunk === undefined || (chunk as Uint8Array | string).length === 0) {
            throw new UsageError(
              'a body generator returned DATA_OK with no data; return [null, DATA_DEFERRED] and call resume() when data is ready',
              'body_generator_empty_ok',
            );
          }
          this.rest = toBuffer(chunk);
        } else {
          throw new UsageError(`a body generator returned flag ${String(flag)}, expected DATA_OK, DATA_EOF or DATA_DEFERRED`, 'body_generator_bad_flag');
        }
      } catch (err) {
        this.error = err;
        return null;
      }
      out = this.takeRest(max);
    }
    if (this.rest === null && this.generatorDone) this.ended = true;
    return out;
  }

  override resume(): void {
    if (!this.deferred) return;
    this.deferred = false;
    this.onWake();
  }

  /** Whether the generator is paused by DATA_DEFERRED. */
  get paused(): boolean {
    return this.deferred;
  }

  destroy(): void {
    this.ended = true;
    this.rest = null;
  }
}

function isReadable(body: object): body is Readable {
  const b = body as Partial<Readable>;
  return typeof b.read === 'function' && typeof b.on === 'function' && typeof b.pipe === 'function';
}

/**
 * The source for any accepted body kind; null when there is no body at all. `connection` is the
 * connection the body is sent on (any object standing for it, e.g. the server's session): file
 * bodies take a slot of its per-connection descriptor cap.
 */
export function bodySourceOf(body: ResponseBody, connection?: object): BodySource | null {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return new BufferBodySource(Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array) return new BufferBodySource(toBuffer(body));
  if (typeof body === 'function') return new GeneratorBodySource(body);
  if (typeof body === 'object') {
    if (body instanceof FileBody) return new FileBodySource(body, connection);
    if (isReadable(body)) return new ReadableBodySource(body);
    if (Symbol.asyncIterator in body) return new AsyncIterableBodySource(body);
  }
  throw new UsageError(
    `unsupported body of type ${typeof body}: use null, a string, a Uint8Array, a Readable, an AsyncIterable, a body generator or a fileBody()`,
    'body_unsupported',
  );
}
