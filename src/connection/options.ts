/**
 * Everything configurable about a Connection, in one place, with safe defaults.
 *
 * The defaults are chosen to be safe against the known HTTP/2 attacks (floods of streams,
 * CONTINUATION, pings, settings; HPACK bombs) while fast for honest peers: a large
 * connection-level receive window so uploads are not throttled by the 65535-octet default.
 */
import type { GlitchLimit, RateLimit } from './flood-guard.js';
import type { Settings } from './settings.js';
import { INITIAL_SETTINGS, MAX_WINDOW } from './settings.js';

export type Role = 'server' | 'client';

/** Header fields in events and commands: `[name, value]`, lowercase names, pseudo-headers first. */
export type { HeaderList } from '../frame/trace.js';

export interface ConnectionOptions {
  /** Which end of the connection we are. */
  role: Role;
  /**
   * What we advertise in our SETTINGS frame. Unset values take these defaults:
   * - `headerTableSize`: 4096 (our HPACK decoder's dynamic table)
   * - `enablePush`: true for a client (ignored for a server: servers never advertise push)
   * - `maxConcurrentStreams`: 100 (streams the peer may have open toward us; beyond it, REFUSED_STREAM)
   * - `initialWindowSize`: 65535 (each stream's receive window)
   * - `maxFrameSize`: 16384
   * - `maxHeaderListSize`: 65536 (decoded header list, name + value + 32 per field)
   * - `enableConnectProtocol`: false
   */
  settings?: Partial<Settings>;
  /** Our connection-level receive window (sent as a WINDOW_UPDATE on stream 0 right after SETTINGS). Default 1 MiB (1048576). */
  connectionWindowSize?: number;
  /** Largest header block (HEADERS/PUSH_PROMISE + CONTINUATION, compressed) we buffer. Default max(65536, 2 * maxHeaderListSize). */
  maxHeaderBlockSize?: number;
  /** CONTINUATION frames allowed in one header block (defeats floods of tiny/empty ones). Default 64. */
  maxContinuationFrames?: number;
  /** How long the peer has to ACK our SETTINGS before GOAWAY(SETTINGS_TIMEOUT), ms. Default 5000. */
  settingsAckTimeout?: number;
  /** Closed stream ids remembered (to tell "closed" from "never used" for late frames). Default 1024. */
  maxClosedStreams?: number;
  /** Largest HPACK dynamic table our encoder will use even if the peer allows more. Default 4096. */
  maxEncoderTableSize?: number;
  /** Push streams we may have reserved/open at once (server), on top of the peer's MAX_CONCURRENT_STREAMS. Default 100. */
  maxConcurrentPushes?: number;
  /**
   * Flood limits are token buckets (`burst` at once, `perSecond` refilled); beyond one,
   * GOAWAY(ENHANCE_YOUR_CALM) with the bucket's token as debug data.
   *
   * Control frames the peer makes us answer (PING, SETTINGS after the first): `flood_control_frames`.
   * Default `{ burst: 1000, perSecond: 50 }`.
   */
  controlFrameLimit?: Partial<RateLimit>;
  /**
   * Glitches, frames that cost work and do none: WINDOW_UPDATE, PRIORITY, unknown frame types,
   * RST_STREAM on a closed stream, empty DATA without END_STREAM, frames on streams we reset,
   * unsolicited SETTINGS ACKs, repeated GOAWAYs, windows opened a few octets at a time. Refilled
   * also by real work: `perRequest` tokens for each request the peer opens, `perDataFrameSent` for
   * each DATA frame we send of at least 1 KiB or ending its stream (a reading peer answers them with
   * WINDOW_UPDATEs; the tiny frames a dribbled window forces earn nothing): `flood_glitches`.
   * Default `{ burst: 1000, perSecond: 10, perRequest: 10, perDataFrameSent: 3 }`.
   */
  glitchLimit?: Partial<GlitchLimit>;
  /**
   * Stream resets: RST_STREAM the peer sends (Rapid Reset, CVE-2023-44487), the ones it provokes
   * from us (stream errors, refused streams, 431: MadeYouReset, CVE-2025-8671) and the ones we make
   * when the application fails a stream (a request that makes a handler throw can be repeated at
   * will): `flood_resets`. Default `{ burst: 1000, perSecond: 33 }` (nghttp2's).
   */
  resetLimit?: Partial<RateLimit>;
  /**
   * Of those, the ones only a broken or hostile peer causes: stream errors from malformed or
   * forbidden input (RST_STREAM PROTOCOL_ERROR, STREAM_CLOSED, FLOW_CONTROL_ERROR...) and requests
   * answered 431. Honest peers cause none, so the limit is low: `flood_stream_errors`.
   * Default `{ burst: 50, perSecond: 5 }`.
   */
  streamErrorLimit?: Partial<RateLimit>;
  /**
   * Entries one SETTINGS frame (or an h2c upgrade's HTTP2-Settings) may hold: a 16 KiB frame of
   * 2730 entries costs as much to apply as 2730 frames (CVE-2020-11080). Beyond it
   * GOAWAY(ENHANCE_YOUR_CALM) `settings_too_many_entries`. Default 32 (nghttp2's and node's).
   */
  maxSettingsEntries?: number;
  /**
   * A stream with DATA queued that the peer's flow control has kept from sending anything for
   * this long is reset (RST_STREAM CANCEL): a peer that opens windows of zero and never reads
   * must not hold our streams and buffers forever ("zero-window hoarding"). Like nginx's
   * send_timeout. Infinity disables it. Default 60000 ms.
   */
  maxSendStallMs?: number;
  /** The time now, in ms (any monotonic clock; the caller passes later times to receive/tick). Default 0. */
  now?: number;
}

