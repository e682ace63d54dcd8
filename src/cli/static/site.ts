/**
 * The static site: answers one request with a file of the served folder, in the spirit of
 * `nghttpd -d DIR`, plus the validators, ranges, content codings and pushes a browser and a CDN
 * expect.
 *
 *   GET/HEAD only (405 otherwise); 400 for a refused path, 404 for nothing there (or outside),
 *   301 to add the slash of a folder, its index.html served; 406 when the request refuses every
 *   coding the file has (identity included); 304 for a fresh cache, 206/416 for a range; the
 *   rest 200 with content-type, content-length, etag, last-modified, cache-control and, for a
 *   file with content codings, content-encoding and `vary: accept-encoding`.
 *
 * The work per file is done once per version of it (resource-cache.ts): a request for a file
 * seen before costs a map lookup, at most one stat(2) per turn of the event loop, the choice of
 * a representation and the response; small files and encodings leave from memory, synchronously.
 *
 * Content codings: a precompressed sibling (`file.br`, `file.gz`) or brotli/gzip made on the fly
 * (compressor.ts), chosen by `accept-encoding` (accept-encoding.ts). A range request is answered
 * from identity (206, 416, or 200 when the range is ignored), so byte offsets always mean the
 * file's bytes. Pushed resources get the coding the page's request would have got, and their
 * promised request carries that request's `accept-encoding`.
 *
 * Files over SMALL_FILE_SIZE are sent as file bodies (`fileBody`, src/io/file-body.ts): opened
 * only when the stream may send, read at most a window's worth at a time, their descriptor capped
 * per connection and per process and closed while the stream stalls.
 */
import { BaseRequestHandler, fileBody, prepareHeaders, type FileBody, type HandlerSession, type RequestHandlerClass } from 'h2kit';
import { chooseCoding, codingWeightsOf, type Coding, type CodingWeights } from './accept-encoding.js';
import { CachePolicy } from './cache-policy.js';
import { ifRangeAllows, isNotModified, parseRange } from './conditional.js';
import { PreloadCache, sameOriginPath, type PushManifest } from './push-sources.js';
import { FileUnsettledError, ResourceCache, type Lookup } from './resource-cache.js';
import type { Header, Resource } from './resource.js';

export { SMALL_FILE_SIZE } from './resource-cache.js';

/** Most resources pushed with one page (a manifest or a page could list many). */
const MAX_PUSHES_PER_PAGE = 32;

export interface StaticSiteOptions {
  /** The served folder, already a realpath. */
  root: string;
  /** Push the `<link rel=preload>` resources of HTML pages. */
  pushPreload?: boolean;
  /** Push the assets a manifest lists for a page. */
  pushManifest?: PushManifest | null;
  /** Serve content codings: precompressed siblings and brotli/gzip on the fly (default true). */
  compress?: boolean;
  /** `cache-control` of every response a pattern of `immutable` does not match (default `no-cache`). */
  cacheControl?: string | null;
  /** URL path patterns (cache-policy.ts) whose responses are `immutable` for a year. */
  immutable?: readonly string[];
}

/** The request fields the site reads, found in one pass over the request's fields. */
interface RequestFields {
  acceptEncoding: string | undefined;
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
  range: string | undefined;
  ifRange: string | undefined;
}

/** Fields that may be repeated are joined with ", " (RFC 9110 section 5.3). */
function joined(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

function requestFieldsOf(headers: ReadonlyArray<readonly [string, string]>): RequestFields {
  const fields: RequestFields = { acceptEncoding: undefined, ifNoneMatch: undefined, ifModifiedSince: undefined, range: undefined, ifRange: undefined };
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    const value = field[1];
    switch (field[0]) {
      case 'accept-encoding':
        fields.acceptEncoding = joined(fields.acceptEncoding, value);
        break;
      case 'if-none-match':
        fields.ifNoneMatch = joined(fields.ifNoneMatch, value);
        break;
      case 'if-modified-since':
        fields.ifModifiedSince = value;
        break;
      case 'range':
        fields.range = value;
        break;
      case 'if-range':
        fields.ifRange = value;
        break;
    }
  }
  return fields;
}

/** The cache key of a `:path`: the query is not part of which file is meant. */
function keyOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

type Body = Buffer | FileBody;

/** The fields of a text answer (404, 405...) with no others, checked once. */
const PLAIN_TEXT = prepareHeaders({ 'content-type': 'text/plain; charset=utf-8' });

