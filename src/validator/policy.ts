/**
 * @module validator/policy
 * What a token is checked against. A validator deep-freezes a policy the first time it sees it (all but its
 * key source, which keeps state of its own): a cached token remembers the last policy object every claim check
 * passed under, and a later hit under that same object re-runs only the clock checks — sound only while the
 * object cannot change. Build a new policy object to change what is accepted.
 */
import type { KeySource } from './key-sources.ts';

export interface RequiredClaim {
  readonly name: string;
  /** `any`: at least one value present; `all`: every value present (APIM's semantics). */
  readonly match: 'any' | 'all';
  readonly values: readonly string[];
}

export interface ValidationPolicy {
  /** Accepted `iss` values, compared exactly. */
  readonly issuers: readonly string[];
  /** Accepted `aud` values (one of them must be in the token's `aud`). */
  readonly audiences: readonly string[];
  readonly keys: KeySource;
  readonly algorithms?: readonly string[] | undefined;
  /** Seconds of clock skew allowed on exp, nbf and iat. Default 300 (Entra and Easy Auth). */
  readonly clockSkewSeconds?: number | undefined;
  /** Bytes; default 16 KiB. */
  readonly maxTokenBytes?: number | undefined;
  readonly requireExpiration?: boolean | undefined;
  /**
   * Accepted `typ` header values (case-insensitive, `application/` optional); a token must then carry one.
   * Undefined: no `typ`, or `JWT` (what Entra issues) or `at+jwt` (RFC 9068).
   */
  readonly types?: readonly string[] | undefined;
  /** `appid` (v1) or `azp` (v2) must be one of these. */
  readonly allowedApplications?: readonly string[] | undefined;
  /** `oid` must be one of these. */
  readonly allowedPrincipals?: readonly string[] | undefined;
  /** `tid` must be one of these. */
  readonly allowedTenants?: readonly string[] | undefined;
  readonly requiredClaims?: readonly RequiredClaim[] | undefined;
  /** Check that `tid` is the tenant in `iss` (Entra issuers carry it). Default true. */
  readonly bindTenant?: boolean | undefined;
  /**
   * The rules that hold for Entra's (and Lanyard's) access tokens but not for every JWT: the lifetime bound,
   * the age of `iat`, `sub` present, `oid` and `roles` shaped as Entra issues them, `ver` matching Entra's
   * issuer. Default true. APIM's `validate-jwt` checks any issuer's tokens and turns them off.
   */
  readonly entraRules?: boolean | undefined;
  /** Check `iss` against `issuers` (and its tenant and version). Default true; off where the caller checks it. */
  readonly validateIssuer?: boolean | undefined;
  /** Check `aud` against `audiences`. Default true; off where the caller checks it (APIM's per-request audiences). */
  readonly validateAudience?: boolean | undefined;
}

export const DEFAULT_ALGS: readonly string[] = Object.freeze(['RS256']);
export const DEFAULT_SKEW_SECONDS = 300;
/**
 * The longest life Entra gives an access token, counted as the validator counts it (`exp − iat`): a
 * managed-identity token, 24 h from issue, with `iat` back-dated 5 minutes (Lanyard mints the same:
 * identity/mi-service MI_TOKEN_LIFETIME_SECONDS + issuer/claims BACKDATE_SECONDS). A longer token, or an `iat`
 * older than this plus the skew, was not issued by Entra or Lanyard (docs/security.md, "Claim shape").
 */
export const MAX_LIFETIME_SECONDS = 24 * 3600 + 300;
/** The `typ` values an access token may carry when the policy names none (absent is accepted too). */
export const DEFAULT_TYPES: readonly string[] = Object.freeze(['JWT', 'at+jwt']);
export const DEFAULT_MAX_TOKEN_BYTES = 16 * 1024;

const frozen = new WeakSet<ValidationPolicy>();

/**
 * Freezes `policy` in place, with its lists and required claims (not its key source), and returns it. Any
 * later assignment or `push` throws (modules are strict). Idempotent.
 */
export function freezePolicy<P extends ValidationPolicy>(policy: P): P {
  if (frozen.has(policy)) return policy;
  Object.freeze(policy.issuers);
  Object.freeze(policy.audiences);
  Object.freeze(policy.algorithms);
  Object.freeze(policy.types);
  Object.freeze(policy.allowedApplications);
  Object.freeze(policy.allowedPrincipals);
  Object.freeze(policy.allowedTenants);
  for (const req of policy.requiredClaims ?? []) {
    Object.freeze(req.values);
    Object.freeze(req);
  }
  Object.freeze(policy.requiredClaims);
  Object.freeze(policy);
  frozen.add(policy);
  return policy;
}
