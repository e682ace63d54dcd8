/**
 * Opens the byte stream a client connection runs on: TCP for h2c with prior knowledge
 * (RFC 9113 section 3.3), or TLS with ALPN `h2` (section 3.2). A TLS server that does not
 * select `h2` is an error: there is no HTTP/1.1 fallback here.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectError } from './errors.js';

export interface Target {
  secure: boolean;
  /** Host name or address, IPv6 without brackets. */
  host: string;
  port: number;
  /** `:authority` of requests (host, plus the port when it is not the scheme's default). */
  authority: string;
}

export interface TransportOptions {
  /** Trusted CA certificates (PEM), replacing the default roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** SNI server name and name checked against the certificate (default: the host when it is a name). */
  servername?: string;
  /** Further `tls.connect` options (client certificates, ciphers, ...). */
  tls?: tls.ConnectionOptions;
  /** Milliseconds allowed for TCP connect and TLS handshake. */
  connectTimeout: number;
}

/** Parses `http://host:port` / `https://host:port` (a path, if any, is ignored). */
export function targetOf(url: string | URL): Target {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new ConnectError(`not a URL: ${JSON.stringify(String(url))}`, 'client_bad_url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConnectError(`unsupported scheme ${JSON.stringify(u.protocol)} in ${u.href}: use http: (h2c) or https: (h2 over TLS)`, 'client_bad_scheme');
  }
  const secure = u.protocol === 'https:';
  const port = u.port === '' ? (secure ? 443 : 80) : Number(u.port);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { secure, host, port, authority: u.host };
}

function describe(target: Target): string {
  return `${target.secure ? 'https' : 'http'}://${target.authority}`;
}

/** Connects; resolves with a socket ready for the client preface. */
export function openTransport(target: Target, options: TransportOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    let settled = false;
    const fail = (err: ConnectError): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(err);
    };
    let tcpConnected = false;
    const onError = (err: NodeJS.ErrnoException): void => {
      const code = err.code ?? '';
      // A server that speaks no h2 answers our ALPN offer with a no_application_protocol alert.
      const token = code.includes('NO_APPLICATION_PROTOCOL') ? 'alpn_no_h2' : target.secure && tcpConnected ? 'tls_failed' : 'connect_failed';
      fail(new ConnectError(`cannot connect to ${describe(target)}: ${err.message}`, token, err));
    };
    const onTimeout = (): void => {
      fail(new ConnectError(`cannot connect to ${describe(target)}: no connection within ${options.connectTimeout} ms`, 'connect_timeout'));
    };
    const ready = (): void => {
      if (settled) return;
      if (target.secure) {
        const alpn = (socket as tls.TLSSocket).alpnProtocol;
        if (alpn !== 'h2') {
          fail(new ConnectError(`${describe(target)} did not agree on HTTP/2 by ALPN (selected ${alpn === false || alpn === null || alpn === undefined ? 'nothing' : JSON.stringify(alpn)})`, 'alpn_no_h2'));
          return;
        }
      }
      settled = true;
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('error', onError);
      resolve(socket);
    };
    if (target.secure) {
      const servername = options.servername ?? (net.isIP(target.host) === 0 ? target.host : undefined);
      const tlsOptions: tls.ConnectionOptions = {
        ...options.tls,
        host: target.host,
        port: target.port,
        ALPNProtocols: ['h2'],
      };
      if (servername !== undefined) tlsOptions.servername = servername;
      if (options.ca !== undefined) tlsOptions.ca = options.ca;
      if (options.rejectUnauthorized !== undefined) tlsOptions.rejectUnauthorized = options.rejectUnauthorized;
      socket = tls.connect(tlsOptions, ready);
    } else {
      socket = net.connect({ host: target.host, port: target.port }, ready);
    }
    socket.setNoDelay(true);
    socket.once('connect', () => (tcpConnected = true));
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    if (options.connectTimeout > 0) socket.setTimeout(options.connectTimeout);
  });
}
