/**
 * @module crypto/secret-hash
 * Secrets that Lanyard only has to recognise, never to give back (app client secrets, workload header
 * secrets, gateway subscription keys, Functions keys), are stored as keyed hashes: HMAC-SHA256 under the
 * store's hash key. A leaked database alone then allows no offline guessing, and the inputs are high-entropy
 * random strings, so a slow password hash would add nothing but latency. Stored form: `sh1$<base64url digest>`.
 *
 * The hash key is kept in the store, sealed under the master key (vault/sealed-keys), so a master-key rotation
 * re-wraps it and every stored hash stays valid. It is the key earlier versions derived from the master key at
 * each start (`deriveHashKey`), captured once, on the store's first start with a version that stores it: hashes
 * made before keep verifying, and one key for every hash keeps lookups by hash (workloads, gateway keys) to one
 * exact match (docs/security.md, "Master key and rotation").
 */
import { createHash, createHmac, createSecretKey, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

export interface SecretHasher {
  hash(secret: string): string;
  verify(secret: string, stored: string): boolean;
}

const PREFIX = 'sh1$';

/** The hash key as derived from a master key (how every hash was keyed before the key was stored). */
export function deriveHashKey(masterKey: MasterKey): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey.key, Buffer.alloc(0), 'lanyard/secret-hash/v1', 32));
}

/** A hasher under `key`: the stored hash key's 32 bytes, or a master key to derive it from (deriveHashKey). */
export function createSecretHasher(key: MasterKey | Uint8Array): SecretHasher {
  // A KeyObject, not a Buffer: Node then skips re-importing the key on every HMAC (about 5x faster).
  const bytes = key instanceof Uint8Array ? Buffer.from(key) : deriveHashKey(key);
  if (bytes.length !== 32) throw new TypeError(`A secret-hash key is 32 bytes, not ${bytes.length}.`);
  const subkey = createSecretKey(bytes);
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
