/**
 * @module validator/result
 * What the validator answers: the claims, or a failure with a stable reason code, its HTTP status, what was
 * expected, what the token had, and how to fix it.
 */

export const REASONS = {
  token_missing: 401,
  token_too_large: 401,
  token_malformed: 401,
  alg_not_allowed: 401,
  header_not_allowed: 401,
  key_unknown: 401,
  signature_invalid: 401,
  expired: 401,
  not_yet_valid: 401,
  issued_in_future: 401,
  expiration_missing: 401,
  issuer_mismatch: 401,
  tenant_mismatch: 401,
  audience_mismatch: 401,
  typ_not_allowed: 401,
  subject_missing: 401,
  tenant_missing: 401,
  claim_malformed: 401,
  lifetime_too_long: 401,
  issued_too_long_ago: 401,
  application_not_allowed: 403,
  principal_not_allowed: 403,
  tenant_not_allowed: 403,
  role_missing: 403,
  claim_missing: 403,
} as const;

export type FailureReason = keyof typeof REASONS;

export type Claims = Record<string, unknown>;

export interface ValidationSuccess {
  ok: true;
  claims: Claims;
  header: Record<string, unknown>;
  kid: string;
  /** Whether the signature check was served from the verified-token cache. */
  cached: boolean;
}

export interface ValidationFailure {
  ok: false;
  reason: FailureReason;
  /** 401 (not authenticated) or 403 (authenticated but not allowed). */
  status: 401 | 403;
  message: string;
  expected?: unknown;
  actual?: unknown;
  hint?: string;
  /** Claims, when the token was readable and correctly signed (for audit and explain). */
  claims?: Claims;
}

export type ValidationResult = ValidationSuccess | ValidationFailure;

export function fail(
  reason: FailureReason,
  message: string,
  extra: Omit<ValidationFailure, 'ok' | 'reason' | 'status' | 'message'> = {},
): ValidationFailure {
  return { ok: false, reason, status: REASONS[reason], message, ...extra };
}
