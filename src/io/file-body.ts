/**
 * File bodies: `fileBody(path, { start, end, stats })`, a body read from a file only as fast as
 * its stream may send it, holding a descriptor only while it has something to read.
 *
 * A `fs.createReadStream` opens its file at once and reads 64 KiB ahead, whatever the client's
 * flow control allows: a client that announces a zero window and asks for the same large file
 * on every stream it may open makes the server hold a descriptor and 64 KiB per stream until
 * the stall timeout, and under `ulimit -n 1024` a thousand such streams starve every honest
 * request (and accept() itself). A file body instead:
 *   - opens its file on the first pull, and the pump pulls only when the stream has window: a
 *     stream that may not send yet, or is reset before it sends, opens nothing;
 *   - reads at a position (`fs.read` on the descriptor) at most min(window, 64 KiB) at a time,
 *     and reads ahead only what is left of the window it was pulled with, so the bytes it holds
 *     never exceed what the client allows;
 *   - takes a descriptor slot before opening (DescriptorSlots: per process and per connection,
 *     FIFO, waiting instead of failing), gives its descriptor up once the range is read (or the
 *     body is destroyed): parked for the next body of the same file version (descriptor-cache.ts,
 *     keeping its per-process slot, idle) or closed when a body waits for a slot; and lets an
 *     idle one (stream stalled, socket full) be closed after a linger or for a waiter, reopening
 *     at its offset when pulled again;
 *   - checks on every open, and on every parked descriptor it takes, that the file is the
 *     version it was asked to send (device, inode, size, mtime: what the response's etag and
 *     content-length describe); a file replaced or rewritten meanwhile fails the body with
 *     FileBodyError (`file_changed`) rather than send bytes of another version under the same
 *     headers;
 *   - reads into buffers of FILE_READ_BUFFERS (src/buffer-pool.ts), handed back through
 *     `takeSpent` once all their bytes are handed out, to be given back once written.
 *
 * The limits are process-wide (descriptors are a process resource): `setFileBodyLimits()` in
 * file-limits.ts. Counters for monitoring and tests: `fileBodyStats()`.
 */
import fs, { type Stats } from 'node:fs';
import { FILE_READ_BUFFERS } from '../buffer-pool.js';
import { H2Error, UsageError } from '../errors.js';
import type { BodySource } from './body-source.js';
import { type DescriptorCacheStats, type FileIdentity, sameVersion } from './descriptor-cache.js';
import type { DescriptorSlots, DescriptorSlotsStats, SlotHolder } from './descriptor-slots.js';
import { descriptorCache, slotsOfConnection, slotsOfProcess } from './file-limits.js';

export type { FileIdentity };

/**
 * Most bytes read at once, and the most a stream holds in memory. A read is never larger than
 * what the stream may send now (its window), so a client with 64 KiB windows still gets 64 KiB
 * reads; one with large windows gets fewer thread-pool round trips: 256 KiB reads cost 1.4x less
 * CPU per 1 MiB response than 64 KiB ones (`npm run bench -- static --rows 1m-h2c,1m-tls`). The
 * descriptor caps bound the total: at most `maxOpenFiles` reads in flight (256 x 256 KiB = 64 MiB).
 */
export const FILE_READ_SIZE = FILE_READ_BUFFERS.size;

export interface FileBodyOptions {
  /** First byte sent (default 0). */
  start?: number;
  /** Last byte sent, inclusive as in an HTTP range (default: the file's last byte). */
  end?: number;
  /**
   * The version of the file the response describes (e.g. the `fs.Stats` its etag and
   * content-length came from). Default: the file is stat'ed now, synchronously.
   */
  stats?: FileIdentity;
}

/** A file body could not be sent; the stream is reset (INTERNAL_ERROR), the connection goes on. */
export class FileBodyError extends H2Error {
  readonly path: string;

