/**
 * @module test/compat/client-certificate-file
 * An app's certificate credential as a user holds it: a 2048-bit RSA key and a self-signed certificate in one
 * PEM file (what `az ad sp create-for-rbac --create-cert` writes and ClientCertificateCredential reads).
 */
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createSelfSignedCertificate } from '../../src/crypto/local-ca.ts';

export interface CertificateFile {
  /** The PEM file holding the private key followed by the certificate. */
  path: string;
  certPem: string;
}

export async function writeCertificateFile(dir: string, name: string): Promise<CertificateFile> {
  const keys = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const cert = await createSelfSignedCertificate({ subjectCn: name, keys, days: 30 });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const file = path.join(dir, `${name}.pem`);
  fs.writeFileSync(file, keyPem + cert.certPem, { mode: 0o600 });
  return { path: file, certPem: cert.certPem };
}
