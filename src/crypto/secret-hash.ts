/**
 * @module crypto/secret-hash
 * Secrets that Lanyard only has to recognise, never to give back (app client secrets, workload header
 * secrets, the admin token), are stored as keyed hashes: HMAC-SHA256 under a subkey derived from the master
 * key. A leaked database alone then allows no offline guessing, and the inputs are high-entropy random strings,
 * so a slow password hash would add nothing but latency. Stored form: `sh1$<base64url digest>`.
 */
import { createHash, createHmac, createSecretKey, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

export interface SecretHasher {
  hash(secret: string): string;
  verify(secret: string, stored: string): boolean;
}

const PREFIX = 'sh1$';

export function createSecretHasher(masterKey: MasterKey): SecretHasher {
  // A KeyObject, not a Buffer: Node then skips re-importing the key on every HMAC (about 5x faster).
  const subkey = createSecretKey(
    Buffer.from(hkdfSync('sha256', masterKey.key, Buffer.alloc(0), 'lanyard/secret-hash/v1', 32)),
  );
  const digest = (secret: string) => createHmac('sha256', subkey).update(secret, 'utf8').digest();
  return {
    hash: (secret) => `${PREFIX}${digest(secret).toString('base64url')}`,
    verify(secret, stored) {
      if (typeof secret !== 'string' || typeof stored !== 'string' || !stored.startsWith(PREFIX))
        return false;
      const expected = Buffer.from(stored.slice(PREFIX.length), 'base64url');
      const actual = digest(secret);
      // Both are digests: equal lengths unless `stored` is corrupt, and comparing them leaks nothing about the secret.
      return expected.length === actual.length && timingSafeEqual(actual, expected);
    },
  };
}

/** Compares two strings without leaking where they differ or how long either is (timingSafeEqual needs equal lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(sha(a), sha(b));
}
