/**
 * `h2kit serve [DIR]`: a static HTTP/2 file server in the spirit of `nghttpd -d DIR`.
 *
 *   h2kit serve examples/site                 https on 127.0.0.1:8443 with the development CA's certificate
 *   h2kit serve site --cert c.pem --key k.pem --host :: --port 443
 *   h2kit serve site --no-tls --port 0        cleartext (h2c, and HTTP/1.1) on a free port
 *
 * What is served and how (validators, ranges, push) is in `static/site.ts`; this file is the
 * command: flags, start-up checks that fail with one clear line, TLS material, the listening
 * line with the URL to open, `--workers` (node:cluster: one process per worker sharing the
 * port; the primary, and its rolling restart on SIGHUP, are in serve-cluster.ts) and a graceful
 * stop on SIGINT/SIGTERM.
 */
import cluster from 'node:cluster';
import { X509Certificate } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { createSecureContext } from 'node:tls';
import { HTTP2Server, setFileBodyLimits } from 'h2kit';
import { type CliCommand, type CliIO, parseCommandLine, CliInputError, CliUsageError, parsePort } from './command.js';
import { servePrimary, untilSignal, WORKER_ENV, type WorkerMessage } from './serve-cluster.js';
import { traceServerFrames } from './serve-trace.js';
import { defaultCertDir, loadDevCertificate, type DevCertificate } from './dev-ca/store.js';
import { devCertificateLines } from './dev-ca/trust-help.js';
import { CachePolicy } from './static/cache-policy.js';
import { loadPushManifest } from './static/push-sources.js';
import { StaticSite } from './static/site.js';

const USAGE = `Usage: h2kit serve [OPTIONS] [DIR]

Serves the files of DIR (default: the current folder) over HTTP/2, and HTTP/1.1 to clients
that do not speak HTTP/2, like nghttpd -d DIR:
content-type (mime-db), content-length, etag/last-modified and 304, byte ranges (206/416),
index.html for folders, HEAD; GET and HEAD only. Small files are served from memory, checked
against the disk so an edited file is served at once. Compressible files are sent brotli- or
gzip-coded to clients that accept it: FILE.br / FILE.gz beside FILE when present (and at least
as new), else compressed once on the fly and kept while FILE is unchanged. No request reaches
a file outside DIR, nor a hidden one (.git/, .env: names starting with ".", except
/.well-known/).

Options:
  --host HOST           address to listen on (default 127.0.0.1; "::" or "0.0.0.0" for all)
  --port N              port (default 8443 with TLS, 8080 with --no-tls; 0 picks a free one)
  --cert FILE           TLS certificate chain (PEM); with --key
  --key FILE            TLS private key (PEM); with --cert
                        Without both: a certificate for localhost from a development CA made
                        once and kept (see --cert-dir); the start-up lines say how to trust it.
  --cert-dir DIR        the development CA's folder (default: $XDG_CONFIG_HOME/h2kit, else
                        ~/.config/h2kit; macOS ~/Library/Application Support/h2kit; Windows
                        %LOCALAPPDATA%\\h2kit): ca.pem to trust, keys mode 0600
  --no-tls              cleartext (h2c: prior knowledge or Upgrade: h2c; HTTP/1.1 otherwise)
  --no-http1            HTTP/2 only: HTTP/1.x clients get a short 505 answer
  --push-preload        push what an HTML page's <link rel="preload" href="..."> tags name
                        (a tag with a "nopush" attribute is not pushed)
  --push-manifest FILE  push per page from a JSON file {"/page": ["/asset", ...]}
  --no-compress         send files as they are (no br/gzip, siblings ignored); --compress is the default
  --cache-control VALUE cache-control of the responses (default "no-cache": caches revalidate each time)
  --immutable PATTERN   "public, max-age=31536000, immutable" for URL paths that match (repeatable):
                        a glob ("/assets/**", "*.+([0-9a-f]).js"; without "/", on the last segment)
                        or, after "~", a regular expression ("~\\.[0-9a-f]{8}\\."; "~*" ignores case)
  --access-log          one line per response on stdout (pushed responses marked "pushed")
  --max-open-files N    files open at once for responses, per process; more wait their turn
                        (default 256, or a quarter of the process's open-file limit if less)
  --max-open-files-per-connection N
                        of those, held by one connection's responses (default 16)
  -v, --verbose         one line per HTTP/2 frame received and sent (like nghttp -v)
  --workers N|auto      N processes sharing the port (node:cluster; "auto": one per CPU; default 1).
                        SIGHUP replaces them one by one (new code, site and --cert/--key files
                        read from disk) without refusing a connection; without --workers it is ignored.
  -h, --help            this text

Nothing is pushed to a client that disabled push (browsers do). Stop with Ctrl-C.
`;

