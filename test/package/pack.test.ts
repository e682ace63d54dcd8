/**
 * The package as users get it: `npm pack` on a copy of the repository without `dist/` (a fresh
 * clone: the `prepare` script must build), then the tarball installed into four fresh apps, each
 * running an HTTP/2 server + client round trip over h2c:
 *   - an ES module app (`import`),
 *   - a CommonJS app (`require`, Node's require(esm)),
 *   - a TypeScript 5.x app and a TypeScript 7.x app (`module: nodenext`, `strict`, library
 *     checks on, no `types` setting: what `tsc --init` users get), each compiling an ESM file
 *     and a CommonJS (.cts) file against the package's own .d.ts.
 * It also checks what the tarball ships: only dist/src, src (what the source maps name),
 * package.json, README.md, LICENSE and SECURITY.md; every map's sources inside it; every
 * relative README link inside it; every `exports` target inside it; and that a library install
 * pulls nothing but h2kit and the types it brings.
 *
 * The command line's package (`packages/cli`, `@h2kit/cli`) is packed too (its prepack builds
 * it) and installed with the library tarball into a fifth app, whose `h2kit` executable then
 * serves a folder over TLS with its development CA and fetches from it with `h2kit get --cacert`.
 *
 * `npm run test:package` (run by .ci/run; not in `npm test`: it installs from the registry and
 * takes about a minute). Installs use `--prefer-offline`; with the registry unreachable they
 * use the npm cache alone, and the install tests are skipped with a message if that fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

const INSTALL_TIMEOUT_MS = 150_000;
const RUN_TIMEOUT_MS = 30_000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm_* variables from an enclosing `npm run` would steer the child npm (prefix, config): drop them. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: code === null ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr });
    });
  });
}

/** The tarball's path and its sorted file list, from `npm pack --json` (build output may precede the JSON). */
function packed(pack: RunResult): [string, string[]] {
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1)) as { filename: string; files: { path: string }[] }[];
  return [join(work, info[0]!.filename), info[0]!.files.map((f) => f.path).sort()];
}

