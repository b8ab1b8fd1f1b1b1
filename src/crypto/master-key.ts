/**
 * @module crypto/master-key
 * The root secret that everything Lanyard keeps at rest is encrypted or keyed under (envelope encryption,
 * secret hashes, signing keys, the CA key). It comes from `LANYARD_MASTER_KEY` when set (containers, fleets
 * sharing one database) or from `<dataDir>/master.key`, created on first use with mode 0600. Only its derived
 * `id` may appear in logs, errors and stored records.
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

/** Loads the master key from the environment or the data folder, creating the key file on first use. */
export function loadMasterKey({ dataDir, env = process.env }: LoadMasterKeyOptions): MasterKey {
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
    return masterKeyFromBytes(key);
  }
  const file = masterKeyPath(dataDir);
  return readKeyFile(file) ?? createKeyFile(dataDir, file);
}

/** Accepts 64 hex characters or standard/URL-safe base64 of exactly 32 bytes, padded or not. */
function decodeKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return Buffer.from(t, 'base64');
  return undefined;
}

function readKeyFile(file: string): MasterKey | undefined {
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
  const key = decodeKey(text);
  if (!key) {
    throw new LanyardError('ERR_MASTER_KEY', `Master key file ${file} does not hold a 32-byte base64 key.`, {
      hint:
        'Restore the file from a backup. If nothing was encrypted with it yet, delete it and Lanyard creates ' +
        `a new one; or set LANYARD_MASTER_KEY. ${GENERATE_HINT}`,
    });
  }
  return masterKeyFromBytes(key);
}

function createKeyFile(dataDir: string, file: string): MasterKey {
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${key.toString('base64')}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    // Another Lanyard process created it first: use theirs, so both encrypt under the same key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file)!;
    throw asKeyFileError(err, file, 'create');
  }
  return masterKeyFromBytes(key);
}

function asKeyFileError(err: unknown, file: string, action: 'read' | 'create'): unknown {
  if (err instanceof LanyardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
  return new LanyardError('ERR_MASTER_KEY', `Cannot ${action} master key file ${file} (${code}).`, {
    hint: 'Check that the data folder exists and belongs to the user running Lanyard, or set LANYARD_MASTER_KEY.',
    cause: err,
  });
}