  constructor(message: string, token: 'file_changed' | 'file_truncated' | 'file_open_failed' | 'file_read_failed' | 'file_stat_failed', path: string, options?: { cause?: unknown }) {
    super(message, undefined, token);
    this.path = path;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The body value handlers pass to `sendResponse({ body })`: a byte range of a file, not yet opened. */
export class FileBody {
  readonly path: string;
  readonly start: number;
  /** Inclusive; `start - 1` for an empty range. */
  readonly end: number;
  readonly identity: FileIdentity;

  constructor(path: string, options: FileBodyOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new UsageError(`a file body needs a path, got ${JSON.stringify(path)}`, 'file_body_bad_path');
    let identity = options.stats;
    if (identity === undefined) {
      try {
        identity = fs.statSync(path);
      } catch (err) {
        throw new FileBodyError(`cannot stat ${path}: ${(err as Error).message}`, 'file_stat_failed', path, { cause: err });
      }
    }
    const start = options.start ?? 0;
    const end = options.end ?? identity.size - 1;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start - 1 || end >= identity.size) {
      throw new UsageError(`file body range ${start}-${end} is not within ${path} (${identity.size} bytes)`, 'file_body_bad_range');
    }
    this.path = path;
    this.start = start;
    this.end = end;
    this.identity = { dev: identity.dev, ino: identity.ino, size: identity.size, mtimeMs: identity.mtimeMs };
  }

  get length(): number {
    return this.end - this.start + 1;
  }
}

/** Bytes `start..end` (inclusive) of the file at `path`, read only as its stream may send them. */
export function fileBody(path: string, options: FileBodyOptions = {}): FileBody {
  return new FileBody(path, options);
}

const counters = { opens: 0, reopens: 0, openNow: 0, bytesRead: 0, changed: 0 };

export interface FileBodyStats extends DescriptorSlotsStats, DescriptorCacheStats {
  /** Files opened by file bodies (first opens and reopens). */
  opens: number;
  /** Of those, reopens after an idle descriptor was closed. */
  reopens: number;
  /** Descriptors open now and held by bodies (parked ones not counted: `parked`). */
  openNow: number;
  /** Bytes read from files. */
  bytesRead: number;
  /** Bodies failed because their file changed (`file_changed`). */
  changed: number;
}

/** Counters of this process's file bodies, and of its descriptor slots (per process). */
export function fileBodyStats(): FileBodyStats {
  return { ...counters, ...slotsOfProcess().stats, ...descriptorCache().stats };
}

// ---- the source ---------------------------------------------------------------------------

function noop(): void {}

/** Where a source's descriptor is. */
const State = {
  /** No descriptor, no slot. */
  CLOSED: 0,
  /** Queued for a slot of the connection. */
  WAIT_CONNECTION: 1,
  /** Queued for a slot of the process (holding the connection's). */
  WAIT_PROCESS: 2,
  /** fs.open/fstat in flight. */
  OPENING: 3,
  /** The descriptor is open (a read may be in flight: `reading`). */
  OPEN: 4,
  /** fs.close in flight; the slots come back when it lands. */
  CLOSING: 5,
} as const;
type State = (typeof State)[keyof typeof State];

/** The BodySource of a FileBody (see the top of this file). Fields are declared up front. */
export class FileBodySource implements BodySource, SlotHolder {
  ended = false;
  error: unknown = undefined;
  readonly knownLength: number;
  onWake: () => void = noop;
  private readonly path: string;
  private readonly identity: FileIdentity;
  private readonly process: DescriptorSlots;
  private readonly connection: DescriptorSlots | null;
  private state: State = State.CLOSED;
  private fd = -1;
  private holdsProcess = false;
  private holdsConnection = false;
  private opened = false;
  private reading = false;
  private destroyed = false;
  /** The pump got null and waits for onWake; `want` is the most it asked for. */
  private waiting = false;
  private want = 0;
  /** Next byte to read, and bytes left to read. */
  private position: number;
  private remaining: number;
  /** Read and not yet handed out: a read lands here and the pull it wakes takes it (whole, unless the window shrank). */
  private rest: Buffer | null = null;
  /** The buffer (of FILE_READ_BUFFERS) a read is in flight into, or `rest` is a view of. */
  private readBuffer: Buffer | null = null;
  /** A buffer whose bytes have all been handed out: `takeSpent` passes it on to be given back once written. */
  private spent: Buffer | null = null;
  /** `readBuffer` is FILE_READ_BUFFERS'; the consumer gives spent buffers back (it called takeSpent). */
  private pooled = false;
  private recycles = false;

  /** `connection`: whose per-connection slots this body takes (none: only the process's). */
  constructor(body: FileBody, connection?: object) {
    this.path = body.path;
    this.identity = body.identity;
    this.position = body.start;
    this.remaining = body.length;
    this.knownLength = body.length;
    this.ended = body.length === 0;
    this.process = slotsOfProcess();
    this.connection = connection === undefined ? null : slotsOfConnection(connection);
  }

