/**
 * The `cache-control` of each response, by URL path:
 *
 * - `--immutable PATTERN` (repeatable): paths that match get `public, max-age=31536000,
 *   immutable`: a name with a content hash (`app.3f9a1c2b.js`) never changes its content, so
 *   browsers keep it a year and do not even revalidate it on reload.
 * - Every other path gets `--cache-control VALUE`, by default `no-cache`: a cache may store the
 *   file but asks every time (a 304 when unchanged), so an edited file shows at once.
 *
 * A PATTERN is a glob (picomatch: `*`, `**`, `?`, `[0-9a-f]`, `{a,b}`, `+(...)`), matched against
 * the whole URL path when it holds a `/` and against the last segment otherwise (`*.woff2`); or,
 * starting with `~`, a regular expression searched in the URL path (`~*` ignores case: nginx's
 * `location ~` and `~*`). The URL path is the decoded one, without the query.
 */
import picomatch from 'picomatch';
import { CliUsageError } from '../command.js';

export const DEFAULT_CACHE_CONTROL = 'no-cache';
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface CachePolicyOptions {
  /** The cache-control of paths no pattern matches (default `no-cache`). */
  cacheControl?: string | null;
  /** `--immutable` patterns. */
  immutable?: readonly string[];
}

type PathTest = (urlPath: string) => boolean;

/** One `--immutable` pattern as a test of a URL path; throws CliUsageError when it is malformed. */
export function pathTestOf(pattern: string): PathTest {
  if (pattern.length === 0) throw new CliUsageError('--immutable expects a glob or a ~regex, got ""');
  if (pattern.startsWith('~')) {
    const ignoreCase = pattern.startsWith('~*');
    const source = pattern.slice(ignoreCase ? 2 : 1);
    let re: RegExp;
    try {
      re = new RegExp(source, ignoreCase ? 'i' : '');
    } catch (err) {
      throw new CliUsageError(`--immutable ${JSON.stringify(pattern)}: not a regular expression (${(err as Error).message})`);
    }
    return (urlPath) => re.test(urlPath);
  }
  // dot: hidden names are never served anyway, and `/.well-known/**` should match as written.
  const match = picomatch(pattern, { dot: true });
  if (!pattern.includes('/')) {
    return (urlPath) => match(urlPath.slice(urlPath.lastIndexOf('/') + 1));
  }
  return (urlPath) => match(urlPath);
}

/** Whether a header value can go on the wire as is (no control characters but tab). */
function isFieldValue(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) && value.trim() === value;
}

export class CachePolicy {
  private readonly tests: PathTest[];
  private readonly fallback: string;

  /** Throws CliUsageError for a malformed pattern or a value that is no field value. */
  constructor(options: CachePolicyOptions = {}) {
    const value = options.cacheControl ?? DEFAULT_CACHE_CONTROL;
    if (value.length === 0 || !isFieldValue(value)) {
      throw new CliUsageError(`--cache-control expects a header value (no control characters, no leading or trailing space), got ${JSON.stringify(value)}`);
    }
    this.fallback = value;
    this.tests = (options.immutable ?? []).map(pathTestOf);
  }

  /** The cache-control for a response at this (decoded) URL path. */
  cacheControlOf(urlPath: string): string {
    for (const test of this.tests) if (test(urlPath)) return IMMUTABLE_CACHE_CONTROL;
    return this.fallback;
  }
}
