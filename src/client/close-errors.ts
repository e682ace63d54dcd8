/**
 * The errors a client's exchanges end with when they end early: refused (retryable), reset,
 * or taken down with the connection (GOAWAY with an error, or the socket lost).
 */
import { ErrorCode, errorCodeName, type H2Error } from '../errors.js';
import type { ClientStream } from './client-stream.js';
import { ClientConnectionError, RequestRefusedError, StreamResetError } from './errors.js';

/**
 * The error of `stream` closing with `code` (null: it completed). `goawayLastId` is the server's
 * GOAWAY's last stream id (-1: none), `failure` why the connection failed, if it did.
 */
export function closeErrorOf(stream: ClientStream, code: number, goawayLastId: number, failure: ClientConnectionError | null): H2Error | null {
  if (stream.done && !stream.failed) return null;
  if (stream.handler.error !== null) return stream.handler.error;
  if (code === ErrorCode.REFUSED_STREAM) {
    const aboveGoaway = goawayLastId >= 0 && stream.id > goawayLastId;
    return new RequestRefusedError(
      stream.id,
      aboveGoaway
        ? `stream ${stream.id} was not processed: the server sent GOAWAY with last stream id ${goawayLastId}`
        : `stream ${stream.id} was refused by the server (REFUSED_STREAM): not processed`,
      aboveGoaway ? 'goaway_not_processed' : 'stream_refused',
    );
  }
  if (failure !== null && stream.resetCode < 0) return failure;
  return new StreamResetError(stream.id, stream.resetCode >= 0 ? stream.resetCode : code, stream.resetCode >= 0 ? stream.resetByPeer : true);
}

/** The server ended the connection with GOAWAY `errorCode` (not NO_ERROR). */
export function goawayFailureOf(errorCode: number, debugData: Buffer): ClientConnectionError {
  const debug = debugData.length > 0 ? ` (${debugData.toString('latin1').slice(0, 200)})` : '';
  return new ClientConnectionError(`the server ended the connection with GOAWAY ${errorCodeName(errorCode)}${debug}`, errorCode, 'goaway_error');
}

/** The connection closed with nothing else to blame: after the server's GOAWAY `goawayCode` (-1: there was none). */
export function connectionLostOf(goawayCode: number, authority: string): ClientConnectionError {
  return new ClientConnectionError(
    goawayCode >= 0 ? `the server closed the connection after GOAWAY ${errorCodeName(goawayCode)}` : `the connection to ${authority} closed before the response completed`,
    // The socket closed: not a protocol error, even after a GOAWAY (one with an error code is goaway_error).
    undefined,
    'connection_lost',
  );
}
