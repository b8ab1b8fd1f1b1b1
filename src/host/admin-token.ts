/**
 * @module host/admin-token
 * The admin API's bearer token. Every process on the machine can reach a loopback port, so the admin API
 * needs a credential of its own (docs/security.md, "Token location and the admin API"). `LANYARD_ADMIN_TOKEN` wins; otherwise the token lives in
 * `<dataDir>/admin.token` (0600), made on first start as `lya_` + 32 random bytes, base64url: the prefix makes
 * a leaked token easy to recognise for people and secret scanners. The token itself is never printed or logged;
 * `lanyard up` prints where the file is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../crypto/atomic-file.ts';
import { generateOpaqueToken } from '../crypto/random.ts';
import { constantTimeEqual } from '../crypto/secret-hash.ts';
import { LanyardError } from '../errors/lanyard-error.ts';

export const ADMIN_TOKEN_PREFIX = 'lya_';
/** Shorter tokens from the environment are refused: a guessable admin token is worse than none. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
const TOKEN_CHARS = /^[\x21-\x7e]+$/; // printable ASCII without spaces: what fits in an Authorization header

export interface AdminToken {
  readonly token: string;
  readonly source: 'env' | 'file';
  /** The token file, when the token came from (or was just written to) the data folder. */
  readonly path: string | undefined;
  /** True when this call created the token file. */
  readonly created: boolean;
}

export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, 'admin.token');
}

/** Reads the admin token from the environment or the data folder, creating the token file on first use. */
export function resolveAdminToken({
  dataDir,
  env = process.env,
}: {
  dataDir: string;
  env?: Readonly<Record<string, string | undefined>> | undefined;
}): AdminToken {
  const fromEnv = env.LANYARD_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    checkToken(fromEnv.trim(), 'LANYARD_ADMIN_TOKEN', 'Unset it to use the admin.token file instead.');
    return { token: fromEnv.trim(), source: 'env', path: undefined, created: false };
  }
  const file = adminTokenPath(dataDir);
  const existing = readTokenFile(file);
  if (existing !== undefined) return { token: existing, source: 'file', path: file, created: false };
  const token = `${ADMIN_TOKEN_PREFIX}${generateOpaqueToken(32)}`;
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Exclusive: if another process created the file meanwhile, its token is the one to use.
    writeFileAtomic(file, `${token}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = readTokenFile(file);
      if (raced !== undefined) return { token: raced, source: 'file', path: file, created: false };
    }
    throw new LanyardError('ERR_ADMIN_TOKEN', `Cannot create the admin token file ${file}.`, {
      hint: 'Check that the data folder is writable, or set LANYARD_ADMIN_TOKEN.',
      cause: err,
    });
  }
  return { token, source: 'file', path: file, created: true };
}

/**
 * True when an `Authorization` header carries exactly this token as a bearer token. The scheme is
 * case-insensitive (RFC 6750 §2.1); a request with several Authorization headers is refused outright.
 */
export function bearerMatches(authorization: readonly string[] | undefined, token: string): boolean {
  if (authorization?.length !== 1) return false;
  const match = /^Bearer +(\S+) *$/i.exec(authorization[0]!);
  if (!match) return false;
  return constantTimeEqual(match[1]!, token);
}

function readTokenFile(file: string): string | undefined {
  const hint = `Delete ${file} to have a new token made at the next start, or set LANYARD_ADMIN_TOKEN.`;
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new LanyardError('ERR_ADMIN_TOKEN', `${file} is not a regular file.`, { hint });
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new LanyardError(
        'ERR_ADMIN_TOKEN',
        `The admin token file ${file} has mode ${mode}: other users can read or change it.`,
        { hint: `Run \`chmod 600 ${file}\`, or delete the file so that a new token is made.` },
      );
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof LanyardError) throw err;
    throw new LanyardError('ERR_ADMIN_TOKEN', `Cannot read the admin token file ${file}.`, {
      hint,
      cause: err,
    });
  }
  const token = text.trim();
  checkToken(token, `The admin token file ${file}`, hint);
  return token;
}

function checkToken(token: string, where: string, hint: string): void {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || !TOKEN_CHARS.test(token)) {
    throw new LanyardError(
      'ERR_ADMIN_TOKEN',
      `${where} must hold at least ${MIN_ADMIN_TOKEN_LENGTH} printable characters without spaces.`,
      { hint },
    );
  }
}
