/**
 * @module easyauth/function-keys
 * Azure Functions authorization levels (docs/protocols.md, "Azure Functions keys"), checked after Easy Auth and independent of
 * it: an Easy Auth principal never satisfies `function` or `admin`, only a key does. The key comes from the
 * `x-functions-key` header (first value), else the `code` query parameter; the master key (`_master`) is the
 * admin level and satisfies every route, any other host key is the function level. Failure is 401 with an empty
 * body, as the Functions host answers. Keys are kept only as keyed hashes and compared in constant time.
 */
import { generateOpaqueToken } from '../crypto/random.ts';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import {
  type AuthLevel,
  DEFAULT_FUNCTION_KEY_NAME,
  type FunctionsConfig,
  HASHED_KEY,
  MASTER_KEY_NAME,
} from './config.ts';
import { pathMatcher } from './paths.ts';

export type KeyCheck =
  | { ok: true; level: AuthLevel; route: string | undefined }
  | {
      ok: false;
      reason: 'function_key_missing' | 'function_key_invalid' | 'admin_key_required';
      message: string;
      route: string;
      required: AuthLevel;
    };

export interface FunctionKeyGate {
  /** The level a route needs and whether the presented key grants it. */
  check(matchPath: string, headerKey: string | undefined, queryKey: string | undefined): KeyCheck;
}

/** A new key: 32 random bytes, base64url (43 characters). */
export function generateFunctionKey(): string {
  return generateOpaqueToken(32);
}

/**
 * Keys as stored: every plaintext key hashed, previously stored hashes kept, and `_master` plus (when there is
 * no function key) `default` generated when missing. Returns the generated plaintext keys, to be shown once.
 */
export function storedFunctionKeys(
  keys: Readonly<Record<string, string>>,
  hasher: SecretHasher,
  previous: Readonly<Record<string, string>> = {},
): { keys: Record<string, string>; generated: Record<string, string> } {
  const out: Record<string, string> = {};
  const generated: Record<string, string> = {};
  for (const [name, value] of Object.entries(keys))
    out[name] = HASHED_KEY.test(value) ? value : hasher.hash(value);
  const ensure = (name: string) => {
    if (out[name] !== undefined) return;
    if (previous[name] !== undefined) {
      out[name] = previous[name];
      return;
    }
    const key = generateFunctionKey();
    generated[name] = key;
    out[name] = hasher.hash(key);
  };
  ensure(MASTER_KEY_NAME);
  if (!Object.keys(out).some((n) => n !== MASTER_KEY_NAME)) ensure(DEFAULT_FUNCTION_KEY_NAME);
  return { keys: out, generated };
}

export function createFunctionKeyGate(functions: FunctionsConfig, hasher: SecretHasher): FunctionKeyGate {
  const routes = functions.routes.map((r) => ({ ...r, matches: pathMatcher([r.path]) }));
  const stored = Object.entries(functions.keys).map(([name, value]) => ({
    name,
    hash: HASHED_KEY.test(value) ? value : hasher.hash(value),
  }));
  const levelOf = (key: string): AuthLevel => {
    let level: AuthLevel = 'anonymous';
    // Every stored key is compared, whatever matches first: the time taken says nothing about which did.
    for (const k of stored) {
      if (hasher.verify(key, k.hash)) {
        if (k.name === MASTER_KEY_NAME) level = 'admin';
        else if (level === 'anonymous') level = 'function';
      }
    }
    return level;
  };
  return {
    check(matchPath, headerKey, queryKey) {
      const route = routes.find((r) => r.matches(matchPath));
      if (!route || route.authLevel === 'anonymous')
        return { ok: true, level: 'anonymous', route: route?.path };
      const key = headerKey ?? queryKey;
      if (key === undefined || key === '') {
        return {
          ok: false,
          reason: 'function_key_missing',
          message: `Route ${route.path} needs a ${route.authLevel} key (x-functions-key header or code parameter); none was sent.`,
          route: route.path,
          required: route.authLevel,
        };
      }
      const level = key.length > 512 ? 'anonymous' : levelOf(key);
      if (level === 'admin' || (level === 'function' && route.authLevel === 'function')) {
        return { ok: true, level, route: route.path };
      }
      return level === 'function'
        ? {
            ok: false,
            reason: 'admin_key_required',
            message: `Route ${route.path} needs the master key; a function key was sent.`,
            route: route.path,
            required: route.authLevel,
          }
        : {
            ok: false,
            reason: 'function_key_invalid',
            message: `Route ${route.path} needs a ${route.authLevel} key; the key sent is not one of this app's keys.`,
            route: route.path,
            required: route.authLevel,
          };
    },
  };
}
