/**
 * `h2kit get URL [URL...]`: an HTTP/2 client on the command line, in the spirit of `nghttp`.
 *
 * Fetches every URL (over one connection per origin, all at once), prints each response's
 * status and header fields, and writes the bodies of the URLs given, in order, to stdout or
 * to `-o FILE`. `-a` also fetches the page's assets (stylesheets, scripts, images, icons of the
 * same origin), accepting what the server pushes and reporting it; `-v` prints one line per
 * frame sent and received (header blocks decoded below it); `--stats` prints timings.
 *
 * Where things go: bodies to stdout (unless -o / -n); everything else (status, headers, trace,
 * stats, errors) to stdout when the bodies go elsewhere, to stderr when they go to stdout, so
 * a piped body is never mixed with text about it.
 */
import { constants, createReadStream } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { BaseResponseHandler, H2Error, HTTP2Client, type HeaderList, type PushPromise, type TraceEvent } from 'h2kit';
import { type CliCommand, type CliIO, parseCommandLine, CliInputError, CliUsageError, fileProblem, parseSize } from './command.js';
import { frameWriter } from './frame-format.js';

const USAGE = `Usage: h2kit get [OPTIONS] URL [URL...]

Fetches URLs over HTTP/2: http:// with prior knowledge (h2c), https:// with TLS and ALPN h2.
One connection per origin; all URLs are requested at once.

Options:
  -v, --verbose         one line per HTTP/2 frame sent and received (like nghttp -v)
  -o, --output FILE     write the bodies to FILE instead of stdout
  -n, --null-out        discard the bodies
  -a, --get-assets      also fetch the assets an HTML page links to (same origin);
                        accept pushes and list the pushed ones
  -s, --stats           print timings of every request
  -k, --insecure        do not verify the server's TLS certificate (self-signed servers)
      --cacert FILE     trust the CA certificate(s) in FILE (PEM)
  -H, --header 'N: V'   add a request header field (repeatable)
  -d, --data FILE       POST the contents of FILE ('-' for stdin)
  -m, --method METHOD   request method (default GET, or POST with --data)
  -t, --timeout SECS    give up on a request after SECS seconds (default: none)
  -h, --help            this help

Status, headers, trace and stats go to stdout when the bodies go elsewhere (-o, -n), else to
stderr. Exit status: 0 when every request completed (whatever its HTTP status), 1 otherwise,
2 for a bad command line, 141 when stdout closed before the bodies were written (| head).
`;

interface GetOptions {
  verbose: boolean;
  output: string | null;
  nullOut: boolean;
  assets: boolean;
  stats: boolean;
  insecure: boolean;
  ca: string | null;
  headers: HeaderList;
  data: string | null;
  method: string;
  timeout: number;
}

/** One exchange as the command sees it: timings, the response, and where it came from. */
class Fetch extends BaseResponseHandler {
  readonly url: URL;
  /** Given on the command line (its body is written out). */
  readonly wanted: boolean;
  readonly started: number;
  headAt = 0;
  doneAt = 0;
  size = 0;
  readonly chunks: Buffer[] = [];
  keep: boolean;
  finished!: Promise<void>;
  private resolve!: () => void;
  private readonly onPush: ((push: PushPromise) => Fetch | null) | null;

  constructor(url: URL, wanted: boolean, keep: boolean, onPush: ((push: PushPromise) => Fetch | null) | null) {
    super();
    this.url = url;
    this.wanted = wanted;
    this.keep = keep;
    this.onPush = onPush;
    this.started = performance.now();
    this.finished = new Promise((resolve) => (this.resolve = resolve));
  }

  override onHeaders(): void {
    this.headAt = performance.now();
  }

  override onData(data: Buffer): void {
    this.size += data.length;
    if (this.keep) this.chunks.push(data);
  }

  override onResponseDone(): void {
    this.doneAt = performance.now();
  }

  override onClose(): void {
    if (this.doneAt === 0 && this.error === null) this.doneAt = performance.now();
    this.resolve();
  }

  override onPushPromise(push: PushPromise): BaseResponseHandler | null {
    return this.onPush === null ? null : this.onPush(push);
  }

  get ok(): boolean {
    return this.error === null && this.status > 0;
  }
}

