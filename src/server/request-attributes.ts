/**
 * Request header lists and the seed's request attributes (`method`, `scheme`, `host`, `path`,
 * `headers`): set on a handler from a decoded request, and made for a pushed request.
 */
import type { HeaderList } from '../connection/index.js';
import { UsageError } from '../errors.js';
import { appendHeaders } from '../io/header-input.js';
import type { BaseRequestHandler, PushRequest } from './request-handler.js';

/**
 * The request a push promises: `options`' method (GET by default) and path, `:scheme` and
 * `:authority` inherited from the parent request. Throws UsageError for a missing path.
 */
export function pushRequestOf(options: PushRequest, parent: BaseRequestHandler, connectionScheme: string): HeaderList {
  if (typeof options?.path !== 'string' || options.path.length === 0) {
    throw new UsageError(`push() needs a non-empty path, got ${JSON.stringify(options?.path)}`, 'push_bad_path');
  }
  const requestHeaders: HeaderList = [
    [':method', options.method ?? 'GET'],
    [':scheme', parent.scheme || connectionScheme],
    [':authority', parent.host],
    [':path', options.path],
  ];
  appendHeaders(requestHeaders, options.requestHeaders, 'push requestHeaders');
  return requestHeaders;
}

/** Sets the seed's request attributes from the request header fields. */
export function setRequestAttributes(handler: BaseRequestHandler, fields: HeaderList): void {
  // The event's list is handed over as is, unless several cookie fields must be joined (then a copy).
  let cookies = 0;
  for (let i = 0; i < fields.length; i++) if (fields[i]![0] === 'cookie') cookies++;
  const headers: Array<[string, string]> = cookies > 1 ? [] : fields;
  let cookieIndex = -1;
  let hostField = '';
  let authority: string | null = null;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const name = field[0];
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':method') handler.method = field[1];
      else if (name === ':scheme') handler.scheme = field[1];
      else if (name === ':authority') authority = field[1];
      else if (name === ':path') handler.path = field[1];
    } else if (name === 'cookie') {
      // RFC 9113 section 8.2.3: split cookie fields are joined with "; " for HTTP/1.1-minded applications.
      if (cookieIndex >= 0) {
        const joined = headers[cookieIndex]!;
        headers[cookieIndex] = [joined[0], `${joined[1]}; ${field[1]}`];
        continue;
      }
      cookieIndex = headers.length;
    } else if (name === 'host') {
      hostField = field[1];
    }
    if (cookies > 1) headers.push(field);
  }
  handler.host = authority ?? hostField;
  handler.headers = headers;
}
