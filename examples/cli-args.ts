/** Tiny argument parsing shared by the examples: `--port N --host H --cert FILE --key FILE --backend URL --access-log`. */
import { readFileSync } from 'node:fs';
import type { HTTP2ServerOptions } from '../src/index.js';

export interface ExampleArgs {
  host: string;
  port: number;
  ssl: { key: Buffer; cert: Buffer } | null;
  backend: string;
  accessLog: boolean;
}

/** The example's options; a bad one is one line on stderr and exit code 2, not a stack trace. */
export function parseArgs(argv: string[], defaults: { port: number; backend?: string }): ExampleArgs {
  try {
    return parse(argv, defaults);
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}

function parse(argv: string[], defaults: { port: number; backend?: string }): ExampleArgs {
  const out: ExampleArgs = { host: '127.0.0.1', port: defaults.port, ssl: null, backend: defaults.backend ?? '', accessLog: false };
  let cert: string | null = null;
  let key: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--port') out.port = Number(value());
    else if (arg === '--host') out.host = value();
    else if (arg === '--cert') cert = value();
    else if (arg === '--key') key = value();
    else if (arg === '--backend') out.backend = value();
    else if (arg === '--access-log') out.accessLog = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('options: --port N (0: any free port) --host ADDR --cert server.crt --key server.key (TLS; omit both for h2c) --access-log');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  if ((cert === null) !== (key === null)) throw new Error('--cert and --key go together');
  if (cert !== null && key !== null) out.ssl = { cert: readPem(cert, '--cert'), key: readPem(key, '--key') };
  return out;
}

/** How to make a certificate for the examples, said where a missing one is reported. */
const MAKE_A_CERTIFICATE =
  'make one with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 ' +
  '-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout server.key -out server.crt';

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new Error(`${option} ${path}: ${why}; ${MAKE_A_CERTIFICATE}`);
  }
}

export function serverOptions(args: ExampleArgs): HTTP2ServerOptions {
  return { ssl: args.ssl, accessLog: args.accessLog };
}
