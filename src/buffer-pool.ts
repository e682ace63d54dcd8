/**
 * The buffer pool: every process-wide buffer of the hot paths, with one contract for using them.
 *
 * Where it lives: in `src/` beside `errors.ts`, below every layer. It imports nothing, so
 * `hpack/` (the lowest layer) and `frame/` both import it without an upward import, and no layer
 * owns buffers another layer writes into.
 *
 * Why shared at all: a server has a deflater, an inflater and a frame writer per connection;
 * private slabs (16 KiB + 4 KiB + 1 KiB) were most of what an idle connection cost. Every user
 * is synchronous (a header block, a frame, a Huffman string is written from start to end
 * without yielding), so one arena per purpose serves every connection in the process:
 *
 * | arena | used by | slab | what callers keep |
 * | --- | --- | --- | --- |
 * | `FRAME_ARENA` | `FrameWriter` | 16 KiB | committed frames, until the socket is done with them |
 * | `HPACK_BLOCK_ARENA` | `HDDeflater.deflate` | 4 KiB | the header block returned (a view) |
 * | `HUFFMAN_SCRATCH` | `HDInflater` (Huffman strings) | 1 KiB, grows | nothing: released once the JS string is made |
 * | `FILE_READ_BUFFERS` | file bodies (`src/io/file-body.ts`), a `RecycledBuffers` | 256 KiB each | a buffer per read, until the socket has written its bytes (then given back) |
 *
 * The contract (the same text is the "performance invariants" of `src/connection/README.md`):
 *  1. `acquire(maxBytes, keep?)` opens a run and returns an offset `at`: the caller may write
 *     `arena.buffer[at, at + maxBytes)`, nothing else (`grow` asks for more). Re-read
 *     `arena.buffer` after `acquire` and `grow`: both may switch to a new slab.
 *  2. `commit(end)` / `commitSlice(end)` close the run: the bytes up to `end` are the caller's
 *     for good. The arena never writes them again (its offset only moves on; a full slab is
 *     dropped, never reused), so a committed view stays valid as long as it is referenced.
 *     `release()` closes the run keeping nothing: the bytes are readable only until the next
 *     `acquire` of that arena (scratch use).
 *  3. One run at a time per arena, and a run never stays open across code we do not own
 *     (a callback, an `await`, I/O): acquire, write, commit, in one synchronous stretch.
 *  4. Between runs a caller holds no slab, only the committed views it was given.
 *
 * Checks: with `H2KIT_DEBUG_BUFFERS=1` in the environment at load time, the arenas are
 * `CheckedBufferArena`s, which throw `BufferPoolError` on acquire while a run is open (a run
 * neither committed nor released), commit or grow without an open run (double commit), commit
 * outside the acquired space, and, by comparing against a shadow copy at every acquire, grow and
 * commit, writes into committed bytes of the current slab (and of a slab when it is retired).
 * Off by default: the factory then builds plain `BufferArena`s, so the fast path has no branch to
 * skip, not even a flag test. A variable of our own rather than `NODE_ENV=test`: test runners set
 * `NODE_ENV=test` for the applications that embed h2kit too, and they should not pay for our
 * checks. `npm test` does not set it; CI should run the hpack, frame and connection suites once
 * with it (see test/buffer-pool.test.ts, which runs a child process with it set).
 */

/** Whether `createArena` builds checked arenas (read once, at load). */
export const DEBUG_BUFFERS: boolean = process.env.H2KIT_DEBUG_BUFFERS === '1';

/**
 * The one empty Buffer every module shares (placeholder payloads, "no slab"). Not frozen on
 * purpose: a frozen Buffer has another hidden class than the payloads it stands beside, which
 * makes the code reading them polymorphic. It is safe unfrozen: it has no octets to write
 * (typed-array index writes past the end are ignored, `set`/`write`/`fill` of anything are
 * no-ops or throw RangeError) and it owns its own zero-length ArrayBuffer (`Buffer.alloc(0)`
 * takes nothing from Node's shared pool), so nothing reachable from it can carry data.
 */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** A broken buffer contract (only thrown by checked arenas): a bug in h2kit, not in the peer's input. */
