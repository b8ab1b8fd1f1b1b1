/**
 * @module crypto/envelope
 * Envelope encryption for everything Lanyard keeps secret at rest (vault secret values, signing private keys,
 * the CA key). Each record gets its own random 32-byte data key (DEK) that encrypts the plaintext with
 * AES-256-GCM, with the caller's AAD (e.g. `tenant|vault|name|version`) bound in so a record cannot be moved to
 * another place. The DEK is wrapped with AES-256-GCM under the master key, whose id travels with the record: a
 * keyring of current and previous master keys opens old records, and `rewrap` moves them to the current key
 * without touching the payload. Given a keyring source (crypto/master-key `openKeyring`) instead of a fixed
 * keyring, it follows a rotation made by another process: it seals under the new current key once the source
 * has seen it, and asks the source to look again when a record names a key it has not loaded.
 *
 * Format: one ASCII string, fields separated by `.`, binary fields base64url without padding:
 *
 *   lk1.<masterKeyId>.<wrappedDek>.<dekIv>.<dekTag>.<aadCheck>.<iv>.<ciphertext>.<tag>
 *
 * - `wrappedDek` (32 B), `dekIv` (12 B), `dekTag` (16 B): the DEK under the master key, AAD `lk1.<masterKeyId>`.
 * - `aadCheck` (16 B): HMAC-SHA256(DEK, `lanyard/envelope/aad/v1` NUL aad), truncated. GCM alone cannot tell a
 *   wrong AAD from tampering; this lets `open` say which. It is keyed by the DEK, so it reveals nothing.
 * - `iv` (12 B), `ciphertext`, `tag` (16 B): the plaintext under the DEK, AAD = the caller's AAD.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Keyring } from './master-key.ts';
import { keptSecretKey, secretKeyOf } from './secret-keys.ts';

export type { Keyring } from './master-key.ts';

/** A keyring that may change while the process runs (crypto/master-key `MasterKeyring`). */
export interface KeyringSource {
  /** The keys now (cheap: called on every seal). */
  get(): Keyring;
  /** Looks again now, for a record under a key id not loaded. */
  reload(): Keyring;
}

export interface Envelope {
  seal(plaintext: Uint8Array | string, aad: string): string;
  open(sealed: string, aad: string): Buffer;
  /** The id of the master key a record is wrapped under (to find records that still need `rewrap`). */
  keyIdOf(sealed: string): string;
  /** Re-wraps the record's DEK under the current master key; returns the record unchanged if it already is. */
  rewrap(sealed: string): string;
  /** The id of the master key `seal` and `rewrap` use now. */
  currentKeyId(): string;
}

export type DecryptFailure = 'malformed' | 'unknown-key' | 'aad-mismatch' | 'tampered';

const VERSION = 'lk1';
const FIELDS = 9;
const AAD_CHECK_LABEL = 'lanyard/envelope/aad/v1\0';
const B64URL = /^[A-Za-z0-9_-]*$/;

