/**
 * @module easyauth/refusal
 * How the front says no. Statuses as Azure's (401 for an unauthenticated caller, 403 for a failed
 * authorization check, Return403/Return404 as configured) with Azure's body text; beyond Azure, each 401/403
 * carries `WWW-Authenticate: Bearer …, error="invalid_token"|"insufficient_scope", error_description="<reason>:
 * <message> <hint>"` (RFC 6750) unless `diagnostics: minimal` (then the reason is only in the audit log) or
 * `disableWWWAuthenticate`. RFC 6750 allows no `"` or `\` in error_description: they become `'` and `/`, and
 * CR, LF and other controls become spaces, so no value can split or extend the header.
 *
 * The validator's hints are sharpened here for the pitfalls users hit (docs/protocols.md, "Easy Auth pitfalls"): an App ID
 * URI audience that only `allowedAudiences` can admit, and `allowedApplications` holding only the app itself.
 */
import type { ValidationFailure } from '../validator/validator.ts';
import type { EasyAuthConfig } from './config.ts';
import type { EasyAuthPolicy } from './policy.ts';

/** App Service's 401 body (docs/protocols.md, "Easy Auth request pipeline"); its 403 body is undocumented, so the same sentence. */
export const AZURE_DENIED_BODY = 'You do not have permission to view this directory or page.';

export interface Refusal {
  status: 400 | 401 | 403 | 404 | 431;
  /** Stable code: a validator reason, or one of the front's own (`token_ambiguous`, `path_ambiguous`, …). */
  reason: string;
  message: string;
  hint?: string | undefined;
  expected?: unknown;
  actual?: unknown;
  /** Claims of a readable, correctly signed token: who was refused (for the audit trail). */
  claims?: Record<string, unknown> | undefined;
  /** authentication: who is calling is unknown; authorization: known but not allowed; request: malformed. */
  category: 'authentication' | 'authorization' | 'request' | 'function_key';
  /** Whether a credential was presented (RFC 6750: no error code when none was). */
  tokenPresented: boolean;
}

const audList = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];

/** Refusals of a token's shape or age (docs/security.md, "Claim shape"): a foreign issuer's doing, most likely. */
const CLAIM_SHAPE_REASONS = new Set([
  'typ_not_allowed',
  'subject_missing',
  'tenant_missing',
  'claim_malformed',
  'lifetime_too_long',
  'issued_too_long_ago',
]);

/** A validator failure as the front reports it, with the Easy Auth-specific hint where one applies. */
export function refusalFromFailure(
  failure: ValidationFailure,
  ctx: EasyAuthPolicy,
  config: EasyAuthConfig,
): Refusal {
  let hint = failure.hint;
  const path = 'identityProviders.azureActiveDirectory.validation';
  if (failure.reason === 'audience_mismatch') {
    const auds = audList(failure.actual);
    const uris = new Set(
      [`api://${ctx.clientId}`, ...(ctx.app?.identifierUris ?? [])].map((u) => u.toLowerCase()),
    );
    const uri = auds.find((a) => uris.has(a.toLowerCase()));
    if (uri !== undefined) {
      hint =
        `Easy Auth implicitly accepts only the bare clientId ${ctx.clientId}, not the App ID URI ${uri}: ` +
        `add "${uri}" to ${path}.allowedAudiences, or request a token for ${ctx.clientId}.`;
    }
  } else if (failure.reason === 'application_not_allowed') {
    const allowed = (failure.expected as string[] | undefined) ?? [];
    if (allowed.length === 1 && allowed[0] === ctx.clientId) {
      hint =
        `allowedApplications holds only this app's own clientId ("allow requests only from this application itself"), ` +
        `which refuses managed identities and other daemons: add ${String(failure.actual)} to ` +
        `${path}.defaultAuthorizationPolicy.allowedApplications, or remove the restriction.`;
    }
  } else if (failure.reason === 'issuer_mismatch') {
    hint = `This app trusts ${ctx.openIdIssuer} (registration.openIdIssuer). ${failure.hint ?? ''}`.trim();
  } else if (CLAIM_SHAPE_REASONS.has(failure.reason) && ctx.keys === 'discovery') {
    hint =
      `${failure.hint ?? ''} This app trusts ${ctx.openIdIssuer} (registration.openIdIssuer): its tokens must be shaped as Entra's.`.trim();
  } else if (failure.reason === 'token_missing') {
    const action = config.globalValidation.unauthenticatedClientAction;
    if (action === 'RedirectToLoginPage') {
      hint =
        `${failure.hint ?? ''} (RedirectToLoginPage answers bearer callers with 401: there is no login page for APIs.)`.trim();
    }
  }
  return {
    status: failure.status,
    reason: failure.reason,
    message: failure.message,
    hint,
    ...(failure.expected === undefined ? {} : { expected: failure.expected }),
    ...(failure.actual === undefined ? {} : { actual: failure.actual }),
    ...(failure.claims ? { claims: failure.claims } : {}),
    category: failure.status === 403 ? 'authorization' : 'authentication',
    tokenPresented: failure.reason !== 'token_missing',
  };
}

/** Text safe inside an RFC 6750 quoted auth-param (%x20-21 / %x23-5B / %x5D-7E). */
export function rfc6750Text(text: string, max = 1024): string {
  const safe = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[\u2013\u2014]/g, '-')
    .replaceAll('\u2192', '->')
    .replaceAll('\u2026', '...')
    .replace(/[\u2018\u2019\u201c\u201d"]/g, "'")
    .replaceAll('\\', '/')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}

/** What a refused caller is told in the description: `reason: message hint`. */
export function describeRefusal(r: Pick<Refusal, 'reason' | 'message' | 'hint'>): string {
  return `${r.reason}: ${r.message}${r.hint ? ` ${r.hint}` : ''}`;
}

/** The WWW-Authenticate value for a 401/403, or undefined when none is to be sent. */
export function wwwAuthenticate(refusal: Refusal, realm: string, config: EasyAuthConfig): string | undefined {
  if (refusal.status !== 401 && refusal.status !== 403) return undefined;
  if (refusal.category !== 'authentication' && refusal.category !== 'authorization') return undefined;
  if (config.identityProviders.azureActiveDirectory.login.disableWWWAuthenticate) return undefined;
  const parts = [`Bearer realm="${rfc6750Text(realm, 255)}"`];
  // RFC 6750 §3.1: no error code when the request carries no bearer token at all — also when it used another
  // scheme (Basic, a bare token): that is "lacks authentication information", not an invalid token.
  if (refusal.tokenPresented && refusal.reason !== 'token_missing') {
    parts.push(`error="${refusal.category === 'authorization' ? 'insufficient_scope' : 'invalid_token'}"`);
  }
  if (config.diagnostics === 'full')
    parts.push(`error_description="${rfc6750Text(describeRefusal(refusal))}"`);
  return parts.join(', ');
}
