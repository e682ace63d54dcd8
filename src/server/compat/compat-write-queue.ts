/**
 * The writes of a compatibility response not yet handed to the stream: chunks with their
 * callbacks, in order. A callback runs (on the next tick, never inside the caller) when its chunk
 * is taken, or with an error when the stream closes first. Above the high-water mark `write()`
 * tells its caller to wait, and the queue says when it has fallen below again ('drain').
 */
type WriteCallback = (err?: Error | null) => void;

/** Queued body bytes above which `write()` returns false (node's default writable high-water mark). */
export const HIGH_WATER_MARK = 16384;

export class WriteQueue {
  private chunks: Buffer[] = [];
  private callbacks: Array<WriteCallback | null> = [];
  /** Octets queued. */
  length = 0;
  /** A write was told to wait: 'drain' is owed once the queue falls below the mark. */
  needDrain = false;

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  /** Queues `buf`; false when the caller should wait for 'drain'. */
  push(buf: Buffer, cb: WriteCallback | null): boolean {
    this.chunks.push(buf);
    this.callbacks.push(cb);
    this.length += buf.length;
    if (this.length < HIGH_WATER_MARK) return true;
    this.needDrain = true;
    return false;
  }

  /** The next chunk (its callback is scheduled), or undefined; `drained()` is then true once if 'drain' is owed. */
  shift(): Buffer | undefined {
    const chunk = this.chunks.shift();
    if (chunk === undefined) return undefined;
    const cb = this.callbacks.shift();
    if (cb !== undefined && cb !== null) process.nextTick(cb);
    this.length -= chunk.length;
    return chunk;
  }

  /** True (once) when a waiting writer may go on. */
  drained(): boolean {
    if (!this.needDrain || this.length >= HIGH_WATER_MARK) return false;
    this.needDrain = false;
    return true;
  }

  /** Everything at once, as one buffer (null when empty); every callback is scheduled. */
  takeAll(): Buffer | null {
    const chunks = this.chunks;
    const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    this.clear(undefined);
    return body;
  }

  /** Drops what is queued; callbacks get `err` (undefined: success). */
  clear(err: Error | undefined): void {
    const callbacks = this.callbacks;
    this.chunks = [];
    this.callbacks = [];
    this.length = 0;
    for (const cb of callbacks) if (cb !== null) process.nextTick(cb, err);
  }
}