  pull(max: number): Buffer | null {
    if (this.error !== undefined || this.ended || max <= 0) return null;
    const rest = this.rest;
    if (rest !== null) {
      let out = rest;
      if (rest.length > max) {
        out = rest.subarray(0, max);
        this.rest = rest.subarray(max);
      } else {
        this.rest = null;
        if (this.pooled) this.spent = this.readBuffer;
        this.readBuffer = null;
        if (this.remaining === 0) this.ended = true;
        // What is left of this window may be read now: it is already the client's to take.
        else if (max > out.length && this.state === State.OPEN && !this.reading) this.startRead(max - out.length);
      }
      return out;
    }
    this.waiting = true;
    this.want = max;
    if (this.reading) return null;
    if (this.state === State.OPEN) this.startRead(max);
    else if (this.state === State.CLOSED) this.acquire();
    // Otherwise queued, opening or closing: the read starts once the file is open again.
    return null;
  }

  resume(): void {}

  takeSpent(): Buffer | null {
    this.recycles = true;
    const spent = this.spent;
    this.spent = null;
    return spent;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ended = true;
    this.waiting = false;
    // Bytes of these may be on their way to the socket, or a read may be filling one: left to the collector.
    this.rest = null;
    this.spent = null;
    if (!this.reading) this.readBuffer = null;
    switch (this.state) {
      case State.WAIT_CONNECTION:
        this.connection!.cancel(this);
        this.state = State.CLOSED;
        break;
      case State.WAIT_PROCESS:
        this.process.cancel(this);
        this.state = State.CLOSED;
        this.releaseSlots();
        break;
      case State.OPEN:
        if (!this.reading) this.giveUpFd(); // else when the read lands
        break;
      default:
        // OPENING: closed when the open lands; CLOSING/CLOSED: nothing held or on its way back.
        break;
    }
  }

  // ---- slots ----

  private acquire(): void {
    const connection = this.connection;
    if (connection !== null && !this.holdsConnection) {
      this.state = State.WAIT_CONNECTION;
      if (!connection.acquire(this)) return;
      this.holdsConnection = true;
    }
    this.state = State.WAIT_PROCESS;
    const parked = descriptorCache().take(this, this.path, this.identity);
    if (parked >= 0) {
      this.holdsProcess = true;
      this.reuse(parked);
      return;
    }
    if (!this.process.acquire(this)) return;
    this.holdsProcess = true;
    this.open();
  }

  /** @internal For DescriptorSlots. */
  slotGranted(slots: DescriptorSlots): void {
    if (slots === this.process) {
      this.holdsProcess = true;
      this.open();
      return;
    }
    this.holdsConnection = true;
    this.acquire();
  }

  /** @internal For DescriptorSlots: only called while idle (open, no read in flight). */
  evict(): void {
    if (this.state === State.OPEN && !this.reading) this.closeFd();
  }

  private releaseSlots(): void {
    if (this.holdsProcess) {
      this.holdsProcess = false;
      this.process.release(this);
    }
    if (this.holdsConnection) {
      this.holdsConnection = false;
      this.connection!.release(this);
    }
  }

  private setIdle(): void {
    this.process.setIdle(this);
    this.connection?.setIdle(this);
  }

  private setBusy(): void {
    this.process.setBusy(this);
    this.connection?.setBusy(this);
  }

  // ---- the descriptor ----

  private open(): void {
    this.state = State.OPENING;
    counters.opens++;
    if (this.opened) counters.reopens++;
    this.opened = true;
    fs.open(this.path, 'r', this.onOpen);
  }

  private readonly onOpen = (err: NodeJS.ErrnoException | null, fd: number): void => {
    if (err !== null) {
      this.state = State.CLOSED;
      this.releaseSlots();
      if (!this.destroyed) this.fail(new FileBodyError(`cannot open ${this.path}: ${err.message}`, 'file_open_failed', this.path, { cause: err }));
      return;
    }
    this.fd = fd;
    counters.openNow++;
    if (this.destroyed) {
      this.state = State.OPEN;
      this.closeFd();
      return;
    }
    fs.fstat(fd, this.onStat);
  };

  /**
   * A parked descriptor of this file version (descriptor-cache.ts), taken with its process slot.
   * It is open on the right inode (checked when it was opened); what an open would check besides
   * is that the path still names that inode, unchanged: one stat of the path, synchronous (a
   * path lookup and an inode read, no file I/O; a thread-pool round trip would cost more).
   */
  private reuse(fd: number): void {
    this.fd = fd;
    counters.openNow++;
    this.opened = true;
    this.state = State.OPENING;
    let stats: Stats | undefined;
    try {
      stats = fs.statSync(this.path, { throwIfNoEntry: false });
    } catch (err) {
      this.onStat(err as NodeJS.ErrnoException, undefined);
      return;
    }
    if (stats === undefined) {
      // Deleted (or renamed away) since: the open would have failed.
      this.state = State.OPEN;
      this.fail(new FileBodyError(`cannot open ${this.path}: it no longer exists`, 'file_open_failed', this.path));
      return;
    }
    this.onStat(null, stats);
  }

