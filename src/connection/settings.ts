/**
 * HTTP/2 SETTINGS (RFC 9113 section 6.5) as values: what each side advertises, the defaults,
 * validation of received values, and the pairs we put on the wire (first frame, later changes,
 * the h2c upgrade's HTTP2-Settings). When values take effect (our `local` and `acked` views, the
 * queue awaiting ACK) is SettingsSync's, in settings-sync.ts.
 */
import { ConnectionError, ErrorCode } from '../errors.js';
import { SettingId } from '../frame/constants.js';
import { checkSettingValue } from '../frame/settings.js';

/** One side's settings, by name. Unbounded values are `Infinity`. */
export interface Settings {
  /** SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the sender's decoder allows. Default 4096. */
  headerTableSize: number;
  /** SETTINGS_ENABLE_PUSH: whether the sender (a client) accepts server push. Default true. */
  enablePush: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams the receiver may open toward the sender. Default unlimited. */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: the sender's initial stream receive window. Default 65535. */
  initialWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame payload the sender accepts. Default 16384. */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: advisory limit of the sender. Default unlimited. */
  maxHeaderListSize: number;
  /** SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): extended CONNECT accepted. Default false. */
  enableConnectProtocol: boolean;
}

/** The values every connection starts with before any SETTINGS frame (RFC 9113 section 6.5.2). */
export const INITIAL_SETTINGS: Readonly<Settings> = Object.freeze({
  headerTableSize: 4096,
  enablePush: true,
  maxConcurrentStreams: Infinity,
  initialWindowSize: 65535,
  maxFrameSize: 16384,
  maxHeaderListSize: Infinity,
  enableConnectProtocol: false,
});

export const MAX_WINDOW = 2147483647;

/**
 * Applies one received `[id, value]` pair to `settings`, validating it (section 6.5.2).
 * Unknown identifiers are ignored, as the RFC requires. `isClientReceiving` enables the rule
 * that a server may only ever send ENABLE_PUSH = 0.
 */
export function applySetting(settings: Settings, id: number, value: number, isClientReceiving: boolean): void {
  // The range rules are facts of the wire format and live beside the frame definitions.
  checkSettingValue(id, value);
  switch (id) {
    case SettingId.HEADER_TABLE_SIZE:
      settings.headerTableSize = value;
      return;
    case SettingId.ENABLE_PUSH:
      if (isClientReceiving && value !== 0) {
        throw new ConnectionError('a server sent SETTINGS_ENABLE_PUSH = 1', ErrorCode.PROTOCOL_ERROR, 'settings_enable_push_from_server');
      }
      settings.enablePush = value === 1;
      return;
    case SettingId.MAX_CONCURRENT_STREAMS:
      settings.maxConcurrentStreams = value;
      return;
    case SettingId.INITIAL_WINDOW_SIZE:
      settings.initialWindowSize = value;
      return;
    case SettingId.MAX_FRAME_SIZE:
      settings.maxFrameSize = value;
      return;
    case SettingId.MAX_HEADER_LIST_SIZE:
      settings.maxHeaderListSize = value;
      return;
    case SettingId.ENABLE_CONNECT_PROTOCOL:
      settings.enableConnectProtocol = value === 1;
      return;
    default:
      // RFC 9113 section 6.5.2: an endpoint that receives an unknown setting MUST ignore it.
      return;
  }
}

/**
 * The pairs to put in our SETTINGS frame: every value that differs from the protocol default
 * (sending defaults is legal but wastes bytes). A server never sends ENABLE_PUSH = 1.
 */
export function settingsToPairs(settings: Settings, isServer: boolean): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const d = INITIAL_SETTINGS;
  if (settings.headerTableSize !== d.headerTableSize) pairs.push([SettingId.HEADER_TABLE_SIZE, settings.headerTableSize]);
  if (!settings.enablePush && !isServer) pairs.push([SettingId.ENABLE_PUSH, 0]);
  if (settings.maxConcurrentStreams !== Infinity) pairs.push([SettingId.MAX_CONCURRENT_STREAMS, settings.maxConcurrentStreams]);
  if (settings.initialWindowSize !== d.initialWindowSize) pairs.push([SettingId.INITIAL_WINDOW_SIZE, settings.initialWindowSize]);
  if (settings.maxFrameSize !== d.maxFrameSize) pairs.push([SettingId.MAX_FRAME_SIZE, settings.maxFrameSize]);
  if (settings.maxHeaderListSize !== Infinity) pairs.push([SettingId.MAX_HEADER_LIST_SIZE, settings.maxHeaderListSize]);
  if (settings.enableConnectProtocol) pairs.push([SettingId.ENABLE_CONNECT_PROTOCOL, 1]);
  return pairs;
}

/**
 * Decodes the payload of an `HTTP2-Settings` header (RFC 7540 section 3.2.1, base64url of a
 * SETTINGS payload), used by the h2c upgrade. Throws ConnectionError(PROTOCOL_ERROR) when the
 * length is not a multiple of 6.
 */
export function decodeSettingsPayload(payload: Buffer): Array<[number, number]> {
  if (payload.length % 6 !== 0) {
    throw new ConnectionError(`HTTP2-Settings payload of ${payload.length} octets is not a multiple of 6`, ErrorCode.PROTOCOL_ERROR, 'upgrade_settings_bad_length');
  }
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < payload.length; i += 6) {
    pairs.push([payload.readUInt16BE(i), payload.readUInt32BE(i + 2)]);
  }
  return pairs;
}

/** The pairs that change `from` into `to` (for a SETTINGS frame sent mid-connection). */
export function settingsDiff(from: Settings, to: Settings, isServer: boolean): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  const num = (v: number): number => (v === Infinity ? 0xffffffff : v);
  if (from.headerTableSize !== to.headerTableSize) pairs.push([SettingId.HEADER_TABLE_SIZE, to.headerTableSize]);
  if (!isServer && from.enablePush !== to.enablePush) pairs.push([SettingId.ENABLE_PUSH, to.enablePush ? 1 : 0]);
  if (from.maxConcurrentStreams !== to.maxConcurrentStreams) pairs.push([SettingId.MAX_CONCURRENT_STREAMS, num(to.maxConcurrentStreams)]);
  if (from.initialWindowSize !== to.initialWindowSize) pairs.push([SettingId.INITIAL_WINDOW_SIZE, to.initialWindowSize]);
  if (from.maxFrameSize !== to.maxFrameSize) pairs.push([SettingId.MAX_FRAME_SIZE, to.maxFrameSize]);
  if (from.maxHeaderListSize !== to.maxHeaderListSize) pairs.push([SettingId.MAX_HEADER_LIST_SIZE, num(to.maxHeaderListSize)]);
  if (from.enableConnectProtocol !== to.enableConnectProtocol) pairs.push([SettingId.ENABLE_CONNECT_PROTOCOL, to.enableConnectProtocol ? 1 : 0]);
  return pairs;
}
