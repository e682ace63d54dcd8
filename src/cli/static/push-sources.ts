/**
 * What to push with a page, from the two sources `h2kit serve` knows:
 *
 * - `--push-preload`: the `<link rel="preload" href="...">` tags of an HTML page (the HTML form
 *   of a `link: <...>; rel=preload` relation). A tag with a `nopush` attribute is skipped, as
 *   the `nopush` parameter of a Link field is. Pages are scanned once per version (size + mtime)
 *   and only when they are HTML and at most 1 MiB.
 * - `--push-manifest FILE`: JSON `{ "/page": ["/asset", ...], ... }`, keys and assets as URL paths.
 *
 * Only same-origin paths are pushed (a push must be for the authority of the page).
 */
import { readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname } from 'node:path';
import { CliInputError } from '../command.js';

const MAX_SCANNED_PAGE = 1 << 20;
const LINK_TAG = /<link\b([^>]*)>/gi;
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/** Attribute name -> value (lowercased names; valueless attributes map to ''). */
function attributesOf(tagBody: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of tagBody.matchAll(ATTRIBUTE)) {
    const name = m[1]!.toLowerCase();
    if (!attrs.has(name)) attrs.set(name, m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The hrefs of `<link rel=preload>` tags in `html`, in document order, without duplicates. */
export function preloadLinksOf(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(LINK_TAG)) {
    const attrs = attributesOf(m[1]!);
    const rel = (attrs.get('rel') ?? '').toLowerCase().split(/\s+/);
    const href = attrs.get('href');
    if (!rel.includes('preload') || attrs.has('nopush') || href === undefined || href === '') continue;
    if (!out.includes(href)) out.push(href);
  }
  return out;
}

/** The URL path of `href` seen from the page at `pagePath`, or null when it is another origin. */
export function sameOriginPath(href: string, pagePath: string): string | null {
  const base = new URL('http://page.invalid');
  let url: URL;
  try {
    url = new URL(href, new URL(pagePath, base));
  } catch {
    return null;
  }
  if (url.origin !== base.origin) return null;
  return url.pathname;
}

/** Preload links per HTML file, re-read when the file changes. */
export class PreloadCache {
  private readonly entries = new Map<string, { size: number; mtimeMs: number; links: string[] }>();

  async linksOf(file: string, stats: Stats): Promise<string[]> {
    const ext = extname(file).toLowerCase();
    if ((ext !== '.html' && ext !== '.htm') || stats.size > MAX_SCANNED_PAGE) return [];
    const cached = this.entries.get(file);
    if (cached !== undefined && cached.size === stats.size && cached.mtimeMs === stats.mtimeMs) return cached.links;
    let links: string[];
    try {
      links = preloadLinksOf(await readFile(file, 'utf8'));
    } catch {
      links = [];
    }
    if (this.entries.size > 1000) this.entries.clear(); // bounded: a site is not that many pages
    this.entries.set(file, { size: stats.size, mtimeMs: stats.mtimeMs, links });
    return links;
  }
}

/** A push manifest: page URL path -> asset URL paths. */
export type PushManifest = ReadonlyMap<string, readonly string[]>;

/** Parses and checks a push manifest's text; `source` names it in errors. */
export function parsePushManifest(text: string, source: string): PushManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliInputError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CliInputError(`${source}: a push manifest is a JSON object {"/page": ["/asset", ...]}`);
  }
  const manifest = new Map<string, string[]>();
  for (const [page, assets] of Object.entries(json as Record<string, unknown>)) {
    if (!page.startsWith('/')) throw new CliInputError(`${source}: page ${JSON.stringify(page)} is not a path starting with "/"`);
    if (!Array.isArray(assets) || !assets.every((a) => typeof a === 'string' && a.startsWith('/'))) {
      throw new CliInputError(`${source}: the assets of ${JSON.stringify(page)} must be an array of paths starting with "/"`);
    }
    manifest.set(page, assets as string[]);
  }
  return manifest;
}

/** Reads and parses the manifest file. */
export async function loadPushManifest(file: string): Promise<PushManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliInputError(`cannot read push manifest ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`);
  }
  return parsePushManifest(text, file);
}
