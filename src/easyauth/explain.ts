/**
 * @module easyauth/explain
 * `lanyard explain <token>`: what a token says and, for each Easy Auth front (or the one named), whether it
 * would let the token in and, if not, why — the same policy and validator the front runs, so the answer is
 * the one a request would get. The token is decoded without trusting it (the header and claims of an
 * unsigned or foreign token are shown too: that is often the answer); validation then checks the signature.
 */
import type { Tenant } from '../directory/types.ts';
import { parseStrictObject } from '../encoding/strict-json.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { TokenValidator } from '../validator/validator.ts';
import type { EasyAuthDeps } from './deps.ts';
import { buildEasyAuthPolicy } from './policy.ts';
import { refusalFromFailure } from './refusal.ts';
import { readRunningFronts } from './running-fronts.ts';
import { listEasyAuthConfigs, type StoredEasyAuth } from './store.ts';

export interface DecodedToken {
  /** False when the token is not three base64url JSON parts (then `error` says what is wrong). */
  readable: boolean;
  error?: string | undefined;
  header?: Record<string, unknown> | undefined;
  claims?: Record<string, unknown> | undefined;
  /** exp / nbf / iat as ISO dates, and whether the token has expired now. */
  times?: { issuedAt?: string; notBefore?: string; expiresAt?: string; expired?: boolean } | undefined;
}

export interface ExplainVerdict {
  resource: string;
  tenant: string;
  /**
   * Where accepted requests go: the running front's upstream when a Lanyard serves this data folder (the demo
   * may have moved the app to a free port), else the stored config's.
   */
  upstream: string;
  /** Where the running front listens; absent when none runs. */
  front?: string | undefined;
  openIdIssuer: string;
  accepted: boolean;
  /** What the front would answer: 200 (forwarded), 401, 403, 404. */
  status: number;
  reason?: string | undefined;
  message?: string | undefined;
  expected?: unknown;
  actual?: unknown;
  hint?: string | undefined;
  /** Things worth knowing about this front even when the token passes (anonymous access, Functions keys). */
  notes: string[];
}

export interface Explanation {
  token: DecodedToken;
  verdicts: ExplainVerdict[];
}

const isoOf = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000).toISOString() : undefined;

