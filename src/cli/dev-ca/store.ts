/**
 * The development CA of `h2kit serve`, kept on disk as mkcert keeps its own: made once, trusted
 * once by the user (browser, curl, the OS), then reused at every start, with the server
 * certificate for localhost it issued.
 *
 * The folder (`--cert-dir`, else `defaultCertDir()`), made mode 0700:
 *
 *   ca.pem              the CA certificate: the file to trust (`curl --cacert`, certutil, ...)
 *   ca-key.pem          its private key, mode 0600
 *   localhost.pem       the server certificate: localhost, 127.0.0.1, ::1, signed by the CA
 *   localhost-key.pem   its private key, mode 0600
 *
 * The CA is never replaced silently while it can still be used: a new CA means every browser
 * and client must be told to trust it again. Files that are unreadable or do not belong together
 * are an error naming the file and how to start over. Only an expired (or about to expire) CA is
 * replaced, and the start-up lines say so. The server certificate, which nobody trusts directly,
 * is re-issued whenever it is missing, unreadable, about to expire, not for our names, or not
 * signed by the CA in the folder.
 *
 * Every file is written to a temporary name and renamed into place (a crash never leaves half a
 * key), under the folder's lock (lock.ts) so that two processes starting at once do not mix two
 * CAs' files: the second waits, then finds what the first made and uses it. Reading needs no
 * lock: a start whose files are all good writes nothing, so a read-only folder holding a good CA
 * and certificate works. What reads as broken without the lock is read again under it (it may
 * have been another process mid-write) before it is called broken.
 */
import { X509Certificate, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, win32 } from 'node:path';
import { CliInputError, fileProblem } from '../command.js';
import type { LeafNames, PemPair } from './issue.js';
import { LockBusyError, withFolderLock } from './lock.js';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
export const LEAF_CERT_FILE = 'localhost.pem';
export const LEAF_KEY_FILE = 'localhost-key.pem';

/** The names the server certificate is for: what `h2kit serve` shows in its URL, and loopback. */
export const LEAF_NAMES: LeafNames = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };

/** A CA or a certificate with less than this left is replaced before it lapses in the middle of a session. */
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface DevCertificate {
  /** The folder the files are in. */
  dir: string;
  /** The CA certificate to trust. */
  caCertPath: string;
  caFingerprint256: string;
  /** When the CA was made (its notBefore): "made 2026-12-06". */
  caMade: Date;
  /** The server's certificate and key (PEM). */
  cert: string;
  key: string;
  fingerprint256: string;
  /** What this start changed on disk, one line each ("made a new development CA", ...); empty when all was reused. */
  changes: string[];
  /** Things the user should fix that did not stop the start (a CA key readable by others). */
  warnings: string[];
}

/**
 * Where the development CA lives by default: `$XDG_CONFIG_HOME/h2kit` when that is set (any
 * Unix, as the XDG spec asks); else `~/Library/Application Support/h2kit` on macOS (where
 * mkcert and other tools keep such files), `%LOCALAPPDATA%\h2kit` on Windows (local, not
 * roaming: a private key should not follow the user to other machines), `~/.config/h2kit`
 * elsewhere.
 */
export function defaultCertDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    return local !== undefined && local !== '' ? win32.join(local, 'h2kit') : win32.join(home, 'AppData', 'Local', 'h2kit');
  }
  const xdg = env.XDG_CONFIG_HOME;
  // The spec: a relative value is invalid and is to be ignored.
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'h2kit');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'h2kit');
  return join(home, '.config', 'h2kit');
}

/** A problem with the folder's CA that only the user can resolve: one line, naming the file and the way out. */
function brokenCa(dir: string, what: string): CliInputError {
  return new CliInputError(
    `the development CA in ${dir} cannot be used: ${what}. To start over with a new CA, delete ${dir} ` +
      `(browsers and clients that trusted the old CA must then be given the new ${join(dir, CA_CERT_FILE)}), ` +
      `or pick another folder with --cert-dir DIR`,
  );
}

/** `undefined` for a missing file; any other read error is the user's to fix, in one line. */
async function readIfThere(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new CliInputError(`cannot read ${join(dir, name)}: ${fileProblem(err)} (give another folder with --cert-dir DIR, or use --cert/--key)`);
  }
}

