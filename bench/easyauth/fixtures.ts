/**
 * @module bench/easyauth/fixtures
 * What the Easy Auth benches (run.ts, instructions.ts) both prepare for server.ts: the plain proxy's HTTPS
 * certificate, and the identity headers Easy Auth sends for a token, which the `proxy-identity` baseline adds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import { pushIdentityHeaders } from '../../src/easyauth/principal.ts';

/**
 * A P-256 certificate for localhost from a local CA (as Easy Auth's) in `<workDir>/certs` (`key.pem`, `chain.pem`,
 * and the CA's `ca.pem`); returns that folder.
 */
export async function writeProxyCertificate(workDir: string): Promise<string> {
  const certDir = path.join(workDir, 'certs');
  fs.mkdirSync(certDir, { recursive: true });
  const ca = await ensureLocalCa({ dataDir: path.join(workDir, 'ca') });
  const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  fs.writeFileSync(path.join(certDir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(certDir, 'chain.pem'), cert.chainPem);
  fs.writeFileSync(path.join(certDir, 'ca.pem'), ca.caCertPem);
  return certDir;
}

/** The identity headers (flat name/value list) Easy Auth forwards for a request bearing `token`. */
export function identityHeadersFor(token: string): string[] {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  const headers: string[] = [];
  pushIdentityHeaders(headers, claims, token);
  return headers;
}
