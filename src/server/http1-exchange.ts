/**
 * One HTTP/1.1 request and its response, as the handler API sees a stream: Node's `node:http`
 * parsed the request (`IncomingMessage`) and frames the response (`ServerResponse`); this is what
 * the session keeps of it and the one function that turns a response plan into `res` calls.
 */
import http from 'node:http';
import type net from 'node:net';
import { ErrorCode } from '../errors.js';
import type { CallbackState } from '../io/callback-queue.js';
import type { BodySource } from '../io/body-source.js';
import type { HeaderList } from '../connection/index.js';
import type { BaseRequestHandler, DeferredFields, LateTrailers } from './request-handler.js';
import type { Http1RequestReader } from './http1-request.js';
import type { Http1ResponsePlan } from './response-head.js';

/** A queued callback of an HTTP/1.1 exchange. */
export type Http1Item =
  | { readonly type: 'headers' }
  | { readonly type: 'data'; readonly data: Buffer }
  | { readonly type: 'requestDone' }
  | { readonly type: 'close'; readonly errorCode: number };

export const HEADERS_ITEM: Http1Item = Object.freeze({ type: 'headers' });
export const REQUEST_DONE_ITEM: Http1Item = Object.freeze({ type: 'requestDone' });
/** The two ways an exchange closes, made once (as HTTP/2's CLOSE_NO_ERROR): not an object a request. */
export const CLOSE_NO_ERROR_ITEM: Http1Item = Object.freeze({ type: 'close', errorCode: ErrorCode.NO_ERROR });
export const CLOSE_CANCEL_ITEM: Http1Item = Object.freeze({ type: 'close', errorCode: ErrorCode.CANCEL });

/** What an exchange's response calls on the session it belongs to (Http1Session). */
export interface Http1ExchangeOwner {
  /** node:http is done with `res`: the whole response was written. */
  responseFinished(res: Http1Response): void;
  /** `finished`: the whole response was written (else the connection went first). */
  responseClosed(ex: Http1Exchange, finished: boolean): void;
  fault(err: unknown): void;
}

/** Where the gateway keeps a socket's session, from the moment it takes the socket as HTTP/1.1. */
export const SESSION_OF_SOCKET = Symbol('h2kit.http1Session');
type SessionSocket = net.Socket & { [SESSION_OF_SOCKET]?: Http1ExchangeOwner };

/**
 * The gateway's node:http server makes its responses of this class, which tells the session
 * when node:http is done with a response. node:http detaches a response from its socket exactly
 * once, when it has finished (resOnFinish, before the next pipelined response is given the
 * socket); a response whose socket closes first is never detached, and the session's own
 * 'close' listener on the socket ends those exchanges (CANCEL).
 *
 * Watching detachSocket rather than the response's events: a 'close' listener would cost a
 * listener added to node's listener table per request, and an `emit` override runs on each of
 * the response's events (socket, prefinish, finish, close) with a rest-parameter copy, and V8
 * inlines it into node's emit sites, where it used up their inlining budget. The response does
 * not carry its exchange either: a property added to it after node:http built it would give
 * every response a second shape, which node's own code, seeing both, pays for at each access.
 * The session finds the exchange by its response (the first one open, nearly always).
 *
 * It has no constructor of its own, not even a field initializer: V8 then constructs it with
 * ServerResponse's constructor directly (its default-constructor elision), which node:http's
 * request path inlines as for a plain ServerResponse. With an initializer (or a spelled-out
 * constructor) V8 compiled the constructor apart, with node's inlined into it, and that code
 * was then too big for what was left of parserOnIncoming's inlining budget: the response was
 * built out of line, its ~40 property stores through ICs (seen with --trace-turbo-inlining; a
 * run with a larger budget, --max-inlined-bytecode-size-cumulative, counted ~1,200 fewer
 * instructions a request).
 */
export class Http1Response extends http.ServerResponse {
  override detachSocket(socket: net.Socket): void {
    super.detachSocket(socket);
    const session = (socket as SessionSocket)[SESSION_OF_SOCKET];
    if (session === undefined) return;
    // Teardown: runs even after a fault, so the handler hears onClose as over HTTP/2.
    try {
      session.responseFinished(this);
    } catch (err) {
      session.fault(err);
    }
  }
}

