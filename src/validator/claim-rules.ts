/**
 * @module validator/claim-rules
 * The rules a correctly signed token's claims must pass, in this order: the `typ` header, the clock (exp, nbf,
 * iat within the skew, iat not older than the longest lifetime), the lifetime (exp − iat at most Entra's
 * longest), the issuer (exact, its Entra version, its tenant, `tid` present when the issuer names a tenant),
 * the audience, the shape of the claims authorization reads (`sub` present, `oid` a string, `roles` an array of
 * strings), then authorization — allowed tenants, applications, principals and required claims (the 403s).
 * Pure: the time is an argument, nothing is remembered.
 */
import { checkType } from './header-rules.ts';
import { DEFAULT_SKEW_SECONDS, MAX_LIFETIME_SECONDS, type ValidationPolicy } from './policy.ts';
import { type Claims, type FailureReason, fail, type ValidationFailure } from './result.ts';

const WELL_KNOWN_AUDIENCES: Record<string, string> = {
  'https://management.core.windows.net/': 'Azure Resource Manager',
  'https://management.azure.com/': 'Azure Resource Manager',
  'https://management.azure.com': 'Azure Resource Manager',
  'https://vault.azure.net': 'Azure Key Vault',
  'https://vault.localhost': 'Azure Key Vault',
  'https://graph.microsoft.com': 'Microsoft Graph',
  '797f4846-ba00-4fd7-ba43-dac1f8f63013': 'Azure Resource Manager',
};

const audList = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];

/** The tenant an Entra-style issuer names: `https://sts.windows.net/{tid}/`, `https://…/{tid}/v2.0`. */
export function tenantOfIssuer(iss: string): string | undefined {
  return /\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/v2\.0)?\/?$/i
    .exec(iss)?.[1]
    ?.toLowerCase();
}

const ENTRA_V1_ISS = /^https:\/\/sts\.windows\.net\/[0-9a-f-]{36}\/$/i;
const ENTRA_V2_ISS = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/i;

/**
 * A `ver` that contradicts Entra's issuer string (a v1 token passed off as v2 or the reverse): v1 tokens come
 * only from `https://sts.windows.net/{tid}/`, v2 only from `https://login.microsoftonline.com/{tid}/v2.0`.
 * Other issuers (B2C issues `ver` 1.0 under a `/v2.0/` issuer) are not judged.
 */
function entraVersionClash(iss: string, ver: unknown): string | undefined {
  if (ver === undefined) return undefined;
  if (ENTRA_V1_ISS.test(iss) && ver !== '1.0') {
    return `The token has the v1 issuer ${iss} but says ver ${JSON.stringify(ver)}.`;
  }
  if (ENTRA_V2_ISS.test(iss) && ver !== '2.0') {
    return `The token has the v2 issuer ${iss} but says ver ${JSON.stringify(ver)}.`;
  }
  return undefined;
}

const isTimeOrAbsent = (v: unknown): v is number | undefined =>
  v === undefined || (typeof v === 'number' && Number.isFinite(v));

const notANumber = (name: string): ValidationFailure =>
  fail('token_malformed', `The "${name}" claim is not a number.`);

/** Seconds a token may live (`exp − iat`) and an `iat` may lie in the past: Entra's longest plus the skew. */
const lifetimeBound = (skew: number): number => MAX_LIFETIME_SECONDS + Math.max(skew, 0);

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/**
 * The clock rules, the only ones whose answer changes for the same claims and policy, so the one check a cache
 * hit repeats: `exp`, `nbf` and `iat` are numbers when present; `exp` is present (unless the policy says
 * otherwise) and not more than the skew in the past; `nbf` and `iat` not more than the skew in the future, `iat`
 * not further in the past than the longest lifetime plus the skew (a cached token ages into that refusal as a
 * new one would). `now` in seconds. Allocates only when it fails.
 */
