/**
 * @module console/explain
 * `POST /admin/tenants/:tenant/explain`: a pasted token, and whether a front would let it in — every check
 * shown, passed or failed, with the fix. The same evaluators as the real answer:
 * - `easyauth`: `lanyard explain`'s (easyauth/explain.ts), for every front of the tenant or the one named; its
 *   verdicts are exactly what `lanyard explain -o json` prints, each with its checks added;
 * - `arm`: Resource Manager's authenticator (management/arm/auth.ts), as the ARM routes build it;
 * - `vault`: Key Vault's (vault/api/auth.ts: audience and tenant), then `lanyard rbac check` of reading a
 *   secret (management/service.ts `checkAccess`, the vault's own authorization).
 * - `gateway`: the inbound policies of each API of the gateway (or the one `api` names), run by the gateway's
 *   own policy machinery on an in-process request carrying the token (explain-gateway.ts): each validate-jwt
 *   as the validator's stages, check-header, and what an explanation cannot tell shown as not checked.
 *
 * The token is read from the body and nowhere else: the request log has no bodies, and nothing here logs,
 * audits or keeps it.
 */
import type { IncomingMessage } from 'node:http';
import { type DecodedToken, decodeToken, type ExplainVerdict, explainToken } from '../easyauth/explain.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { ARM_AUDIENCES, Authenticator, type Caller } from '../management/arm/auth.ts';
import { checkAccess, describeDecision } from '../management/service.ts';
import type { FailureReason } from '../validator/result.ts';
import { VaultAuthenticator } from '../vault/api/auth.ts';
import { DATA_ACTIONS } from '../vault/api/operations.ts';
import type { ConsoleDeps } from './deps.ts';

export const FRONT_KINDS = ['easyauth', 'gateway', 'vault', 'arm'] as const;
export type FrontKind = (typeof FRONT_KINDS)[number];

import type { ExplainCheck, FrontVerdict } from './verdicts.ts';

export type { ExplainCheck, FrontVerdict };

export interface ExplainFront {
  kind: FrontKind;
  name?: string | undefined;
  /** kind `gateway`: one API of the gateway (every API when left out). */
  api?: string | undefined;
}

export interface ExplainAnswer {
  front: ExplainFront;
  token: DecodedToken;
  /** Whether a front (the one named) would let the token in. */
  accepted: boolean;
  verdicts: (FrontVerdict & Partial<ExplainVerdict>)[];
}

/** The validator's checks in the order it makes them, and which one each refusal reason is. */
const STAGES = [
  'token',
  'header',
  'signature',
  'lifetime',
  'issuer',
  'audience',
  'claims',
  'caller',
] as const;
const STAGE_OF: Readonly<Record<FailureReason, (typeof STAGES)[number]>> = {
  token_missing: 'token',
  token_too_large: 'token',
  token_malformed: 'token',
  alg_not_allowed: 'header',
  header_not_allowed: 'header',
  typ_not_allowed: 'header',
  key_unknown: 'signature',
  signature_invalid: 'signature',
  expired: 'lifetime',
  not_yet_valid: 'lifetime',
  issued_in_future: 'lifetime',
  expiration_missing: 'lifetime',
  lifetime_too_long: 'lifetime',
  issued_too_long_ago: 'lifetime',
  issuer_mismatch: 'issuer',
  tenant_mismatch: 'issuer',
  tenant_missing: 'issuer',
  tenant_not_allowed: 'issuer',
  audience_mismatch: 'audience',
  subject_missing: 'claims',
  claim_malformed: 'claims',
  claim_missing: 'claims',
  role_missing: 'claims',
  application_not_allowed: 'caller',
  principal_not_allowed: 'caller',
};

