/**
 * The descriptor budget of file bodies (file-body.ts): one DescriptorSlots for the process and
 * one per connection, and the limits they are made with.
 *
 * Descriptors are a process resource (RLIMIT_NOFILE counts sockets and files together), so the
 * limits are process-wide and set with `setFileBodyLimits()` (`h2kit serve` does, from its flags;
 * each `--workers` process for itself). A connection's slots are made on its first file body and
 * keyed by the object the server passes for the connection (its session), in a WeakMap: they go
 * with the connection, and an idle connection costs nothing.
 */
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { DescriptorCache } from './descriptor-cache.js';
import { DescriptorSlots } from './descriptor-slots.js';

export interface FileBodyLimits {
  /** Descriptors open at once for file bodies, in this process. */
  maxOpenFiles: number;
  /** Of those, held by the bodies of one connection (a connection's bodies queue behind this first). */
  maxOpenFilesPerConnection: number;
  /** An idle descriptor (its stream cannot send) is closed after this long, ms; reopened when it can. */
  lingerMs: number;
}

/** Ceiling of the default per-process cap. */
const DEFAULT_MAX_OPEN_FILES = 256;
/** A page's worth of large assets at once; h2load -m 4 and browsers use far fewer. */
const DEFAULT_PER_CONNECTION = 16;
/**
 * Longer than the stall between two windows of a client reading steadily (an internet RTT), so a
 * flowing stream keeps its descriptor; short enough that stalled ones let theirs go quickly.
 * Reopening costs open + fstat + close: ~120 µs measured, nothing beside a half-second stall.
 */
const DEFAULT_LINGER_MS = 500;

/**
 * The default per-process cap: 256, or a quarter of the soft RLIMIT_NOFILE when that is less,
 * so files never take the descriptors sockets need (Node has raised the soft limit to the hard
 * one by now; /proc/self/limits shows what it got). Without /proc (not Linux): 256.
 */
export function defaultMaxOpenFiles(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'latin1');
    } catch {
      return DEFAULT_MAX_OPEN_FILES;
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return DEFAULT_MAX_OPEN_FILES;
  return Math.max(1, Math.min(DEFAULT_MAX_OPEN_FILES, Math.floor(Number(m[1]) / 4)));
}

let perConnection = DEFAULT_PER_CONNECTION;
/** Made on first use: a process that never sends a file never reads /proc. */
let processSlots: DescriptorSlots | null = null;
const connectionSlots = new WeakMap<object, DescriptorSlots>();

/** The process's slots (with the linger: one timer for every idle descriptor). */
export function slotsOfProcess(): DescriptorSlots {
  return (processSlots ??= new DescriptorSlots(defaultMaxOpenFiles(), DEFAULT_LINGER_MS));
}

let cache: DescriptorCache | null = null;

/** The process's parked descriptors (descriptor-cache.ts), holding slots of `slotsOfProcess()`. */
export function descriptorCache(): DescriptorCache {
  return (cache ??= new DescriptorCache(slotsOfProcess()));
}

/** The slots of the connection `connection` stands for. */
export function slotsOfConnection(connection: object): DescriptorSlots {
  let slots = connectionSlots.get(connection);
  if (slots === undefined) {
    slots = new DescriptorSlots(perConnection);
    connectionSlots.set(connection, slots);
  }
  return slots;
}

/** The limits in force. */
export function fileBodyLimits(): FileBodyLimits {
  const p = slotsOfProcess();
  return { maxOpenFiles: p.limit, maxOpenFilesPerConnection: perConnection, lingerMs: p.lingerMs };
}

/**
 * Changes the limits of this process's file bodies (fields left out keep their value; a bad one
 * throws UsageError `file_limit_bad` and changes nothing). `maxOpenFiles` and `lingerMs` apply at
 * once; `maxOpenFilesPerConnection` to connections whose first file body comes after the call.
 */
export function setFileBodyLimits(limits: Partial<FileBodyLimits>): void {
  const { maxOpenFiles, maxOpenFilesPerConnection, lingerMs } = limits;
  for (const [name, n] of [['maxOpenFiles', maxOpenFiles], ['maxOpenFilesPerConnection', maxOpenFilesPerConnection]] as const) {
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`${name} must be an integer >= 1, got ${String(n)}`, 'file_limit_bad');
  }
  if (lingerMs !== undefined && !(lingerMs >= 0)) throw new UsageError(`lingerMs must be >= 0, got ${String(lingerMs)}`, 'file_limit_bad');
  const p = slotsOfProcess();
  if (maxOpenFilesPerConnection !== undefined) perConnection = maxOpenFilesPerConnection;
  if (maxOpenFiles !== undefined) p.limit = maxOpenFiles;
  if (lingerMs !== undefined) p.lingerMs = lingerMs;
}