function textResponse(handler: BaseRequestHandler, status: number, text: string, extra?: Record<string, string>): void {
  // The extra fields go after the prepared one (PreparedHeaders is a list of pairs too).
  const headers = extra === undefined ? PLAIN_TEXT : [...PLAIN_TEXT, ...Object.entries(extra)];
  handler.sendResponse({ status, headers, body: `${status} ${text}\n` });
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
  readonly compress: boolean;
  /** PUSH_PROMISEs sent (all connections of this process). */
  pushes = 0;
  readonly resources: ResourceCache;
  private readonly preload = new PreloadCache();
  readonly handlerClass: RequestHandlerClass;

  /** Throws CliUsageError for a malformed `immutable` pattern or `cacheControl` value. */
  constructor(options: StaticSiteOptions) {
    this.root = options.root;
    this.pushPreload = options.pushPreload ?? false;
    this.pushManifest = options.pushManifest ?? null;
    this.compress = options.compress ?? true;
    const policy = new CachePolicy({ cacheControl: options.cacheControl ?? null, immutable: options.immutable ?? [] });
    this.resources = new ResourceCache({ root: this.root, compress: this.compress, policy });
    this.handlerClass = handlerClassFor(this);
  }

  /**
   * Answers one request. Synchronous when it can be (a cached small file or encoding, an error,
   * a 304): a handler that returns no promise lets the server answer within the same burst.
   */
  answer(h: BaseRequestHandler): void | Promise<void> {
    if (h.method !== 'GET' && h.method !== 'HEAD') {
      textResponse(h, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return;
    }
    const fields = requestFieldsOf(h.headers);
    const weights = codingWeightsOf(fields.acceptEncoding);
    const key = keyOf(h.path);
    const cached = this.resources.fresh(key, this.wantsCoding(h, fields, weights));
    if (cached !== null) return this.respond(h, cached, fields, weights);
    let found: Lookup | Promise<Lookup>;
    try {
      found = this.resources.lookup(h.path, key);
    } catch (err) {
      return this.answerFailure(h, err);
    }
    if (found instanceof Promise) {
      return found.then(
        (lookup) => this.answerLookup(h, lookup, fields, weights),
        (err: unknown) => this.answerFailure(h, err),
      );
    }
    return this.answerLookup(h, found, fields, weights);
  }

  /** Whether the representation chosen for this request may be a coded one (then the siblings matter). */
  private wantsCoding(h: BaseRequestHandler, fields: RequestFields, weights: Readonly<CodingWeights>): boolean {
    return this.compress && (weights.br > 0 || weights.gzip > 0) && !(h.method === 'GET' && fields.range !== undefined);
  }

  private answerLookup(h: BaseRequestHandler, found: Lookup, fields: RequestFields, weights: Readonly<CodingWeights>): void | Promise<void> {
    switch (found.kind) {
      case 'bad':
        return textResponse(h, 400, `Bad Request: ${found.reason}`);
      case 'missing':
        return textResponse(h, 404, 'Not Found');
      case 'redirect':
        return textResponse(h, 301, 'Moved Permanently', { location: found.location });
      case 'resource':
        return this.respond(h, found.resource, fields, weights);
    }
  }

  /** A file that could not be read: gone meanwhile (404), not ours to read (403), being written (503). */
  private answerFailure(h: BaseRequestHandler, err: unknown): void {
    if (err instanceof FileUnsettledError) return textResponse(h, 503, 'Service Unavailable: the file is being written', { 'retry-after': '1' });
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return textResponse(h, 404, 'Not Found');
    if (code === 'EACCES' || code === 'EPERM') return textResponse(h, 403, 'Forbidden');
    throw err; // the server answers 500 and logs it
  }

  /** Chooses the representation, then answers 406, 304, 206/416 or 200 (with its pushes first). */
  private respond(h: BaseRequestHandler, r: Resource, fields: RequestFields, weights: Readonly<CodingWeights>): void | Promise<void> {
    // A range request gets identity whatever it accepts: offsets are into the file's own bytes.
    const ranged = h.method === 'GET' && fields.range !== undefined;
    const coding = ranged ? 'identity' : chooseCoding(weights, r.codings);
    if (coding === null) {
      textResponse(h, 406, 'Not Acceptable: the request refuses every content coding of this file (identity included)', r.varies ? VARY : undefined);
      return;
    }
    const head = r.headersOf(coding);
    if (isNotModified(fields, r.version, head.etag)) {
      h.sendResponse({ status: 304, headers: head.notModified });
      return;
    }
    if (ranged && ifRangeAllows(fields.ifRange, r.version, head.etag)) {
      const answer = parseRange(fields.range!, r.size);
      if (answer.kind === 'unsatisfiable') {
        textResponse(h, 416, 'Range Not Satisfiable', { 'content-range': `bytes */${r.size}`, ...(r.varies ? VARY : {}) });
        return;
      }
      if (answer.kind === 'partial') {
        const { start, end } = answer;
        const body = r.identityBytes?.subarray(start, end + 1) ?? fileBody(r.file, { start, end, stats: r.version });
        h.sendResponse({ status: 206, headers: [...head.ok, ['content-range', `bytes ${start}-${end}/${r.size}`]], body });
        return;
      }
    }
    // The site's own flags first: `canPush` asks the connection, which most sites never need to.
    const pushing = (this.pushPreload || this.pushManifest !== null) && h.method === 'GET' && h.canPush;
    const body = this.bodyOf(r, coding);
    if (!pushing && !(body instanceof Promise)) {
      h.sendResponse({ status: 200, headers: head.ok, body });
      return;
    }
    return this.respondLater(h, r, coding, body, pushing, fields, weights);
  }

  /** The 200 of a page with pushes, or of an encoding still being made. */
  private async respondLater(h: BaseRequestHandler, r: Resource, coding: Coding, body: Body | Promise<Buffer | null>, pushing: boolean, fields: RequestFields, weights: Readonly<CodingWeights>): Promise<void> {
    // Pushes go before the response (PUSH_PROMISE must precede the page's own frames).
    if (pushing) await this.pushFor(h, r, fields, weights);
    let ready = await body;
    if (ready === null) {
      // The encoding could not be made now: identity, if the request takes it.
      if (weights.identity <= 0) return textResponse(h, 503, 'Service Unavailable: try again', { 'retry-after': '1', ...VARY });
      coding = 'identity';
      ready = this.bodyOf(r, 'identity') as Body;
    }
    h.sendResponse({ status: 200, headers: r.headersOf(coding).ok, body: ready });
  }

  /** A representation's bytes (in memory, or a file body that opens the file when it may send). */
  private bodyOf(r: Resource, coding: Coding): Body | Promise<Buffer | null> {
    if (coding === 'identity') return r.identityBytes ?? fileBody(r.file, { stats: r.version });
    const sibling = r.siblingFor(coding);
    if (sibling !== null) return sibling.bytes ?? fileBody(sibling.file, { stats: sibling.version });
    return this.resources.encoded(r, coding);
  }

  /** The URL paths to push with the page at `urlPath` (from the manifest and the preload links). */
  async pushListFor(requestPath: string, r: Resource): Promise<string[]> {
    const list: string[] = [];
    if (this.pushManifest !== null) {
      const asked = keyOf(requestPath);
      for (const key of new Set([asked, r.urlPath])) {
        for (const asset of this.pushManifest.get(key) ?? []) if (!list.includes(asset)) list.push(asset);
      }
    }
    if (this.pushPreload) {
      for (const href of await this.preload.linksOf(r.file, r.stats)) {
        const path = sameOriginPath(href, r.urlPath);
        if (path !== null && !list.includes(path)) list.push(path);
      }
    }
    return list.slice(0, MAX_PUSHES_PER_PAGE);
  }

  private async pushFor(h: BaseRequestHandler, page: Resource, fields: RequestFields, weights: Readonly<CodingWeights>): Promise<void> {
    const assets = await this.pushListFor(h.path, page);
    for (const assetPath of assets) {
      if (!h.canPush) return; // the client disabled push, or a limit was reached
      let asset: Resource;
      try {
        const found = this.resources.fresh(keyOf(assetPath), this.compress) ?? (await this.resources.lookup(assetPath, keyOf(assetPath)));
        if ('kind' in found) {
          if (found.kind !== 'resource') continue;
          asset = found.resource;
        } else {
          asset = found;
        }
      } catch {
        continue; // unreadable: not pushed (a request for it will say why)
      }
      let coding = chooseCoding(weights, asset.codings);
      if (coding === null) continue;
      let body = await this.bodyOf(asset, coding);
      if (body === null) {
        coding = 'identity';
        body = this.bodyOf(asset, 'identity') as Body;
      }
      if (!h.canPush) return;
      // The promised request is the page's, as far as the coding goes: a cache matches it by `vary`.
      const requestHeaders: Header[] = asset.varies && fields.acceptEncoding !== undefined ? [['accept-encoding', fields.acceptEncoding]] : [];
      try {
        h.push({ path: assetPath, requestHeaders, headers: asset.headersOf(coding).ok, body });
        this.pushes++;
      } catch {
        // Refused (the client closed push meanwhile): the page is still answered (a file body holds nothing yet).
        return;
      }
    }
  }
}

const VARY: Readonly<Record<string, string>> = { vary: 'accept-encoding' };
