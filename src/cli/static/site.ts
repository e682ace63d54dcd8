/**
 * The static site: answers one request with a file of the served folder, in the spirit of
 * `nghttpd -d DIR`, plus the validators, ranges and pushes a browser and a CDN expect.
 *
 *   GET/HEAD only (405 otherwise); 400 for a refused path, 404 for nothing there (or outside),
 *   301 to add the slash of a folder, its index.html served; 304 for a fresh cache, 206/416
 *   for a range; the rest 200 with content-type, content-length, etag and last-modified.
 *
 * Files over 64 KiB are sent as file bodies (`fileBody`, src/io/file-body.ts): opened only when
 * the stream may send, read at most a window's worth at a time, their descriptor capped per
 * connection and per process and closed while the stream stalls. A 100 GiB file costs the
 * server a few reads' worth of memory, and a stream that cannot send costs no descriptor.
 */
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { BaseRequestHandler, fileBody, type RequestHandlerClass } from '../../server/index.js';
import type { HandlerSession } from '../../server/index.js';
import { etagOf, ifRangeAllows, isNotModified, lastModifiedOf, parseRange } from './conditional.js';
import { contentTypeOf } from './mime.js';
import { PreloadCache, sameOriginPath, type PushManifest } from './push-sources.js';
import { resolveRequestPath } from './resolve.js';

/**
 * Files up to this size are read whole (and kept in a small cache while unchanged), so the
 * body leaves as DATA frames with END_STREAM on the last; a stream only learns it has ended
 * after its last read, which costs an extra empty DATA frame and a turn of the event loop.
 */
export const SMALL_FILE_SIZE = 64 * 1024;
/** Total bytes the small-file cache holds (per process). */
const SMALL_FILE_CACHE_BYTES = 8 * 1024 * 1024;
/** Most resources pushed with one page (a manifest or a page could list many). */
const MAX_PUSHES_PER_PAGE = 32;

export interface StaticSiteOptions {
  /** The served folder, already a realpath. */
  root: string;
  /** Push the `<link rel=preload>` resources of HTML pages. */
  pushPreload?: boolean;
  /** Push the assets a manifest lists for a page. */
  pushManifest?: PushManifest | null;
}

type Fields = Map<string, string>;

function fieldsOf(headers: ReadonlyArray<readonly [string, string]>): Fields {
  const fields: Fields = new Map();
  for (const [name, value] of headers) if (name.charCodeAt(0) !== 0x3a) fields.set(name, value);
  return fields;
}

function textResponse(handler: BaseRequestHandler, status: number, text: string, extra: Record<string, string> = {}): void {
  handler.sendResponse({ status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra }, body: `${status} ${text}\n` });
}

/** The server builds one handler per stream with (session, streamId): the site is bound here. */
function handlerClassFor(site: StaticSite): RequestHandlerClass {
  return class StaticFileHandler extends BaseRequestHandler {
    constructor(session: HandlerSession, streamId: number) {
      super(session, streamId);
    }
    override onHeaders(): void | Promise<void> {
      return site.answer(this);
    }
  };
}

export class StaticSite {
  readonly root: string;
  readonly pushPreload: boolean;
  readonly pushManifest: PushManifest | null;
  /** PUSH_PROMISEs sent (all connections of this process). */
  pushes = 0;
  private readonly preload = new PreloadCache();
  private readonly smallFiles = new Map<string, { size: number; mtimeMs: number; ino: number; data: Buffer }>();
  private smallFileBytes = 0;
  readonly handlerClass: RequestHandlerClass;

  constructor(options: StaticSiteOptions) {
    this.root = options.root;
    this.pushPreload = options.pushPreload ?? false;
    this.pushManifest = options.pushManifest ?? null;
    this.handlerClass = handlerClassFor(this);
  }

