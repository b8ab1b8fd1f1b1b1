/**
 * @module validator/key-sources
 * Where a validator gets the keys it trusts — only from configuration, never from the token (`jku`, `x5u`,
 * `jwk`, `x5c` are ignored): Lanyard's own issuer in-process, or an issuer's discovery document and JWKS over
 * https. Keys are imported once per `kid` as Node KeyObjects; an unknown `kid` triggers at most one refetch per
 * cooldown (single-flight; callers arriving during a refresh wait for it), so tokens with made-up kids cannot
 * make it hammer the issuer; a failed refresh keeps the last good key set. A key set is read only as JSON, from
 * the issuer's own host, with no redirect.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { KeyManager } from '../issuer/signing-keys.ts';
import { fetchJson } from '../net/fetch-json.ts';

export interface TrustedKey {
  kid: string;
  /** The algorithm the key may verify: a token's `alg` must equal it (or be one of `algs`). */
  alg: string;
  /**
   * The algorithms the key may verify when it is more than one: a symmetric key configured without an algorithm
   * (APIM's `issuer-signing-keys`) verifies HS256, HS384 and HS512 alike.
   */
  algs?: readonly string[] | undefined;
  key: KeyObject;
}

export interface KeySource {
  /** The key with this `kid`, refetching (bounded) when it is not known yet. */
  key(kid: string): Promise<TrustedKey | undefined>;
  /**
   * The key with this `kid`, answered without I/O: the key when the cached keys are fresh and hold it; undefined
   * when only `key()` can tell (the cache is due for a reload, or the kid is unknown). Lets a token be
   * validated synchronously — a verified-token cache hit, or a new token signed with a known key.
   */
  keyNow(kid: string): TrustedKey | undefined;
  /** Where the keys come from, for messages. */
  readonly description: string;
  /**
   * Keys tried one after the other when the token names no `kid`, or a `kid` no source publishes (APIM's
   * `issuer-signing-keys`: each key is tried until one verifies). Known without I/O. Only sources configured
   * with keys of their own have them: a key set fetched from an issuer is always chosen by exact `kid`.
   */
  readonly tryAll?: readonly TrustedKey[] | undefined;
}

interface Jwk {
  kty?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  n?: unknown;
  e?: unknown;
  crv?: unknown;
  x?: unknown;
  y?: unknown;
  d?: unknown;
  p?: unknown;
  q?: unknown;
  k?: unknown;
}

/**
 * Imports the usable public keys of a JWKS. Entries that are symmetric, carry private members, are RSA keys
 * under 2048 bits, repeat a `kid`, or are not for signatures are skipped — never trusted.
 */
export function importJwks(jwks: unknown): Map<string, TrustedKey> {
  const out = new Map<string, TrustedKey>();
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length > 100)
    throw new Error('the JWKS is not a key set of at most 100 keys');
  const seen = new Set<string>();
  for (const raw of keys as Jwk[]) {
    if (typeof raw !== 'object' || raw === null || typeof raw.kid !== 'string') continue;
    if (seen.has(raw.kid)) {
      out.delete(raw.kid);
      continue;
    }
    seen.add(raw.kid);
    if (raw.d !== undefined || raw.p !== undefined || raw.q !== undefined || raw.k !== undefined) continue;
    if (raw.use !== undefined && raw.use !== 'sig') continue;
    try {
      if (raw.kty === 'RSA' && typeof raw.n === 'string' && typeof raw.e === 'string') {
        const key = createPublicKey({ key: { kty: 'RSA', n: raw.n, e: raw.e }, format: 'jwk' });
        if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) continue;
        const alg = typeof raw.alg === 'string' ? raw.alg : 'RS256';
        if (!['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'].includes(alg)) continue;
        out.set(raw.kid, { kid: raw.kid, alg, key });
      } else if (
        raw.kty === 'EC' &&
        raw.crv === 'P-256' &&
        typeof raw.x === 'string' &&
        typeof raw.y === 'string'
      ) {
        const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.x, y: raw.y }, format: 'jwk' });
        out.set(raw.kid, { kid: raw.kid, alg: 'ES256', key });
      }
    } catch {
      // A malformed entry is skipped; the others stay usable.
    }
  }
  return out;
}

/**
 * Lanyard's own issuer, read in-process: no HTTP. The key set is re-imported every `reloadMs` (default 5 s, so
 * a rotation or a revocation in this process is seen within 5 s) and on an unknown kid, at most once a second.
 */
export class LocalKeySource implements KeySource {
  readonly description = "Lanyard's issuer";
  readonly #keys: KeyManager;
  #map = new Map<string, TrustedKey>();
  #loadedAt = 0;
  #lastRefresh = 0;
  #inflight: Promise<void> | undefined;
  readonly #reloadMs: number;

