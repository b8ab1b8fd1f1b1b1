/**
 * @module crypto/master-key
 * The root secret that everything Lanyard keeps at rest is encrypted under (envelope encryption: vault
 * secrets, signing keys, the CA key, the secret-hash key). It comes from `LANYARD_MASTER_KEY` when set
 * (containers, fleets sharing one database) or from `<dataDir>/master.key`, created on first use with mode 0600.
 * Only its derived `id` may appear in logs, errors and stored records.
 *
 * The keyring: the current key seals; retired keys only open what was sealed before a rotation. `master.key`
 * holds the current key on its first line and retired keys on later lines (`# …` lines are comments); a file
 * with one line, as every Lanyard before rotation wrote, is a keyring of one. `LANYARD_MASTER_KEY_PREVIOUS`
 * adds retired keys from the environment (comma- or space-separated). `openKeyring` also notices a
 * `master.key` rewritten by `lanyard vault rotate-master-key` while the process runs (docs/security.md,
 * "Master key and rotation").
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LanyardError } from '../errors/lanyard-error.ts';
import { writeFileAtomic } from './atomic-file.ts';

export interface MasterKey {
  /** `mk_` + 16 hex characters, derived one-way from the key; safe to log and to store next to ciphertext. */
  readonly id: string;
  /** 32 secret bytes. */
  readonly key: Buffer;
}

/** The current master key, which seals, and retired ones, which only open. */
export interface Keyring {
  current: MasterKey;
  /** Retired master keys that may still have wrapped some records. */
  previous?: readonly MasterKey[] | undefined;
}

export interface LoadMasterKeyOptions {
  dataDir: string;
  /** Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

export const MASTER_KEY_BYTES = 32;
const GENERATE_HINT = 'Generate one with `openssl rand -base64 32`.';

export function masterKeyPath(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

/** Wraps 32 key bytes with their id. The id comes from HKDF with its own label, so it reveals nothing usable. */
export function masterKeyFromBytes(bytes: Uint8Array): MasterKey {
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new LanyardError(
      'ERR_MASTER_KEY',
      `A master key must be ${MASTER_KEY_BYTES} bytes, not ${bytes.length}.`,
      {
        hint: GENERATE_HINT,
      },
    );
  }
  const key = Buffer.from(bytes);
  const idBytes = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'lanyard/master-key-id/v1', 8));
  return { id: `mk_${idBytes.toString('hex')}`, key };
}

/** Loads the current master key from the environment or the data folder, creating the key file on first use. */
export function loadMasterKey(options: LoadMasterKeyOptions): MasterKey {
  return loadKeyring(options).current;
}

/** The whole keyring: `LANYARD_MASTER_KEY` or `master.key` (created on first use), plus `LANYARD_MASTER_KEY_PREVIOUS`. */
export function loadKeyring({ dataDir, env = process.env }: LoadMasterKeyOptions): Keyring {
  const extra = previousFromEnv(env);
  const fromEnv = env.LANYARD_MASTER_KEY;
  if (fromEnv !== undefined) {
    const key = decodeKey(fromEnv);
    if (!key) {
      throw new LanyardError(
        'ERR_MASTER_KEY',
        'LANYARD_MASTER_KEY is not a 32-byte key written as base64 (44 characters) or hex (64 characters).',
        {
          hint: `${GENERATE_HINT} To use the key file in the data folder instead, unset LANYARD_MASTER_KEY.`,
        },
      );
    }
    return withPrevious({ current: masterKeyFromBytes(key) }, extra);
  }
  const file = masterKeyPath(dataDir);
  return withPrevious(readKeyFile(file) ?? createKeyFile(dataDir, file), extra);
}

/** Where a process's keys come from, re-read while it runs (see openKeyring). */
export interface MasterKeyring {
  /** `env`: LANYARD_MASTER_KEY, which a running process cannot see change; `file`: master.key. */
  readonly source: 'env' | 'file';
  /** master.key, in both cases (with `env` it is not read). */
  readonly file: string;
  /** The keys now. With `file`, master.key is looked at again when `recheckMs` passed since the last look. */
  get(): Keyring;
  /** Looks at master.key now (a record names a key not loaded, or this process just rewrote the file). */
  reload(): Keyring;
}

export interface OpenKeyringOptions extends LoadMasterKeyOptions {
  /** How often `get()` looks whether master.key changed (one stat call); default 1000 ms. */
  recheckMs?: number | undefined;
}

export const KEYRING_RECHECK_MS = 1000;

/**
 * Loads the keyring and keeps it current: a running process learns of a rotation done by another process on
 * the same data folder within `recheckMs` (it seals under the new key from then on) and at once when it meets
 * a record under a key it has not loaded. Keys once loaded are kept for the life of the process, so a record
 * that opened once keeps opening whatever happens to the file; a key file that cannot be read leaves the keys
 * as they were rather than stopping a running server.
 */
