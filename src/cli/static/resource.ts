/**
 * One URL path's file as of one version of it, with everything a response needs worked out once:
 * the validators, the content type, the cache policy, the header lists of each representation
 * (identity and each content coding), and the bytes that are kept in memory (the file itself
 * when small, precompressed siblings when small, compressed forms made on the fly).
 *
 * A Resource never changes its version: when the file (or a sibling) changes, the cache drops
 * it and a new one is made. Only the on-the-fly encodings fill in later, once computed.
 *
 * Representations (RFC 9110 section 3.2) and their validators (section 8.8.3): each coding has
 * its own strong etag, since its bytes differ; the last-modified is the file's for all.
 *   identity            "<size hex>-<mtime hex>"                    (conditional.ts)
 *   br / gzip, on the fly  "<size hex>-<mtime hex>-br" / "-gz"     (our compressor is deterministic)
 *   br / gzip, sibling  "<sibling size hex>-<sibling mtime hex>-br" / "-gz"  (the sibling's own bytes)
 */
import type { Stats } from 'node:fs';
import { PreparedHeaders } from 'h2kit';
import type { Coding } from './accept-encoding.js';
import { etagOf, lastModifiedOf } from './conditional.js';

/** What identifies a version of a file: same inode, size, mtime and ctime, same bytes. */
export interface FileVersion {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  /** Changes on every write and rename, and cannot be set back (unlike mtime: `cp -p`, `touch -d`). */
  ctimeMs: number;
}

export function versionOf(stats: Stats): FileVersion {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
}

export function sameVersion(version: FileVersion, stats: Stats): boolean {
  return (
    version.ino === stats.ino &&
    version.mtimeMs === stats.mtimeMs &&
    version.ctimeMs === stats.ctimeMs &&
    version.size === stats.size &&
    version.dev === stats.dev
  );
}

/** A precompressed sibling (`file.br`, `file.gz`) as found beside the file. */
export interface Sibling {
  coding: Exclude<Coding, 'identity'>;
  /** The path stat'ed to revalidate it (the file's lexical path plus the extension). */
  statPath: string;
  /** Its real path, checked to lie inside the site. */
  file: string;
  version: FileVersion;
  /** Its bytes when small enough to keep; null: it is streamed from disk. */
  bytes: Buffer | null;
}

export type Header = readonly [string, string];

/**
 * The header lists of one representation: of a 200 (and HEAD, 206), and of a 304. Prepared
 * (checked and lowercased) once per version and coding, so a response does no work on them.
 */
export interface RepresentationHeaders {
  readonly etag: string;
  readonly ok: PreparedHeaders;
  readonly notModified: PreparedHeaders;
}

export interface ResourceInit {
  key: string;
  statPath: string;
  file: string;
  urlPath: string;
  stats: Stats;
  contentType: string;
  cacheControl: string;
  identityBytes: Buffer | null;
  siblings: readonly Sibling[];
  /** What was at each sibling's path when the resource was made (null: nothing), used or not. */
  siblingsSeen: Readonly<Record<'br' | 'gzip', FileVersion | null>>;
  /** Whether br and gzip can be made on the fly (compression on, a compressible type, a size in range). */
  compressOnTheFly: boolean;
}

/** The name a coding has in an etag suffix and in `content-encoding`. */
const ETAG_SUFFIX = { br: 'br', gzip: 'gz' } as const;

