/**
 * The few lines `h2kit serve` prints at start about its development CA: where the CA certificate
 * is and how to trust it, once, in each place a user is likely to need it. Short on purpose
 * (they are printed at every start); one line for this machine's system store, not all of them.
 */
import type { DevCertificate } from './store.js';

/** The name the CA gets in a trust store (certutil's nickname), so the user can find and remove it. */
export const TRUST_NICKNAME = 'h2kit development CA';

/** `path` as a shell word: single quotes for a POSIX shell, double quotes for cmd.exe and PowerShell. */
function quoted(path: string, platform: NodeJS.Platform): string {
  if (platform === 'win32') return /[\s&()^;,]/.test(path) ? `"${path}"` : path;
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

function systemStoreLine(ca: string, platform: NodeJS.Platform): string {
  switch (platform) {
    case 'darwin':
      return `macOS (Safari, Chrome): sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`;
    case 'win32':
      return `Windows (Edge, Chrome): certutil -user -addstore Root ${ca}`;
    default:
      return `system-wide (Debian/Ubuntu): sudo cp ${ca} /usr/local/share/ca-certificates/h2kit-dev-ca.crt && sudo update-ca-certificates`;
  }
}

/** The lines about the certificate, without the "h2kit serve: " prefix the banner adds. */
export function devCertificateLines(dev: DevCertificate, url: string, platform: NodeJS.Platform = process.platform): string[] {
  const ca = quoted(dev.caCertPath, platform);
  const made = dev.caMade.toISOString().slice(0, 10);
  const certutil = `certutil -A -t C,, -n '${TRUST_NICKNAME}' -i ${ca}`;
  const lines = [
    `development certificate for localhost, 127.0.0.1 and ::1, SHA-256 fingerprint ${dev.fingerprint256}`,
    ...dev.changes,
    `issued by the development CA ${ca} (made ${made}, kept; SHA-256 ${dev.caFingerprint256}); trust it once:`,
    `  curl --cacert ${ca} ${url}   (h2kit get --cacert likewise)`,
  ];
  // Chromium reads the user's NSS database on Linux only; elsewhere it uses the system store.
  if (platform === 'linux') lines.push(`  Chromium: ${certutil.replace('certutil', 'certutil -d sql:$HOME/.pki/nssdb')}`);
  lines.push(`  Firefox: ${certutil.replace('certutil', 'certutil -d sql:PROFILE-FOLDER')}, or Settings > Certificates > View Certificates > Authorities > Import`);
  lines.push(`  ${systemStoreLine(ca, platform)}`);
  for (const warning of dev.warnings) lines.push(`warning: ${warning}`);
  return lines;
}