export class BufferPoolError extends Error {
  constructor(arena: string, message: string) {
    super(`buffer pool ${arena}: ${message}`);
    this.name = 'BufferPoolError';
  }
}

/**
 * A bump allocator over slabs. Runs are written one after another into the current slab; when
 * one does not fit, a new slab is allocated (`slabSize`, or bigger for a bigger run) and the old
 * one is left to the views that still reference it (like Node's Buffer pool).
 */
export class BufferArena {
  readonly name: string;
  /** Size of a new slab (a run larger than that gets a slab of its own size). */
  readonly slabSize: number;
  /** The current slab. Write into it only inside an open run; re-read it after acquire and grow. */
  buffer: Buffer = EMPTY_BUFFER;
  /** End of the committed bytes of `buffer`: where the next run starts. */
  end = 0;
  /** Start of the open run (kept bytes included); moved by `acquire(n, keep)` and `grow`. */
  start = 0;

  constructor(name: string, slabSize: number) {
    if (!Number.isInteger(slabSize) || slabSize <= 0) throw new RangeError(`slab size must be a positive integer, got ${slabSize}`);
    this.name = name;
    this.slabSize = slabSize;
  }

  /** Room left in the current slab. */
  get room(): number {
    return this.buffer.length - this.end;
  }

  /**
   * Opens a run of up to `maxBytes` octets and returns where it starts in `this.buffer`.
   *
   * `keep`: the last `keep` committed octets (ending at `end`) are the beginning of the caller's
   * unfinished piece. If a new slab is needed they are copied to its start, so the piece stays
   * contiguous: it then starts at `at - keep` either way (and `commitSlice` includes it). The
   * slab is then at least twice the piece, so a piece that keeps growing is copied O(1) times
   * per octet.
   */
  acquire(maxBytes: number, keep = 0): number {
    // Small enough to be inlined at every call site; the new-slab case is out of line.
    if (this.buffer.length - this.end < maxBytes) this.newSlab(maxBytes, keep);
    const end = this.end;
    this.start = end - keep;
    return end;
  }

  /**
   * Inside a run: makes room for `extra` more octets after `pos` (the caller's write position)
   * and returns the position to continue at. If the slab is too small the run so far
   * (`start`..`pos`) moves to a new slab (at least twice its size): re-read `buffer`.
   */
  grow(pos: number, extra: number): number {
    return pos + extra <= this.buffer.length ? pos : this.moveRun(pos, extra);
  }

  /** Closes the run: the octets up to `end` are committed (never written again by the arena). */
  commit(end: number): void {
    this.end = end;
  }

  /** `commit(end)`, returning the run (kept octets included) as a view: `buffer[start, end)`. */
  commitSlice(end: number): Buffer {
    this.commit(end);
    return this.buffer.subarray(this.start, end);
  }

  /** Closes the open run, if any, committing nothing (scratch use, and error paths). */
  release(): void {}

  /** acquire's slow path: a new slab for a run of `maxBytes`, the last `keep` committed octets copied to its start. */
  private newSlab(maxBytes: number, keep: number): void {
    const size = keep === 0 ? Math.max(this.slabSize, maxBytes) : Math.max(this.slabSize, (keep + maxBytes) * 2);
    const slab = Buffer.allocUnsafeSlow(size);
    if (keep !== 0) this.buffer.copy(slab, 0, this.end - keep, this.end);
    this.buffer = slab;
    this.end = keep;
  }

  /** grow's slow path: the run so far (`start`..`pos`) moves to a new slab; returns where it continues. */
  private moveRun(pos: number, extra: number): number {
    const written = pos - this.start;
    const slab = Buffer.allocUnsafeSlow(Math.max(this.slabSize, (written + extra) * 2));
    this.buffer.copy(slab, 0, this.start, pos);
    this.buffer = slab;
    // Kept octets (committed, between start and end) moved with the run.
    this.end -= this.start;
    this.start = 0;
    return written;
  }
}

