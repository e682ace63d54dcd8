/**
 * `SettingsEffects`: what a SETTINGS frame does (RFC 9113 sections 6.5, 6.9.2). The peer's
 * values, applied in order and ACKed, move every stream's send window and our HPACK encoder's
 * table; the ACK of ours makes the values that constrain the peer bind it, moving every stream's
 * receive window, the largest frame we accept and our HPACK decoder's table.
 *
 * Why apart from the connection: SettingsSync says which values hold and when; this says what
 * each change does to the objects the values govern. Neither opens or closes a stream, so the
 * connection only hands the frame (and the h2c upgrade's settings) here. Everything it
 * uses is given at construction: no back-pointer.
 */
import { H2Error, UsageError } from '../errors.js';
import type { FrameDecoder } from '../frame/decoder.js';
import type { SettingsFrame } from '../frame/types.js';
import type { FrameWriter } from '../frame/writer.js';
import type { HDDeflater } from '../hpack/deflater.js';
import type { HDInflater } from '../hpack/inflater.js';
import type { ConnectionEvent } from './events.js';
import type { FloodGuard } from './flood-guard.js';
import type { ReceiveFlow } from './receive-flow.js';
import type { SendScheduler } from './send-scheduler.js';
import type { Settings } from './settings.js';
import { decodeSettingsPayload } from './settings.js';
import type { SettingsSync } from './settings-sync.js';
import type { StreamStore } from './stream-store.js';

export class SettingsEffects {
  private readonly settings: SettingsSync;
  private readonly streams: StreamStore;
  private readonly scheduler: SendScheduler;
  private readonly recvFlow: ReceiveFlow;
  private readonly decoder: FrameDecoder;
  private readonly deflater: HDDeflater;
  private readonly inflater: HDInflater;
  private readonly writer: FrameWriter;
  private readonly flood: FloodGuard;

  constructor(
    settings: SettingsSync,
    streams: StreamStore,
    scheduler: SendScheduler,
    recvFlow: ReceiveFlow,
    decoder: FrameDecoder,
    deflater: HDDeflater,
    inflater: HDInflater,
    writer: FrameWriter,
    flood: FloodGuard,
  ) {
    this.settings = settings;
    this.streams = streams;
    this.scheduler = scheduler;
    this.recvFlow = recvFlow;
    this.decoder = decoder;
    this.deflater = deflater;
    this.inflater = inflater;
    this.writer = writer;
    this.flood = flood;
  }

  /** A received SETTINGS frame: the peer's values (applied, then ACKed) or the ACK of ours. */
  frame(f: SettingsFrame, events: ConnectionEvent[], now: number): void {
    const sync = this.settings;
    if (f.ack) {
      const acked = sync.takeAck();
      // An ACK we did not ask for changes nothing (RFC 9113 names no error for it).
      if (acked === null) {
        this.flood.glitch(now, 'settings_ack_unsolicited');
        return;
      }
      this.applyAcked(acked);
      events.push({ type: 'settingsAck' });
      return;
    }
    if (sync.peerSeen) this.flood.controlFrame(now);
    sync.peerSeen = true;
    this.applyPeer(f.settings);
    this.writer.settingsAck();
    events.push({ type: 'settings', settings: { ...sync.peer } });
  }

  /** Applies the peer's settings (section 6.5.3: in order, all before the ACK); throws the RFC's error for a bad value. */
  applyPeer(pairs: ReadonlyArray<readonly [number, number]>): void {
    const peer = this.settings.peer;
    const oldWindow = peer.initialWindowSize;
    const oldTable = peer.headerTableSize;
    this.settings.applyPeer(pairs);
    if (peer.initialWindowSize !== oldWindow) this.scheduler.initialWindowChanged(this.streams.values(), peer.initialWindowSize - oldWindow);
    if (peer.headerTableSize !== oldTable) this.deflater.changeTableSize(peer.headerTableSize);
  }

  /**
   * Server, h2c upgrade: the client's `HTTP2-Settings` (decoded octets) as its settings.
   * UsageError for a bad payload (the caller answers the HTTP/1.1 request).
   */
  applyUpgrade(payload: Buffer, maxEntries: number): void {
    if (payload.length / 6 > maxEntries) throw new UsageError(`bad HTTP2-Settings: more than ${maxEntries} entries`, 'upgrade_bad_settings');
    try {
      this.applyPeer(decodeSettingsPayload(payload));
    } catch (err) {
      if (err instanceof H2Error) throw new UsageError(`bad HTTP2-Settings: ${err.message}`, 'upgrade_bad_settings');
      throw err;
    }
  }

  /** The peer acknowledged `settings`: the values that constrain it apply now (section 6.5.3). */
  private applyAcked(settings: Readonly<Settings>): void {
    const acked = this.settings.acked;
    if (settings.initialWindowSize !== acked.initialWindowSize) {
      this.recvFlow.initialWindowChanged(this.streams.values(), settings.initialWindowSize);
    }
    if (settings.maxFrameSize !== acked.maxFrameSize) this.decoder.maxFrameSize = settings.maxFrameSize;
    if (settings.headerTableSize !== acked.headerTableSize) this.inflater.changeTableSize(settings.headerTableSize);
    this.settings.commitAck(settings);
  }
}