export function openKeyring(options: OpenKeyringOptions): MasterKeyring {
  const env = options.env ?? process.env;
  const file = masterKeyPath(options.dataDir);
  let ring = loadKeyring(options);
  if (env.LANYARD_MASTER_KEY !== undefined) {
    return { source: 'env', file, get: () => ring, reload: () => ring };
  }
  const recheckMs = options.recheckMs ?? KEYRING_RECHECK_MS;
  const stamp = () => {
    try {
      const st = fs.statSync(file);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  };
  let seen = stamp();
  let checkedAt = Date.now();
  const look = (): Keyring => {
    checkedAt = Date.now();
    const now = stamp();
    if (now === undefined || now === seen) return ring;
    try {
      const next = withPrevious(readKeyFile(file) ?? ring, previousFromEnv(env));
      ring = withPrevious(next, [ring.current, ...(ring.previous ?? [])]);
      seen = now;
    } catch {
      // Kept as they were: a half-edited or loosened key file must not take the keys away from a running server.
    }
    return ring;
  };
  return {
    source: 'file',
    file,
    get: () => (Date.now() - checkedAt >= recheckMs ? look() : ring),
    reload: look,
  };
}

/**
 * Writes a keyring to master.key, atomically (a crash leaves the old file or the new one, never a mix): the
 * current key first, then the retired ones. Without retired keys the file is the one line Lanyard always wrote.
 */
export function writeKeyringFile(dataDir: string, keyring: Keyring): void {
  const retired = (keyring.previous ?? []).filter((k) => k.id !== keyring.current.id);
  const lines = [keyring.current.key.toString('base64')];
  if (retired.length > 0) {
    lines.push(
      '# Retired master keys: they open records sealed before a rotation and seal nothing (docs/security.md).',
      ...retired.map((k) => k.key.toString('base64')),
    );
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(masterKeyPath(dataDir), `${lines.join('\n')}\n`, { mode: 0o600 });
  } catch (err) {
    throw asKeyFileError(err, masterKeyPath(dataDir), 'write');
  }
}

/** A new random master key. */
export function generateMasterKey(): MasterKey {
  return masterKeyFromBytes(randomBytes(MASTER_KEY_BYTES));
}

/** `ring` with `more` added as retired keys: no key twice, the current one never among the retired. */
function withPrevious(ring: Keyring, more: readonly MasterKey[]): Keyring {
  const previous = new Map<string, MasterKey>();
  for (const k of [...(ring.previous ?? []), ...more]) {
    if (k.id !== ring.current.id) previous.set(k.id, k);
  }
  return previous.size === 0
    ? { current: ring.current }
    : { current: ring.current, previous: [...previous.values()] };
}

function previousFromEnv(env: Readonly<Record<string, string | undefined>>): MasterKey[] {
  const text = env.LANYARD_MASTER_KEY_PREVIOUS;
  if (text === undefined) return [];
  return text
    .split(/[\s,]+/)
    .filter((t) => t !== '')
    .map((t, i) => {
      const key = decodeKey(t);
      if (!key) {
        throw new LanyardError(
          'ERR_MASTER_KEY',
          `LANYARD_MASTER_KEY_PREVIOUS: key ${i + 1} is not a 32-byte key written as base64 or hex.`,
          {
            hint: 'List retired master keys separated by commas or spaces, each as LANYARD_MASTER_KEY takes one.',
          },
        );
      }
      return masterKeyFromBytes(key);
    });
}

/** Accepts 64 hex characters or standard/URL-safe base64 of exactly 32 bytes, padded or not. */
function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return Buffer.from(t, 'base64');
  return undefined;
}

function readKeyFile(file: string): Keyring | undefined {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      throw new LanyardError('ERR_MASTER_KEY', `Master key path ${file} is not a regular file.`, {
        hint: `Move it away so Lanyard can create a key file there, or set LANYARD_MASTER_KEY.`,
      });
    }
    // Windows has no POSIX permission bits; elsewhere a key readable by others is refused, not silently fixed.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new LanyardError(
        'ERR_MASTER_KEY',
        `Master key file ${file} has mode ${mode}: other users can read or change it.`,
        { hint: `Run \`chmod 600 ${file}\`, and consider replacing the key if others may have read it.` },
      );
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asKeyFileError(err, file, 'read');
  }
  // The first key line is the current key; later ones are retired keys; `#` lines are comments.
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const keys = lines.map(decodeKey);
  if (keys.length === 0 || keys.some((k) => k === undefined)) {
    const which = keys.length <= 1 ? '' : ` (key ${keys.indexOf(undefined) + 1} of ${keys.length})`;
    throw new LanyardError(
      'ERR_MASTER_KEY',
      `Master key file ${file} does not hold a 32-byte base64 key${which}.`,
      {
        hint:
          'Restore the file from a backup. If nothing was encrypted with it yet, delete it and Lanyard creates ' +
          `a new one; or set LANYARD_MASTER_KEY. ${GENERATE_HINT}`,
      },
    );
  }
  const [current, ...previous] = (keys as Buffer[]).map(masterKeyFromBytes);
  return withPrevious({ current: current! }, previous);
}

function createKeyFile(dataDir: string, file: string): Keyring {
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${key.toString('base64')}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    // Another Lanyard process created it first: use theirs, so both encrypt under the same key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file)!;
    throw asKeyFileError(err, file, 'create');
  }
  return { current: masterKeyFromBytes(key) };
}

function asKeyFileError(err: unknown, file: string, action: 'read' | 'create' | 'write'): unknown {
  if (err instanceof LanyardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
  return new LanyardError('ERR_MASTER_KEY', `Cannot ${action} master key file ${file} (${code}).`, {
    hint: 'Check that the data folder exists and belongs to the user running Lanyard, or set LANYARD_MASTER_KEY.',
    cause: err,
  });
}
