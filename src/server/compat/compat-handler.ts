/**
 * The request handler under node:http2's compatibility API: one per stream, as every h2kit
 * handler, turning the seed's callbacks into a request `Readable` and a response object, and
 * handing both to the server's 'request' listeners.
 */
import { ErrorCode } from '../../errors.js';
import { BaseRequestHandler, type PushRequest, type RequestHandlerClass } from '../request-handler.js';
import { Http2ServerRequest, type RequestStream } from './compat-request.js';
import { Http2ServerResponse, type ResponseStream } from './compat-response.js';
import { CompatSocket } from './compat-socket.js';

/** Who receives each request: the compatibility server (it emits 'request' or 'checkContinue'). */
export interface CompatDispatcher {
  /** `expect`: the request's expectation over HTTP/2 (lowercased), null for none or over HTTP/1.1 (node:http answers it). */
  dispatch(req: Http2ServerRequest, res: Http2ServerResponse, expect: string | null): void;
}

/** The request's `expect` field, lowercased, or null (RFC 9110 section 10.1.1). */
function expectationOf(headers: ReadonlyArray<readonly [string, string]>): string | null {
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    if (field[0] === 'expect') return field[1].trim().toLowerCase();
  }
  return null;
}

export class CompatStreamHandler extends BaseRequestHandler implements RequestStream, ResponseStream {
  /** Set on each server's subclass's prototype (one field for all its streams). */
  declare readonly dispatcher: CompatDispatcher;
  request: Http2ServerRequest | null = null;
  response: Http2ServerResponse | null = null;
  private socketFacade: CompatSocket | null = null;

  get handler(): this {
    return this;
  }

  override onHeaders(): void {
    const req = new Http2ServerRequest(this);
    const res = new Http2ServerResponse(this, req);
    this.request = req;
    this.response = res;
    // node:http answers `expect: 100-continue` itself over HTTP/1.1; over HTTP/2 it is ours to do.
    this.dispatcher.dispatch(req, res, this.httpVersion === '2' ? expectationOf(this.headers) : null);
  }

  override onData(data: Buffer): Promise<void> | undefined {
    return this.request?.pushBody(data);
  }

  override onRequestDone(): void {
    this.request?.endBody(this.trailers);
  }

  override onClose(errorCode: number): void {
    this.socketFacade?.streamClosed();
    this.request?.streamClosed(errorCode);
    this.response?.streamClosed(errorCode);
  }

  socket(): CompatSocket {
    return (this.socketFacade ??= new CompatSocket(this, () => this.abort()));
  }

  abort(err?: Error): void {
    this.reset(err === undefined ? ErrorCode.CANCEL : ErrorCode.INTERNAL_ERROR);
  }

  pushResponse(request: PushRequest): Http2ServerResponse | null {
    const pushed = this.http2.promise(this.streamId, request) as CompatStreamHandler | null;
    if (pushed === null) return null;
    const res = new Http2ServerResponse(pushed, null);
    pushed.response = res;
    return res;
  }
}

/** A handler class whose streams go to `dispatcher`. */
export function compatHandlerClass(dispatcher: CompatDispatcher): RequestHandlerClass<CompatStreamHandler> {
  class ServerCompatHandler extends CompatStreamHandler {}
  Object.defineProperty(ServerCompatHandler.prototype, 'dispatcher', { value: dispatcher });
  return ServerCompatHandler;
}
