/**
 * @module validator/signature
 * The key and the signature: the key is the one the trusted source publishes under the token's exact `kid`,
 * the token's `alg` must be the one that key is bound to, and the signature must verify with it (Node's
 * crypto, not WebCrypto: faster here).
 */
import { constants, createHmac, verify as cryptoVerify, timingSafeEqual } from 'node:crypto';
import type { Checked } from './header-rules.ts';
import type { KeySource, TrustedKey } from './key-sources.ts';
import { fail, type ValidationFailure } from './result.ts';

export function keyUnknown(kid: string, keys: KeySource): ValidationFailure {
  return fail(
    'key_unknown',
    `The token was signed with key "${kid}", which ${keys.description} does not publish.`,
    {
      actual: kid,
      hint: 'The token comes from another issuer, or from keys that were revoked or reset (a new data folder?). Get a new token from the issuer this app trusts.',
    },
  );
}

/** The algorithm binding, then the signature: undefined when the token is signed by `key`. */
export function checkSignature(c: Checked, key: TrustedKey): ValidationFailure | undefined {
  if (key.alg !== c.alg && !key.algs?.includes(c.alg)) {
    return fail('alg_not_allowed', `Key "${c.kid}" verifies ${key.alg}, but the token says ${c.alg}.`, {
      expected: key.algs ?? key.alg,
      actual: c.alg,
    });
  }
  if (!verifySignature(c.alg, key, c.signingInput, c.signature)) {
    return fail('signature_invalid', `The signature does not verify with key "${c.kid}".`, {
      hint: 'The token was altered after it was issued, or signed by a different issuer that reuses the kid.',
    });
  }
  return undefined;
}

export function verifySignature(alg: string, key: TrustedKey, input: Buffer, signature: Buffer): boolean {
  // A secret key verifies only HMAC, a public key never does: a token cannot pick HS256 to turn a published RSA
  // key into an HMAC secret.
  const secret = key.key.type === 'secret';
  if (secret !== alg.startsWith('HS')) return false;
  try {
    switch (alg) {
      case 'HS256':
      case 'HS384':
      case 'HS512': {
        const mac = createHmac(`sha${alg.slice(2)}`, key.key)
          .update(input)
          .digest();
        // Constant time: how much of a forged MAC matched must not show in the timing.
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      }
      case 'RS256':
      case 'RS384':
      case 'RS512':
        return cryptoVerify(`sha${alg.slice(2)}`, input, key.key, signature);
      case 'PS256':
      case 'PS384':
      case 'PS512':
        return cryptoVerify(
          `sha${alg.slice(2)}`,
          input,
          {
            key: key.key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          },
          signature,
        );
      case 'ES256':
        // JOSE carries ECDSA signatures as r||s (64 bytes), not DER.
        return (
          signature.length === 64 &&
          cryptoVerify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      default:
        return false;
    }
  } catch {
    return false;
  }
}