function parseOptions(args: string[]): { urls: URL[]; options: GetOptions } | null {
  const { values, positionals } = parseCommandLine(args, {
    verbose: { type: 'boolean', short: 'v' },
    output: { type: 'string', short: 'o' },
    'null-out': { type: 'boolean', short: 'n' },
    'get-assets': { type: 'boolean', short: 'a' },
    stats: { type: 'boolean', short: 's' },
    stat: { type: 'boolean' },
    insecure: { type: 'boolean', short: 'k' },
    cacert: { type: 'string' },
    header: { type: 'string', short: 'H', multiple: true },
    data: { type: 'string', short: 'd' },
    method: { type: 'string', short: 'm' },
    timeout: { type: 'string', short: 't' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return null;
  if (positionals.length === 0) throw new CliUsageError('no URL given');
  const urls = positionals.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new CliUsageError(`not a URL: ${JSON.stringify(text)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliUsageError(`${text}: only http:// (h2c) and https:// URLs are supported`);
    }
    return url;
  });
  const headers: HeaderList = [];
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':', h.startsWith(':') ? 1 : 0);
    if (colon <= 0) throw new CliUsageError(`-H expects 'name: value', got ${JSON.stringify(h)}`);
    headers.push([h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim()]);
  }
  if (values.output !== undefined && values['null-out'] === true) throw new CliUsageError('-o and -n cannot be combined');
  const data = values.data ?? null;
  return {
    urls,
    options: {
      verbose: values.verbose === true,
      output: values.output ?? null,
      nullOut: values['null-out'] === true,
      assets: values['get-assets'] === true,
      stats: values.stats === true || values.stat === true,
      insecure: values.insecure === true,
      ca: values.cacert ?? null,
      headers,
      data,
      method: values.method ?? (data !== null ? 'POST' : 'GET'),
      timeout: values.timeout === undefined ? 0 : parseSize(values.timeout, '--timeout', 86400) * 1000,
    },
  };
}