  constructor(keys: KeyManager, options: { reloadMs?: number | undefined } = {}) {
    this.#keys = keys;
    this.#reloadMs = options.reloadMs ?? 5_000;
  }

  /** One load at a time; concurrent callers share it. */
  #load(force: boolean): Promise<void> {
    this.#inflight ??= (async () => {
      try {
        if (force) await this.#keys.refresh();
        this.#map = importJwks({ keys: await this.#keys.publishedKeys() });
        this.#loadedAt = Date.now();
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  async key(kid: string): Promise<TrustedKey | undefined> {
    if (Date.now() - this.#loadedAt > this.#reloadMs) await this.#load(false);
    let found = this.#map.get(kid);
    if (!found && this.#inflight) {
      await this.#inflight;
      found = this.#map.get(kid);
    }
    // An unknown kid: another process may have rotated; re-read the store, at most once a second.
    if (!found && Date.now() - this.#lastRefresh > 1_000) {
      this.#lastRefresh = Date.now();
      await this.#load(true);
      found = this.#map.get(kid);
    }
    return found;
  }

  keyNow(kid: string): TrustedKey | undefined {
    if (Date.now() - this.#loadedAt > this.#reloadMs) return undefined;
    return this.#map.get(kid);
  }
}

export interface DiscoveryKeySourceOptions {
  /** The issuer whose `/.well-known/openid-configuration` names the JWKS (or a full discovery URL). */
  discoveryUrl: string;
  /** The issuer the document must name (checked when given). */
  expectedIssuer?: string | undefined;
  ca?: readonly string[] | undefined;
  caFile?: string | undefined;
  cacheMs?: number | undefined;
  cooldownMs?: number | undefined;
}

const MICROSOFT_LOGIN_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net', 'sts.windows.net']);

/** Keys of a remote issuer: discovery → jwks_uri, over https, bounded, cached, with last-known-good. */
export class DiscoveryKeySource implements KeySource {
  readonly description: string;
  readonly #o: DiscoveryKeySourceOptions;
  #map = new Map<string, TrustedKey>();
  #fetchedAt = 0;
  #attemptAt = 0;
  #inflight: Promise<void> | undefined;
  #issuer: string | undefined;
  lastError: string | undefined;

  constructor(options: DiscoveryKeySourceOptions) {
    this.#o = options;
    this.description = options.discoveryUrl;
  }

  #url(): string {
    const u = this.#o.discoveryUrl;
    return u.includes('/.well-known/') ? u : `${u.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  }

  /** `jwks_uri` must be on the discovery document's own host (Microsoft's login hosts count as one). */
  #checkJwksUri(jwksUri: string): void {
    let jwks: URL;
    try {
      jwks = new URL(jwksUri);
    } catch {
      throw new Error(`the discovery document's jwks_uri ${JSON.stringify(jwksUri)} is not a URL`);
    }
    const discovery = new URL(this.#url());
    const sameHost =
      jwks.host === discovery.host ||
      (MICROSOFT_LOGIN_HOSTS.has(jwks.host) && MICROSOFT_LOGIN_HOSTS.has(discovery.host));
    if (jwks.protocol !== 'https:' || !sameHost) {
      throw new Error(
        `the discovery document's jwks_uri ${jwksUri} is not https on the issuer's host ${discovery.host}`,
      );
    }
  }

  /** The `issuer` of the discovery document last fetched (undefined before the first good fetch). */
  issuerNow(): string | undefined {
    return this.#issuer;
  }

  /** The document's `issuer`, fetching it first when it was never fetched (a failure leaves it undefined). */
  async issuer(): Promise<string | undefined> {
    if (
      this.#fetchedAt === 0 &&
      Date.now() - this.#attemptAt > Math.min(this.#o.cooldownMs ?? 30_000, 5_000)
    ) {
      await this.#refresh();
    } else if (this.#inflight) await this.#inflight;
    return this.#issuer;
  }

  async #refresh(): Promise<void> {
    this.#inflight ??= (async () => {
      this.#attemptAt = Date.now();
      try {
        const ca = [...(this.#o.ca ?? [])];
        if (this.#o.caFile && fs.existsSync(this.#o.caFile)) ca.push(fs.readFileSync(this.#o.caFile, 'utf8'));
        const doc = (await fetchJson(this.#url(), { ca, requireJsonType: true })) as {
          issuer?: unknown;
          jwks_uri?: unknown;
        };
        if (this.#o.expectedIssuer !== undefined && doc.issuer !== this.#o.expectedIssuer) {
          throw new Error(
            `the discovery document names issuer ${String(doc.issuer)}, not ${this.#o.expectedIssuer}`,
          );
        }
        if (typeof doc.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
        this.#checkJwksUri(doc.jwks_uri);
        const map = importJwks(await fetchJson(doc.jwks_uri, { ca, requireJsonType: true }));
        this.#map = map;
        this.#issuer = typeof doc.issuer === 'string' ? doc.issuer : undefined;
        this.#fetchedAt = Date.now();
        this.lastError = undefined;
      } catch (err) {
        // Keep serving the last good keys; the failure is reported by key_unknown when it matters.
        this.lastError = (err as Error).message;
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  async key(kid: string): Promise<TrustedKey | undefined> {
    const cacheMs = this.#o.cacheMs ?? 3_600_000;
    const cooldownMs = this.#o.cooldownMs ?? 30_000;
    const now = Date.now();
    const stale = this.#fetchedAt === 0 || now - this.#fetchedAt > cacheMs;
    // Never more than one attempt per few seconds while the issuer is unreachable: no request storms.
    if (stale && now - this.#attemptAt > Math.min(cooldownMs, 5_000)) await this.#refresh();
    let found = this.#map.get(kid);
    // Another caller's fetch is under way (a cold start, a refetch): its answer may have the kid.
    if (!found && this.#inflight) {
      await this.#inflight;
      found = this.#map.get(kid);
    }
    if (!found && Date.now() - this.#attemptAt > cooldownMs) {
      await this.#refresh();
      found = this.#map.get(kid);
    }
    return found;
  }

  keyNow(kid: string): TrustedKey | undefined {
    const stale = this.#fetchedAt === 0 || Date.now() - this.#fetchedAt > (this.#o.cacheMs ?? 3_600_000);
    if (stale) return undefined;
    return this.#map.get(kid);
  }
}

/** The HMAC algorithms a symmetric key verifies. */
export const HMAC_ALGS: readonly string[] = Object.freeze(['HS256', 'HS384', 'HS512']);

/**
 * A symmetric key given as bytes (APIM's base64 `<key>` text), for HS256/384/512. Keys shorter than 256 bits
 * are refused: HS256 with a short secret can be brute-forced from one token.
 */
export function symmetricKey(kid: string, bytes: Buffer): TrustedKey {
  if (bytes.length < 32)
    throw new Error(`a symmetric key must have at least 256 bits; this one has ${bytes.length * 8}`);
  if (bytes.length > 1024) throw new Error('a symmetric key must have at most 1024 bytes');
  return { kid, alg: 'HS256', algs: HMAC_ALGS, key: createSecretKey(bytes) };
}

/** An RSA public key from its base64url modulus and exponent (APIM's `<key n="…" e="…"/>`), for RS256-512 and PS256-512. */
export function rsaKey(kid: string, n: string, e: string): TrustedKey {
  const key = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    throw new Error('an RSA key must have at least 2048 bits');
  return { kid, alg: 'RS256', algs: RSA_ALGS, key };
}

const RSA_ALGS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);

/**
 * Several sources as one: keys given in configuration (looked up by their id first, and all tried when the
 * token's kid matches none), then each source in order. One source's unknown kid costs its own bounded
 * refetch, never another's.
 */
export class CombinedKeySource implements KeySource {
  readonly description: string;
  readonly tryAll: readonly TrustedKey[] | undefined;
  readonly #sources: readonly KeySource[];
  readonly #byKid = new Map<string, TrustedKey>();

  constructor(sources: readonly KeySource[], staticKeys: readonly TrustedKey[] = []) {
    this.#sources = sources;
    for (const k of staticKeys) if (k.kid !== '' && !this.#byKid.has(k.kid)) this.#byKid.set(k.kid, k);
    this.tryAll = staticKeys.length ? Object.freeze([...staticKeys]) : undefined;
    const parts = sources.map((s) => s.description);
    if (staticKeys.length) parts.unshift(`${staticKeys.length} configured key(s)`);
    this.description = parts.join(', ') || 'no key source';
  }

  async key(kid: string): Promise<TrustedKey | undefined> {
    const own = this.#byKid.get(kid);
    if (own) return own;
    for (const s of this.#sources) {
      const now = s.keyNow(kid);
      if (now) return now;
    }
    for (const s of this.#sources) {
      const k = await s.key(kid);
      if (k) return k;
    }
    return undefined;
  }

  keyNow(kid: string): TrustedKey | undefined {
    const own = this.#byKid.get(kid);
    if (own) return own;
    for (const s of this.#sources) {
      const k = s.keyNow(kid);
      if (k) return k;
    }
    return undefined;
  }
}