  /**
   * Answers one request. Synchronous when it can be (a cached small file, an error, a 304):
   * a handler that returns no promise lets the server answer within the same burst.
   */
  answer(h: BaseRequestHandler): void | Promise<void> {
    if (h.method !== 'GET' && h.method !== 'HEAD') {
      textResponse(h, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return;
    }
    const found = resolveRequestPath(this.root, h.path);
    switch (found.kind) {
      case 'bad':
        textResponse(h, 400, `Bad Request: ${found.reason}`);
        return;
      case 'missing':
        textResponse(h, 404, 'Not Found');
        return;
      case 'redirect':
        textResponse(h, 301, 'Moved Permanently', { location: found.location });
        return;
    }
    const { file, stats } = found;
    const fields = fieldsOf(h.headers);
    const etag = etagOf(stats);
    const headers: Record<string, string> = {
      etag,
      'last-modified': lastModifiedOf(stats),
      'cache-control': 'no-cache',
    };
    if (isNotModified(fields, stats, etag)) {
      h.sendResponse({ status: 304, headers });
      return;
    }
    headers['content-type'] = contentTypeOf(file);
    headers['accept-ranges'] = 'bytes';
    const size = stats.size;
    const range = fields.get('range');
    if (h.method === 'GET' && range !== undefined && ifRangeAllows(fields.get('if-range'), stats, etag)) {
      const answer = parseRange(range, size);
      if (answer.kind === 'unsatisfiable') {
        textResponse(h, 416, 'Range Not Satisfiable', { 'content-range': `bytes */${size}` });
        return;
      }
      if (answer.kind === 'partial') {
        headers['content-range'] = `bytes ${answer.start}-${answer.end}/${size}`;
        headers['content-length'] = String(answer.end - answer.start + 1);
        return this.sendBody(h, 206, headers, file, stats, answer.start, answer.end);
      }
    }
    if (h.method === 'HEAD' || size === 0) {
      headers['content-length'] = String(size);
      h.sendResponse({ status: 200, headers });
      return;
    }
    if (h.canPush && (this.pushPreload || this.pushManifest !== null)) {
      // Pushes go before the response (PUSH_PROMISE must precede the page's own frames).
      return this.pushFor(h, found.urlPath, file, stats).then(() => this.sendBody(h, 200, headers, file, stats, 0, size - 1));
    }
    return this.sendBody(h, 200, headers, file, stats, 0, size - 1);
  }

  /** Sends bytes start..end (inclusive) of the file: from memory for a small file, else as a file body. */
  private sendBody(h: BaseRequestHandler, status: number, headers: Record<string, string>, file: string, stats: Stats, start: number, end: number): void | Promise<void> {
    if (stats.size > SMALL_FILE_SIZE) {
      headers['content-length'] = String(end - start + 1);
      // Nothing is opened here: the file is, when the stream may send (never, if it is reset first).
      // `stats` is the version the etag and length describe: a file changed since fails the body.
      h.sendResponse({ status, headers, body: fileBody(file, { start, end, stats }) });
      return;
    }
    const send = (data: Buffer): void => {
      // The content-length comes from the bytes themselves (the file may have changed since stat).
      delete headers['content-length'];
      const body = start === 0 && end === data.length - 1 ? data : data.subarray(start, end + 1);
      if (status === 206) headers['content-length'] = String(body.length);
      h.sendResponse({ status, headers, body });
    };
    const cached = this.cachedSmallFile(file, stats);
    if (cached !== null) return send(cached);
    return this.loadSmallFile(file, stats).then(send);
  }

  /** A small file's bytes if the cache has them for this version (size, mtime, inode). */
  private cachedSmallFile(file: string, stats: Stats): Buffer | null {
    const cached = this.smallFiles.get(file);
    if (cached !== undefined && cached.size === stats.size && cached.mtimeMs === stats.mtimeMs && cached.ino === stats.ino) return cached.data;
    return null;
  }

  /** Reads a small file whole and caches it (the cache is bounded: cleared when full). */
  private async loadSmallFile(file: string, stats: Stats): Promise<Buffer> {
    const data = await readFile(file);
    const old = this.smallFiles.get(file);
    if (old !== undefined) {
      this.smallFileBytes -= old.data.length;
      this.smallFiles.delete(file);
    }
    if (data.length > SMALL_FILE_SIZE) return data; // it grew meanwhile: send it, but do not cache it
    if (this.smallFileBytes + data.length > SMALL_FILE_CACHE_BYTES) {
      this.smallFiles.clear();
      this.smallFileBytes = 0;
    }
    this.smallFiles.set(file, { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, data });
    this.smallFileBytes += data.length;
    return data;
  }

  /** The URL paths to push with the page at `urlPath` (from the manifest and the preload links). */
  async pushListFor(requestPath: string, urlPath: string, file: string, stats: Stats): Promise<string[]> {
    const list: string[] = [];
    if (this.pushManifest !== null) {
      const q = requestPath.indexOf('?');
      const asked = q >= 0 ? requestPath.slice(0, q) : requestPath;
      for (const key of new Set([asked, urlPath])) {
        for (const asset of this.pushManifest.get(key) ?? []) if (!list.includes(asset)) list.push(asset);
      }
    }
    if (this.pushPreload) {
      for (const href of await this.preload.linksOf(file, stats)) {
        const path = sameOriginPath(href, urlPath);
        if (path !== null && !list.includes(path)) list.push(path);
      }
    }
    return list.slice(0, MAX_PUSHES_PER_PAGE);
  }

  private async pushFor(h: BaseRequestHandler, urlPath: string, file: string, stats: Stats): Promise<void> {
    const assets = await this.pushListFor(h.path, urlPath, file, stats);
    for (const assetPath of assets) {
      if (!h.canPush) return; // the client disabled push, or a limit was reached
      const asset = resolveRequestPath(this.root, assetPath);
      if (asset.kind !== 'file' || !h.canPush) continue;
      const headers: Record<string, string> = {
        'content-type': contentTypeOf(asset.file),
        'content-length': String(asset.stats.size),
        etag: etagOf(asset.stats),
        'last-modified': lastModifiedOf(asset.stats),
        'cache-control': 'no-cache',
      };
      const small = asset.stats.size > SMALL_FILE_SIZE ? null : (this.cachedSmallFile(asset.file, asset.stats) ?? (await this.loadSmallFile(asset.file, asset.stats)));
      if (!h.canPush) return;
      if (small !== null) headers['content-length'] = String(small.length);
      const body = small ?? fileBody(asset.file, { stats: asset.stats });
      try {
        h.push({ path: assetPath, headers, body });
        this.pushes++;
      } catch {
        // Refused (the client closed push meanwhile): the page is still answered (a file body holds nothing yet).
        return;
      }
    }
  }
}