/** Same-origin assets an HTML page links to: stylesheets, preloads, icons, scripts, images. */
export function assetsOf(html: string, base: URL): URL[] {
  const found: URL[] = [];
  const seen = new Set<string>();
  const tag = /<(link|script|img)\b([^>]*)>/gi;
  for (let m = tag.exec(html); m !== null; m = tag.exec(html)) {
    const name = m[1]!.toLowerCase();
    const attrs = m[2]!;
    const attr = (n: string): string | null => {
      const a = new RegExp(`\\b${n}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
      return a === null ? null : (a[1] ?? a[2] ?? a[3] ?? null);
    };
    let ref: string | null;
    if (name === 'link') {
      const rel = (attr('rel') ?? '').toLowerCase().split(/\s+/);
      if (!rel.some((r) => r === 'stylesheet' || r === 'preload' || r === 'icon' || r === 'modulepreload')) continue;
      ref = attr('href');
    } else {
      ref = attr('src');
    }
    if (ref === null || ref === '') continue;
    let url: URL;
    try {
      url = new URL(ref, base);
    } catch {
      continue;
    }
    url.hash = '';
    if (url.origin !== base.origin || seen.has(url.href)) continue;
    seen.add(url.href);
    found.push(url);
  }
  return found;
}

/** `-v`: nghttp-style lines for each frame each way, by the same printer as `h2kit serve -v`. */
function traceFrames(say: (text: string) => void, t0: number): (event: TraceEvent) => void {
  const writeEvent = frameWriter(say, t0);
  return (event) => writeEvent(event);
}

/**
 * Whether host:port completes a TLS handshake. Asked only after an http:// (h2c) request got no
 * response at all: a TLS server just closes on the cleartext preface, which alone reads as
 * "the connection closed", so we try the handshake to name the real mistake.
 */
function speaksTls(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
    const done = (yes: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function describeError(err: unknown): string {
  if (err instanceof H2Error) return err.message;
  return err instanceof Error ? err.message : String(err);
}

async function run(args: string[], io: CliIO): Promise<number> {
  const parsed = parseOptions(args);
  if (parsed === null) {
    io.stdout.write(USAGE);
    return 0;
  }
  const { urls, options } = parsed;
  const bodiesToStdout = options.output === null && !options.nullOut;
  const meta = bodiesToStdout ? io.stderr : io.stdout;
  const say = (text: string): void => void meta.write(text);
  let ca: string | undefined;
  // Files named on the command line are checked before any connection: a missing one is a
  // mistake in the command (exit 2), said in words, not an ENOENT from the middle of a request.
  if (options.ca !== null) {
    try {
      ca = await readFile(options.ca, 'utf8');
    } catch (err) {
      throw new CliInputError(`--cacert ${options.ca}: ${fileProblem(err)}`, 2);
    }
  }
  if (options.data !== null && options.data !== '-') {
    try {
      await access(options.data, constants.R_OK);
      if ((await stat(options.data)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      throw new CliInputError(`-d ${options.data}: ${fileProblem(err)}`, 2);
    }
  }
  const t0 = performance.now();
  const clients = new Map<string, HTTP2Client>();
  const clientFor = (url: URL): HTTP2Client => {
    let client = clients.get(url.origin);
    if (client === undefined) {
      client = new HTTP2Client(url.origin, {
        rejectUnauthorized: !options.insecure,
        ...(ca !== undefined ? { ca } : {}),
        enablePush: options.assets,
        requestTimeout: options.timeout,
        onFrame: options.verbose ? traceFrames(say, t0) : null,
      });
      clients.set(url.origin, client);
    }
    return client;
  };

  const fetches: Fetch[] = [];
  const requested = new Set<string>();
  const keepBodies = !options.nullOut;
  const pushed: Fetch[] = [];
  const acceptPush = (base: URL) => (push: PushPromise): Fetch | null => {
    let url: URL;
    try {
      url = new URL(push.path, `${push.scheme || base.protocol.slice(0, -1)}://${push.authority || base.host}`);
    } catch {
      return null;
    }
    requested.add(url.href);
    const f = new Fetch(url, false, false, null);
    pushed.push(f);
    fetches.push(f);
    return f;
  };
  const start = (url: URL, wanted: boolean): Fetch => {
    requested.add(url.href);
    // Pages are kept when -a needs to read them for assets, even with -n.
    const f = new Fetch(url, wanted, (wanted && keepBodies) || options.assets, options.assets ? acceptPush(url) : null);
    fetches.push(f);
    let body = null;
    if (wanted && options.data !== null) body = options.data === '-' ? io.stdin : createReadStream(options.data);
    clientFor(url).send({ method: wanted ? options.method : 'GET', path: url.pathname + url.search, headers: options.headers, body }, f);
    return f;
  };

  const pages = urls.map((url) => start(url, true));
  const assetWork: Array<Promise<void>> = [];
  if (options.assets) {
    for (const page of pages) {
      assetWork.push(
        page.finished.then(async () => {
          const type = page.headers.find((h) => h[0] === 'content-type')?.[1] ?? '';
          if (!page.ok || !type.includes('html')) return;
          const html = Buffer.concat(page.chunks).toString('utf8');
          const assets = assetsOf(html, page.url).filter((u) => !requested.has(u.href));
          await Promise.all(assets.map((u) => start(u, false).finished));
        }),
      );
    }
  }
  await Promise.all(pages.map((p) => p.finished));
  await Promise.all(assetWork);
  await Promise.all(fetches.map((f) => f.finished));

  // An http:// origin that gave no response at all may be a TLS port: ask it once, and say so.
  const tlsOrigins = new Set<string>();
  await Promise.all(
    [...new Set(fetches.filter((f) => !f.ok && f.status === 0 && f.url.protocol === 'http:').map((f) => f.url.origin))].map(async (origin) => {
      const url = new URL(origin);
      if (await speaksTls(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80))) tlsOrigins.add(origin);
    }),
  );

  let failed = 0;
  const out: Buffer[] = [];
  for (const f of fetches) {
    const label = `${f.pushed ? 'pushed ' : ''}${f.method || 'GET'} ${f.url.href}`;
    if (!f.ok) {
      failed++;
      if (tlsOrigins.has(f.url.origin)) {
        const https = new URL(f.url.href);
        https.protocol = 'https:';
        say(`h2kit get: ${f.url.href}: the server at ${f.url.host} answered with TLS; use ${https.href}\n`);
      } else {
        say(`h2kit get: ${f.url.href}: ${describeError(f.error ?? 'no response')}\n`);
      }
      continue;
    }
    if (f.wanted || options.verbose) {
      say(`${label} -> ${f.status} (stream ${f.streamId}, ${f.size} bytes)\n`);
      for (const [name, value] of f.headers) say(`  ${name}: ${value}\n`);
      if (f.trailers !== null) for (const [name, value] of f.trailers) say(`  (trailer) ${name}: ${value}\n`);
    } else if (f.pushed) {
      say(`pushed: ${f.url.pathname}${f.url.search} -> ${f.status} (stream ${f.streamId}, ${f.size} bytes)\n`);
    } else {
      say(`asset: ${f.url.pathname}${f.url.search} -> ${f.status} (stream ${f.streamId}, ${f.size} bytes)\n`);
    }
    if (f.wanted && keepBodies) out.push(...f.chunks);
  }
  if (options.assets) say(`${pushed.length} pushed: ${pushed.map((p) => p.url.pathname).join(' ') || '(none)'}\n`);
  if (options.stats) {
    const ms = (t: number): string => (t === 0 ? '-' : `+${(t - t0).toFixed(2)}ms`).padStart(12);
    say(`Request timing:\n${'start'.padStart(12)}${'headers'.padStart(12)}${'end'.padStart(12)}  status ${'size'.padStart(10)}  path\n`);
    for (const f of fetches) {
      say(`${ms(f.started)}${ms(f.headAt)}${ms(f.doneAt)}  ${String(f.status || '-').padStart(6)} ${String(f.size).padStart(10)}  ${f.url.pathname}${f.url.search}${f.pushed ? ' (pushed)' : ''}\n`);
    }
  }
  await Promise.all([...clients.values()].map((c) => c.close()));
  if (out.length > 0) {
    const body = Buffer.concat(out);
    if (options.output !== null) {
      try {
        await writeFile(options.output, body);
      } catch (err) {
        throw new CliInputError(`cannot write ${options.output}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    } else {
      (io.stdout as { write(chunk: string | Uint8Array): unknown }).write(body);
    }
  } else if (options.output !== null) {
    await writeFile(options.output, Buffer.alloc(0));
  }
  return failed === 0 ? 0 : 1;
}

export const get: CliCommand = {
  name: 'get',
  summary: 'fetch URLs over HTTP/2 (h2c or TLS): headers, bodies, -v frame trace, -a assets and pushes, --stats',
  usage: USAGE,
  run,
};