interface Parsed {
  keyId: string;
  wrappedDek: Buffer;
  dekIv: Buffer;
  dekTag: Buffer;
  aadCheck: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export function createEnvelope(keyring: Keyring | KeyringSource): Envelope {
  const source: KeyringSource = 'get' in keyring ? keyring : { get: () => keyring, reload: () => keyring };
  const keysOf = (r: Keyring) => new Map([...(r.previous ?? []), r.current].map((k) => [k.id, k]));
  let ring = source.get();
  let keys = keysOf(ring);
  let current = ring.current;
  // Rebuilt only when the source hands out another keyring object, so a seal costs no more than before.
  const use = (next: Keyring) => {
    if (next === ring) return;
    ring = next;
    keys = keysOf(next);
    current = next.current;
  };
  const fresh = () => use(source.get());

  const unwrap = (p: Parsed): Buffer => {
    if (!keys.has(p.keyId)) use(source.reload());
    const master = keys.get(p.keyId);
    if (!master) {
      throw fail(
        'unknown-key',
        `The encrypted record is wrapped under master key ${p.keyId}, which is not loaded (current: ${current.id}).`,
        p.keyId,
        'Start Lanyard with the master key that sealed it (LANYARD_MASTER_KEY or master.key in the data folder), ' +
          'passing the old key as a previous key after a rotation. Key ids are derived from the keys.',
      );
    }
    const dek = gcmDecrypt(keptSecretKey(master), p.dekIv, p.wrappedDek, p.dekTag, wrapAad(p.keyId));
    if (!dek) {
      throw fail(
        'tampered',
        'The data key of the encrypted record failed authentication: it was altered.',
        p.keyId,
      );
    }
    return dek;
  };

  const wrap = (dek: Buffer) => {
    const w = gcmEncrypt(keptSecretKey(current), dek, wrapAad(current.id));
    return { keyId: current.id, wrappedDek: w.ciphertext, dekIv: w.iv, dekTag: w.tag };
  };

  return {
    seal(plaintext, aad) {
      fresh();
      const dek = randomBytes(32);
      try {
        const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
        // One KeyObject for the data key's two uses (crypto/secret-keys.ts: a Buffer key costs far more).
        const key = secretKeyOf(dek);
        return format({ ...wrap(dek), aadCheck: aadCheck(key, aad), ...gcmEncrypt(key, data, aad) });
      } finally {
        dek.fill(0);
      }
    },
    open(sealed, aad) {
      fresh();
      const p = parse(sealed);
      const dek = unwrap(p);
      try {
        const key = secretKeyOf(dek);
        if (!timingSafeEqual(aadCheck(key, aad), p.aadCheck)) {
          throw fail(
            'aad-mismatch',
            'The encrypted record was sealed for a different context (AAD) than the one it is opened for: it was ' +
              'copied or moved from another record.',
            p.keyId,
          );
        }
        const plaintext = gcmDecrypt(key, p.iv, p.ciphertext, p.tag, aad);
        if (!plaintext) {
          throw fail('tampered', 'The encrypted record failed authentication: it was altered.', p.keyId);
        }
        return plaintext;
      } finally {
        dek.fill(0);
      }
    },
    keyIdOf: (sealed) => parse(sealed).keyId,
    rewrap(sealed) {
      fresh();
      const p = parse(sealed);
      if (p.keyId === current.id) return sealed;
      const dek = unwrap(p);
      try {
        return format({ ...p, ...wrap(dek) });
      } finally {
        dek.fill(0);
      }
    },
    currentKeyId() {
      fresh();
      return current.id;
    },
  };
}

const wrapAad = (keyId: string) => `${VERSION}.${keyId}`;

/** How every record wrapped under `keyId` begins: lets a store count them without opening any. */
export const sealedPrefix = (keyId: string): string => `${VERSION}.${keyId}.`;

function aadCheck(dek: KeyObject, aad: string): Buffer {
  return createHmac('sha256', dek).update(AAD_CHECK_LABEL).update(aad, 'utf8').digest().subarray(0, 16);
}

function gcmEncrypt(key: KeyObject, plaintext: Uint8Array, aad: string) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Returns undefined when authentication fails (wrong key, AAD or altered bytes). */
function gcmDecrypt(
  key: KeyObject,
  iv: Buffer,
  ciphertext: Buffer,
  tag: Buffer,
  aad: string,
): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

function format(p: Parsed): string {
  const b = (x: Buffer) => x.toString('base64url');
  return [
    VERSION,
    p.keyId,
    b(p.wrappedDek),
    b(p.dekIv),
    b(p.dekTag),
    b(p.aadCheck),
    b(p.iv),
    b(p.ciphertext),
    b(p.tag),
  ].join('.');
}

function parse(sealed: string): Parsed {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [version = '', keyId = '', ...rest] = parts;
  if (version !== VERSION) {
    const newer = /^lk\d+$/.test(version);
    throw fail(
      'malformed',
      newer
        ? `The encrypted record uses format ${version}, which this version of Lanyard cannot read.`
        : 'The value is not a Lanyard encrypted record (it does not start with "lk1.").',
      undefined,
      newer ? 'Upgrade Lanyard to the version that wrote the record.' : undefined,
    );
  }
  const sizes = [32, 12, 16, 16, 12, -1, 16]; // -1: the ciphertext, any length
  // Only canonical base64url: otherwise the same record would have many spellings.
  const fields = rest.map((f) => {
    const bytes = B64URL.test(f) ? Buffer.from(f, 'base64url') : undefined;
    return bytes?.toString('base64url') === f ? bytes : undefined;
  });
  const ok =
    parts.length === FIELDS &&
    /^[A-Za-z0-9_-]{1,64}$/.test(keyId) &&
    fields.every((f, i) => f !== undefined && (sizes[i] === -1 || f.length === sizes[i]));
  if (!ok) {
    throw fail('malformed', 'The encrypted record is malformed: it was truncated or edited.', undefined);
  }
  const [wrappedDek, dekIv, dekTag, aadCheck, iv, ciphertext, tag] = fields as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  return { keyId, wrappedDek, dekIv, dekTag, aadCheck, iv, ciphertext, tag };
}

function fail(
  reason: DecryptFailure,
  message: string,
  keyId: string | undefined,
  hint?: string,
): LanyardError {
  return new LanyardError('ERR_DECRYPT', message, {
    hint,
    details: keyId === undefined ? { reason } : { reason, keyId },
  });
}