function explain(what: string, r: RunResult): string {
  return `${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

// ---- the usage programs -------------------------------------------------------------------
// Each prints one JSON line; EXPECTED(label) is what it must print.

const expected = (label: string): unknown => ({
  status: 200,
  body: `hello GET /from/${label}`,
  hpack: 'x-app: ' + label,
  connection: 'function',
});

const ESM_MAIN = (label: string): string => `
import { BaseRequestHandler, HTTP2Client, HTTP2Server } from 'h2kit';
import { HDDeflater, HDInflater } from 'h2kit/hpack';
import { Connection } from 'h2kit/connection';

class Hello extends BaseRequestHandler {
  onHeaders() {
    this.sendResponse({ status: 200, headers: [['content-type', 'text/plain']], body: 'hello ' + this.method + ' ' + this.path });
  }
}
const server = new HTTP2Server(['127.0.0.1', 0], Hello);
await server.listen();
const client = new HTTP2Client('http://127.0.0.1:' + server.port);
try {
  const res = await client.request({ path: '/from/${label}' });
  const [[name, value]] = new HDInflater().inflate(new HDDeflater().deflate([['x-app', '${label}']]));
  console.log(JSON.stringify({ status: res.status, body: res.body.toString(), hpack: name + ': ' + value, connection: typeof Connection }));
} finally {
  await client.close();
  await server.close();
}
`;

const CJS_MAIN = (label: string): string => `
const { BaseRequestHandler, HTTP2Client, HTTP2Server } = require('h2kit');
const { HDDeflater, HDInflater } = require('h2kit/hpack');
const { Connection } = require('h2kit/connection');
if (typeof require('h2kit/package.json').version !== 'string') throw new Error('no version in h2kit/package.json');

class Hello extends BaseRequestHandler {
  onHeaders() {
    this.sendResponse({ status: 200, headers: [['content-type', 'text/plain']], body: 'hello ' + this.method + ' ' + this.path });
  }
}
async function main() {
  const server = new HTTP2Server(['127.0.0.1', 0], Hello);
  await server.listen();
  const client = new HTTP2Client('http://127.0.0.1:' + server.port);
  try {
    const res = await client.request({ path: '/from/${label}' });
    const [[name, value]] = new HDInflater().inflate(new HDDeflater().deflate([['x-app', '${label}']]));
    console.log(JSON.stringify({ status: res.status, body: res.body.toString(), hpack: name + ': ' + value, connection: typeof Connection }));
  } finally {
    await client.close();
    await server.close();
  }
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;

// TypeScript: the same, typed (Buffer comes from @types/node, which the package's types bring).
// `ts` is the ESM file; `cts` the CommonJS one (TypeScript 5.8+ allows require(esm) under nodenext).
const TS_BODY = (label: string): string => `
class Hello extends BaseRequestHandler {
  override onHeaders(): void {
    const path: string = this.path;
    this.sendResponse({ status: 200, headers: [['content-type', 'text/plain']], body: 'hello ' + this.method + ' ' + path });
  }
}
async function main(): Promise<void> {
  const server = new HTTP2Server(['127.0.0.1', 0], Hello);
  await server.listen();
  const client = new HTTP2Client('http://127.0.0.1:' + server.port);
  try {
    const res = await client.request({ path: '/from/${label}' });
    const body: Buffer = res.body;
    const fields: [Buffer, Buffer][] = new HDInflater().inflate(new HDDeflater().deflate([['x-app', '${label}']]));
    const [name, value] = fields[0]!;
    console.log(JSON.stringify({ status: res.status, body: body.toString(), hpack: name.toString() + ': ' + value.toString(), connection: typeof Connection }));
  } finally {
    await client.close();
    await server.close();
  }
}
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
`;
const TS_IMPORTS = `
import { BaseRequestHandler, HTTP2Client, HTTP2Server } from 'h2kit';
import { HDDeflater, HDInflater } from 'h2kit/hpack';
import { Connection } from 'h2kit/connection';
`;

const TS_CONFIG = {
  compilerOptions: {
    module: 'nodenext',
    target: 'es2022',
    strict: true,
    noUncheckedIndexedAccess: true,
    // Check the package's .d.ts too: a missing name there (Buffer without @types/node) must fail.
    skipLibCheck: false,
    outDir: 'out',
  },
  include: ['main.ts', 'require.cts'],
};

// ---- the apps ----------------------------------------------------------------------------

interface App {
  name: string;
  /** Packages to install beside the tarball. */
  extra: string[];
  files: Record<string, string>;
  /** `tsc` major version expected, for the TypeScript apps. */
  typescript?: number;
  /** Programs to run (relative to the app), each printing expected(label). */
  programs: { file: string; label: string }[];
}

const APPS: App[] = [
  { name: 'esm', extra: [], files: { 'main.mjs': ESM_MAIN('esm') }, programs: [{ file: 'main.mjs', label: 'esm' }] },
  { name: 'cjs', extra: [], files: { 'main.cjs': CJS_MAIN('cjs') }, programs: [{ file: 'main.cjs', label: 'cjs' }] },
  ...[5, 7].map(
    (major): App => ({
      name: `ts${major}`,
      extra: [`typescript@${major}`],
      typescript: major,
      files: {
        'tsconfig.json': JSON.stringify(TS_CONFIG, null, 2),
        'main.ts': TS_IMPORTS + TS_BODY(`ts${major}-esm`),
        'require.cts': TS_IMPORTS + TS_BODY(`ts${major}-cjs`),
      },
      programs: [
        { file: 'out/main.js', label: `ts${major}-esm` },
        { file: 'out/require.cjs', label: `ts${major}-cjs` },
      ],
    }),
  ),
];

/** The command line's app: both tarballs installed, its `h2kit` executable run (see the last tests). */
const SITE_PAGE = '<!doctype html><title>h2kit cli</title><p>served by @h2kit/cli</p>\n';
const CLI_APP: App = { name: 'cli', extra: [], files: { 'site/index.html': SITE_PAGE }, programs: [] };

// ---- pack and install, once ----------------------------------------------------------------

let work = '';
let tarball = '';
let packedFiles: string[] = [];
let cliTarball = '';
let cliPackedFiles: string[] = [];
let copy = '';
let skipInstalls: string | null = null;
const timings: string[] = [];
const installs = new Map<string, RunResult>();
/** The TypeScript apps' `tsc --version` and `tsc -p .`, run as soon as their install is done. */
const compiles = new Map<string, { version: RunResult; compile: RunResult; seconds: number }>();

before(
  async () => {
    work = mkdtempSync(join(tmpdir(), 'h2kit-pack-'));
    // A fresh clone: the repository without its build output or installed modules. The
    // devDependencies come from the repository's node_modules (as after `npm ci`).
    copy = join(work, 'h2kit');
    const skip = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-artifacts', join('bench', 'results')]);
    cpSync(REPO_ROOT, copy, { recursive: true, filter: (src) => !skip.has(relative(REPO_ROOT, src)) });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    let start = performance.now();
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work], copy, INSTALL_TIMEOUT_MS);
    timings.push(`npm pack (build included) ${((performance.now() - start) / 1000).toFixed(1)} s`);
    assert.equal(pack.code, 0, explain('npm pack', pack));
    // npm prints the prepare script's output before the JSON on stdout: take from the first '['.
    [tarball, packedFiles] = packed(pack);
    start = performance.now();
    const cliPack = await run('npm', ['pack', '--json', '--pack-destination', work], join(copy, 'packages', 'cli'), INSTALL_TIMEOUT_MS);
    timings.push(`npm pack of packages/cli (builds included) ${((performance.now() - start) / 1000).toFixed(1)} s`);
    assert.equal(cliPack.code, 0, explain('npm pack (packages/cli)', cliPack));
    [cliTarball, cliPackedFiles] = packed(cliPack);

    // Is the registry there? If not, installs may still succeed from the npm cache (--offline).
    const ping = await run('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=15000'], work, 30_000);
    const mode = ping.code === 0 ? '--prefer-offline' : '--offline';
    start = performance.now();
    await Promise.all(
      [...APPS, CLI_APP].map(async (app) => {
        const dir = join(work, app.name);
        mkdirSync(dir);
        const type = app.name === 'cjs' ? 'commonjs' : 'module';
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `h2kit-${app.name}-app`, private: true, type }, null, 2));
        for (const [file, text] of Object.entries(app.files)) {
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          writeFileSync(join(dir, file), text);
        }
        // --ignore-scripts: the package must work with no install script run (npm 11 blocks them by default).
        const tarballs = app.name === 'cli' ? [tarball, cliTarball] : [tarball];
        const r = await run('npm', ['install', mode, '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs, ...app.extra], dir, INSTALL_TIMEOUT_MS);
        installs.set(app.name, r);
        if (r.code === 0 && app.typescript !== undefined) {
          const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
          const version = await run(process.execPath, [tsc, '--version'], dir, RUN_TIMEOUT_MS);
          const start = performance.now();
          const compile = await run(process.execPath, [tsc, '-p', '.'], dir, 120_000);
          compiles.set(app.name, { version, compile, seconds: (performance.now() - start) / 1000 });
        }
      }),
    );
    timings.push(`5 npm installs and 2 tsc runs (in parallel, ${mode}) ${((performance.now() - start) / 1000).toFixed(1)} s`);
    const failed = [...installs.entries()].filter(([, r]) => r.code !== 0);
    if (failed.length > 0 && ping.code !== 0) {
      skipInstalls = `the npm registry is unreachable (npm ping: ${ping.stderr.trim().split('\n').pop() ?? ping.code}) and the npm cache lacks what the apps need`;
    }
  },
  { timeout: INSTALL_TIMEOUT_MS + 120_000 },
);

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

