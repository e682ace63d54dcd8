/**
 * What `req.socket` / `res.socket` is: a stand-in for the connection's socket, made on first use.
 * Over HTTP/2 many streams share one socket, so (as node:http2's proxy does) a stream may read
 * its addresses and listen for its own end, but not read, write or end the socket itself. Its
 * 'close' is the stream's: libraries such as on-finished (Koa, Express) wait for it.
 */
import { EventEmitter } from 'node:events';
import type { BaseRequestHandler } from '../request-handler.js';

export class CompatSocket extends EventEmitter {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** 'IPv6' when the address has a colon, else 'IPv4'. */
  readonly remoteFamily: string;
  /** True over TLS (Koa and Express read it for `protocol`). */
  readonly encrypted: boolean;
  /** This server's side of the connection. */
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** The negotiated protocol, as a TLS socket says it. */
  readonly alpnProtocol: string | false;
  /** Open until the stream closes. */
  readable = true;
  writable = true;
  destroyed = false;
  private readonly abort: () => void;

  constructor(handler: BaseRequestHandler, abort: () => void) {
    super();
    const [address, port] = handler.clientAddress;
    this.remoteAddress = address;
    this.remotePort = port;
    this.remoteFamily = address.includes(':') ? 'IPv6' : 'IPv4';
    this.encrypted = handler.http2.scheme === 'https';
    const local = handler.http2.localAddress;
    this.localAddress = local?.[0];
    this.localPort = local?.[1];
    this.alpnProtocol = this.encrypted ? (handler.httpVersion === '2' ? 'h2' : 'http/1.1') : false;
    this.abort = abort;
  }

  /** The stream closed. */
  streamClosed(): void {
    if (this.destroyed) return;
    this.readable = false;
    this.writable = false;
    this.destroyed = true;
    this.emit('close', false);
  }

  /** Ends this stream only (the connection carries others). */
  destroy(): this {
    this.abort();
    return this;
  }

  end(): this {
    this.abort();
    return this;
  }

  setTimeout(_ms: number, callback?: () => void): this {
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
