/**
 * ReconnectingHTTP2Client: requests to one origin that outlive any one connection. An
 * HTTP2Client is one connection; servers end connections (idle timeouts, restarts, GOAWAY
 * after N requests), so a long-lived user (a proxy, a service client) would have to notice
 * and open a new one. This does it: requests go to the current connection until it drains
 * (GOAWAY received, ended), then to a new one; the old one finishes what it has and closes.
 *
 * `request()` also retries, once by default, a request that failed with a retryable error (the
 * server provably did not process it: RFC 9113 section 8.7) when its body can be sent again
 * (none, a string or bytes). Streams and handlers are not retried: their caller has seen the
 * failure already.
 */
import { UsageError } from '../errors.js';
import { HTTP2Client, type HTTP2ClientOptions, type PromiseRequestOptions, type RequestOptions } from './client.js';
import { isRetryable } from './errors.js';
import type { BaseResponseHandler, ResponseHandlerClass } from './response-handler.js';
import type { ClientResponse, StreamingResponse } from './responses.js';

export interface ReconnectingClientOptions extends HTTP2ClientOptions {
  /** Retries of a `request()` that failed with a retryable error and has a replayable body. Default 1. */
  retries?: number;
}

function replayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

export class ReconnectingHTTP2Client {
  readonly url: string | URL;
  private readonly options: ReconnectingClientOptions;
  private current: HTTP2Client | null = null;
  /** Earlier connections still finishing their requests. */
  private readonly retired = new Set<HTTP2Client>();
  private closing = false;
  /** Connections opened so far (for tools and tests). */
  connections = 0;

  constructor(url: string | URL, options: ReconnectingClientOptions = {}) {
    this.url = url;
    this.options = options;
    // Parse the URL now, so a bad one throws here rather than at the first request.
    this.current = this.open();
  }

  /** The connection new requests go to: the current one, or a new one if it is draining. */
  client(): HTTP2Client {
    if (this.closing) throw new UsageError('the client is closed: no new requests', 'client_closed');
    const current = this.current;
    if (current !== null && !current.isDraining) return current;
    if (current !== null) this.retire(current);
    this.current = this.open();
    return this.current;
  }

  async request(options: PromiseRequestOptions = {}): Promise<ClientResponse> {
    const retries = this.options.retries ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client().request(options);
      } catch (err) {
        if (attempt >= retries || this.closing || !isRetryable(err) || !replayable(options.body)) throw err;
      }
    }
  }

  stream(options: PromiseRequestOptions = {}): Promise<StreamingResponse> {
    return this.client().stream(options);
  }

  send<H extends BaseResponseHandler>(options: RequestOptions, handler: H | ResponseHandlerClass<H>): H {
    return this.client().send(options, handler);
  }

  /** Graceful: every connection finishes its requests, then closes. */
  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.retired];
    if (this.current !== null) all.push(this.current);
    await Promise.all(all.map((c) => c.close()));
  }

  private open(): HTTP2Client {
    this.connections++;
    return new HTTP2Client(this.url, this.options);
  }

  private retire(client: HTTP2Client): void {
    this.retired.add(client);
    void client.close().then(() => this.retired.delete(client));
  }
}