/** Everything a serving process needs; plain data so `--workers` can hand it to each worker. */
export interface ServeConfig {
  root: string;
  host: string;
  port: number;
  tls: { cert: string; key: string } | null;
  pushPreload: boolean;
  pushManifest: string | null;
  verbose: boolean;
  accessLog: boolean;
  /** Serve HTTP/1.x clients too (HTTP2Server's allowHTTP1); absent: yes. */
  http1?: boolean;
  /** Content codings (br/gzip: precompressed siblings and on the fly); absent: yes. */
  compress?: boolean;
  /** `cache-control` of responses no `immutable` pattern matches; absent or null: `no-cache`. */
  cacheControl?: string | null;
  /** URL path patterns (globs, or `~regex`) whose responses are cached for a year as immutable. */
  immutable?: string[];
  /** Descriptor caps for file bodies (`setFileBodyLimits`); absent: the defaults. */
  maxOpenFiles?: number;
  maxOpenFilesPerConnection?: number;
}

export interface RunningServe {
  server: HTTP2Server;
  site: StaticSite;
  port: number;
  close(): Promise<void>;
}

const MAX_WORKERS = 256;

/** The URL a user opens: loopback and wildcard hosts are shown as `localhost` (the certificate's name). */
export function urlOf(config: Pick<ServeConfig, 'host' | 'tls'>, port: number): string {
  const scheme = config.tls === null ? 'http' : 'https';
  const local = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(config.host);
  const host = local ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `${scheme}://${host}:${port}/`;
}

/** A listen() failure as one line. */
function listenErrorMessage(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is already in use (pick another with --port, or --port 0 for a free one)`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such address on this machine (--host)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: unknown host ${JSON.stringify(host)} (--host)`;
    default:
      return `cannot listen on ${where}: ${(err as Error).message}`;
  }
}

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
    throw new CliInputError(`cannot read ${flag} ${file}: ${why}`);
  }
}

/** Starts one serving process (the only one, or one worker) and resolves once it listens. */
export async function startServe(config: ServeConfig, out: CliIO['stdout'] = process.stdout): Promise<RunningServe> {
  const manifest = config.pushManifest === null ? null : await loadPushManifest(config.pushManifest);
  const site = new StaticSite({
    root: config.root,
    pushPreload: config.pushPreload,
    pushManifest: manifest,
    compress: config.compress ?? true,
    cacheControl: config.cacheControl ?? null,
    immutable: config.immutable ?? [],
  });
  // Process-wide, as the descriptors they count: each worker of --workers applies them to itself.
  setFileBodyLimits({ maxOpenFiles: config.maxOpenFiles, maxOpenFilesPerConnection: config.maxOpenFilesPerConnection });
  const server = new HTTP2Server([config.host, config.port], site.handlerClass, {
    ssl: config.tls,
    allowHTTP1: config.http1 ?? true,
    onFrame: config.verbose ? traceServerFrames((text) => out.write(text)) : null,
    accessLog: config.accessLog ? (line) => out.write(line + '\n') : false,
    logger: { error: (message, ...details) => process.stderr.write(`${message} ${details.map((d) => (d instanceof Error ? d.message : String(d))).join(' ')}\n`) },
  });
  try {
    await server.listen();
  } catch (err) {
    throw new CliInputError(listenErrorMessage(err, config.host, config.port));
  }
  return { server, site, port: server.port, close: () => server.close() };
}

/** A descriptor cap flag: an integer from 1 (a cap of 0 would serve no large file at all). */
function fileLimitOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) throw new CliUsageError(`${flag} expects an integer from 1 to 1000000, got ${JSON.stringify(value)}`);
  return n;
}

interface ParsedServe {
  config: ServeConfig;
  workers: number;
  fingerprint: string | null;
  /** The development CA's certificate, when neither --cert/--key nor --no-tls was given. */
  devCert: DevCertificate | null;
  /** The configuration for the workers of a rolling restart (certificate files read again). */
  reload(): Promise<{ config: ServeConfig; note: string | null }>;
}