export class Resource {
  /** The cache key: the request's `:path` up to any `?`. */
  readonly key: string;
  readonly statPath: string;
  /** The real path (inside the site). */
  readonly file: string;
  /** The decoded URL path (`.../index.html` for a folder). */
  readonly urlPath: string;
  /** The file's stats when the resource was made (what `version` was taken from). */
  readonly stats: Stats;
  readonly version: FileVersion;
  readonly identityBytes: Buffer | null;
  readonly siblings: readonly Sibling[];
  readonly siblingsSeen: Readonly<Record<'br' | 'gzip', FileVersion | null>>;
  readonly compressOnTheFly: boolean;
  /** The codings to offer, in the server's order of preference: siblings, then on the fly, then identity. */
  readonly codings: readonly Coding[];
  /** Whether the resource has more than one representation: every response says `vary: accept-encoding`. */
  readonly varies: boolean;
  readonly lastModified: string;
  /** Encodings made on the fly: the bytes, or the promise of them while being made. */
  readonly madeOnTheFly = new Map<Exclude<Coding, 'identity'>, Buffer | Promise<Buffer | null>>();
  /** Bytes of this resource the cache counts against its budget. */
  heldBytes: number;
  /** The revalidation turn (resource-cache.ts) in which the file was last found unchanged. */
  checkedTurn = -1;
  /** The same for the siblings (checked only for requests that accept a coding). */
  siblingsCheckedTurn = -1;
  // One field a coding rather than a Record keyed by it: a keyed load by a string variable goes megamorphic (seen in profiles).
  private identityHeaders: RepresentationHeaders | null = null;
  private brHeaders: RepresentationHeaders | null = null;
  private gzipHeaders: RepresentationHeaders | null = null;
  private readonly contentType: string;
  private readonly cacheControl: string;

  constructor(init: ResourceInit) {
    this.key = init.key;
    this.statPath = init.statPath;
    this.file = init.file;
    this.urlPath = init.urlPath;
    this.stats = init.stats;
    this.version = versionOf(init.stats);
    this.identityBytes = init.identityBytes;
    this.siblings = init.siblings;
    this.siblingsSeen = init.siblingsSeen;
    this.compressOnTheFly = init.compressOnTheFly;
    this.contentType = init.contentType;
    this.cacheControl = init.cacheControl;
    this.lastModified = lastModifiedOf(init.stats);
    const codings: Coding[] = [];
    for (const s of init.siblings) codings.push(s.coding);
    if (init.compressOnTheFly) for (const c of ['br', 'gzip'] as const) if (!codings.includes(c)) codings.push(c);
    codings.push('identity');
    this.codings = codings;
    this.varies = codings.length > 1;
    this.heldBytes = (init.identityBytes?.length ?? 0) + init.siblings.reduce((n, s) => n + (s.bytes?.length ?? 0), 0);
  }

  get size(): number {
    return this.version.size;
  }

  siblingFor(coding: Coding): Sibling | null {
    for (const s of this.siblings) if (s.coding === coding) return s;
    return null;
  }

  /** The header lists of a representation, made on first use. */
  headersOf(coding: Coding): RepresentationHeaders {
    if (coding === 'identity') return (this.identityHeaders ??= this.makeHeaders(coding));
    if (coding === 'br') return (this.brHeaders ??= this.makeHeaders(coding));
    return (this.gzipHeaders ??= this.makeHeaders(coding));
  }

  private makeHeaders(coding: Coding): RepresentationHeaders {
    let etag: string;
    if (coding === 'identity') {
      etag = etagOf(this.version);
    } else {
      const sibling = this.siblingFor(coding);
      const base = etagOf(sibling?.version ?? this.version);
      etag = `${base.slice(0, -1)}-${ETAG_SUFFIX[coding]}"`;
    }
    // The fields a 304 must carry if a 200 would (RFC 9110 section 15.4.5), and last-modified.
    const notModified: Header[] = [
      ['etag', etag],
      ['last-modified', this.lastModified],
      ['cache-control', this.cacheControl],
    ];
    if (this.varies) notModified.push(['vary', 'accept-encoding']);
    const ok: Header[] = [...notModified, ['content-type', this.contentType], ['accept-ranges', 'bytes']];
    if (coding !== 'identity') ok.push(['content-encoding', coding]);
    return { etag, ok: new PreparedHeaders(ok), notModified: new PreparedHeaders(notModified) };
  }
}
