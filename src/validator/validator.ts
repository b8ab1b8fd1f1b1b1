/**
 * @module validator/validator
 * One token validator for Easy Auth, the gateway, the vault and the SDK middleware. It answers with the
 * claims, or with a failure that has a stable reason code, what was expected, what the token had, and how to
 * fix it — the explanation Azure never gives with its bare 401.
 *
 * This class only composes: the rules (token-parse, header-rules, signature, claim-rules), the policy's key
 * source, and the verified-token cache (token-cache). Order (docs/security.md, "Token validation"): size →
 * shape (three canonical base64url parts) → strict header and claims JSON (no repeated names, objects only) →
 * header rules (alg allow-list, no crit/b64/zip/enc, no nested token) → key by exact `kid` → alg bound to the
 * key → signature → typ (JWT or at+jwt unless the policy lists others) → time (iat not older than Entra's
 * longest lifetime) → lifetime → issuer and tenant binding (tid present for an issuer naming a tenant) →
 * audience → claim shape (sub present, oid a string, roles strings) → policy (tenants, applications,
 * principals, required claims).
 * A repeated token costs a cache lookup and the claim checks, never a signature check; a cached entry counts
 * only for the key source that verified it (one validator may serve policies that trust different issuers) and
 * is dropped when its key is no longer trusted.
 */
import { checkClaims, checkTimes } from './claim-rules.ts';
import { type Checked, checkHeader } from './header-rules.ts';
import type { TrustedKey } from './key-sources.ts';
import { DEFAULT_ALGS, DEFAULT_MAX_TOKEN_BYTES, freezePolicy, type ValidationPolicy } from './policy.ts';
import { fail, type ValidationFailure, type ValidationResult } from './result.ts';
import { checkSignature, keyUnknown, verifySignature } from './signature.ts';
import { type CacheEntry, TokenCache } from './token-cache.ts';
import { parseToken, tokenMissing } from './token-parse.ts';

export { tenantOfIssuer } from './claim-rules.ts';
export { freezePolicy, type RequiredClaim, type ValidationPolicy } from './policy.ts';
export {
  type Claims,
  type FailureReason,
  REASONS,
  type ValidationFailure,
  type ValidationResult,
  type ValidationSuccess,
} from './result.ts';

/**
 * A cache hit may stand for a verification under `policy`: same key source and an allowed algorithm — known
 * already when the hit last passed under this very policy, which is frozen.
 */
function usableHit(hit: CacheEntry, policy: ValidationPolicy): boolean {
  return (
    hit.passed === policy ||
    (hit.source === policy.keys && (policy.algorithms ?? DEFAULT_ALGS).includes(hit.header.alg as string))
  );
}

export interface ValidatorOptions {
  /**
   * Entries in the verified-token cache; 0 disables it. Default 10 000. A token enters on its second verification
   * within the last max(cacheSize, 1024) first verifications of other tokens.
   */
  cacheSize?: number | undefined;
  now?: (() => number) | undefined;
}

export class TokenValidator {
  readonly #cache: TokenCache;
  readonly #now: () => number;
  /** The policy seen last, already frozen: spares the frozen-set lookup when one policy serves every call. */
  #lastPolicy: ValidationPolicy | undefined;

  constructor(options: ValidatorOptions = {}) {
    this.#cache = new TokenCache(options.cacheSize ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /**
   * The answer for `token`, when it can be given without I/O — the key source's keys are fresh and hold the
   * token's key: a token verified before (same key source, an allowed algorithm, the key still trusted, then
   * every claim check at the current time), or a new one (parsed, checked and verified here). Undefined when only
   * `validate` can answer (keys due for a reload, or an unknown `kid` to look up). No promise, no microtask.
   * Freezes `policy` (see validator/policy).
   */
  validateNow(token: string, policy: ValidationPolicy): ValidationResult | undefined {
    const attempt = this.#attempt(token, policy);
    return 'wait' in attempt ? undefined : attempt;
  }

  /** The answer for `token`, fetching keys when needed. Freezes `policy` (see validator/policy). */
  async validate(token: string | undefined, policy: ValidationPolicy): Promise<ValidationResult> {
    if (!token) return tokenMissing();
    const attempt = this.#attempt(token, policy);
    if (!('wait' in attempt)) return attempt;
    const { nowSec } = attempt;
    let checked: Checked;
    if (attempt.wait === 'hit') {
      // The key still trusted now (revocation, rotation out of JWKS; `key()` reloads when due).
      if ((await policy.keys.key(attempt.hit.kid)) !== undefined)
        return this.#answerHit(attempt.hit, policy, nowSec);
      const parsed = this.#parseChecked(token, policy, attempt.hit);
      if (!('signingInput' in parsed)) return parsed;
      checked = parsed;
    } else checked = attempt.checked;
    const key = checked.kid === '' ? undefined : await policy.keys.key(checked.kid);
    if (!key) return this.#tryEach(token, checked, policy, nowSec);
    return this.#verified(token, checked, key, policy, nowSec);
  }