/** Parses the command line and checks everything that can be checked before listening. */
async function configFrom(args: string[], io: CliIO): Promise<ParsedServe | null> {
  const { values, positionals } = parseCommandLine(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'cert-dir': { type: 'string' },
    'no-tls': { type: 'boolean' },
    'no-http1': { type: 'boolean' },
    'push-preload': { type: 'boolean' },
    'push-manifest': { type: 'string' },
    'access-log': { type: 'boolean' },
    compress: { type: 'boolean' },
    'no-compress': { type: 'boolean' },
    'cache-control': { type: 'string' },
    immutable: { type: 'string', multiple: true },
    verbose: { type: 'boolean', short: 'v' },
    workers: { type: 'string' },
    'max-open-files': { type: 'string' },
    'max-open-files-per-connection': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.stdout.write(USAGE);
    return null;
  }
  if (positionals.length > 1) throw new CliUsageError(`expected at most one DIR, got ${positionals.length}: ${positionals.join(' ')}`);
  const noTls = values['no-tls'] === true;
  if (noTls && (values.cert !== undefined || values.key !== undefined)) throw new CliUsageError('--no-tls cannot be used with --cert/--key');
  if ((values.cert === undefined) !== (values.key === undefined)) throw new CliUsageError('--cert and --key go together: give both or neither');
  if (values['cert-dir'] !== undefined && (noTls || values.cert !== undefined)) {
    throw new CliUsageError(`--cert-dir is for the development certificate: not with ${noTls ? '--no-tls' : '--cert/--key'}`);
  }
  if (values['cert-dir'] === '') throw new CliUsageError('--cert-dir expects a folder, got ""');
  const port = values.port === undefined ? (noTls ? 8080 : 8443) : parsePort(values.port, '--port');
  const workers = values.workers === undefined ? 1 : values.workers === 'auto' ? Math.min(MAX_WORKERS, availableParallelism()) : Number(values.workers);
  if (!/^(auto|\d+)$/.test(values.workers ?? '1') || workers < 1 || workers > MAX_WORKERS) {
    throw new CliUsageError(`--workers expects "auto" or an integer from 1 to ${MAX_WORKERS}, got ${JSON.stringify(values.workers)}`);
  }
  const host = values.host ?? '127.0.0.1';
  if (host.length === 0) throw new CliUsageError('--host expects an address, got ""');
  const maxOpenFiles = fileLimitOf(values['max-open-files'], '--max-open-files');
  const maxOpenFilesPerConnection = fileLimitOf(values['max-open-files-per-connection'], '--max-open-files-per-connection');

  const dir = positionals[0] ?? '.';
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new CliInputError(`${dir} is not a directory`);
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliInputError(`cannot serve ${dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code ?? String(err)}`);
  }
  if (values.compress === true && values['no-compress'] === true) throw new CliUsageError('--compress and --no-compress contradict each other: give one');
  const cacheControl = values['cache-control'] ?? null;
  const immutable = values.immutable ?? [];
  new CachePolicy({ cacheControl, immutable }); // a bad pattern or value fails now, with one line, not in a worker
  const pushManifest = values['push-manifest'] ?? null;
  if (pushManifest !== null) await loadPushManifest(pushManifest); // fail now, with one line, not in a worker

  let tlsMaterial: ServeConfig['tls'] = null;
  let fingerprint: string | null = null;
  let devCert: DevCertificate | null = null;
  let reloadTls: (() => Promise<{ tls: ServeConfig['tls']; fingerprint: string }>) | null = null;
  if (!noTls) {
    if (values.cert !== undefined && values.key !== undefined) {
      const files = { cert: values.cert, key: values.key };
      ({ tls: tlsMaterial, fingerprint } = await certificateFrom(files.cert, files.key));
      // A rolling restart (SIGHUP) deploys new certificate files: they are read, and checked, again.
      reloadTls = () => certificateFrom(files.cert, files.key);
    } else {
      // Made or read here, in the only process or the primary of --workers: the workers get the
      // material in their ServeConfig and never touch the folder.
      const certDir = resolve(values['cert-dir'] ?? defaultCertDir());
      devCert = await loadDevCertificate(certDir);
      tlsMaterial = { cert: devCert.cert, key: devCert.key };
      fingerprint = devCert.fingerprint256;
      // A rolling restart checks the folder again: a certificate about to expire is re-issued
      // for the new workers (the CA stays the one the user trusted).
      reloadTls = async () => {
        const dev = await loadDevCertificate(certDir);
        return { tls: { cert: dev.cert, key: dev.key }, fingerprint: dev.fingerprint256 };
      };
    }
  }
  const config: ServeConfig = {
    root,
    host,
    port,
    tls: tlsMaterial,
    pushPreload: values['push-preload'] === true,
    pushManifest,
    verbose: values.verbose === true,
    accessLog: values['access-log'] === true,
    http1: values['no-http1'] !== true,
    compress: values['no-compress'] !== true,
    cacheControl,
    immutable,
    maxOpenFiles,
    maxOpenFilesPerConnection,
  };
  // What the new workers of a rolling restart get: the same flags, the certificate files read
  // again. (The site, the push manifest and the code are read from disk by each new worker.)
  let lastFingerprint = fingerprint;
  const reload = async (): Promise<{ config: ServeConfig; note: string | null }> => {
    if (reloadTls === null) return { config, note: null };
    const next = await reloadTls();
    const changed = next.fingerprint !== lastFingerprint;
    lastFingerprint = next.fingerprint;
    return { config: { ...config, tls: next.tls }, note: changed ? `new certificate, SHA-256 fingerprint ${next.fingerprint}` : 'same certificate' };
  };
  return { config, workers, fingerprint, devCert, reload };
}

