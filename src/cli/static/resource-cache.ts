/**
 * The site's resources by URL path, kept while their files are unchanged, and how "unchanged"
 * is known without a stat per request and without serving a file older than the event-loop round.
 *
 * Freshness. A cached resource is revalidated with one synchronous stat(2) of its path
 * (`statPath`, which follows the same symlinks as the URL): the same inode, size, mtime and
 * ctime mean the same bytes. A stat costs ~3.5 µs of CPU here (the syscall plus the Stats
 * object), as much as the rest of a small response, so it is made at most once per resource
 * per *round* of the event loop (counted by `turn`): from the first look in a round to the
 * check phase that ends it (a setImmediate). This is h2o's rule (its open-file cache is cleared after every round of
 * its loop), and what it promises: a request never gets a version older than the one on disk
 * when the round that read it began. An edit finished before the request was sent is seen,
 * and a deleted file gives 404 at once, unless the edit landed inside that same round, after
 * the stat, while other sockets' reads were being served: a window as long as one round (well
 * under a millisecond to a few ms under load), after which the next round sees the change.
 * Once per microtask turn (each socket read) closed that window too, but cost a stat per read:
 * 13% more CPU per small response under h2load's 10 connections (stop 23's measure). A file
 * watcher alone would not be better: its event can be handled after the request is.
 * With h2load's 10 connections this is one stat per ~10-100 requests; a browser loading a page
 * also sends its requests together.
 *
 * Precompressed siblings (`file.br`, `file.gz`) are stat'ed in the same way, but only for
 * requests that accept a coding: a request for identity does not depend on them.
 *
 * Memory. Entries are bounded in number and in the bytes they hold (small files, siblings,
 * on-the-fly encodings); past either, the least recently revalidated go first.
 */
import { statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { CachePolicy } from './cache-policy.js';
import { Compressor } from './compressor.js';
import { contentTypeOf, isCompressible } from './mime.js';
import { isInside, realpaths, resolveRequestPath, type Resolution } from './resolve.js';
import { Resource, sameVersion, versionOf, type FileVersion, type Sibling } from './resource.js';

/** Files up to this size are kept in memory; larger ones are streamed from disk per request. */
export const SMALL_FILE_SIZE = 64 * 1024;
/** Bytes all resources may hold (files, siblings, encodings). */
const MAX_HELD_BYTES = 32 * 1024 * 1024;
/** Resources kept (each is a few hundred bytes without its file's). */
const MAX_RESOURCES = 10_000;
/** Reads of a small file that changed while being read, before giving up. */
const READ_ATTEMPTS = 3;

const SIBLING_EXTENSIONS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

export interface ResourceCacheOptions {
  root: string;
  compress: boolean;
  policy: CachePolicy;
}

/** What looking up a path gives: a resource, or what to answer instead. */
export type Lookup = { kind: 'resource'; resource: Resource } | Exclude<Resolution, { kind: 'file' }>;

/** A small file changed every time it was read (it is being written to). */
export class FileUnsettledError extends Error {}

/** A stat that answers undefined for a path that is not there (or cannot be stat'ed). */
function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // ENOTDIR, EACCES, ELOOP...: there is nothing to serve there
  }
}

/**
 * A file's bytes with the version they are of: read through one descriptor, and checked
 * unchanged across the read (an in-place write meanwhile gives another try).
 */
async function readWhole(path: string): Promise<{ bytes: Buffer; stats: Stats }> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const handle = await open(path, 'r');
    try {
      const before = await handle.stat();
      const bytes = await handle.readFile();
      const after = await handle.stat();
      if (bytes.length === after.size && sameVersion(versionOf(before), after)) return { bytes, stats: after };
    } finally {
      await handle.close();
    }
  }
  throw new FileUnsettledError(`${path} kept changing while it was read`);
}

