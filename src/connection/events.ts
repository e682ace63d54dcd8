/**
 * What a Connection reports to its user: a discriminated union on `type`, each a small plain
 * object. `receive()`, `tick()` and `takeEvents()` return them in the order they happened.
 */
import type { ConnectionError, HpackDecodingError } from '../errors.js';
import type { HeaderList } from './options.js';
import type { Settings } from './settings.js';

/**
 * What a header block is to the stream that carries it:
 * - `request`: the first block on a stream the peer opened (server role), or the request of a push (never: see pushPromise)
 * - `response`: a final (non-1xx) response (client role)
 * - `informational`: a 1xx response (client role); more blocks follow
 * - `trailers`: a block after the request/response; always ends the stream
 */
export type HeadersKind = 'request' | 'response' | 'informational' | 'trailers';

export interface HeadersEvent {
  type: 'headers';
  streamId: number;
  headers: HeaderList;
  endStream: boolean;
  kind: HeadersKind;
}

/** DATA received. The user MUST call `consume(streamId, data.length)` once it has processed it (padding is credited automatically). */
export interface DataEvent {
  type: 'data';
  streamId: number;
  data: Buffer;
  endStream: boolean;
}

/** The server promised `promisedStreamId` (client role); its response arrives as a `headers` event on it. */
export interface PushPromiseEvent {
  type: 'pushPromise';
  streamId: number;
  promisedStreamId: number;
  headers: HeaderList;
}

/** A stream was reset: by the peer (RST_STREAM received, `byPeer` true) or by us because the peer broke a rule. */
export interface StreamResetEvent {
  type: 'streamReset';
  streamId: number;
  errorCode: number;
  byPeer: boolean;
}

/** A stream the user saw is finished (exactly once per such stream). `errorCode` is NO_ERROR after a clean close. */
export interface StreamClosedEvent {
  type: 'streamClosed';
  streamId: number;
  errorCode: number;
}

/** The stream's queued data has gone out and its send window is open: the producer may queue more. */
export interface WritableEvent {
  type: 'writable';
  streamId: number;
}

/** The peer's SETTINGS were received and applied; `settings` is the peer's full settings now. */
export interface SettingsEvent {
  type: 'settings';
  settings: Readonly<Settings>;
}

/** The peer acknowledged our oldest unacknowledged SETTINGS. */
export interface SettingsAckEvent {
  type: 'settingsAck';
}

/** A PING arrived: `ack` false means we answered it already; `ack` true answers one of ours. */
export interface PingEvent {
  type: 'ping';
  data: Buffer;
  ack: boolean;
}

/** The peer sent GOAWAY: streams we opened above `lastStreamId` were not processed (they get streamClosed with REFUSED_STREAM). */
export interface GoawayEvent {
  type: 'goaway';
  lastStreamId: number;
  errorCode: number;
  debugData: Buffer;
}

/** We ended the connection because of `error` (a GOAWAY with its code and token is in the output). */
export interface ConnectionErrorEvent {
  type: 'connectionError';
  /** Always a protocol error: one h2kit meant to end the connection with, or INTERNAL_ERROR wrapping what was thrown (its `cause`). */
  error: ConnectionError | HpackDecodingError;
}

/** The connection is finished: write out `takeOutput()`, then close the transport. Emitted once. */
export interface ClosedEvent {
  type: 'closed';
}

export type ConnectionEvent =
  | HeadersEvent
  | DataEvent
  | PushPromiseEvent
  | StreamResetEvent
  | StreamClosedEvent
  | WritableEvent
  | SettingsEvent
  | SettingsAckEvent
  | PingEvent
  | GoawayEvent
  | ConnectionErrorEvent
  | ClosedEvent;
