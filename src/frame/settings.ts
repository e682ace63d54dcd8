/**
 * Range rules of SETTINGS values (RFC 9113 section 6.5.2, RFC 8441 section 3). Kept beside the
 * frame definitions because they are facts of the wire format; `applySetting`
 * (connection/settings.ts) calls this for each received (non-ACK) SETTINGS entry and for each
 * value of ours before it is sent. Unknown identifiers are accepted (and ignored by the
 * connection), as section 6.5.2 requires.
 */
import { ConnectionError, ErrorCode, FlowControlError } from '../errors.js';
import { DEFAULT_MAX_FRAME_SIZE, MAX_ALLOWED_FRAME_SIZE, MAX_WINDOW_SIZE, SettingId } from './constants.js';

/** Throws the connection error the RFC requires if `value` is out of range for setting `id`. */
export function checkSettingValue(id: number, value: number): void {
  switch (id) {
    case SettingId.ENABLE_PUSH:
      if (value > 1) {
        throw new ConnectionError(`SETTINGS_ENABLE_PUSH ${value}, must be 0 or 1`, ErrorCode.PROTOCOL_ERROR, 'settings_enable_push_invalid');
      }
      break;
    case SettingId.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW_SIZE) {
        throw new FlowControlError(`SETTINGS_INITIAL_WINDOW_SIZE ${value} exceeds 2^31-1`, 'settings_initial_window_too_large');
      }
      break;
    case SettingId.MAX_FRAME_SIZE:
      if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) {
        throw new ConnectionError(
          `SETTINGS_MAX_FRAME_SIZE ${value} outside 16384..16777215`,
          ErrorCode.PROTOCOL_ERROR,
          'settings_max_frame_size_invalid',
        );
      }
      break;
    case SettingId.ENABLE_CONNECT_PROTOCOL:
      if (value > 1) {
        throw new ConnectionError(
          `SETTINGS_ENABLE_CONNECT_PROTOCOL ${value}, must be 0 or 1`,
          ErrorCode.PROTOCOL_ERROR,
          'settings_enable_connect_protocol_invalid',
        );
      }
      break;
  }
}
