/**
 * What the client reads off response events: the status and fields of a response head (onto
 * its handler) and a PUSH_PROMISE's request.
 */
import type { HeaderList, PushPromiseEvent } from '../connection/index.js';
import type { BaseResponseHandler, PushPromise } from './response-handler.js';

export function statusOf(headers: HeaderList): number {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === ':status') return Number(headers[i]![1]);
  return 0;
}

export function setResponseHead(handler: BaseResponseHandler, fields: HeaderList): void {
  const headers: HeaderList = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f[0] === ':status') handler.status = Number(f[1]);
    else headers.push(f);
  }
  handler.headers = headers;
}

export function pushPromiseOf(ev: PushPromiseEvent): PushPromise {
  let method = '';
  let scheme = '';
  let authority = '';
  let path = '';
  for (const [name, value] of ev.headers) {
    if (name === ':method') method = value;
    else if (name === ':scheme') scheme = value;
    else if (name === ':authority') authority = value;
    else if (name === ':path') path = value;
    else if (name === 'host' && authority === '') authority = value;
  }
  return { parentStreamId: ev.streamId, streamId: ev.promisedStreamId, method, scheme, authority, path, headers: ev.headers };
}
