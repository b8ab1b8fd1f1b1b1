/**
 * @module management/arm/request
 * One Resource Manager call as its handlers see it — the caller, the view it is answered from, its
 * `api-version` — and what every answer carries: ARM's headers (`x-ms-request-id`, the caller's
 * `x-ms-correlation-request-id` echoed, `x-ms-routing-request-id`, no-cache), paging with an absolute
 * `nextLink` that keeps `api-version` and the filters, and the RBAC check whose refusal is ARM's
 * `AuthorizationFailed` with the role and scope that would grant it.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../http/http.ts';
import type { Decision } from '../rbac/evaluator.ts';
import type { Scope } from '../rbac/scope.ts';
import type { ManagementView, TenantView } from '../view.ts';
import type { Caller } from './auth.ts';
import { ArmError, subscriptionNotFound } from './errors.ts';

/** Rows a list answers with before it pages (ARM's own page sizes vary; clients follow `nextLink`). */
export const PAGE_SIZE = 100;

export interface ArmRequest {
  readonly http: RequestContext;
  readonly caller: Caller;
  readonly view: ManagementView;
  readonly apiVersion: string;
  readonly requestId: string;
  /** `https://<host>` the caller used: nextLink and Location point back at it. */
  readonly origin: string;
}

export function armHeaders(http: RequestContext, requestId: string): Record<string, string> {
  const now = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
  return {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': String(http.req.headers['x-ms-correlation-request-id'] ?? requestId),
    'x-ms-routing-request-id': `LOCAL:${now}:${requestId}`,
    'x-ms-ratelimit-remaining-subscription-reads': '11999',
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
  };
}

export function originOf(http: RequestContext): string {
  const host = String(http.req.headers.host ?? 'localhost');
  return `https://${/^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? host : 'localhost'}`;
}

export function newRequestId(): string {
  return randomUUID();
}

/** A list's page: `$skiptoken` is the offset; `nextLink` repeats the query with the next offset. */
export function page<T>(r: ArmRequest, items: readonly T[]): { value: T[]; nextLink?: string } {
  const q = r.http.query;
  const top = Number(q.get('$top') ?? '');
  const size = Number.isInteger(top) && top > 0 ? Math.min(top, PAGE_SIZE) : PAGE_SIZE;
  const skip = Number(q.get('$skiptoken') ?? '0');
  const from = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(from, from + size);
  // `$top` asks for at most that many in all: no next page after it.
  if (from + size >= items.length || q.has('$top')) return { value };
  const next = new URLSearchParams(q);
  next.set('$skiptoken', String(from + size));
  return { value, nextLink: `${r.origin}${r.http.path}?${next.toString()}` };
}

/** The subscription, if it exists and belongs to the caller's tenant; else ARM's 404 or tenant refusal. */
export function subscriptionOf(r: ArmRequest, id: string): TenantView {
  const t = r.view.bySubscription.get(id.toLowerCase());
  if (!t) throw subscriptionNotFound(id);
  if (t.tenant.id !== r.caller.tenantId) {
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(r.caller.claims.iss ?? '')}'. It must match the tenant 'https://sts.windows.net/${t.tenant.id}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${t.tenant.id}' to get the token.`,
      { hint: `Subscription ${id} is in tenant ${t.tenant.name}; get the token from that tenant.` },
    );
  }
  return t;
}

/** Whether the caller may do `action` at `scope`. */
export function allowed(r: ArmRequest, action: string, scope: Scope | string, dataAction = false): boolean {
  return r.view.index.check([r.caller.objectId], action, scope, { dataAction }).allowed;
}

function refusal(r: ArmRequest, action: string, decision: Extract<Decision, { allowed: false }>): ArmError {
  const who = r.caller.appId || r.caller.objectId;
  const role = decision.wouldGrant[0]?.roleName;
  return new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${who}' with object id '${r.caller.objectId}' does not have authorization to perform action '${action}' over scope '${decision.scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    {
      hint: role
        ? `${role} at ${decision.scope} (or above it) would allow it: lanyard rbac assign --principal ${r.caller.objectId} --role "${role}" --scope ${decision.scope}`
        : `No role assignable at ${decision.scope} allows ${action}.`,
    },
  );
}

/** Throws ARM's AuthorizationFailed (naming the role that would grant it) unless the caller may. */
export function authorize(r: ArmRequest, action: string, scope: Scope | string, dataAction = false): void {
  const d = r.view.index.check([r.caller.objectId], action, scope, { dataAction });
  if (!d.allowed) throw refusal(r, action, d);
}

/**
 * For a list under a subscription: a caller holding no role anywhere in it is refused as ARM refuses it (403
 * for `action` at the subscription, naming the role that would grant it); one holding a role somewhere in it
 * gets the list filtered to what it may read.
 */
export function requireAnyAccess(r: ArmRequest, subscriptionId: string, action: string): void {
  if (!holdsRoleIn(r, subscriptionId)) authorize(r, action, `/subscriptions/${subscriptionId.toLowerCase()}`);
}

/** Whether the caller holds any role at the subscription, below it, or above it. */
export function holdsRoleIn(r: ArmRequest, subscriptionId: string): boolean {
  const prefix = `/subscriptions/${subscriptionId.toLowerCase()}`;
  return r.view.index.assignmentsOf([r.caller.objectId]).some((a) => {
    const key = a.scope.toLowerCase();
    return key === '/' || key === prefix || key.startsWith(`${prefix}/`);
  });
}

/** The request's JSON body as an object, or ARM's 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized.',
      {
        hint: 'Send a JSON object.',
      },
    );
  }
  return body as Record<string, unknown>;
}
