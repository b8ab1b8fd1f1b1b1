/**
 * @module issuer/jws
 * Compact RS256 JWS for the tokens Lanyard mints: base64url(header).base64url(claims).signature, signed with
 * Node's crypto (RSASSA-PKCS1-v1_5 + SHA-256) on the libuv thread pool. The token endpoint's cost is mostly this
 * signature; going through WebCrypto (as jose does) added about a tenth on top, measured in bench/issuer.
 */
import { type KeyObject, sign } from 'node:crypto';

const b64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function signRs256(header: object, claims: object, privateKey: KeyObject): Promise<string> {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input, 'ascii'), privateKey, (err, signature) => {
      if (err) reject(err);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}
