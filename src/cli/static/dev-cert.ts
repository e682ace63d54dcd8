/**
 * A development certificate for `h2kit serve` without `--cert`/`--key`: self-signed, for
 * `localhost`, `127.0.0.1` and `::1`, made at start with the `selfsigned` library (key
 * generation and X.509 encoding are not something to hand-write). Browsers will warn about
 * it (no CA signed it); the SHA-256 fingerprint printed at start lets a user check that the
 * certificate they are shown is this one.
 */
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface CertificatePair {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated hex (as browsers show it). */
  fingerprint256: string;
}

export async function generateDevCertificate(): Promise<CertificatePair> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, fingerprint256: fingerprintOf(pems.cert) };
}

/** The SHA-256 fingerprint of a PEM certificate. */
export function fingerprintOf(certPem: string | Buffer): string {
  return new X509Certificate(certPem).fingerprint256;
}
