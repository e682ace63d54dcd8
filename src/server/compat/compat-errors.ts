/**
 * The errors node:http2's compatibility API throws, with the same `code`s and classes (TypeError,
 * RangeError, Error), so code written against node (`err.code === 'ERR_HTTP2_HEADERS_SENT'`)
 * behaves the same on h2kit. Messages follow node's where code may match on them.
 */

/** An error carrying a node-style `code`. */
export type CompatError = Error & { code: string };

function make<E extends Error>(Base: new (message: string) => E, code: string, message: string): E & { code: string } {
  const err = new Base(message) as E & { code: string };
  err.code = code;
  // Node's own errors print as `TypeError [CODE]: message`; so do these.
  if (err.stack !== undefined) err.stack = err.stack.replace(Base.name, `${Base.name} [${code}]`);
  return err;
}

export const compatErrors = {
  headersSent: (): CompatError => make(Error, 'ERR_HTTP2_HEADERS_SENT', 'Response has already been initiated.'),
  invalidHeaderValue: (value: unknown, name: string): CompatError =>
    make(TypeError, 'ERR_HTTP2_INVALID_HEADER_VALUE', `Invalid value "${String(value)}" for header "${name}"`),
  invalidToken: (what: string, name: string): CompatError => make(TypeError, 'ERR_INVALID_HTTP_TOKEN', `${what} must be a valid HTTP token ["${name}"]`),
  invalidChar: (name: string): CompatError => make(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`),
  pseudoHeader: (): CompatError => make(TypeError, 'ERR_HTTP2_PSEUDOHEADER_NOT_ALLOWED', 'Cannot set HTTP/2 pseudo-headers'),
  statusInvalid: (code: unknown): CompatError => make(RangeError, 'ERR_HTTP2_STATUS_INVALID', `Invalid status code: ${String(code)}`),
  infoStatusNotAllowed: (): CompatError => make(RangeError, 'ERR_HTTP2_INFO_STATUS_NOT_ALLOWED', 'Informational status codes cannot be used'),
  invalidStream: (): CompatError => make(Error, 'ERR_HTTP2_INVALID_STREAM', 'The stream has been destroyed'),
  writeAfterEnd: (): CompatError => make(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end'),
  pushDisabled: (): CompatError => make(Error, 'ERR_HTTP2_PUSH_DISABLED', 'HTTP/2 client has disabled push streams'),
  argType: (name: string, expected: string, actual: unknown): CompatError =>
    make(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${actual === null ? 'null' : typeof actual}`),
  argValue: (name: string, value: unknown, reason: string): CompatError =>
    make(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${JSON.stringify(value)}`),
  serverNotRunning: (): CompatError => make(Error, 'ERR_SERVER_NOT_RUNNING', 'Server is not running.'),
  serverAlreadyListening: (): CompatError => make(Error, 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.'),
  unixSocket: (): CompatError => make(Error, 'ERR_H2KIT_LISTEN_PATH', 'h2kit listens on TCP ports only: listen(path) and listen(handle) are not supported'),
  streamCancelled: (): CompatError => make(Error, 'ERR_HTTP2_STREAM_CANCEL', 'The pending stream has been canceled'),
};
