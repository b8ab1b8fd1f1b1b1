/**
 * @module crypto/secret-keys
 * Symmetric keys handed to node:crypto as KeyObjects rather than as bytes. Node 24 tells a KeyObject or a
 * CryptoKey argument from raw bytes by reading a private field inside try/catch (`isKeyObject`, `isCryptoKey` in
 * internal/crypto/keys): for a Buffer both reads throw, so every `createHmac`, `createCipheriv` or
 * `createDecipheriv` given a Buffer key builds and discards two TypeErrors with their stack traces — measured at
 * ~16 µs a call on the bench machine (more on a deep stack), where the same call with a KeyObject costs 2–3 µs
 * and making the KeyObject ~1 µs. A key used for many calls (a master key) is wrapped once and kept with it; a
 * key used for a few (a record's data key) is wrapped once for them.
 *
 * A KeyObject holds its own copy of the bytes until it is collected, as an OpenSSL context given a Buffer key
 * does: zeroing the caller's Buffer afterwards still clears the caller's copy only.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';

/** KeyObjects of long-lived keys, by the object that holds the bytes (e.g. a MasterKey). */
const kept = new WeakMap<object, KeyObject>();

/** The KeyObject of `holder`'s key, made on first use and kept as long as `holder` lives. */
export function keptSecretKey(holder: { readonly key: Buffer }): KeyObject {
  let k = kept.get(holder);
  if (!k) {
    k = createSecretKey(holder.key);
    kept.set(holder, k);
  }
  return k;
}

/** A KeyObject of `bytes`, for the few calls one key serves. */
export const secretKeyOf = (bytes: Buffer): KeyObject => createSecretKey(bytes);