// ---- what the tarball holds -----------------------------------------------------------------

test('npm pack on a fresh clone builds dist/src and ships only what users need', (t) => {
  for (const line of timings) t.diagnostic(line);
  const allowed = /^(package\.json|README\.md|LICENSE|SECURITY\.md|dist\/src\/.+|src\/.+)$/;
  const stray = packedFiles.filter((f) => !allowed.test(f));
  assert.deepEqual(stray, [], 'files outside dist/src, src, package.json, README.md, LICENSE, SECURITY.md');
  for (const f of ['LICENSE', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts']) assert.ok(packedFiles.includes(f), `${f} is in the tarball`);
  assert.ok(!packedFiles.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/')), 'no test or bench build');
});

test('every exports and bin target, every source map source and every README link is in the tarball', () => {
  const shipped = new Set(packedFiles);
  const pkg = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
    bin?: Record<string, string>;
  };
  const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
  for (const t of [...targets, ...Object.values(pkg.bin ?? {})]) assert.ok(shipped.has(posix.normalize(t)), `${t} (package.json) is shipped`);

  let maps = 0;
  for (const f of packedFiles.filter((p) => p.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(copy, f), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    if (map.sourcesContent !== undefined) continue;
    for (const s of map.sources) assert.ok(shipped.has(posix.join(posix.dirname(f), s)), `${f} names ${s}, which is not shipped`);
    maps++;
  }
  assert.ok(maps > 0, 'the maps were checked');

  const readme = readFileSync(join(copy, 'README.md'), 'utf8');
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^(https?:|mailto:|#)/.test(target!)) continue;
    const path = posix.normalize(target!.replace(/#.*$/, ''));
    assert.ok(
      shipped.has(path),
      `README links ${target}, which the tarball lacks: add it to "files" or link https://github.com/h2kit/h2kit/blob/main/${path}`,
    );
  }
});

// ---- the apps ----------------------------------------------------------------------------

for (const app of APPS) {
  test(`${app.name} app: installs the tarball${app.typescript ? `, compiles with TypeScript ${app.typescript}` : ''}, round trip over h2c`, async (t) => {
    if (skipInstalls !== null) return t.skip(skipInstalls);
    const dir = join(work, app.name);
    const install = installs.get(app.name)!;
    assert.equal(install.code, 0, explain(`npm install in the ${app.name} app`, install));
    if (app.name === 'esm') {
      // A library install pulls h2kit and the types its .d.ts name, nothing the command line uses.
      const ls = await run('npm', ['ls', '--all', '--parseable'], dir, RUN_TIMEOUT_MS);
      const packages = ls.stdout.split('\n').filter((l) => l.includes('node_modules'));
      const names = packages.map((l) => l.slice(l.lastIndexOf('node_modules') + 13)).sort();
      t.diagnostic(`a library install pulls ${packages.length} packages, h2kit included: ${names.join(', ')}`);
      const extra = names.filter((n) => n !== 'h2kit' && !n.startsWith('@types/') && n !== 'undici-types');
      assert.deepEqual(extra, [], 'a library install pulls only h2kit, @types/node and what that needs');
    }
    if (app.typescript !== undefined) {
      const { version, compile, seconds } = compiles.get(app.name)!;
      assert.match(version.stdout, new RegExp(`^Version ${app.typescript}\\.`), explain('tsc --version', version));
      assert.equal(compile.code, 0, explain(`tsc (TypeScript ${app.typescript})`, compile));
      t.diagnostic(`${version.stdout.trim()}: tsc -p . ${seconds.toFixed(1)} s`);
    }
    for (const program of app.programs) {
      const r = await run(process.execPath, [program.file], dir, RUN_TIMEOUT_MS);
      assert.equal(r.code, 0, explain(`node ${program.file}`, r));
      if (r.stderr.trim() !== '') t.diagnostic(`${program.file} stderr: ${r.stderr.trim()}`);
      const last = r.stdout.trim().split('\n').pop() ?? '';
      assert.deepEqual(JSON.parse(last), expected(program.label), `${program.file} printed ${r.stdout}`);
    }
  });
}

// The installed package is the tarball's content: check it is what npm pack listed (a sanity
// check that the install really used the tarball, not a registry copy).
test('the apps installed the packed tarball', (t) => {
  if (skipInstalls !== null) return t.skip(skipInstalls);
  const installed = join(work, 'esm', 'node_modules', 'h2kit');
  for (const f of ['package.json', 'dist/src/index.js', 'LICENSE']) assert.ok(existsSync(join(installed, f)), `${f} installed`);
  assert.equal(
    readFileSync(join(installed, 'dist/src/index.d.ts'), 'utf8'),
    readFileSync(join(copy, 'dist/src/index.d.ts'), 'utf8'),
  );
});

// ---- the command line's package -------------------------------------------------------------

test('npm pack of packages/cli ships the built command (maps carry their sources), README and LICENSE', () => {
  const allowed = /^(package\.json|README\.md|LICENSE|dist\/.+\.js(\.map)?)$/;
  assert.deepEqual(cliPackedFiles.filter((f) => !allowed.test(f)), [], 'files outside dist/*.js(.map), package.json, README.md, LICENSE');
  const pkg = JSON.parse(readFileSync(join(copy, 'packages', 'cli', 'package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const target of Object.values(pkg.bin)) assert.ok(cliPackedFiles.includes(posix.normalize(target)), `bin ${target} is shipped`);
  for (const f of ['dist/main.js', 'dist/serve.js', 'dist/static/site.js', 'LICENSE', 'README.md']) assert.ok(cliPackedFiles.includes(f), `${f} is in the tarball`);
  const maps = cliPackedFiles.filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 10);
  for (const f of maps) {
    const map = JSON.parse(readFileSync(join(copy, 'packages', 'cli', f), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
    assert.equal(map.sourcesContent?.length, map.sources.length, `${f} carries its sources`);
  }
});

/** Starts a long-running command; resolves with the first stdout line matching `ready`. */
function start(cmd: string, args: string[], cwd: string, ready: RegExp): Promise<{ child: ReturnType<typeof spawn>; match: RegExpMatchArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const output = (): string => out;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no line matching ${ready} in ${RUN_TIMEOUT_MS} ms\n${out}`));
    }, RUN_TIMEOUT_MS);
    const onData = (s: string): void => {
      out += s;
      const match = ready.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, match, output });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited ${code} before it was ready\n${out}`));
    });
  });
}

test('cli app: the installed h2kit serves a folder over TLS with its development CA, and h2kit get trusts it', async (t) => {
  if (skipInstalls !== null) return t.skip(skipInstalls);
  const dir = join(work, 'cli');
  const install = installs.get('cli')!;
  assert.equal(install.code, 0, explain('npm install of both tarballs in the cli app', install));
  const h2kit = join(dir, 'node_modules', '.bin', 'h2kit');

  const version = await run(h2kit, ['--version'], dir, RUN_TIMEOUT_MS);
  assert.equal(version.code, 0, explain('h2kit --version', version));
  const cliVersion = (JSON.parse(readFileSync(join(copy, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(version.stdout.trim(), `h2kit ${cliVersion}`);

  const serve = await start(h2kit, ['serve', 'site', '--host', '127.0.0.1', '--port', '0', '--cert-dir', 'certs'], dir, /open (https:\/\/\S+)\n/);
  try {
    const url = serve.match[1]!;
    const get = await run(h2kit, ['get', '--cacert', join(dir, 'certs', 'ca.pem'), url], dir, RUN_TIMEOUT_MS);
    assert.equal(get.code, 0, explain(`h2kit get ${url}`, get) + `\n--- serve\n${serve.output()}`);
    assert.equal(get.stdout, SITE_PAGE);
    assert.match(get.stderr, /content-type: text\/html; charset=utf-8/i);
  } finally {
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', (code) => resolve(code)));
    serve.child.kill('SIGTERM');
    assert.equal(await exited, 0, `h2kit serve exits 0 on SIGTERM\n${serve.output()}`);
  }
});