export function checkTimes(
  claims: Claims,
  policy: ValidationPolicy,
  now: number,
): ValidationFailure | undefined {
  const { exp, nbf, iat } = claims;
  if (!isTimeOrAbsent(exp)) return notANumber('exp');
  if (!isTimeOrAbsent(nbf)) return notANumber('nbf');
  if (!isTimeOrAbsent(iat)) return notANumber('iat');
  const skew = policy.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (exp === undefined) {
    if (policy.requireExpiration ?? true) {
      return fail(
        'expiration_missing',
        'The token has no "exp" claim; tokens that never expire are not accepted.',
      );
    }
  } else if (now - skew >= exp) {
    return fail(
      'expired',
      `The token expired at ${new Date(exp * 1000).toISOString()} (now ${new Date(now * 1000).toISOString()}, ${skew} s skew allowed).`,
      {
        expected: `exp after ${new Date((now - skew) * 1000).toISOString()}`,
        actual: new Date(exp * 1000).toISOString(),
        hint: 'Get a new token. Azure clients renew 5 minutes before expiry; a cached token past exp means the client ignored expires_on.',
      },
    );
  }
  if (nbf !== undefined && nbf > now + skew) {
    return fail('not_yet_valid', `The token is not valid before ${new Date(nbf * 1000).toISOString()}.`, {
      hint: "Check the clocks: the issuer's and this machine's differ by more than the allowed skew.",
    });
  }
  if (iat !== undefined && iat > now + skew) {
    return fail(
      'issued_in_future',
      `The token says it was issued at ${new Date(iat * 1000).toISOString()}, in the future.`,
      {
        hint: "Check the clocks: the issuer's and this machine's differ by more than the allowed skew.",
      },
    );
  }
  if (iat !== undefined && (policy.entraRules ?? true) && now - iat > lifetimeBound(skew)) {
    const bound = lifetimeBound(skew);
    return fail(
      'issued_too_long_ago',
      `The token was issued at ${iso(iat)}, more than ${bound} s ago (the longest Entra token life plus ${skew} s skew).`,
      {
        expected: `iat after ${iso(now - bound)}`,
        actual: iso(iat),
        hint: 'Get a new token. Entra and Lanyard issue no access token that lives longer than 24 h; an older one was kept or minted by another issuer.',
      },
    );
  }
  return undefined;
}

/**
 * `exp − iat` (`exp − nbf` without `iat`) at most the longest lifetime Entra issues plus the skew. Depends on no
 * clock: checked on new tokens (and on hits under another policy), not repeated on every hit.
 */
export function checkLifetime(claims: Claims, policy: ValidationPolicy): ValidationFailure | undefined {
  const { exp } = claims;
  const start = claims.iat ?? claims.nbf;
  // checkTimes ran first: each is a finite number or undefined.
  if (typeof exp !== 'number' || typeof start !== 'number' || !(policy.entraRules ?? true)) return undefined;
  const bound = lifetimeBound(policy.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS);
  if (exp - start <= bound) return undefined;
  const from = claims.iat === undefined ? 'nbf' : 'iat';
  return fail(
    'lifetime_too_long',
    `The token lives ${exp - start} s (${from} ${iso(start)} to exp ${iso(exp)}), longer than any token Entra issues.`,
    {
      expected: `exp − ${from} ≤ ${bound} s`,
      actual: exp - start,
      hint: "Entra's longest-lived access tokens (managed identity) last 24 h; configure the issuer to mint tokens of 24 h or less.",
    },
  );
}

/** `iss` exactly one of the policy's, its `ver` consistent with it, its `tid` the issuer's tenant. */
export function checkIssuer(claims: Claims, policy: ValidationPolicy): ValidationFailure | undefined {
  const iss = claims.iss;
  if (typeof iss !== 'string' || !policy.issuers.includes(iss)) {
    return fail(
      'issuer_mismatch',
      `The token was issued by ${JSON.stringify(iss)}, which this app does not trust.`,
      {
        expected: policy.issuers,
        actual: iss,
        hint: 'Get the token from the tenant this app belongs to; a v1 token (sts.windows.net) and a v2 token (login.microsoftonline.com/…/v2.0) have different issuers — trust both if both are expected.',
      },
    );
  }
  const versionClash = (policy.entraRules ?? true) ? entraVersionClash(iss, claims.ver) : undefined;
  if (versionClash) {
    return fail('issuer_mismatch', versionClash, {
      expected: iss.includes('/v2.0') ? '2.0' : '1.0',
      actual: claims.ver,
      hint: 'Entra issues v1 tokens from https://sts.windows.net/{tid}/ and v2 tokens from https://login.microsoftonline.com/{tid}/v2.0; a token mixing them was not issued by Entra or Lanyard.',
    });
  }
  if (policy.bindTenant ?? true) {
    const tenant = tenantOfIssuer(iss);
    if (tenant !== undefined && claims.tid === undefined) {
      return fail(
        'tenant_missing',
        `The token has no "tid" claim, though its issuer ${iss} names a tenant.`,
        {
          expected: tenant,
          hint: 'Entra and Lanyard put the tenant of the issuer in "tid"; without it the token cannot be bound to its tenant. Get the token from the tenant this app belongs to.',
        },
      );
    }
    if (tenant !== undefined && claims.tid !== tenant) {
      return fail(
        'tenant_mismatch',
        `The token's tid ${String(claims.tid)} is not the tenant of its issuer (${tenant}).`,
        {
          expected: tenant,
          actual: claims.tid,
        },
      );
    }
  }
  return undefined;
}

