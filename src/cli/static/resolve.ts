/**
 * Request path -> file inside the served folder, with no way out of it.
 *
 * Two checks, because each alone has holes:
 *  1. Lexical: the `:path` is decoded once; a decoded path that still holds an encoded dot,
 *     slash, backslash or NUL (a double-encoded attack: `%252e%252e`) is refused, as are NUL,
 *     backslashes and `.`/`..` segments. Nothing of the request ever reaches `path.join` raw.
 *  2. Physical: the candidate is resolved with `realpath` (every symlink followed) and must
 *     still lie under the folder's own realpath. A symlink inside the site that points out of
 *     it is therefore not served, whatever the URL looked like.
 * A refusal is "not found" to the client (404): the server does not confirm that something
 * exists outside the site. Bad syntax is 400. Hidden names (a segment starting with ".", such
 * as `.git/` or `.env`) are not served either (404), except `/.well-known/`: serving a
 * project folder should not publish its repository or secrets by accident.
 *
 * `realpath(3)` and `stat(2)` are called synchronously: on a local disk each is a few
 * microseconds from the kernel's caches, while their promise forms cost a thread-pool round
 * trip and most of the server's CPU per small request (measured with h2load: 40% of the
 * profile). File contents are still read asynchronously. A path found here is remembered by
 * the site (resource-cache.ts), which then revalidates it with one stat of the `lexical` path,
 * so this runs once per file version, not per request, and keeps no cache of its own.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';

export type Resolution =
  /**
   * `file` is the real path (symlinks followed, inside the root); `lexical` the root joined with
   * the URL's segments (and `index.html`): a stat of it follows the same symlinks the URL does.
   */
  | { kind: 'file'; file: string; lexical: string; stats: Stats; urlPath: string }
  /** A folder asked for without its trailing slash: redirect so relative links in its index work. */
  | { kind: 'redirect'; location: string }
  | { kind: 'bad'; reason: string }
  | { kind: 'missing' };

/** Encoded `.`, `/`, `\` or NUL left after one decoding: the request was encoded twice. */
const STILL_ENCODED = /%(2e|2f|5c|00)/i;

/** The URL path of a `:path` (query and fragment cut), decoded and checked; null when refused. */
export function decodeRequestPath(rawPath: string): { path: string } | { bad: string } {
  let end = rawPath.length;
  const q = rawPath.indexOf('?');
  if (q >= 0) end = q;
  const h = rawPath.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const raw = rawPath.slice(0, end);
  if (raw.length === 0 || raw.charCodeAt(0) !== 0x2f) return { bad: 'the path must start with "/"' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { bad: 'the path has a malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { bad: 'the path holds a NUL' };
  if (decoded.includes('\\')) return { bad: 'the path holds a backslash' };
  if (STILL_ENCODED.test(decoded)) return { bad: 'the path is percent-encoded twice' };
  const segments = decoded.split('/');
  for (const s of segments) {
    if (s === '.' || s === '..') return { bad: 'the path has a "." or ".." segment' };
  }
  return { path: decoded };
}

/** How a path becomes a real path: realpath(3) by default; a test may count or fake it. */
export interface RealpathResolver {
  resolve(path: string): string;
}

export const realpaths: RealpathResolver = { resolve: (path) => realpathSync.native(path) };

/** Whether `candidate` (a realpath) is `root` or lies under it. */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Finds the file for a request path under `root` (which must already be a realpath).
 * Directories are answered with their `index.html`.
 */
export function resolveRequestPath(root: string, rawPath: string, resolver: RealpathResolver = realpaths): Resolution {
  const decoded = decodeRequestPath(rawPath);
  if ('bad' in decoded) return { kind: 'bad', reason: decoded.bad };
  const urlPath = decoded.path;
  const segments = urlPath.split('/').filter((s) => s.length > 0);
  for (let i = 0; i < segments.length; i++) {
    if (segments[i]!.charCodeAt(0) === 0x2e && !(i === 0 && segments[i] === '.well-known')) return { kind: 'missing' };
  }
  let real: string;
  let stats: Stats;
  try {
    real = resolver.resolve(join(root, ...segments));
    if (!isInside(root, real)) return { kind: 'missing' };
    stats = statSync(real);
  } catch {
    return { kind: 'missing' };
  }
  if (stats.isDirectory()) {
    if (!urlPath.endsWith('/')) {
      // Rebuilt from the segments, not echoed: `//host` would otherwise redirect off-site.
      const q = rawPath.indexOf('?');
      const location = '/' + segments.map(encodeURIComponent).join('/') + '/' + (q >= 0 ? rawPath.slice(q) : '');
      return { kind: 'redirect', location };
    }
    let index: string;
    try {
      index = resolver.resolve(join(real, 'index.html'));
      if (!isInside(root, index)) return { kind: 'missing' };
      stats = statSync(index);
    } catch {
      return { kind: 'missing' };
    }
    if (!stats.isFile()) return { kind: 'missing' };
    return { kind: 'file', file: index, lexical: join(root, ...segments, 'index.html'), stats, urlPath: urlPath + 'index.html' };
  }
  if (!stats.isFile()) return { kind: 'missing' };
  return { kind: 'file', file: real, lexical: join(root, ...segments), stats, urlPath };
}