/** A `BufferArena` that checks the contract and throws `BufferPoolError` when it is broken. */
export class CheckedBufferArena extends BufferArena {
  private open = false;
  /** End of the space the open run may write (acquired, or extended by grow). */
  private limit = 0;
  /** Where the open run's new octets start: a commit may not end before it. */
  private runFrom = 0;
  /** Copy of the committed octets of `buffer` ([0, end)), to catch writes after commit. */
  private shadow: Buffer = EMPTY_BUFFER;

  override acquire(maxBytes: number, keep = 0): number {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) this.fail(`acquire(${maxBytes}): not a byte count`);
    if (this.open) this.fail('acquire while a run is open: the previous acquire was neither committed nor released');
    if (!Number.isInteger(keep) || keep < 0 || keep > this.end) this.fail(`acquire keeping ${keep} octets, but only ${this.end} are committed`);
    this.verify();
    const before = this.buffer;
    const at = super.acquire(maxBytes, keep);
    if (this.buffer !== before) this.newShadow(keep);
    this.open = true;
    this.runFrom = at;
    this.limit = at + maxBytes;
    return at;
  }

  override grow(pos: number, extra: number): number {
    if (!this.open) this.fail('grow without an open run');
    if (!Number.isInteger(pos) || pos < this.runFrom || pos > this.limit) {
      this.fail(`grow from ${pos}, outside the run's space ${this.runFrom}..${this.limit}`);
    }
    this.verify();
    const before = this.buffer;
    const at = super.grow(pos, extra);
    const shift = pos - at;
    if (this.buffer !== before) this.newShadow(this.end);
    this.runFrom -= shift;
    this.limit = Math.max(this.limit - shift, at + extra);
    return at;
  }

  override commit(end: number): void {
    if (!this.open) this.fail('commit without an open run (committed twice, or never acquired)');
    if (!Number.isInteger(end) || end < this.runFrom || end > this.limit) {
      this.fail(`commit up to ${end}, outside the acquired space ${this.runFrom}..${this.limit}`);
    }
    this.verify();
    super.commit(end);
    this.open = false;
    this.shadow.set(this.buffer.subarray(this.runFrom, end), this.runFrom);
  }

  override release(): void {
    this.open = false;
  }

  /** True while a run is open (for tests). */
  get isOpen(): boolean {
    return this.open;
  }

  /** Throws if a committed octet of the current slab changed since it was committed. */
  verify(): void {
    const end = this.end;
    if (end !== 0 && this.buffer.compare(this.shadow, 0, end, 0, end) !== 0) {
      let at = 0;
      while (this.buffer[at] === this.shadow[at]) at++;
      this.fail(`committed octet ${at} of the current slab was written after its commit`);
    }
  }

  /** The slab changed: check the old one a last time (done by the caller) and shadow the new one. */
  private newShadow(kept: number): void {
    const shadow = Buffer.alloc(this.buffer.length);
    this.buffer.copy(shadow, 0, 0, kept);
    this.shadow = shadow;
  }

  private fail(message: string): never {
    this.open = false;
    throw new BufferPoolError(this.name, message);
  }
}

/** A checked arena under `H2KIT_DEBUG_BUFFERS=1`, a plain one otherwise. */
export function createArena(name: string, slabSize: number): BufferArena {
  return DEBUG_BUFFERS ? new CheckedBufferArena(name, slabSize) : new BufferArena(name, slabSize);
}

/**
 * A free list of equal-sized buffers that are given back once nothing reads them any more: file
 * bodies read into them, and the socket glue gives each back when the socket's write of its last
 * byte has completed (src/io/connection-driver.ts). Why not let them go to the garbage collector:
 * a 1 MiB response read 256 KiB at a time allocated four fresh buffers, each paid in page faults
 * on first touch, and their external memory drove V8 into a major GC every few dozen responses
 * (together ~15% of the CPU of serving 1 MiB files).
 *
 * The contract: a buffer from `take()` is the caller's alone; `give()` it back only when nothing
 * will read or write it again (a read into it has landed, every write of its bytes has completed);
 * when that cannot be known (an error, a destroyed socket), drop it instead: the collector takes
 * it, and correctness never depends on a buffer coming back. Free buffers are kept up to the
 * peak in use (at most `keep`), and each `trimMs` the ones no `take()` needed in that time (the
 * fewest free since the last trim) are let go: a burst's buffers do not stay for the life of
 * the process, and a steady load finds its buffers free.
 */