  private readonly onStat = (err: NodeJS.ErrnoException | null, stats: Stats | undefined): void => {
    this.state = State.OPEN;
    if (this.destroyed) {
      this.closeFd();
      return;
    }
    if (err !== null) {
      this.fail(new FileBodyError(`cannot stat ${this.path}: ${err.message}`, 'file_stat_failed', this.path, { cause: err }));
      return;
    }
    if (!sameVersion(stats!, this.identity)) {
      counters.changed++;
      this.fail(new FileBodyError(`${this.path} changed while it was being sent (${this.identity.size} bytes expected, now ${stats!.size})`, 'file_changed', this.path));
      return;
    }
    if (this.waiting) this.startRead(this.want);
    else this.setIdle();
  };

  private startRead(max: number): void {
    const length = Math.min(max, FILE_READ_SIZE, this.remaining);
    this.reading = true;
    this.setBusy();
    // A pooled buffer when the consumer gives them back (the HTTP/2 pump), or the read is large
    // enough to be worth it before it is known; small reads for a consumer that never gives them
    // back (HTTP/1.1 pulls 64 KiB at a time) allocate just what they read, as it is collected anyway.
    this.pooled = this.recycles || length > FILE_READ_SIZE / 2;
    const buffer = this.pooled ? FILE_READ_BUFFERS.take() : Buffer.allocUnsafe(length);
    this.readBuffer = buffer;
    fs.read(this.fd, buffer, 0, length, this.position, this.onRead);
  }

  private readonly onRead = (err: NodeJS.ErrnoException | null, bytesRead: number): void => {
    this.reading = false;
    const buffer = this.readBuffer!;
    if (this.destroyed) {
      this.readBuffer = null;
      this.giveUpFd();
      return;
    }
    if (err !== null) {
      this.fail(new FileBodyError(`cannot read ${this.path}: ${err.message}`, 'file_read_failed', this.path, { cause: err }));
      return;
    }
    if (bytesRead === 0) {
      this.fail(new FileBodyError(`${this.path} ended ${this.remaining} bytes early`, 'file_truncated', this.path));
      return;
    }
    counters.bytesRead += bytesRead;
    this.position += bytesRead;
    this.remaining -= bytesRead;
    this.rest = buffer.subarray(0, bytesRead);
    // The whole range is read: the descriptor goes back now, not when the last byte is sent.
    if (this.remaining === 0) this.giveUpFd();
    this.wake();
    // The pump took the bytes and started the next read, or cannot send for now: then the
    // descriptor is idle and may be closed (after the linger, or for a stream that can send).
    if (this.state === State.OPEN && !this.reading) this.setIdle();
  };

  /**
   * Done with a good descriptor (the range is read, or the body destroyed): parked for the next
   * body of this file version, with its process slot; closed instead when a body waits for a
   * slot (it would only be evicted for it).
   */
  private giveUpFd(): void {
    if (this.state !== State.OPEN || this.reading) return;
    if (!this.holdsProcess || this.process.hasWaiters) {
      this.closeFd();
      return;
    }
    const fd = this.fd;
    this.fd = -1;
    this.state = State.CLOSED;
    counters.openNow--;
    this.holdsProcess = false;
    descriptorCache().park(this, this.path, this.identity, fd);
    this.releaseSlots(); // the connection's
  }

  private closeFd(): void {
    if (this.state !== State.OPEN) return;
    this.setBusy();
    this.state = State.CLOSING;
    const fd = this.fd;
    this.fd = -1;
    fs.close(fd, this.onClosed);
  }

  private readonly onClosed = (): void => {
    // A failing close(2) still frees the descriptor on Linux: nothing to retry.
    counters.openNow--;
    this.state = State.CLOSED;
    this.releaseSlots();
    // Pulled while closing (the window reopened just as the linger ran out): open again.
    if (this.waiting && !this.destroyed && this.error === undefined && this.remaining > 0) this.acquire();
  };

  private fail(err: FileBodyError): void {
    this.error = err;
    this.rest = null;
    this.readBuffer = null;
    this.closeFd();
    this.wake();
  }

  private wake(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.onWake();
  }
}
