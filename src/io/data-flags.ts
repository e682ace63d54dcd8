/**
 * Flags a body generator (a response body on the server, a request body on the client) returns with each chunk (the seed's `DATA_OK`, `DATA_EOF`,
 * `DATA_DEFERRED`; same values as nghttp2's Python bindings).
 */

/** A non-empty chunk; more will follow. */
export const DATA_OK = 0;
/** This is the last chunk (the chunk may be null or empty). */
export const DATA_EOF = 1;
/** Nothing available now; call `resume()` on the handler when there is. */
export const DATA_DEFERRED = 2;

export type DataFlag = typeof DATA_OK | typeof DATA_EOF | typeof DATA_DEFERRED;
