/**
 * The certificates of the development CA, made with `@peculiar/x509` (key generation, ASN.1
 * and signatures are not something to hand-write): the CA itself, and the localhost server
 * certificate it issues. Both keys are ECDSA P-256, signed with SHA-256: every browser, curl,
 * Node and OpenSSL accept them, and a key is made in about a millisecond.
 *
 * Loaded only when something is to be made (store.ts imports it then): the library and its ASN.1
 * modules cost about half a second and 20 MB at start-up, which a start that reuses the folder's
 * files, a worker of --workers, or --no-tls should not pay.
 *
 * Why not `selfsigned` (which can sign with a CA key since v5): it writes only basicConstraints,
 * keyUsage, extKeyUsage and subjectAltName. A CA certificate without a subject key identifier
 * and a leaf without an authority key identifier are refused by strict verifiers (OpenSSL's
 * `-x509_strict`, `X509_V_FLAG_X509_STRICT`, which Python 3.13 turns on by default:
 * "Missing Authority Key Identifier"); RFC 5280 section 4.2.1.1 and 4.2.1.2 require both.
 */
import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';

/** The names a server certificate is for. */
export interface LeafNames {
  dns: readonly string[];
  ips: readonly string[];
}

const DAY_MS = 24 * 3600 * 1000;
/** mkcert's choice, for the same reason: a development CA is trusted once and should outlive the project. */
const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
/**
 * 2 years and 3 months (about 820 days), as mkcert: under the 825 days that macOS and iOS accept
 * for any TLS server certificate, locally trusted roots included.
 */
const LEAF_LIFETIME_MS = 820 * DAY_MS;
/** Clocks of a VM or a container can lag the host's by a little: a certificate valid from a minute ago. */
const BACKDATE_MS = 60_000;

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface PemPair {
  cert: string;
  key: string;
}

function keyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

function randomSerial(): string {
  // 16 random bytes (CA/Browser Forum: at least 64 bits of randomness); the top bit cleared
  // keeps the DER INTEGER positive, as RFC 5280 section 4.1.2.2 requires.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Who made the CA, in its name, so the user can tell it apart in a trust store ("h2kit development CA (ann@laptop)"). */
function ownerLabel(): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the host name alone says enough
  }
  return `${user}@${hostname()}`.replace(/[,+="<>#;\\]/g, '_');
}

/** A new development CA: a self-signed certificate that may sign server certificates, and its key. */
export async function makeCa(now = Date.now()): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const owner = ownerLabel();
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=h2kit development CA (${owner}), O=h2kit development CA, OU=${owner}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_LIFETIME_MS),
    signingAlgorithm: ECDSA_SHA256,
    keys,
    extensions: [
      // pathLen 0: it signs server certificates, never another CA.
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: keyPem(keys.privateKey) };
}

/** A server certificate for `names` signed by `ca`, valid no longer than the CA. */
export async function issueLeaf(ca: PemPair, names: LeafNames, now = Date.now()): Promise<PemPair> {
  const caCert = new X509Certificate(ca.cert);
  // The leaf names the CA's key by the CA's own identifier (RFC 5280 section 4.2.1.1).
  const caKeyId = caCert.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  const caKey = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(ca.key).export({ type: 'pkcs8', format: 'der' }), EC_P256, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notAfter = Math.min(now + LEAF_LIFETIME_MS, caCert.notAfter.getTime());
  const cert = await X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=localhost, O=h2kit development certificate, OU=${ownerLabel()}`,
    issuer: caCert.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: ECDSA_SHA256,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth], false),
      new SubjectAlternativeNameExtension([...names.dns.map((value) => ({ type: 'dns' as const, value })), ...names.ips.map((value) => ({ type: 'ip' as const, value }))], false),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      caKeyId === undefined ? await AuthorityKeyIdentifierExtension.create(caCert.publicKey) : new AuthorityKeyIdentifierExtension(caKeyId),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: keyPem(keys.privateKey) };
}