/** Checks of a validation: those before the failing one passed, the rest were not reached. */
function validatorChecks(failure?: {
  reason: string;
  message?: string | undefined;
  expected?: unknown;
  actual?: unknown;
  hint?: string | undefined;
}): ExplainCheck[] {
  const failed = failure ? STAGE_OF[failure.reason as FailureReason] : undefined;
  const at = failed === undefined ? (failure ? 0 : STAGES.length) : STAGES.indexOf(failed);
  return STAGES.map((name, i): ExplainCheck => {
    if (i < at) return { name, status: 'passed' };
    if (i > at || !failure) return { name, status: 'not-checked' };
    return {
      name,
      status: 'failed',
      code: failure.reason,
      message: failure.message,
      ...(failure.expected === undefined ? {} : { expected: failure.expected }),
      ...(failure.actual === undefined ? {} : { actual: failure.actual }),
      ...(failure.hint ? { fix: failure.hint } : {}),
    };
  });
}

function easyAuthChecks(v: ExplainVerdict): ExplainCheck[] {
  if (v.accepted) return validatorChecks();
  if (v.reason === 'token_missing' && v.message?.startsWith('The Entra provider is disabled')) {
    return [{ name: 'provider', status: 'failed', code: v.reason, message: v.message }];
  }
  return validatorChecks({
    reason: v.reason ?? 'token_malformed',
    message: v.message,
    expected: v.expected,
    actual: v.actual,
    hint: v.hint,
  });
}

/** The request a front's authenticator reads: only its Authorization header. */
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;

interface Refusal {
  status: number;
  code: string;
  message: string;
  hint?: string | undefined;
  reason?: string | undefined;
}

const asRefusal = (err: unknown): Refusal | undefined =>
  err instanceof Error && typeof (err as { status?: unknown }).status === 'number' && 'code' in err
    ? (err as unknown as Refusal)
    : undefined;

/** ARM's and Key Vault's codes, as the validator's checks. */
const CODE_STAGE: Readonly<Record<string, (typeof STAGES)[number] | 'tenant'>> = {
  AuthenticationFailed: 'token',
  AuthenticationFailedInvalidHeader: 'token',
  AKV10000: 'token',
  InvalidAuthenticationTokenAudience: 'audience',
  AKV10022: 'audience',
  ExpiredAuthenticationToken: 'lifetime',
  TokenExpired: 'lifetime',
  AKV10032: 'tenant',
};

function authenticatorChecks(refusal: Refusal | undefined, extra: readonly string[]): ExplainCheck[] {
  const names: string[] = [...STAGES, ...extra];
  if (!refusal) return names.map((name) => ({ name, status: 'passed' as const }));
  const code = refusal.reason ?? refusal.code;
  const failed: ExplainCheck = {
    name: 'token',
    status: 'failed',
    code,
    message: refusal.message,
    ...(refusal.hint ? { fix: refusal.hint } : {}),
  };
  const stage = CODE_STAGE[code];
  // "The access token is invalid" names no single check (its message says which): it stands for them all.
  if (stage === undefined) {
    return [
      failed,
      ...names.filter((n) => n !== 'token').map((name) => ({ name, status: 'not-checked' as const })),
    ];
  }
  const at = names.indexOf(stage);
  return names.map((name, i): ExplainCheck => {
    if (i < at) return { name, status: 'passed' };
    if (i > at) return { name, status: 'not-checked' };
    return { ...failed, name };
  });
}

async function tenantIds(deps: ConsoleDeps): Promise<string[]> {
  return (await deps.directory.listTenants()).map((t) => t.id);
}

async function explainArm(deps: ConsoleDeps, token: string): Promise<FrontVerdict> {
  const auth = new Authenticator({
    keys: deps.keys,
    issuers: deps.issuers,
    tenantIds: () => tenantIds(deps),
    now: () => deps.tokens.now().getTime(),
    audiences: ARM_AUDIENCES,
    service: 'Azure Resource Manager',
    scope: 'https://management.azure.com/.default',
  });
  try {
    await auth.authenticate(bearer(token));
  } catch (err) {
    const r = asRefusal(err);
    if (!r) throw err;
    return {
      resource: 'Resource Manager',
      accepted: false,
      status: r.status,
      reason: r.code,
      message: r.message,
      hint: r.hint,
      checks: authenticatorChecks(r, []),
    };
  }
  return {
    resource: 'Resource Manager',
    accepted: true,
    status: 200,
    checks: authenticatorChecks(undefined, []),
    hint: 'What the caller may then do is Azure RBAC: ask "may X call Y?" with an action, or `lanyard rbac check`.',
  };
}