/** Decodes header and claims without verifying anything. */
export function decodeToken(token: string, now = Date.now()): DecodedToken {
  if (token.length > 64 * 1024)
    return { readable: false, error: `the token is ${token.length} characters long` };
  const parts = token.split('.');
  if (parts.length !== 3) {
    return {
      readable: false,
      error: `the token has ${parts.length} parts; a signed JWT has 3${parts.length === 5 ? ' (this is an encrypted JWE)' : ''}`,
    };
  }
  try {
    const header = parseStrictObject(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    const claims = parseStrictObject(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    const times = {
      ...(isoOf(claims.iat) ? { issuedAt: isoOf(claims.iat)! } : {}),
      ...(isoOf(claims.nbf) ? { notBefore: isoOf(claims.nbf)! } : {}),
      ...(isoOf(exp) ? { expiresAt: isoOf(exp)!, expired: exp! * 1000 <= now } : {}),
    };
    return { readable: true, header, claims, times };
  } catch (err) {
    return {
      readable: false,
      error: `the header or claims are not a JSON object (${(err as Error).message})`,
    };
  }
}

function notesFor(stored: StoredEasyAuth): string[] {
  const c = stored.config;
  const notes: string[] = [];
  if (!c.platform.enabled)
    notes.push('platform.enabled is false: every request passes through unauthenticated.');
  const gv = c.globalValidation;
  if (!gv.requireAuthentication || gv.unauthenticatedClientAction === 'AllowAnonymous') {
    notes.push(
      'Unauthenticated requests are forwarded without principal headers (AllowAnonymous / not required).',
    );
  } else if (gv.unauthenticatedClientAction === 'RedirectToLoginPage') {
    notes.push('RedirectToLoginPage: bearer callers without a valid token get 401.');
  }
  if (gv.excludedPaths.length > 0) notes.push(`Excluded (anonymous) paths: ${gv.excludedPaths.join(', ')}.`);
  const keyed = c.functions?.routes.filter((r) => r.authLevel !== 'anonymous') ?? [];
  if (keyed.length > 0) {
    notes.push(
      `Functions keys are required on ${keyed.map((r) => `${r.path} (${r.authLevel})`).join(', ')}: a token alone does not satisfy them.`,
    );
  }
  return notes;
}

export interface ExplainOptions {
  /** Only this resource (name); otherwise every resource with an Easy Auth config. */
  resource?: string | undefined;
  /** Only this tenant (name, id or domain). */
  tenant?: string | undefined;
}

export async function explainToken(
  runtime: EasyAuthDeps,
  rawToken: string,
  options: ExplainOptions = {},
): Promise<Explanation> {
  const token = rawToken.trim().replace(/^bearer\s+/i, '');
  const now = runtime.tokens.now().getTime();
  const decoded = decodeToken(token, now);
  let tenants: Tenant[];
  if (options.tenant !== undefined) tenants = [await runtime.directory.getTenant(options.tenant)];
  else tenants = await runtime.directory.listTenants();
  let configs: StoredEasyAuth[] = [];
  for (const t of tenants) configs.push(...(await listEasyAuthConfigs(runtime.store.db, { tenantId: t.id })));
  if (options.resource !== undefined) {
    const wanted = options.resource.toLowerCase();
    configs = configs.filter((c) => c.resourceName.toLowerCase() === wanted);
    if (configs.length === 0) {
      throw new LanyardError('ERR_NOT_FOUND', `Resource "${options.resource}" has no Easy Auth config.`, {
        hint: 'List the fronts with `lanyard easyauth show --resource <name>`, or omit --app to check every one.',
      });
    }
  }
  // No cache: every run checks the signature afresh.
  const validator = new TokenValidator({ cacheSize: 0, now: () => now });
  const verdicts: ExplainVerdict[] = [];
  const running = readRunningFronts(runtime.dataDir);
  for (const stored of configs) {
    const tenant = tenants.find((t) => t.id === stored.tenantId)!;
    const ctx = await buildEasyAuthPolicy(runtime, stored.tenantId, stored.config);
    // server.json names a front by its resource only: when two tenants have one of that name, which front is
    // whose is unknown, and the stored upstream is shown.
    const named = running.filter((f) => f.resource === stored.resourceName);
    const front =
      named.length === 1 && configs.filter((c) => c.resourceName === stored.resourceName).length === 1
        ? named[0]
        : undefined;
    const base = {
      resource: stored.resourceName,
      tenant: tenant.name,
      upstream: front?.upstream ?? stored.config.upstream,
      ...(front ? { front: front.url } : {}),
      openIdIssuer: ctx.openIdIssuer,
      notes: notesFor(stored),
    };
    if (!stored.config.identityProviders.azureActiveDirectory.enabled) {
      verdicts.push({
        ...base,
        accepted: false,
        status: 401,
        reason: 'token_missing',
        message: 'The Entra provider is disabled (identityProviders.azureActiveDirectory.enabled: false).',
      });
      continue;
    }
    const result = await validator.validate(token === '' ? undefined : token, ctx.policy);
    if (result.ok) {
      verdicts.push({ ...base, accepted: true, status: 200 });
      continue;
    }
    const refusal = refusalFromFailure(result, ctx, stored.config);
    const action = stored.config.globalValidation.unauthenticatedClientAction;
    const status =
      refusal.category === 'authorization'
        ? 403
        : action === 'Return403'
          ? 403
          : action === 'Return404'
            ? 404
            : 401;
    verdicts.push({
      ...base,
      accepted: false,
      status,
      reason: refusal.reason,
      message: refusal.message,
      ...(refusal.expected === undefined ? {} : { expected: refusal.expected }),
      ...(refusal.actual === undefined ? {} : { actual: refusal.actual }),
      ...(refusal.hint ? { hint: refusal.hint } : {}),
    });
  }
  return { token: decoded, verdicts };
}

/** The explanation as a person reads it. */
export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  const t = e.token;
  if (!t.readable) {
    out.push(`Token: not a readable JWT: ${t.error}.`);
  } else {
    out.push('Token (decoded, not trusted):');
    const h = t.header!;
    out.push(`  header   alg ${String(h.alg)}, kid ${String(h.kid ?? '-')}, typ ${String(h.typ ?? '-')}`);
    const c = t.claims!;
    for (const name of [
      'iss',
      'aud',
      'appid',
      'azp',
      'oid',
      'sub',
      'tid',
      'roles',
      'scp',
      'ver',
      'xms_mirid',
    ]) {
      if (c[name] !== undefined)
        out.push(
          `  ${name.padEnd(8)} ${Array.isArray(c[name]) ? (c[name] as unknown[]).join(', ') : String(c[name])}`,
        );
    }
    const times = t.times ?? {};
    if (times.issuedAt) out.push(`  issued   ${times.issuedAt}`);
    if (times.expiresAt) out.push(`  expires  ${times.expiresAt}${times.expired ? '  (EXPIRED)' : ''}`);
  }
  if (e.verdicts.length === 0) {
    out.push(
      '',
      'No resource has an Easy Auth config: add an easyAuth block under a resource, or `lanyard easyauth set`.',
    );
  }
  for (const v of e.verdicts) {
    out.push('');
    if (v.accepted) {
      out.push(
        `${v.resource} (${v.tenant}): ACCEPTED → forwarded to ${v.upstream}${v.front ? ` (front ${v.front})` : ''}`,
      );
    } else {
      out.push(`${v.resource} (${v.tenant}): REFUSED ${v.status} ${v.reason}`);
      out.push(`  ${v.message}`);
      if (v.expected !== undefined) out.push(`  expected: ${format(v.expected)}`);
      if (v.actual !== undefined) out.push(`  actual:   ${format(v.actual)}`);
      if (v.hint) out.push(`  hint: ${v.hint}`);
    }
    for (const note of v.notes) out.push(`  note: ${note}`);
  }
  return out.join('\n');
}

function format(value: unknown): string {
  return Array.isArray(value) ? value.map((x) => String(x)).join(', ') : String(value);
}
