/**
 * @module console/web/activity-data
 * What the Activity view makes of audit events: which are issuances and which refusals, the per-minute counts
 * the chart draws (and the bars' geometry), the filters applied in the page, and where an event links to (a
 * refusal to the explainer with its context, a workflow run to its record, a gateway request to its trace).
 * Pure functions: node:test covers them.
 */
import type { AuditEvent } from './models.ts';
import { hashFor } from './routes.ts';

/** A token was issued: the issuer's `token.issue` (managed-identity tokens included: they are issued by it). */
export function isIssuance(e: Pick<AuditEvent, 'action' | 'outcome'>): boolean {
  return e.action === 'token.issue' && e.outcome === 'success';
}

/** Something was refused or failed: every `failure` of every plane. */
export function isRefusal(e: Pick<AuditEvent, 'outcome'>): boolean {
  return e.outcome === 'failure';
}

export interface MinuteBucket {
  /** Start of the minute, epoch ms. */
  start: number;
  issued: number;
  refused: number;
}

const MINUTE = 60_000;

/**
 * Counts per minute over the `minutes` minutes up to `now` (the last bucket is the current minute, the first
 * `minutes - 1` before it). Events outside the window, or with an unreadable time, are not counted.
 */
export function perMinute(
  events: readonly Pick<AuditEvent, 'at' | 'action' | 'outcome'>[],
  now: number,
  minutes = 30,
): MinuteBucket[] {
  const last = Math.floor(now / MINUTE) * MINUTE;
  const first = last - (minutes - 1) * MINUTE;
  const buckets: MinuteBucket[] = [];
  for (let i = 0; i < minutes; i++) buckets.push({ start: first + i * MINUTE, issued: 0, refused: 0 });
  for (const e of events) {
    const t = Date.parse(e.at);
    if (!Number.isFinite(t) || t < first || t >= last + MINUTE) continue;
    const b = buckets[Math.floor((t - first) / MINUTE)]!;
    if (isIssuance(e)) b.issued++;
    if (isRefusal(e)) b.refused++;
  }
  return buckets;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  kind: 'issued' | 'refused';
  count: number;
  start: number;
}

/**
 * Two bars per minute (issued, refused) side by side in a `width` × `height` box, scaled to the largest
 * count (at least 1, so an empty chart has no bars rather than dividing by zero). Bars of zero are left out.
 */
export function chartBars(
  buckets: readonly MinuteBucket[],
  width: number,
  height: number,
): { bars: Bar[]; max: number } {
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.issued, b.refused)));
  const slot = buckets.length === 0 ? 0 : width / buckets.length;
  const barWidth = Math.max(1, slot / 2 - 1);
  const bars: Bar[] = [];
  buckets.forEach((b, i) => {
    for (const kind of ['issued', 'refused'] as const) {
      const count = b[kind];
      if (count === 0) continue;
      const h = Math.max(1, Math.round((count / max) * height));
      bars.push({
        x: Math.round((i * slot + (kind === 'refused' ? slot / 2 : 0)) * 10) / 10,
        y: height - h,
        width: Math.round(barWidth * 10) / 10,
        height: h,
        kind,
        count,
        start: b.start,
      });
    }
  });
  return { bars, max };
}

/** The filters the page applies (the stream applies plane, outcome and tenant itself). */
export interface LocalFilter {
  /** Part of the actor (client id, principal, workload …). */
  principal: string;
  /** Part of the reason code. */
  reason: string;
  /** Part of the action name. */
  action: string;
}

/**
 * Whether an event passes the page's filters; `nameOf` gives the name the page shows for an id (a client id
 * shown as `identity:orders-mi`), so a principal is found by either.
 */
export function matchesLocal(
  e: AuditEvent,
  f: LocalFilter,
  nameOf: (id: string | undefined) => string | undefined = () => undefined,
): boolean {
  const has = (value: string | undefined, part: string) =>
    part.trim() === '' || (value ?? '').toLowerCase().includes(part.trim().toLowerCase());
  return (
    (has(e.actor, f.principal) || has(nameOf(e.actor), f.principal)) &&
    has(e.reason, f.reason) &&
    has(e.action, f.action)
  );
}