export class ResourceCache {
  readonly root: string;
  private readonly compress: boolean;
  private readonly policy: CachePolicy;
  private readonly compressor = new Compressor();
  /** In order of last revalidation, oldest first. */
  private readonly resources = new Map<string, Resource>();
  private readonly building = new Map<string, Promise<Resource>>();
  private heldBytes = 0;
  private turn = 0;
  private turnEnding = false;
  private readonly endTurn = (): void => {
    this.turn++;
    this.turnEnding = false;
  };

  constructor(options: ResourceCacheOptions) {
    this.root = options.root;
    this.compress = options.compress;
    this.policy = options.policy;
  }

  /** The current round (see Freshness); its end is scheduled with the first look at it. */
  private currentTurn(): number {
    if (!this.turnEnding) {
      this.turnEnding = true;
      setImmediate(this.endTurn);
    }
    return this.turn;
  }

  /**
   * The resource at `key` if cached and still current (checked as the header comment says);
   * null otherwise (a changed one is dropped). `codings`: the request accepts a content coding,
   * so the siblings must be current too.
   */
  fresh(key: string, codings: boolean): Resource | null {
    const r = this.resources.get(key);
    return r !== undefined && this.isCurrent(r, codings) ? r : null;
  }

  /** Whether a resource (cached, or just built in an earlier turn) is still current; drops it if not. */
  isCurrent(r: Resource, codings: boolean): boolean {
    const turn = this.currentTurn();
    if (r.checkedTurn !== turn) {
      const stats = statOrNothing(r.statPath);
      if (stats === undefined || !sameVersion(r.version, stats)) {
        this.drop(r);
        return false;
      }
      r.checkedTurn = turn;
      // Least recently revalidated first out: moved to the end once a turn, not on every hit.
      if (this.resources.get(r.key) === r) {
        this.resources.delete(r.key);
        this.resources.set(r.key, r);
      }
    }
    if (codings && this.compress && r.siblingsCheckedTurn !== turn) {
      if (!this.siblingsUnchanged(r)) {
        this.drop(r);
        return false;
      }
      r.siblingsCheckedTurn = turn;
    }
    return true;
  }

  /** Whether the siblings are as they were when `r` was made (none appeared, none changed or went). */
  private siblingsUnchanged(r: Resource): boolean {
    for (const [coding, ext] of SIBLING_EXTENSIONS) {
      const seen = r.siblingsSeen[coding];
      const stats = statOrNothing(r.statPath + ext);
      if (seen === null ? stats !== undefined : stats === undefined || !sameVersion(seen, stats)) return false;
    }
    return true;
  }

  /**
   * Finds what `rawPath` names and, for a file, makes its resource (reading what is kept in
   * memory) and caches it. Concurrent requests for one key share one build. The resource may be
   * used by the request that asked even if the build ended in a later turn: it was made from
   * stats taken after that request arrived.
   */
  lookup(rawPath: string, key: string): Lookup | Promise<Lookup> {
    const pending = this.building.get(key);
    if (pending !== undefined) {
      // Begun before this request arrived, maybe: used only if still current once built.
      return pending.then((r) => (this.isCurrent(r, true) ? { kind: 'resource', resource: r } : this.lookup(rawPath, key)));
    }
    const found = resolveRequestPath(this.root, rawPath, realpaths);
    if (found.kind !== 'file') return found;
    const build = this.build(key, found).finally(() => this.building.delete(key));
    this.building.set(key, build);
    return build.then((resource) => ({ kind: 'resource', resource }));
  }

