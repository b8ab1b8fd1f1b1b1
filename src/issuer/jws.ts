/**
 * @module issuer/jws
 * Compact RS256 JWS for the tokens Lanyard mints: base64url(header).base64url(claims).signature, the signature
 * from the batching signer (RSASSA-PKCS1-v1_5 + SHA-256 through Node's crypto; see rs256-signer.ts). Going
 * through WebCrypto (as jose does) added about a tenth to the token endpoint's cost, measured in bench/issuer.
 */
import type { KeyObject } from 'node:crypto';
import type { Rs256Signer } from './rs256-signer.ts';

const b64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export async function signRs256(
  signer: Rs256Signer,
  header: object,
  claims: object,
  key: { kid: string; privateKey: KeyObject },
): Promise<string> {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${await signer.sign(input, key.kid, key.privateKey)}`;
}