async function explainVault(
  deps: ConsoleDeps,
  tenantRef: string,
  name: string,
  token: string,
): Promise<FrontVerdict> {
  const tenant = await deps.directory.getTenant(tenantRef);
  const vault = await deps.directory.getResource(tenant.id, name);
  if (vault.kind !== 'vault') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${vault.name}" is of kind ${vault.kind}, not a vault.`,
    );
  }
  const auth = new VaultAuthenticator({
    keys: deps.keys,
    issuers: deps.issuers,
    tenantIds: () => tenantIds(deps),
    now: () => deps.tokens.now().getTime(),
  });
  let caller: Caller;
  try {
    caller = await auth.authenticate(bearer(token), 'https://vault.azure.net', tenant.id);
  } catch (err) {
    const r = asRefusal(err);
    if (!r) throw err;
    return {
      resource: vault.name,
      accepted: false,
      status: r.status,
      reason: r.reason ?? r.code,
      message: r.message,
      hint: r.hint,
      checks: authenticatorChecks(r, ['tenant', 'authorization']),
    };
  }
  // Authorization: the vault's own question for reading a secret, asked of Azure RBAC.
  const input = { principal: caller.objectId, action: DATA_ACTIONS.get, scope: `resource:${vault.name}` };
  const rbac = await checkAccess(deps.directory, tenant.id, { ...input, dataAction: true });
  const described = describeDecision(rbac, input);
  const checks = authenticatorChecks(undefined, ['tenant']);
  checks.push({
    name: 'authorization',
    status: rbac.decision.allowed ? 'passed' : 'failed',
    message: described.text,
    ...(rbac.decision.allowed ? {} : { code: 'Forbidden' }),
    ...(described.fix ? { fix: described.fix } : {}),
  });
  return {
    resource: vault.name,
    accepted: rbac.decision.allowed,
    status: rbac.decision.allowed ? 200 : 403,
    ...(rbac.decision.allowed
      ? {}
      : { reason: 'Forbidden', message: described.text, ...(described.fix ? { hint: described.fix } : {}) }),
    checks,
  };
}

export async function explainFor(
  deps: ConsoleDeps,
  tenantRef: string,
  rawToken: string,
  front: ExplainFront,
): Promise<ExplainAnswer> {
  const token = rawToken.trim().replace(/^bearer\s+/i, '');
  if (front.kind === 'easyauth') {
    const tenant = await deps.directory.getTenant(tenantRef);
    const e = await explainToken(deps, token, { resource: front.name, tenant: tenant.id });
    return {
      front,
      token: e.token,
      accepted: e.verdicts.some((v) => v.accepted),
      verdicts: e.verdicts.map((v) => ({ ...v, checks: easyAuthChecks(v) })),
    };
  }
  const decoded = decodeToken(token, deps.tokens.now().getTime());
  if (front.kind === 'gateway') {
    if (!front.name) {
      throw new LanyardError(
        'ERR_VALIDATION',
        '`front.name` must name the gateway (a resource of kind gateway); `front.api` one of its APIs.',
      );
    }
    const { explainGateway } = await import('./explain-gateway.ts');
    const verdicts = await explainGateway(deps, tenantRef, front.name, front.api, token);
    return { front, token: decoded, accepted: verdicts.some((v) => v.accepted), verdicts };
  }
  let verdict: FrontVerdict;
  if (front.kind === 'arm') verdict = await explainArm(deps, token);
  else {
    if (!front.name) {
      throw new LanyardError(
        'ERR_VALIDATION',
        '`front.name` must name the vault (a resource of kind vault).',
      );
    }
    verdict = await explainVault(deps, tenantRef, front.name, token);
  }
  return { front, token: decoded, accepted: verdict.accepted, verdicts: [verdict] };
}
