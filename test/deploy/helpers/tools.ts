/**
 * Finding the external programs the deploy tests drive (haproxy, nginx, h2load, curl, openssl).
 * Debian installs haproxy and nginx in /usr/sbin, which is not on a normal user's PATH: look
 * there too. A test skips with `skipMessage(...)` when its program is missing.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of an executable named `name` (PATH, then the sbin folders), or undefined. */
export function findCommand(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Debian package of each program, for the skip message. */
const PACKAGES: Record<string, string> = {
  haproxy: 'haproxy',
  nginx: 'nginx',
  h2load: 'nghttp2-client',
  curl: 'curl',
  openssl: 'openssl',
};

/** `haproxy not installed: apt-get install haproxy`. */
export function skipMessage(name: string): string {
  return `${name} not installed: apt-get install ${PACKAGES[name] ?? name}`;
}

/**
 * The first of `names` that is missing, as a skip message, or undefined when all are there:
 * `const missing = missingCommand('haproxy', 'h2load'); if (missing) return t.skip(missing);`
 */
export function missingCommand(...names: string[]): string | undefined {
  for (const name of names) if (findCommand(name) === undefined) return skipMessage(name);
  return undefined;
}
