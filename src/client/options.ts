/** The options of HTTP2Client and of each request. */
import type { ConnectionOptions } from '../connection/index.js';
import type { ResponseBody } from '../io/body-source.js';
import type { HeadersInput } from '../io/header-input.js';
import type { FrameDirection, FrameObserver } from '../frame/trace.js';
import type { Duplex } from 'node:stream';
import type { Target } from './transport.js';
import type { PushCallback } from './responses.js';

/** A request body: every kind the server accepts for responses (string, bytes, Readable, AsyncIterable, generator). */
export type RequestBody = ResponseBody;

export interface RequestOptions {
  /** Default GET. */
  method?: string;
  /** `:path`, default `/`. */
  path?: string;
  /** `:authority`; default the client's host (and port when not the default one). */
  authority?: string;
  /** `:scheme`; default `https` over TLS, `http` for h2c. */
  scheme?: string;
  /** Request header fields (names are lowercased; pseudo-headers are the library's). */
  headers?: HeadersInput | null;
  /** The request body; a string or bytes also get a content-length. */
  body?: RequestBody;
  /** Trailer fields sent after the body. */
  trailers?: HeadersInput | null;
  /** Milliseconds the whole exchange may take (queueing included); 0: no limit. Default: the client's `requestTimeout`. */
  timeout?: number;
  /** Aborting it cancels the exchange (RST_STREAM CANCEL, or dropped from the queue). */
  signal?: AbortSignal | null;
}

export interface PromiseRequestOptions extends RequestOptions {
  /** Called for each push promise on this request: return false to refuse it. Default: the client's `onPush`; none refuses. */
  onPush?: PushCallback | null;
}

export interface HTTP2ClientOptions {
  /** Trusted CA certificates (PEM) for TLS, replacing the default roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify the server's TLS certificate (default true; false for self-signed test servers). */
  rejectUnauthorized?: boolean;
  /** TLS SNI name and name checked against the certificate (default: the URL's host name). */
  servername?: string;
  /** Further `tls.connect` options. */
  tls?: import('node:tls').ConnectionOptions;
  /** Advertise SETTINGS_ENABLE_PUSH = 1 (default true). Promises nobody accepts are refused with CANCEL. */
  enablePush?: boolean;
  /** Default push decision for `request()`/`stream()`: return false to refuse. Without one, pushes are refused. */
  onPush?: PushCallback | null;
  /** Connection settings and limits (see ConnectionOptions for the defaults). */
  connection?: Omit<ConnectionOptions, 'role' | 'now'>;
  /** Milliseconds for TCP connect and TLS handshake. Default 10000. */
  connectTimeout?: number;
  /** Default per-request timeout in ms; 0: none. Default 0. */
  requestTimeout?: number;
  /** `close()` waits this long for requests in flight, then destroys the connection, ms. Default 30000. */
  closeTimeout?: number;
  /** Request bodies pause while the socket holds this many unsent bytes. Default 262144. */
  socketHighWaterMark?: number;
  /** Observe every frame sent and received (decoded from a copy of the bytes, header blocks included). */
  onFrame?: FrameObserver | null;
  /** Observe the raw bytes each way (the preface included), e.g. for a frame printer; do not modify them. */
  onBytes?: ((direction: FrameDirection, chunk: Buffer) => void) | null;
  /**
   * Opens the byte stream yourself (node:http2's option of this name): a Unix socket, a tunnel
   * through a proxy, a socket a test keeps a hand on. It must speak HTTP/2 from its first byte
   * (for TLS, negotiate ALPN `h2`). Default: TCP, or TLS with ALPN, to the URL's host and port.
   */
  createConnection?: ((target: Target) => Duplex | Promise<Duplex>) | null;
}