  /**
   * No source publishes the token's kid (or it has none): the key source's `tryAll` keys of the token's
   * algorithm, in order, until one verifies (APIM's issuer-signing-keys). Without such keys, key_unknown.
   */
  #tryEach(token: string, c: Checked, policy: ValidationPolicy, nowSec: number): ValidationResult {
    const candidates = (policy.keys.tryAll ?? []).filter((k) => k.alg === c.alg || k.algs?.includes(c.alg));
    if (candidates.length === 0) {
      if (c.kid === '') {
        return fail('key_unknown', `No configured key verifies ${c.alg}, and the token names no kid.`, {
          actual: c.alg,
        });
      }
      return keyUnknown(c.kid, policy.keys);
    }
    for (const key of candidates) {
      if (verifySignature(c.alg, key, c.signingInput, c.signature)) {
        return this.#verified(token, c, key, policy, nowSec, true);
      }
    }
    return fail(
      c.kid === '' ? 'signature_invalid' : 'key_unknown',
      c.kid === ''
        ? `The signature does not verify with any of the ${candidates.length} configured key(s) for ${c.alg}.`
        : `The token was signed with key "${c.kid}", which ${policy.keys.description} does not publish, and no configured key verifies it.`,
      {
        ...(c.kid === '' ? {} : { actual: c.kid }),
        hint: 'The token was signed with another key than the ones configured; check the key (and its encoding) on both sides.',
      },
    );
  }

  /** Forgets every verified token (e.g. after an emergency key revocation). */
  clear(): void {
    this.#cache.clear();
  }

  /**
   * Everything that needs no I/O: the answer, or what `validate` must fetch a key for — a usable cache hit whose
   * key is not at hand, or a parsed and header-checked token (so nothing is looked up or parsed twice).
   */
  #attempt(
    token: string,
    policy: ValidationPolicy,
  ):
    | ValidationResult
    | { wait: 'hit'; hit: CacheEntry; nowSec: number }
    | { wait: 'key'; checked: Checked; nowSec: number } {
    if (policy !== this.#lastPolicy) this.#lastPolicy = freezePolicy(policy);
    const nowSec = this.#now() / 1000;
    const hit = this.#cache.lookup(token, nowSec);
    if (hit !== undefined && usableHit(hit, policy)) {
      if (policy.keys.keyNow(hit.kid) === undefined) return { wait: 'hit', hit, nowSec };
      return this.#answerHit(hit, policy, nowSec);
    }
    const checked = this.#parseChecked(token, policy, hit);
    if (!('signingInput' in checked)) return checked;
    // No kid: only the configured keys can verify it, and trying them needs no I/O.
    if (checked.kid === '') return this.#tryEach(token, checked, policy, nowSec);
    const key = policy.keys.keyNow(checked.kid);
    return key === undefined
      ? { wait: 'key', checked, nowSec }
      : this.#verified(token, checked, key, policy, nowSec);
  }

  /** A usable cache hit whose key is still trusted: the claim checks at `nowSec` (only the clock's under a policy it passed). */
  #answerHit(hit: CacheEntry, policy: ValidationPolicy, nowSec: number): ValidationResult {
    if (hit.passed === policy) {
      const failure = checkTimes(hit.claims, policy, nowSec);
      if (failure) return { ...failure, claims: hit.claims };
    } else {
      const failure = checkClaims(hit.claims, hit.header, policy, nowSec);
      if (failure) return { ...failure, claims: hit.claims };
      hit.passed = policy;
    }
    return { ok: true, claims: hit.claims, header: hit.header, kid: hit.kid, cached: true };
  }

  /** Parses a token the cache cannot answer and checks its header; drops its entry for this key source, if any. */
  #parseChecked(
    token: string,
    policy: ValidationPolicy,
    hit: CacheEntry | undefined,
  ): Checked | ValidationFailure {
    if (hit !== undefined && hit.source === policy.keys) this.#cache.forget(token);
    const parsed = parseToken(token, policy.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES);
    if (!('signingInput' in parsed)) return parsed;
    return checkHeader(parsed, policy);
  }

  /** Verifies a parsed token with `key`, offers it to the cache, then checks its claims at `nowSec`. */
  #verified(
    token: string,
    c: Checked,
    key: TrustedKey,
    policy: ValidationPolicy,
    nowSec: number,
    signatureChecked = false,
  ): ValidationResult {
    const bad = signatureChecked ? undefined : checkSignature(c, key);
    if (bad) return bad;
    // A token without a kid is not cached: a hit is re-checked by its kid, and it has none.
    if (c.kid !== '')
      this.#cache.offer(
        token,
        c,
        typeof c.claims.exp === 'number' ? c.claims.exp : Number.POSITIVE_INFINITY,
        policy.keys,
      );
    const failure = checkClaims(c.claims, c.header, policy, nowSec);
    if (failure) return { ...failure, claims: c.claims };
    return { ok: true, claims: c.claims, header: c.header, kid: c.kid, cached: false };
  }
}