/** Reads and checks --cert/--key (one line if unusable); the material and its SHA-256 fingerprint. */
async function certificateFrom(certFile: string, keyFile: string): Promise<{ tls: ServeConfig['tls']; fingerprint: string }> {
  const cert = await readPem(certFile, '--cert');
  const key = await readPem(keyFile, '--key');
  try {
    createSecureContext({ cert, key });
    return { tls: { cert, key }, fingerprint: new X509Certificate(cert).fingerprint256 };
  } catch (err) {
    throw new CliInputError(`cannot use --cert ${certFile} / --key ${keyFile}: ${(err as Error).message}`);
  }
}

function banner(io: CliIO, config: ServeConfig, port: number, fingerprint: string | null, devCert: DevCertificate | null, workers: number): void {
  const out = io.stdout;
  out.write(`h2kit serve: serving ${config.root}\n`);
  if (devCert !== null) {
    for (const line of devCertificateLines(devCert, urlOf(config, port))) out.write(`h2kit serve: ${line}\n`);
    if (!urlOf(config, port).includes('//localhost:')) {
      out.write(`h2kit serve: note: that certificate is for localhost only; clients reaching ${config.host} will not verify it (use --cert/--key)\n`);
    }
  } else if (fingerprint !== null) {
    out.write(`h2kit serve: certificate, SHA-256 fingerprint ${fingerprint}\n`);
  }
  const http1 = config.http1 ?? true;
  const how = config.tls === null ? `h2c${http1 ? ' and HTTP/1.1' : ''}, cleartext` : `h2${http1 ? ' and HTTP/1.1' : ''} over TLS`;
  const extra = workers > 1 ? `, ${workers} workers` : '';
  out.write(`h2kit serve: listening on ${config.host} port ${port} (${how}${extra})\n`);
  out.write(`h2kit serve: open ${urlOf(config, port)}\n`);
}

/** The single-process server: serve until a signal, then close gracefully. */
async function serveHere(io: CliIO, config: ServeConfig, fingerprint: string | null, devCert: DevCertificate | null): Promise<number> {
  const running = await startServe(config, io.stdout);
  // The signal handlers go in before the banner: whoever reads "open URL" may signal at once, and
  // a SIGTERM before process.on('SIGTERM') would kill the process (the default) instead of a
  // graceful stop with exit status 0.
  const signalled = untilSignal();
  // SIGHUP would end the process (Node's default); a rolling restart needs other processes to
  // take over the port meanwhile, so one process keeps serving and says so.
  const onHup = (): void => void io.stderr.write('h2kit serve: SIGHUP: rolling restart needs --workers N (N >= 2); ignored, still serving\n');
  process.on('SIGHUP', onHup);
  banner(io, config, running.port, fingerprint, devCert, 1);
  await signalled;
  process.off('SIGHUP', onHup);
  await running.close();
  io.stdout.write(`h2kit serve: stopped (${running.site.pushes} responses pushed)\n`);
  return 0;
}

/** A worker process of `--workers`: config from the primary, outcome reported back to it. */
async function serveWorker(io: CliIO, configText: string): Promise<number> {
  const config = JSON.parse(configText) as ServeConfig;
  let running: RunningServe;
  try {
    running = await startServe(config, io.stdout);
  } catch (err) {
    process.send?.({ type: 'error', message: (err as Error).message } satisfies WorkerMessage);
    return 1;
  }
  // A SIGHUP for the whole process group (a closed terminal) is the primary's to act on: a worker
  // that died of it would be "replaced" as a crash. The primary tells a worker to go with SIGTERM.
  process.on('SIGHUP', () => {});
  // Before saying so: once told, the primary may send SIGTERM at once (a rolling restart).
  const signalled = untilSignal();
  process.send?.({ type: 'listening', port: running.port } satisfies WorkerMessage);
  await signalled;
  await running.close();
  process.disconnect?.(); // the IPC channel to the primary would keep this process alive
  return 0;
}

export const serve: CliCommand = {
  name: 'serve',
  summary: 'serve a folder over HTTP/2 (TLS or h2c), with push, like nghttpd -d DIR',
  usage: USAGE,
  async run(args: string[], io: CliIO): Promise<number> {
    const workerConfig = process.env[WORKER_ENV];
    if (cluster.isWorker && workerConfig !== undefined) return serveWorker(io, workerConfig);
    const parsed = await configFrom(args, io);
    if (parsed === null) return 0;
    const { config, workers, fingerprint, devCert, reload } = parsed;
    if (workers === 1) return serveHere(io, config, fingerprint, devCert);
    const announce = (port: number): void => banner(io, config, port, fingerprint, devCert, workers);
    return servePrimary(io, { config, workers, announce, reload });
  },
};
