/**
 * A throwaway self-signed certificate for 127.0.0.1/localhost, made with openssl (as
 * bench/http2.ts does) in a temp folder: the key and certificate as separate PEM files
 * (nginx, h2kit) and concatenated in one (HAProxy's `crt`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCommand } from './tools.js';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** Certificate then key, in one file: what HAProxy's `bind ... ssl crt FILE` wants. */
  combinedFile: string;
}

/** Writes cert.pem, key.pem and combined.pem into `dir` (which must exist). Throws if openssl fails. */
export function makeCertificate(dir: string): TestCertificate {
  const openssl = findCommand('openssl');
  if (openssl === undefined) throw new Error('openssl not installed: apt-get install openssl');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const combinedFile = join(dir, 'combined.pem');
  const result = spawnSync(
    openssl,
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
  );
  if (result.status !== 0) throw new Error(`openssl could not make a self-signed certificate: ${result.stderr?.toString()}`);
  writeFileSync(combinedFile, Buffer.concat([readFileSync(certFile), readFileSync(keyFile)]));
  return { certFile, keyFile, combinedFile };
}
