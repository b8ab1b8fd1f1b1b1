/**
 * @module crypto/random
 * Random identifiers and credentials, all from the CSPRNG. Client secrets look like Entra's so that tools and
 * habits that recognise those (secret scanners, "first 3 characters" hints) work unchanged.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_ALPHABET = `${ALPHANUMERIC}~._-`;

/** Uniform choice: `randomInt` rejects out-of-range draws, so there is no modulo bias. */
function randomString(length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/** A 40-character client secret shaped like Entra's: 3 characters, `8Q~`, then 34 from `[A-Za-z0-9~._-]`. */
export function generateClientSecret(): string {
  return `${randomString(3, ALPHANUMERIC)}8Q~${randomString(34, SECRET_ALPHABET)}`;
}

/** The part of a client secret Entra shows after creation (`hint`): its first 3 characters. */
export function secretHint(secret: string): string {
  return secret.slice(0, 3);
}

/** An unguessable token (workload header secrets, admin token): `bytes` random bytes as base64url. */
export function generateOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newGuid(): string {
  return randomUUID();
}
