/**
 * DescriptorCache: descriptors of files a body has finished with, kept open for the next body
 * of the same version of the same file, so a file sent again and again (the large assets of a
 * site) costs no open, fstat and close per response: three thread-pool round trips, a third of
 * what a 1 MiB response cost besides its reads.
 *
 * A kept descriptor ("parked") keeps the per-process slot its body held (DescriptorSlots): the
 * caps count it like any other open descriptor, and it is idle there, so
 *   - a body waiting for a slot closes it at once (the oldest idle first), and
 *   - it is closed after the linger (`lingerMs`, 500 ms) when no body takes it,
 * and parked descriptors never hold a connection's slot (the body gives that back as usual).
 * Each parked descriptor serves one body at a time (it is taken out while in use), so the slots
 * still bound the reads in flight.
 *
 * Keyed by path and file identity (device, inode, size, mtime): a body takes a descriptor only if
 * the version it was validated for is the one its response describes; a request for another
 * version of the path means the file changed, and the parked descriptors of the old one are
 * closed then. (A descriptor pins its inode, so an inode number cannot be reused for another file
 * while it is parked.) The body that takes one still checks, as an open would, that the path
 * names that inode, unchanged: a file replaced, edited or deleted since is never read from the
 * parked descriptor.
 */
import fs, { type Stats } from 'node:fs';
import type { DescriptorSlots, SlotHolder } from './descriptor-slots.js';

/** What says two opens found the same version of a file (the fields of `fs.Stats` we compare). */
export type FileIdentity = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

export function sameVersion(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** One parked descriptor: the holder of its slot while nobody uses it. */
class Parked implements SlotHolder {
  readonly cache: DescriptorCache;
  readonly path: string;
  readonly version: FileIdentity;
  readonly fd: number;

  constructor(cache: DescriptorCache, path: string, version: FileIdentity, fd: number) {
    this.cache = cache;
    this.path = path;
    this.version = version;
    this.fd = fd;
  }

  /** Never waits for a slot: it took over the one its body held. */
  slotGranted(): void {}

  /** The slots want it closed (a body waits for a slot, or it was idle for the linger). */
  evict(): void {
    this.cache.close(this);
  }
}

export interface DescriptorCacheStats {
  /** Descriptors parked now. */
  parked: number;
  /** Bodies that took a parked descriptor instead of opening. */
  reuses: number;
  /** Parked descriptors closed (evicted, lingered out, or of a version no longer asked for). */
  closes: number;
}

export class DescriptorCache {
  private readonly slots: DescriptorSlots;
  /** Parked descriptors by path, most recently parked last. */
  private readonly byPath = new Map<string, Parked[]>();
  private parked = 0;
  private reuses = 0;
  private closes = 0;

  /** `slots`: the per-process slots the parked descriptors hold. */
  constructor(slots: DescriptorSlots) {
    this.slots = slots;
  }

  get stats(): DescriptorCacheStats {
    return { parked: this.parked, reuses: this.reuses, closes: this.closes };
  }

  /**
   * Parks `fd` (open on `path`, checked to be `version`) and its per-process slot, which the
   * caller (`holder`) gives up: from now on the cache holds it, idle.
   */
  park(holder: SlotHolder, path: string, version: FileIdentity, fd: number): void {
    const entry = new Parked(this, path, version, fd);
    let list = this.byPath.get(path);
    if (list === undefined) {
      list = [];
      this.byPath.set(path, list);
    }
    list.push(entry);
    this.parked++;
    this.slots.setBusy(holder);
    this.slots.setIdle(entry);
  }

  /**
   * A parked descriptor of `path` at `version`, or -1. The caller now holds its per-process
   * slot (as `holder`: the slots see it busy). Parked descriptors of other versions of `path`
   * are closed: the file has changed since they were opened.
   */
  take(holder: SlotHolder, path: string, version: FileIdentity): number {
    const list = this.byPath.get(path);
    if (list === undefined) return -1;
    let found: Parked | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i]!;
      if (!sameVersion(entry.version, version)) {
        this.close(entry);
      } else if (found === null) {
        found = entry;
      }
    }
    if (found === null) return -1;
    this.remove(found);
    this.reuses++;
    this.slots.handOver(found, holder);
    return found.fd;
  }

  /** @internal Closes a parked descriptor; its slot comes back when the close lands. */
  close(entry: Parked): void {
    if (!this.remove(entry)) return;
    this.closes++;
    // Closing: the slots must not hand it out or evict it again meanwhile.
    this.slots.markClosing(entry);
    fs.close(entry.fd, () => {
      // A failing close(2) still frees the descriptor on Linux: nothing to retry.
      this.slots.release(entry);
    });
  }

  /** Takes `entry` out of its path's list; false if it was not parked. */
  private remove(entry: Parked): boolean {
    const list = this.byPath.get(entry.path);
    if (list === undefined) return false;
    const at = list.indexOf(entry);
    if (at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.byPath.delete(entry.path);
    this.parked--;
    return true;
  }
}
