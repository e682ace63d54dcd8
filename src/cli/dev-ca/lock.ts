/**
 * An exclusive lock on the development CA folder, held while a process makes or replaces its
 * files: two `h2kit serve` started at once (two terminals, a test suite, a process manager) must
 * not each make a CA and leave the folder with one's certificate beside the other's key.
 *
 * The lock is a file made with O_EXCL (`DIR/.lock`, holding "PID HOST"); the holder removes it
 * when done. Others wait for it, checking again every 50 ms: making a CA and a certificate takes
 * milliseconds. A lock left by a process that died holding it (killed mid-write) is taken over
 * when its PID is gone (same host) or when it is older than any making could take (30 s, for a
 * folder shared across hosts or containers where the PID says nothing).
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOCK_FILE = '.lock';
const STALE_AFTER_MS = 30_000;
const RETRY_MS = 50;

/** The lock could not be had within the wait (another process holds it and is alive). */
export class LockBusyError extends Error {
  constructor(readonly lockPath: string) {
    super(`${lockPath} is held by another process`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/** Whether the lock file at `path` was left by a process that is gone. */
async function isStale(path: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (Date.now() - info.mtimeMs > STALE_AFTER_MS) return true;
    const [pid, host] = text.trim().split(' ');
    // A lock being written has no text yet: not stale, its holder is alive and about to write it.
    return host === hostname() && /^\d+$/.test(pid ?? '') && !isAlive(Number(pid));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile: try again
    throw err;
  }
}

/**
 * Runs `work` holding the folder's lock. Throws the file system's error if the lock cannot be
 * made (a read-only folder: EACCES, EROFS) and a LockBusyError after `waitMs`.
 */
export async function withFolderLock<T>(dir: string, work: () => Promise<T>, waitMs = 15_000): Promise<T> {
  const path = join(dir, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid} ${hostname()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(path)) {
      await unlink(path).catch(() => {}); // another waiter may have removed it first: fine
      continue;
    }
    if (Date.now() >= deadline) throw new LockBusyError(path);
    await sleep(RETRY_MS);
  }
  try {
    return await work();
  } finally {
    await unlink(path).catch(() => {});
  }
}
