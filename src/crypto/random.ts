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

/**
 * A UUIDv7 (RFC 9562): the first 48 bits are `ms` (Unix milliseconds), the other 74 are random. Rows keyed by
 * it are inserted at the right edge of their index instead of at random pages: a batch of audit rows dirties
 * one index page, not one per row (a random v4 key wrote a 4 KiB WAL page per row). Built on a v4 from
 * `randomUUID` (pooled CSPRNG): its variant bits stay, its time fields and version digit are replaced.
 */
export function timeOrderedGuid(ms: number): string {
  const v4 = randomUUID();
  const t = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${t.slice(0, 8)}-${t.slice(8)}-7${v4.slice(15)}`;
}