interface FolderState {
  caCert: string | undefined;
  caKey: string | undefined;
  leafCert: string | undefined;
  leafKey: string | undefined;
}

async function readFolder(dir: string): Promise<FolderState> {
  // One at a time: the first unreadable file is the one named.
  return {
    caCert: await readIfThere(dir, CA_CERT_FILE),
    caKey: await readIfThere(dir, CA_KEY_FILE),
    leafCert: await readIfThere(dir, LEAF_CERT_FILE),
    leafKey: await readIfThere(dir, LEAF_KEY_FILE),
  };
}

type CaVerdict =
  | { kind: 'ok'; ca: PemPair; cert: X509Certificate }
  | { kind: 'missing' }
  | { kind: 'expiring'; validTo: string }
  | { kind: 'broken'; what: string };

function parseCert(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

function parseKey(pem: string): KeyObject | null {
  try {
    return createPrivateKey(pem);
  } catch {
    return null;
  }
}

/** Whether the folder's CA files are a usable CA, missing, past their time, or broken (and how). */
function judgeCa(dir: string, state: FolderState, now: number): CaVerdict {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  if (state.caCert === undefined && state.caKey === undefined) return { kind: 'missing' };
  if (state.caCert === undefined) return { kind: 'broken', what: `${certPath} is missing but ${keyPath} is there` };
  if (state.caKey === undefined) return { kind: 'broken', what: `${keyPath} is missing but ${certPath} is there` };
  const cert = parseCert(state.caCert);
  if (cert === null) return { kind: 'broken', what: `${certPath} is not a PEM certificate` };
  if (!cert.ca) return { kind: 'broken', what: `${certPath} is not a CA certificate` };
  const key = parseKey(state.caKey);
  if (key === null) return { kind: 'broken', what: `${keyPath} is not a PEM private key` };
  // issue.ts signs with ECDSA P-256; a key of another kind was not made by us.
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return { kind: 'broken', what: `${keyPath} is not an ECDSA P-256 key (h2kit makes only those)` };
  }
  if (!cert.checkPrivateKey(key)) return { kind: 'broken', what: `${keyPath} is not the key of ${certPath}` };
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return { kind: 'expiring', validTo: cert.validTo };
  return { kind: 'ok', ca: { cert: state.caCert, key: state.caKey }, cert };
}

/** Why the server certificate must be issued again, or null if it can be used as it is. */
function leafProblem(state: FolderState, ca: X509Certificate, now: number): string | null {
  if (state.leafCert === undefined || state.leafKey === undefined) return state.leafCert === undefined && state.leafKey === undefined ? 'none yet' : 'half of it was missing';
  const cert = parseCert(state.leafCert);
  const key = parseKey(state.leafKey);
  if (cert === null || key === null) return 'the old one was unreadable';
  if (!cert.checkPrivateKey(key)) return 'its key did not match';
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'the old one was not signed by this CA';
  const named = LEAF_NAMES.dns.every((name) => cert.checkHost(name) === name) && LEAF_NAMES.ips.every((ip) => cert.checkIP(ip) !== undefined);
  if (!named) return `the old one was not for ${[...LEAF_NAMES.dns, ...LEAF_NAMES.ips].join(', ')}`;
  if (Date.parse(cert.validFrom) > now) return 'the old one was not valid yet (was the clock changed?)';
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `the old one expires ${cert.validTo}`;
  return null;
}

/** Writes `text` to `dir/name` through a temporary file and a rename: readers see the old file or the new, never a part. */
async function writeAtomically(dir: string, name: string, text: string, mode: number): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/** Makes the folder (mode 0700) if it is not there; a path that is not a folder is an error. */
async function ensureFolder(dir: string): Promise<void> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new CliInputError(`cannot use ${dir} for the development CA: it is not a folder (give another with --cert-dir DIR)`);
    // Said of the folder rather than of the first file read in it.
    await access(dir, constants.R_OK | constants.X_OK);
    return;
  } catch (err) {
    if (err instanceof CliInputError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw folderError(dir, err, 'read');
  }
  try {
    // The parents (~/.config) with the usual mode; the folder itself for its owner only.
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw folderError(dir, err, 'create');
  }
}

function folderError(dir: string, err: unknown, doing: 'read' | 'create' | 'write to'): CliInputError {
  return new CliInputError(`cannot ${doing} the development CA folder ${dir}: ${fileProblem(err)} (give another with --cert-dir DIR, or use --cert/--key)`);
}