/** One of the token's `aud` values is one of the policy's; the hint names well-known resources. */
export function checkAudience(claims: Claims, policy: ValidationPolicy): ValidationFailure | undefined {
  const auds = audList(claims.aud);
  if (auds.some((a) => policy.audiences.includes(a))) return undefined;
  const actual = auds.length === 1 ? auds[0] : auds;
  const known = auds.map((a) => WELL_KNOWN_AUDIENCES[a]).find((n) => n !== undefined);
  const first = policy.audiences[0];
  return fail('audience_mismatch', `The token is for ${JSON.stringify(actual)}, not for this app.`, {
    expected: policy.audiences,
    actual,
    hint: `${known ? `That is a token for ${known}. ` : ''}Request a token for ${first ?? "this app's appId"} instead (managed identity: resource=${first ?? '<appId>'}; client credentials: scope=${first ?? '<appId>'}/.default).`,
  });
}

/**
 * The claims authorization reads, shaped as Entra issues them: `sub` present (a non-empty string), `oid` a
 * string and `roles` an array of strings when present — so no allow-list or required role is ever matched
 * against a number, an object or a comma-joined array.
 */
export function checkClaimShape(claims: Claims): ValidationFailure | undefined {
  const { sub, oid, roles } = claims;
  if (sub === undefined) {
    return fail('subject_missing', 'The token has no "sub" claim.', {
      hint: 'Entra and Lanyard access tokens always name their subject in "sub" (for an application, its object id); a token without one was minted by another issuer.',
    });
  }
  if (typeof sub !== 'string' || sub === '') return malformedClaim('sub', 'a non-empty string', sub);
  if (oid !== undefined && typeof oid !== 'string') return malformedClaim('oid', 'a string', oid);
  if (roles !== undefined && (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string'))) {
    return malformedClaim('roles', 'an array of strings', roles);
  }
  return undefined;
}

const malformedClaim = (name: string, expected: string, actual: unknown): ValidationFailure =>
  fail('claim_malformed', `The token's "${name}" claim is not ${expected}.`, {
    expected,
    actual,
    hint: `Entra and Lanyard issue "${name}" as ${expected}; this token was shaped by another issuer — fix the issuer's claim mapping.`,
  });

/** The 403s: allowed tenants, applications (`appid` or `azp`), principals (`oid`), then required claims. */
export function checkAuthorization(claims: Claims, policy: ValidationPolicy): ValidationFailure | undefined {
  if (policy.allowedTenants?.length && !policy.allowedTenants.includes(String(claims.tid))) {
    return fail('tenant_not_allowed', `Tenant ${String(claims.tid)} is not allowed.`, {
      expected: policy.allowedTenants,
      actual: claims.tid,
    });
  }
  const app = (claims.appid ?? claims.azp) as unknown;
  if (policy.allowedApplications?.length && !policy.allowedApplications.includes(String(app))) {
    return fail(
      'application_not_allowed',
      `The calling application ${String(app)} is not in the allowed applications.`,
      {
        expected: policy.allowedApplications,
        actual: app,
        hint: `Add ${String(app)} to allowedApplications, or remove that restriction (a common cause: "allow requests only from this application itself").`,
      },
    );
  }
  if (policy.allowedPrincipals?.length && !policy.allowedPrincipals.includes(String(claims.oid))) {
    return fail(
      'principal_not_allowed',
      `The calling principal ${String(claims.oid)} is not in the allowed identities.`,
      {
        expected: policy.allowedPrincipals,
        actual: claims.oid,
        hint: `Add its object id ${String(claims.oid)} to allowedPrincipals.identities.`,
      },
    );
  }
  for (const req of policy.requiredClaims ?? []) {
    const raw = claims[req.name];
    const present = Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
    const ok =
      req.values.length === 0
        ? raw !== undefined
        : req.match === 'all'
          ? req.values.every((v) => present.includes(v))
          : req.values.some((v) => present.includes(v));
    if (!ok) {
      const reason: FailureReason = req.name === 'roles' ? 'role_missing' : 'claim_missing';
      return fail(
        reason,
        `The token's "${req.name}" claim is ${present.length ? JSON.stringify(present) : 'missing'}; ${req.match === 'all' ? 'all' : 'one'} of ${JSON.stringify(req.values)} is required.`,
        {
          expected: req.values,
          actual: present,
          ...(req.name === 'roles'
            ? {
                hint: `Assign the caller the role: lanyard role assign --principal ${String(claims.oid)} --app ${audList(claims.aud)[0] ?? '<app>'} --role ${req.values[0]}; then get a new token.`,
              }
            : {}),
        },
      );
    }
  }
  return undefined;
}

/** Every rule after the signature, at `now` (seconds): the first failure, or undefined. */
export function checkClaims(
  claims: Claims,
  header: Record<string, unknown>,
  policy: ValidationPolicy,
  now: number,
): ValidationFailure | undefined {
  return (
    checkType(header, policy) ??
    checkTimes(claims, policy, now) ??
    checkLifetime(claims, policy) ??
    ((policy.validateIssuer ?? true) ? checkIssuer(claims, policy) : undefined) ??
    ((policy.validateAudience ?? true) ? checkAudience(claims, policy) : undefined) ??
    ((policy.entraRules ?? true) ? checkClaimShape(claims) : undefined) ??
    checkAuthorization(claims, policy)
  );
}
