/**
 * @module test/adversarial/forge
 * Hand-made JWTs for the adversarial and validator tests. The attacks need tokens no library would produce
 * (raw JSON with repeated names, `alg` case variants, HMAC keyed with a public key, non-canonical base64url),
 * so tokens are assembled here from raw strings and signed with Node's crypto, by the runtime's real signing
 * key (`runtime.keys.signingKey()`) or an attacker's key.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const b64u = (data: string | Buffer | object): string => {
  if (typeof data === 'string') return Buffer.from(data, 'utf8').toString('base64url');
  if (Buffer.isBuffer(data)) return data.toString('base64url');
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
};

export type Alg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'HS256' | 'none';

/** The JWS signature of `input` with `alg` (ES256 in JOSE's r||s form unless `der`). */
export function signature(alg: Alg, input: string, key: KeyObject | Buffer | string, der = false): Buffer {
  switch (alg) {
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return sign(`sha${alg.slice(2)}`, Buffer.from(input), key as KeyObject);
    case 'PS256':
      return sign('sha256', Buffer.from(input), { key: key as KeyObject, padding: 6, saltLength: 32 });
    case 'ES256':
      return sign('sha256', Buffer.from(input), {
        key: key as KeyObject,
        dsaEncoding: der ? 'der' : 'ieee-p1363',
      });
    case 'HS256':
      return createHmac('sha256', key as Buffer | string)
        .update(input)
        .digest();
    case 'none':
      return Buffer.alloc(0);
    default:
      throw new Error(`forge: cannot sign with ${String(alg)}; pass signAs`);
  }
}

/**
 * A token from raw header and payload JSON texts (so repeated names and odd spellings survive), signed with
 * `alg` (the algorithm used to sign; the header may claim anything).
 */
export function signRaw(
  headerJson: string,
  payloadJson: string,
  alg: Alg,
  key: KeyObject | Buffer | string,
): string {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`;
  return `${input}.${signature(alg, input, key).toString('base64url')}`;
}

/** A token from objects; the header's `alg` decides how it is signed unless `signAs` says otherwise. */
export function signJwt(
  header: Record<string, unknown>,
  claims: unknown,
  key: KeyObject | Buffer | string,
  signAs?: Alg,
): string {
  return signRaw(JSON.stringify(header), JSON.stringify(claims), signAs ?? (header.alg as Alg), key);
}

/** The parts of a compact token. */
export function split(token: string): { h: string; p: string; s: string } {
  const [h = '', p = '', s = ''] = token.split('.');
  return { h, p, s };
}

/** Decodes a token's claims without checking anything (what an attacker reads from a captured token). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(split(token).p, 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(split(token).h, 'base64url').toString('utf8'));
}

type Pair = { privateKey: KeyObject; publicKey: KeyObject; jwk: Record<string, unknown> };
const made = new Map<string, Pair>();

/** A key pair made once per `label` (key generation is the slow part of these tests). */
function pair(kind: 'rsa' | 'ec', bits: number, label: string): Pair {
  const id = `${kind}:${bits}:${label}`;
  let p = made.get(id);
  if (!p) {
    const { privateKey, publicKey } =
      kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: bits })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    p = { privateKey, publicKey, jwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown> };
    made.set(id, p);
  }
  return p;
}

/** An attacker's RSA key pair (2048 bits unless asked) with its public JWK; different labels, different keys. */
export const attackerRsa = (bits = 2048, label = 'attacker'): Pair => pair('rsa', bits, label);

export const attackerEc = (label = 'attacker'): Pair => pair('ec', 256, label);

/**
 * The same signature bytes spelled differently in base64url: the last character's unused low bits changed.
 * Only possible when the byte length is not a multiple of 3 (RS256 signatures are 256 bytes: 2 spare bits).
 */
export function alterTrailingBits(part: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(part.at(-1)!);
  const spare = part.length % 4 === 2 ? 0b1111 : 0b11;
  const altered = alphabet[(last & ~spare) | ((last + 1) & spare)]!;
  return part.slice(0, -1) + altered;
}
