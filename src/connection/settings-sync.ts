/**
 * `SettingsSync`: the SETTINGS exchange of one connection (RFC 9113 sections 6.5.3 and 3.4).
 * It keeps three views and a queue:
 * - `local`: the latest values we sent;
 * - `acked`: our values as the peer has acknowledged them, the ones that bind it (it may act
 *   on the old values until its ACK arrives);
 * - `peer`: the values the peer sent (protocol defaults until its first SETTINGS);
 * - the SETTINGS frames we sent that await an ACK, each with its deadline (SETTINGS_TIMEOUT).
 *
 * Why apart from the connection: the rules of when a value takes effect are the subtle part of
 * settings, and they are the same whatever the value does. What a change does (stream windows,
 * frame size, HPACK table) is the connection's, which owns those objects; this class only says
 * which values hold. The three objects are created once and changed in place, so the parts that
 * read them (the scheduler, the stream store) may hold them.
 */
import { UsageError } from '../errors.js';
import type { Settings } from './settings.js';
import { applySetting, INITIAL_SETTINGS, settingsDiff, settingsToPairs } from './settings.js';

/** One SETTINGS frame we sent and the time the peer's ACK is due. */
interface PendingSettings {
  readonly settings: Readonly<Settings>;
  readonly deadline: number;
}

export class SettingsSync {
  readonly local: Settings;
  readonly acked: Settings;
  readonly peer: Settings = { ...INITIAL_SETTINGS };
  /** The peer's first SETTINGS arrived (section 3.4: nothing else may come before it). */
  peerSeen = false;
  private readonly pending: PendingSettings[] = [];
  private readonly isServer: boolean;
  private readonly ackTimeout: number;

  constructor(settings: Settings, isServer: boolean, ackTimeout: number) {
    this.isServer = isServer;
    this.ackTimeout = ackTimeout;
    this.local = { ...settings };
    this.acked = { ...INITIAL_SETTINGS, enablePush: this.local.enablePush };
    // A smaller limit on concurrent streams constrains the peer at once: refusing a stream with
    // REFUSED_STREAM is always allowed (section 5.1.2 speaks of the *advertised* limit), and the
    // peer may retry it. The other values bind the peer only once it ACKs (section 6.5.3).
    this.acked.maxConcurrentStreams = this.local.maxConcurrentStreams;
  }

  /** The pairs of our first SETTINGS frame (what differs from the defaults); its ACK is due `ackTimeout` after `now`. */
  initial(now: number): Array<[number, number]> {
    this.pending.push({ settings: { ...this.local }, deadline: now + this.ackTimeout });
    return settingsToPairs(this.local, this.isServer);
  }

  /**
   * New values of ours: returns the pairs of the SETTINGS frame that announces them (UsageError
   * for a value out of range). A lower maxConcurrentStreams binds at once, the rest on ACK.
   */
  update(settings: Partial<Settings>, now: number): Array<[number, number]> {
    const next: Settings = { ...this.local, ...settings };
    if (this.isServer) next.enablePush = false;
    const pairs = settingsDiff(this.local, next, this.isServer);
    for (const pair of pairs) {
      try {
        applySetting({ ...INITIAL_SETTINGS }, pair[0], pair[1], false);
      } catch (err) {
        throw new UsageError(`bad setting: ${err instanceof Error ? err.message : String(err)}`, 'settings_invalid');
      }
    }
    Object.assign(this.local, next);
    this.acked.maxConcurrentStreams = next.maxConcurrentStreams;
    this.pending.push({ settings: { ...next }, deadline: now + this.ackTimeout });
    return pairs;
  }

  /**
   * The peer ACKed our oldest unacknowledged SETTINGS: returns those values (the connection
   * applies what changes, then calls `commitAck`), or null for an ACK we did not ask for.
   */
  takeAck(): Readonly<Settings> | null {
    const oldest = this.pending.shift();
    return oldest === undefined ? null : oldest.settings;
  }

  /** Makes acknowledged `settings` the ones that bind the peer. */
  commitAck(settings: Readonly<Settings>): void {
    Object.assign(this.acked, settings);
    // Concurrent streams were enforced from the moment we advertised them (see the constructor).
    this.acked.maxConcurrentStreams = this.local.maxConcurrentStreams;
  }

  /** When the oldest ACK is due (ms on the connection's clock), Infinity if none is awaited. */
  get ackDeadline(): number {
    return this.pending.length > 0 ? this.pending[0]!.deadline : Infinity;
  }

  /** Applies the peer's pairs in order (section 6.5.3), validating each; throws the RFC's error for a bad value. */
  applyPeer(pairs: ReadonlyArray<readonly [number, number]>): void {
    const isClient = !this.isServer;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      applySetting(this.peer, pair[0], pair[1], isClient);
    }
  }
}