export class RecycledBuffers {
  readonly name: string;
  readonly size: number;
  readonly keep: number;
  private readonly trimMs: number;
  private readonly free: Buffer[] = [];
  /** The fewest buffers free since the last trim: that many were not needed. */
  private lowWater = 0;
  private takes = 0;
  private allocations = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(name: string, size: number, keep: number, trimMs = 1000) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`buffer size must be a positive integer, got ${size}`);
    this.name = name;
    this.size = size;
    this.keep = keep;
    this.trimMs = trimMs;
  }

  /** A buffer of `size` bytes (contents undefined), recycled when one is free. */
  take(): Buffer {
    this.takes++;
    const buf = this.free.pop();
    if (buf === undefined) {
      this.allocations++;
      return Buffer.allocUnsafeSlow(this.size);
    }
    if (this.free.length < this.lowWater) this.lowWater = this.free.length;
    return buf;
  }

  /** Gives back a buffer from `take()` that nothing reads or writes any more (see the contract). */
  give(buf: Buffer): void {
    if (buf.length !== this.size || this.free.length >= this.keep) return;
    this.free.push(buf);
    if (this.timer === null) {
      this.lowWater = this.free.length;
      this.timer = setTimeout(this.trim, this.trimMs);
      // Free buffers must not keep a finished process alive.
      this.timer.unref();
    }
  }

  /** Buffers taken, of those freshly allocated, and free now (tests, monitoring). */
  get stats(): { takes: number; allocations: number; free: number } {
    return { takes: this.takes, allocations: this.allocations, free: this.free.length };
  }

  private readonly trim = (): void => {
    this.timer = null;
    // The oldest free buffers (the bottom of the stack) are the ones nobody took.
    if (this.lowWater > 0) this.free.splice(0, this.lowWater);
    this.lowWater = this.free.length;
    if (this.free.length > 0) {
      this.timer = setTimeout(this.trim, this.trimMs);
      this.timer.unref();
    }
  };
}

/**
 * `RecycledBuffers` that checks its contract: a buffer given back is filled with 0xdb at once, so
 * a buffer given back while its bytes were still to be sent shows up as corrupt bodies in tests
 * (`H2KIT_DEBUG_BUFFERS=1`), and one given back twice throws.
 */
export class CheckedRecycledBuffers extends RecycledBuffers {
  private readonly given = new WeakSet<Buffer>();

  override take(): Buffer {
    const buf = super.take();
    this.given.delete(buf);
    return buf;
  }

  override give(buf: Buffer): void {
    if (this.given.has(buf)) throw new BufferPoolError(this.name, 'a buffer was given back twice');
    this.given.add(buf);
    buf.fill(0xdb);
    super.give(buf);
  }
}

/** Frames of every `FrameWriter` (src/frame/writer.ts). */
export const FRAME_ARENA: BufferArena = createArena('frames', 16384);
/** Header blocks of every `HDDeflater` (src/hpack/deflater.ts). */
export const HPACK_BLOCK_ARENA: BufferArena = createArena('hpack blocks', 4096);
/** Huffman-decoded strings of every `HDInflater` (src/hpack/inflater.ts), released once read. */
export const HUFFMAN_SCRATCH: BufferArena = createArena('huffman scratch', 1024);
/**
 * Read buffers of every file body (src/io/file-body.ts). Free ones are kept up to the peak in use
 * (bounded by the descriptor caps and the sockets' high-water marks; 256 of them, 64 MiB, at most)
 * and let go within a second or two once unused.
 */
export const FILE_READ_BUFFERS: RecycledBuffers = DEBUG_BUFFERS
  ? new CheckedRecycledBuffers('file reads', 256 * 1024, 256)
  : new RecycledBuffers('file reads', 256 * 1024, 256);