/**
 * Ids the audit trail names (client ids, app ids, principal ids, identifier URIs), each with the name the
 * directory gives it: `identity:orders-mi`, `resource:func1` (its system-assigned identity), `app:orders`.
 */
export function idNames(
  identities: readonly {
    kind: 'system' | 'user';
    name: string;
    ownerResource?: string;
    clientId: string;
    principalId: string;
  }[],
  apps: readonly { name: string; appId: string; servicePrincipalId: string; identifierUris: string[] }[],
): Map<string, string> {
  const names = new Map<string, string>();
  for (const a of apps) {
    const name = `app:${a.name}`;
    for (const id of [a.appId, a.servicePrincipalId, ...a.identifierUris]) names.set(id.toLowerCase(), name);
  }
  for (const i of identities) {
    const name = i.kind === 'system' ? `resource:${i.ownerResource ?? i.name}` : `identity:${i.name}`;
    names.set(i.clientId.toLowerCase(), name);
    names.set(i.principalId.toLowerCase(), name);
  }
  return names;
}

/** Keeps the newest `limit` events, newest first, without duplicates (a reconnecting stream resends some). */
export function mergeEvents(
  current: readonly AuditEvent[],
  incoming: readonly AuditEvent[],
  limit = 1000,
): AuditEvent[] {
  const seen = new Set(current.map((e) => e.id));
  const added = incoming.filter((e) => {
    if (seen.has(e.id)) return false;
    seen.add(e.id);
    return true;
  });
  if (added.length === 0) return current as AuditEvent[];
  // Ids are time-ordered (UUIDv7): sorting by id is sorting by when each was recorded.
  return [...added, ...current].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
}

/** A string field of `details`, if it has one. */
function detail(e: AuditEvent, name: string): string | undefined {
  const v = e.details?.[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `workflow:<name>` → `<name>`; other targets as they are. */
function afterPrefix(value: string | undefined, prefix: string): string | undefined {
  return value?.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

export interface EventLink {
  href: string;
  label: string;
}

/**
 * Where an event leads: a refused token request to "may X call Y?" in the Graph view (the issuer refused it: no
 * token exists to explain), any other refusal to the explainer with its front, reason and event named (never a
 * token: audit events hold none), a workflow run to its record, a traced gateway request to its trace. `nameOf`
 * turns the ids events carry into the names the admin API takes (`app:orders`).
 */
export function linksOf(
  e: AuditEvent,
  tenant: string | undefined,
  nameOf: (id: string | undefined) => string | undefined = () => undefined,
): EventLink[] {
  const links: EventLink[] = [];
  const workflow = afterPrefix(e.target, 'workflow:');
  const run = detail(e, 'run');
  if (e.action === 'workflow.run' && workflow && run) {
    links.push({ href: hashFor('workflows', [], { workflow, run }), label: 'Run record' });
  }
  const traceId = detail(e, 'traceId') ?? detail(e, 'trace');
  const gateway = detail(e, 'gateway') ?? (e.plane === 'gateway' ? e.target : undefined);
  if (traceId && gateway) {
    links.push({ href: hashFor('activity', ['trace'], { gateway, trace: traceId }), label: 'Trace' });
  }
  if (!isRefusal(e) || e.action === 'workflow.run') return links;
  if (e.plane === 'issuer') {
    links.push({
      href: hashFor('graph', [], { from: nameOf(e.actor) ?? e.actor, to: nameOf(e.target) ?? e.target }),
      label: 'May it call?',
    });
    return links;
  }
  links.push({
    href: hashFor('explain', [], {
      event: e.id,
      plane: e.plane,
      action: e.action,
      front: detail(e, 'resource') ?? e.target,
      reason: e.reason,
      actor: e.actor,
      at: e.at,
      tenant,
    }),
    label: 'Explain',
  });
  return links;
}