/** ConnectionOptions with every default filled in. */
export interface ResolvedOptions {
  role: Role;
  settings: Settings;
  connectionWindowSize: number;
  maxHeaderBlockSize: number;
  maxContinuationFrames: number;
  settingsAckTimeout: number;
  maxClosedStreams: number;
  maxEncoderTableSize: number;
  maxConcurrentPushes: number;
  controlFrameLimit: RateLimit;
  glitchLimit: GlitchLimit;
  resetLimit: RateLimit;
  streamErrorLimit: RateLimit;
  maxSettingsEntries: number;
  maxSendStallMs: number;
  now: number;
}

export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
export const DEFAULT_MAX_HEADER_LIST_SIZE = 65536;
export const DEFAULT_CONNECTION_WINDOW_SIZE = 1048576;
export const DEFAULT_SETTINGS_ACK_TIMEOUT = 5000;
/**
 * A graceful shutdown's wait for its PING to come back before the final GOAWAY (`Connection.shutdown()`),
 * ms: a client that does not answer PINGs (only a broken or hostile one) holds the connection this much longer.
 */
export const DEFAULT_SHUTDOWN_PING_TIMEOUT = 1000;
export const DEFAULT_MAX_SETTINGS_ENTRIES = 32;
export const DEFAULT_CONTROL_FRAME_LIMIT: Readonly<RateLimit> = Object.freeze({ burst: 1000, perSecond: 50 });
export const DEFAULT_GLITCH_LIMIT: Readonly<GlitchLimit> = Object.freeze({ burst: 1000, perSecond: 10, perRequest: 10, perDataFrameSent: 3 });
export const DEFAULT_RESET_LIMIT: Readonly<RateLimit> = Object.freeze({ burst: 1000, perSecond: 33 });
export const DEFAULT_STREAM_ERROR_LIMIT: Readonly<RateLimit> = Object.freeze({ burst: 50, perSecond: 5 });

export function resolveOptions(options: ConnectionOptions): ResolvedOptions {
  const settings: Settings = {
    ...INITIAL_SETTINGS,
    maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
    maxHeaderListSize: DEFAULT_MAX_HEADER_LIST_SIZE,
    ...options.settings,
  };
  if (options.role === 'server') settings.enablePush = false;
  const headerList = settings.maxHeaderListSize === Infinity ? DEFAULT_MAX_HEADER_LIST_SIZE : settings.maxHeaderListSize;
  return {
    role: options.role,
    settings,
    connectionWindowSize: Math.min(MAX_WINDOW, Math.max(65535, options.connectionWindowSize ?? DEFAULT_CONNECTION_WINDOW_SIZE)),
    maxHeaderBlockSize: options.maxHeaderBlockSize ?? Math.max(65536, 2 * headerList),
    maxContinuationFrames: options.maxContinuationFrames ?? 64,
    settingsAckTimeout: options.settingsAckTimeout ?? DEFAULT_SETTINGS_ACK_TIMEOUT,
    maxClosedStreams: options.maxClosedStreams ?? 1024,
    maxEncoderTableSize: options.maxEncoderTableSize ?? 4096,
    maxConcurrentPushes: options.maxConcurrentPushes ?? 100,
    controlFrameLimit: { ...DEFAULT_CONTROL_FRAME_LIMIT, ...options.controlFrameLimit },
    glitchLimit: { ...DEFAULT_GLITCH_LIMIT, ...options.glitchLimit },
    resetLimit: { ...DEFAULT_RESET_LIMIT, ...options.resetLimit },
    streamErrorLimit: { ...DEFAULT_STREAM_ERROR_LIMIT, ...options.streamErrorLimit },
    maxSettingsEntries: options.maxSettingsEntries ?? DEFAULT_MAX_SETTINGS_ENTRIES,
    maxSendStallMs: options.maxSendStallMs ?? 60000,
    now: options.now ?? 0,
  };
}
