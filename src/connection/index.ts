/// <reference types="node" preserve="true" />
/** The sans-I/O HTTP/2 connection core (RFC 9113). */
export { Connection } from './connection.js';
export type * from './events.js';
export type { ConnectionOptions, HeaderList, Role } from './options.js';
export type { RateLimit, GlitchLimit } from './flood-guard.js';
export { DEFAULT_CONNECTION_WINDOW_SIZE, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_HEADER_LIST_SIZE, DEFAULT_MAX_SETTINGS_ENTRIES, DEFAULT_SETTINGS_ACK_TIMEOUT, DEFAULT_SHUTDOWN_PING_TIMEOUT } from './options.js';
export type { Settings } from './settings.js';
export { INITIAL_SETTINGS, decodeSettingsPayload } from './settings.js';
export { StreamState, StreamInput, TRANSITIONS, nextState } from './stream-state.js';
export { checkRequestFields, checkSendable, isConnectionSpecificField, isToken, isValidAuthority, isValidFieldName, isValidFieldValue, isValidTargetOctets } from './field-validation.js';