  private async build(key: string, found: Extract<Resolution, { kind: 'file' }>): Promise<Resource> {
    let stats = found.stats;
    let identityBytes: Buffer | null = null;
    if (stats.size <= SMALL_FILE_SIZE) ({ bytes: identityBytes, stats } = await readWhole(found.file));
    const contentType = contentTypeOf(found.file);
    const siblingsSeen: Record<'br' | 'gzip', FileVersion | null> = { br: null, gzip: null };
    const siblings: Sibling[] = [];
    if (this.compress) {
      for (const [coding, ext] of SIBLING_EXTENSIONS) {
        const sibling = await this.siblingOf(coding, found.lexical + ext, stats, siblingsSeen);
        if (sibling !== null) siblings.push(sibling);
      }
    }
    const resource = new Resource({
      key,
      statPath: found.lexical,
      file: found.file,
      urlPath: found.urlPath,
      stats,
      contentType,
      cacheControl: this.policy.cacheControlOf(key),
      identityBytes,
      siblings,
      siblingsSeen,
      compressOnTheFly: this.compress && isCompressible(contentType) && Compressor.fits(stats.size),
    });
    // Its checkedTurn stays unset: the next request stats the path (the file may have been
    // replaced since it was opened); the request that built it may use it as it is.
    this.put(resource);
    return resource;
  }

  /**
   * The precompressed sibling at `statPath`, if usable: a regular file inside the site, at least
   * as new as the file (an older one was made from an older version). What was there is noted
   * in `seen` either way, so revalidation can tell a change from a sibling that was refused.
   */
  private async siblingOf(coding: 'br' | 'gzip', statPath: string, file: Stats, seen: Record<'br' | 'gzip', FileVersion | null>): Promise<Sibling | null> {
    let stats = statOrNothing(statPath);
    if (stats === undefined) return null;
    seen[coding] = versionOf(stats);
    if (!stats.isFile() || stats.mtimeMs < file.mtimeMs) return null;
    let real: string;
    try {
      real = realpaths.resolve(statPath);
    } catch {
      return null;
    }
    if (!isInside(this.root, real)) return null;
    let bytes: Buffer | null = null;
    if (stats.size <= SMALL_FILE_SIZE) ({ bytes, stats } = await readWhole(real));
    return { coding, statPath, file: real, version: versionOf(stats), bytes };
  }

  /**
   * The bytes of `r` in `coding`, made on the fly: at once when made already, else a promise of
   * them; null (or a promise of null) when they cannot be had now (the caller sends identity).
   */
  encoded(r: Resource, coding: 'br' | 'gzip'): Buffer | Promise<Buffer | null> {
    const made = r.madeOnTheFly.get(coding);
    if (made !== undefined) return made;
    const read = (): Buffer | Promise<Buffer | null> =>
      r.identityBytes ?? readWhole(r.file).then(({ bytes, stats }) => (sameVersion(r.version, stats) ? bytes : null), () => null);
    const making = this.compressor.compress(coding, r.size, read).then((bytes) => {
      if (bytes === null) {
        r.madeOnTheFly.delete(coding); // the next request tries again
        return null;
      }
      r.madeOnTheFly.set(coding, bytes);
      this.hold(r, bytes.length);
      return bytes;
    });
    r.madeOnTheFly.set(coding, making);
    return making;
  }

  private put(r: Resource): void {
    const old = this.resources.get(r.key);
    if (old !== undefined) this.drop(old);
    this.resources.set(r.key, r);
    this.heldBytes += r.heldBytes;
    this.evict();
  }

  private drop(r: Resource): void {
    if (this.resources.get(r.key) !== r) return;
    this.resources.delete(r.key);
    this.heldBytes -= r.heldBytes;
  }

  /** `r` holds `n` more bytes (an encoding was made). */
  private hold(r: Resource, n: number): void {
    r.heldBytes += n;
    if (this.resources.get(r.key) !== r) return; // dropped meanwhile: it goes with its last response
    this.heldBytes += n;
    this.evict();
  }

  private evict(): void {
    for (const r of this.resources.values()) {
      if (this.heldBytes <= MAX_HELD_BYTES && this.resources.size <= MAX_RESOURCES) return;
      this.drop(r);
    }
  }

  /** Resources cached and bytes they hold (for tests and diagnostics). */
  get stats(): { resources: number; heldBytes: number } {
    return { resources: this.resources.size, heldBytes: this.heldBytes };
  }
}
