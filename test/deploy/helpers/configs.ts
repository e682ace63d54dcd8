/**
 * The proxy configurations the deploy tests run: the README's "Deploying" snippets, filled in
 * with loopback ports and temp paths. Kept here so a test of another scenario (a rolling
 * restart, more backends) runs the same setup.
 */
import { join } from 'node:path';

export interface HaproxyConfigOptions {
  /** The TLS listener, on 127.0.0.1. */
  port: number;
  /** Certificate and key in one PEM file. */
  combinedPemFile: string;
  /** h2kit backends (cleartext HTTP/2, h2c) on 127.0.0.1. */
  backendPorts: number[];
  /** Path of the HTTP/2 health check (GET, 200 expected). */
  healthPath?: string;
  /** Between two health checks of one server, ms (default 1000). */
  checkIntervalMs?: number;
}

/**
 * HAProxy (2.6): TLS with ALPN h2,http/1.1 in front, HTTP/2 over cleartext (`proto h2`) to each
 * backend, roundrobin per request, and an HTTP health check that `proto h2` sends over HTTP/2 too.
 */
export function haproxyConfig(o: HaproxyConfigOptions): string {
  const servers = o.backendPorts.map((p, i) => `    server s${i + 1} 127.0.0.1:${p} proto h2 check inter ${o.checkIntervalMs ?? 1000}`);
  return [
    'global',
    '    log stderr format raw local0 notice',
    '    maxconn 1000',
    'defaults',
    '    mode http',
    '    log global',
    '    timeout connect 5s',
    '    timeout client 30s',
    '    timeout server 30s',
    'frontend www',
    `    bind 127.0.0.1:${o.port} ssl crt ${o.combinedPemFile} alpn h2,http/1.1`,
    '    default_backend h2kit',
    'backend h2kit',
    '    balance roundrobin',
    '    option httpchk',
    `    http-check send meth GET uri ${o.healthPath ?? '/'}`,
    '    http-check expect status 200',
    ...servers,
    '',
  ].join('\n');
}

export interface NginxConfigOptions {
  /** The prefix folder (`nginx -p PREFIX`): pid file, temp folders and logs go under it. */
  prefix: string;
  /** HTTPS listener (h2 and HTTP/1.1 by ALPN) on 127.0.0.1. */
  tlsPort: number;
  /** Cleartext HTTP/1.1 listener on 127.0.0.1. */
  plainPort: number;
  certFile: string;
  keyFile: string;
  /** h2kit backends, reached over HTTP/1.1 with keep-alive, on 127.0.0.1. */
  backendPorts: number[];
  /** nginx worker processes (default 1). */
  workers?: number;
}

/**
 * nginx (1.22): HTTP/2 and HTTP/1.1 in front, HTTP/1.1 keep-alive connections to the backends
 * (nginx's proxy speaks HTTP/1.x only). Runs as a foreground child (`-g 'daemon off;'`) with every
 * path under `prefix`; as root its workers stay root (so they can use the temp folders made by
 * the test, which is also root) rather than switch to `nobody`.
 */
export function nginxConfig(o: NginxConfigOptions): string {
  const p = (name: string): string => join(o.prefix, name);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return [
    ...(isRoot ? ['user root root;'] : []),
    `worker_processes ${o.workers ?? 1};`,
    `pid ${p('nginx.pid')};`,
    'error_log stderr notice;',
    'events { worker_connections 1024; }',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${p('client_body')};`,
    `    proxy_temp_path ${p('proxy')};`,
    `    fastcgi_temp_path ${p('fastcgi')};`,
    `    uwsgi_temp_path ${p('uwsgi')};`,
    `    scgi_temp_path ${p('scgi')};`,
    '    keepalive_requests 100000;',
    '    upstream h2kit {',
    ...o.backendPorts.map((port) => `        server 127.0.0.1:${port};`),
    '        keepalive 16;',
    '    }',
    '    server {',
    `        listen 127.0.0.1:${o.tlsPort} ssl http2;`,
    `        listen 127.0.0.1:${o.plainPort};`,
    `        ssl_certificate ${o.certFile};`,
    `        ssl_certificate_key ${o.keyFile};`,
    '        location / {',
    '            proxy_pass http://h2kit;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}