export class Http1Exchange implements CallbackState<Http1Item>, DeferredFields {
  readonly session: Http1ExchangeOwner;
  /** The handler's `streamId`: 1, 3, 5... in request order on the connection, as HTTP/2 client streams. */
  readonly id: number;
  readonly req: http.IncomingMessage;
  readonly res: Http1Response;
  handler: BaseRequestHandler | null = null;
  // CallbackState's fields on the exchange itself: one object a request rather than two.
  busy = false;
  running = false;
  queue: Http1Item[] | null = null;
  tap: ((item: Http1Item) => boolean) | null = null;
  /** The request has ended: its requestDone item went to the callback queue (readBody() reads this). */
  requestEnded = false;
  /** A callback or the body failed: no more callbacks except onClose. */
  failed = false;
  /** The response finished or the connection went away: onClose is due or done. */
  closed = false;
  responded = false;
  status = 0;
  /** A streamed body being written; null for none (or done). */
  source: BodySource | null = null;
  /** The response's trailers, written with the last chunk (chunked responses). */
  trailers: HeaderList | null = null;
  /** Asked for the trailers when the streamed body has ended (`ResponseOptions.trailers` as a function). */
  lateTrailers: LateTrailers | null = null;
  /** content-length the streamed body must match, -1 for none. */
  declaredLength = -1;
  /** The socket's buffer is full: the body waits for 'drain'. */
  waitingDrain = false;
  bytesSent = 0;
  bytesReceived = 0;
  /** For a request the reader found common: what makes its fields when the handler asks (requestFields). */
  reader: Http1RequestReader | null = null;
  authority = '';
  teTrailers = false;

  constructor(session: Http1ExchangeOwner, id: number, req: http.IncomingMessage, res: Http1Response) {
    this.session = session;
    this.id = id;
    this.req = req;
    this.res = res;
  }

  /** The handler's `headers`, made on first use (BaseRequestHandler.deferHeaders). */
  requestFields(): Array<[string, string]> {
    return this.reader!.commonFields(this.req, this.authority, this.teTrailers);
  }

  /** The exchange's place in the session's callback queue: the exchange itself. */
  get calls(): CallbackState<Http1Item> {
    return this;
  }
}

/**
 * Writes the plan's status and fields with `res.writeHead`, as a flat name/value list so Node
 * keeps our order and repeated fields. Trailers need chunked framing: the content-length goes
 * and a `trailer` field names them (RFC 9112 section 7.1.2). Throws what Node throws for a
 * field it will not write (a control octet in a value): nothing has been sent then.
 */
export function writeResponseHead(res: http.ServerResponse, plan: Http1ResponsePlan): void {
  const trailers = plan.trailers;
  if (trailers === null) {
    res.writeHead(plan.status, plan.fields);
    return;
  }
  const fields = plan.fields;
  const raw: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'content-length') raw.push(fields[i]!, fields[i + 1]!);
  }
  raw.push('trailer', trailers.map(([name]) => name).join(', '));
  res.writeHead(plan.status, raw);
}

/**
 * Tells node:http that a body-less request's stream needs no draining. Once a response has
 * finished, node:http drains the request stream its handler did not read (`req._dump()`: resume,
 * read, 'end', destroy and 'close', over three ticks), even for a request without a body, whose
 * stream has ended already. That was ~13% of the instructions of a small GET (callgrind: ~7,800
 * of ~58,000). h2kit never hands node's request stream to a handler, and a request with neither
 * content-length nor transfer-encoding has nothing more on the socket: there is nothing to drain.
 * `_dumped` is the flag node:http's `_dump` checks first (lib/_http_incoming.js); it is set only
 * where node:http made it, so a node:http without it drains as before (slower, not wrong), and
 * test/server/http1-drain.test.ts says so when that happens. Not for a request with a body: its
 * unread rest must be drained off the socket before the next request on it can be read.
 */
export function skipDrain(req: http.IncomingMessage): void {
  const r = req as http.IncomingMessage & { _dumped?: boolean };
  if (r._dumped === false) r._dumped = true;
}

/** Node's `addTrailers` takes an object or a list of pairs; ours are pairs already. */
export function addTrailers(res: http.ServerResponse, trailers: HeaderList | null): void {
  if (trailers !== null) res.addTrailers(trailers as Array<[string, string]>);
}

/** Node's flat raw list (`[name, value, name, value...]`) as pairs, names lowercased. */
export function pairsOf(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}
