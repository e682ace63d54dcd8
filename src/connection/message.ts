/**
 * Received message framing (RFC 9113 section 8.1): where each header block and DATA frame falls
 * in the message on its stream. A message is 1xx responses (client role), then the request or
 * final response, then DATA, then trailers; a declared content-length must match the DATA.
 *
 * Why apart from the connection: these rules concern the HTTP message, not the stream's RFC
 * state (which the connection checks first, with the state table). They read and advance the
 * stream's message bookkeeping (`phase`, `contentLength`, `dataReceived`) and say what is
 * malformed; the connection turns that into the stream error.
 */
import { ErrorCode, StreamError } from '../errors.js';
import type { HeadersKind } from './events.js';
import { checkRequest, checkResponse, checkTrailers } from './field-validation.js';
import type { MessageInfo } from './field-validation.js';
import type { HeaderList } from './options.js';
import { MessagePhase } from './stream.js';
import type { Stream } from './stream.js';

/**
 * A request opening a stream: the token of what is malformed (field rules of section 8.3, or a
 * content-length with no DATA to follow), else null. Fills `info`.
 */
export function requestError(headers: HeaderList, endStream: boolean, connectProtocol: boolean, info: MessageInfo): string | null {
  const bad = checkRequest(headers, connectProtocol, info);
  if (bad === null && endStream && info.contentLength > 0) return 'content_length_mismatch';
  return bad;
}

/** Whether the request `headers` (ours) is HEAD: the response then has no body, whatever its content-length says. */
export function isHeadRequest(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (h[0] === ':method') return h[1] === 'HEAD';
  }
  return false;
}

/**
 * A header block on stream `s`, which already carries a message: says which block of the message
 * it is, checks its fields, and advances the stream's phase. Returns null when the role expects
 * no header block here (a server's pushed stream: the caller reports the state error); throws
 * StreamError(PROTOCOL_ERROR) for a malformed one. `info` is scratch space.
 */
export function receiveHeaderBlock(s: Stream, headers: HeaderList, endStream: boolean, isServer: boolean, info: MessageInfo): HeadersKind | null {
  const id = s.id;
  let kind: HeadersKind;
  let bad: string | null;
  if (s.phase === MessagePhase.HEADERS) {
    kind = 'trailers';
    bad = checkTrailers(headers, info);
    if (bad === null && !endStream) bad = 'trailers_without_end_stream';
  } else if (isServer) {
    // Only our pushed streams reach here with no response yet, and their state forbids HEADERS.
    return null;
  } else {
    bad = checkResponse(headers, info);
    if (bad === null && info.status < 200) {
      kind = 'informational';
      if (endStream) bad = 'informational_with_end_stream';
    } else {
      kind = 'response';
    }
  }
  if (bad !== null) {
    throw new StreamError(id, `malformed ${kind} on stream ${id}: ${bad}`, ErrorCode.PROTOCOL_ERROR, bad);
  }
  if (kind === 'response') {
    s.phase = MessagePhase.HEADERS;
    // A response to HEAD, and a 304, describe a body that is not sent (RFC 9110 section 8.6).
    s.contentLength = s.requestIsHead || info.status === 304 ? -1 : info.contentLength;
    if (endStream && s.contentLength > 0) {
      throw new StreamError(id, `response on stream ${id} ends with content-length ${s.contentLength} and no DATA`, ErrorCode.PROTOCOL_ERROR, 'content_length_mismatch');
    }
  } else if (kind === 'informational') {
    s.phase = MessagePhase.INFORMATIONAL;
  } else {
    s.phase = MessagePhase.TRAILERS;
    if (s.contentLength >= 0 && s.dataReceived !== s.contentLength) throw contentLengthMismatch(s);
  }
  return kind;
}

/**
 * DATA of `length` octets (padding excluded) on stream `s`: counts it, and returns the stream
 * error when it is out of place (before the header block, after trailers) or breaks the
 * content-length; null when it is fine. Returned, not thrown: the caller gives the flow-control
 * credit back first.
 */
export function dataError(s: Stream, length: number, endStream: boolean): StreamError | null {
  if (s.phase !== MessagePhase.HEADERS) {
    return new StreamError(s.id, `DATA on stream ${s.id} before the message's header block`, ErrorCode.PROTOCOL_ERROR, 'data_before_headers');
  }
  s.dataReceived += length;
  if (s.contentLength >= 0 && (s.dataReceived > s.contentLength || (endStream && s.dataReceived !== s.contentLength))) return contentLengthMismatch(s);
  return null;
}

function contentLengthMismatch(s: Stream): StreamError {
  return new StreamError(s.id, `stream ${s.id}: ${s.dataReceived} octets of DATA against content-length ${s.contentLength}`, ErrorCode.PROTOCOL_ERROR, 'content_length_mismatch');
}