/** A CA key others can read is a key others can use to impersonate any site to this user's browser. */
async function keyModeWarning(dir: string): Promise<string | null> {
  if (process.platform === 'win32') return null; // no POSIX modes: the folder's ACL is what protects it
  try {
    const mode = (await stat(join(dir, CA_KEY_FILE))).mode & 0o777;
    if ((mode & 0o077) === 0) return null;
    return `${join(dir, CA_KEY_FILE)} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`;
  } catch {
    return null;
  }
}

/**
 * The development CA and server certificate in `dir`: read and checked, made or re-issued where
 * needed (see the file comment). Throws a CliInputError with one line for anything the user
 * must resolve.
 */
export async function loadDevCertificate(dir: string, now = Date.now()): Promise<DevCertificate> {
  await ensureFolder(dir);
  const changes: string[] = [];
  let state = await readFolder(dir);
  let verdict = judgeCa(dir, state, now);
  if (verdict.kind !== 'ok' || leafProblem(state, verdict.cert, now) !== null) {
    try {
      ({ state, verdict } = await withFolderLock(dir, () => repair(dir, now, changes)));
    } catch (err) {
      if (err instanceof CliInputError) throw err;
      if (err instanceof LockBusyError) {
        throw new CliInputError(`another process has been updating the development CA in ${dir} for 15 s; if no h2kit is running, delete ${err.lockPath}`);
      }
      // The lock (or a file) cannot be written: a read-only folder. What was wrong is said first.
      if (verdict.kind === 'broken') throw brokenCa(dir, verdict.what);
      throw folderError(dir, err, 'write to');
    }
  }
  if (verdict.kind !== 'ok' || state.leafCert === undefined || state.leafKey === undefined) throw new Error('unreachable: repair left the folder incomplete');
  const warning = await keyModeWarning(dir);
  return {
    dir,
    caCertPath: join(dir, CA_CERT_FILE),
    caFingerprint256: verdict.cert.fingerprint256,
    caMade: new Date(verdict.cert.validFrom),
    cert: state.leafCert,
    key: state.leafKey,
    fingerprint256: new X509Certificate(state.leafCert).fingerprint256,
    changes,
    warnings: warning === null ? [] : [warning],
  };
}

/** Under the lock: reads the folder again, and makes what is missing or due. */
async function repair(dir: string, now: number, changes: string[]): Promise<{ state: FolderState; verdict: CaVerdict }> {
  const { issueLeaf, makeCa } = await import('./issue.js');
  let state = await readFolder(dir);
  let verdict = judgeCa(dir, state, now);
  if (verdict.kind === 'broken') throw brokenCa(dir, verdict.what);
  if (verdict.kind === 'missing' || verdict.kind === 'expiring') {
    const ca = await makeCa(now);
    // The key first: a crash between the two renames leaves a key without a certificate, which
    // the next start reports; never a certificate whose key is lost.
    await writeAtomically(dir, CA_KEY_FILE, ca.key, 0o600);
    await writeAtomically(dir, CA_CERT_FILE, ca.cert, 0o644);
    changes.push(
      verdict.kind === 'missing'
        ? `made a new development CA: ${join(dir, CA_CERT_FILE)}`
        : `the development CA expires ${verdict.validTo}: made a new one, ${join(dir, CA_CERT_FILE)}; trust it again where you trusted the old one`,
    );
    state = { ...state, caCert: ca.cert, caKey: ca.key };
    verdict = judgeCa(dir, state, now);
    if (verdict.kind !== 'ok') throw new Error(`unreachable: a new CA judged ${verdict.kind}`);
  }
  const problem = leafProblem(state, verdict.cert, now);
  if (problem !== null) {
    const leaf = await issueLeaf(verdict.ca, LEAF_NAMES, now);
    await writeAtomically(dir, LEAF_KEY_FILE, leaf.key, 0o600);
    await writeAtomically(dir, LEAF_CERT_FILE, leaf.cert, 0o644);
    if (problem !== 'none yet' || changes.length === 0) changes.push(`issued a new server certificate (${problem})`);
    state = { ...state, leafCert: leaf.cert, leafKey: leaf.key };
  }
  return { state, verdict };
}
