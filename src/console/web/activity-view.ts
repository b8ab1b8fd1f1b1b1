/**
 * @module console/web/activity-view
 * `#/activity`: the audit trail live (`/console/api/events`, server-sent events: the last events first, then
 * each one as it is recorded), filtered by plane, outcome and tenant (by the stream) and by principal, action
 * and reason (in the page); a chart of tokens issued and refusals per minute (plain SVG); each refusal linked
 * to the explainer with its context, each workflow run to its record, each traced gateway request to its
 * trace. `#/activity/trace` reads a gateway trace (`GET …/gateways/:gateway/traces/:id`) step by step.
 */

import {
  chartBars,
  idNames,
  isRefusal,
  type LocalFilter,
  linksOf,
  type MinuteBucket,
  matchesLocal,
  mergeEvents,
  perMinute,
} from './activity-data.ts';
import { get, path } from './api.ts';
import {
  type Column,
  DataTable,
  ErrorNote,
  Facts,
  FilterBox,
  JsonBlock,
  Loading,
  SelectField,
  Status,
  SubNav,
  TextField,
} from './components.ts';
import { formatClock, formatTime, plural } from './format.ts';
import { FormButtons, useSubmit } from './forms.ts';
import { navigate, useLoad, useStore } from './hooks.ts';
import type { Application, AuditEvent, GatewaySummary, ManagedIdentity, RequestTrace } from './models.ts';
import { hashFor, type Route } from './routes.ts';
import { checkSession } from './session.ts';
import { tenants } from './tenants.ts';
import { type Html, html, useEffect, useMemo, useRef, useState } from './vendor.ts';

const PLANES = [
  'issuer',
  'identity',
  'easyauth',
  'gateway',
  'management',
  'vault',
  'flows',
  'console',
  'admin',
];
const WINDOW_MINUTES = 30;
const KEEP = 1000;

type StreamState = 'connecting' | 'live' | 'reconnecting' | 'paused' | 'ended';

interface ServerFilter {
  plane: string;
  outcome: string;
  /** A tenant name, or '' for every tenant. */
  tenant: string;
}

/** The stream for `filter`; events arrive in batches (one render per animation frame, not per event). */
function useAuditStream(filter: ServerFilter, paused: boolean) {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [ended, setEnded] = useState<string | undefined>(undefined);
  useEffect(() => {
    setEvents([]);
    setEnded(undefined);
    if (paused) {
      setState('paused');
      return;
    }
    const q = new URLSearchParams({ limit: '500' });
    if (filter.plane) q.set('plane', filter.plane);
    if (filter.outcome) q.set('outcome', filter.outcome);
    if (filter.tenant) q.set('tenant', filter.tenant);
    const source = new EventSource(`/console/api/events?${q}`, { withCredentials: false });
    let pending: AuditEvent[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setEvents((current) => mergeEvents(current, batch, KEEP));
    };
    setState('connecting');
    source.onopen = () => setState('live');
    source.addEventListener('audit', (m) => {
      try {
        pending.push(JSON.parse((m as MessageEvent<string>).data) as AuditEvent);
      } catch {
        return;
      }
      if (frame === 0) frame = requestAnimationFrame(flush);
    });
    source.addEventListener('end', (m) => {
      source.close();
      setState('ended');
      let reason = 'the server ended the stream';
      try {
        reason = (JSON.parse((m as MessageEvent<string>).data) as { reason: string }).reason;
      } catch {
        // keep the general wording
      }
      setEnded(reason);
      // A stream ends with the session: ask the server whether there is still one (else: the sign-in form).
      if (reason === 'session') void checkSession();
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setState('ended');
        void checkSession();
      } else setState('reconnecting');
    };
    return () => {
      source.close();
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, [filter.plane, filter.outcome, filter.tenant, paused]);
  return { events, state, ended };
}

function Chart({ buckets }: { buckets: MinuteBucket[] }): Html {
  const width = 1200;
  const height = 120;
  const { bars, max } = chartBars(buckets, width, height);
  const issued = buckets.reduce((n, b) => n + b.issued, 0);
  const refused = buckets.reduce((n, b) => n + b.refused, 0);
  const ticks = buckets.filter((_, i) => i % 5 === 0 || i === buckets.length - 1);
  const slot = width / Math.max(1, buckets.length);
  const summary = `Last ${buckets.length} minutes: ${plural(issued, 'token')} issued, ${plural(refused, 'refusal')}; at most ${max} a minute.`;
  return html`<figure class="chart card">
    <figcaption id="chart-caption">Tokens issued and refusals per minute</figcaption>
    <svg viewBox=${`0 -6 ${width} ${height + 26}`} role="img" aria-labelledby="chart-caption chart-summary" class="chart-svg">
      <line x1="0" y1=${height} x2=${width} y2=${height} class="axis" />
      ${bars.map(
        (b) => html`<rect x=${b.x} y=${b.y} width=${b.width} height=${b.height} class=${`bar bar-${b.kind}`}>
          <title>${formatClock(new Date(b.start).toISOString())}: ${b.count} ${b.kind}</title>
        </rect>`,
      )}
      ${ticks.map(
        (b) => html`<text x=${buckets.indexOf(b) * slot + (b === buckets.at(-1) ? slot : 0)} y=${height + 16}
          class=${b === buckets.at(-1) ? 'tick tick-end' : 'tick'}>${formatClock(new Date(b.start).toISOString()).slice(0, 5)}</text>`,
      )}
    </svg>
    <p id="chart-summary" class="chart-summary">
      <span class="key key-issued" aria-hidden="true"></span> issued
      <span class="key key-refused" aria-hidden="true"></span> refused — ${summary}
    </p>
    <details>
      <summary>The counts as a table</summary>
      <table class="compact">
        <caption class="visually-hidden">Per minute</caption>
        <thead><tr><th scope="col">Minute</th><th scope="col" class="num">Issued</th><th scope="col" class="num">Refused</th></tr></thead>
        <tbody>
          ${buckets
            .filter((b) => b.issued + b.refused > 0)
            .map(
              (b) => html`<tr><th scope="row">${formatClock(new Date(b.start).toISOString()).slice(0, 5)}</th>
                <td class="num">${b.issued}</td><td class="num">${b.refused}</td></tr>`,
            )}
        </tbody>
      </table>
    </details>
  </figure>`;
}

/** Names for the ids events carry, from the current tenant's identities and apps (empty until read). */
function useIdNames(tenant: string | undefined): (id: string | undefined) => string | undefined {
  const dir = useLoad(
    async (signal) => {
      if (tenant === undefined) return new Map<string, string>();
      const base = path`/admin/tenants/${tenant}`;
      const [identities, apps] = await Promise.all([
        get<ManagedIdentity[]>(`${base}/identities`, { signal, query: { includeSystem: true } }),
        get<Application[]>(`${base}/apps`, { signal, query: { firstParty: true } }),
      ]);
      return idNames(identities, apps);
    },
    [tenant],
  );
  const names = dir.data;
  return useMemo(
    () => (id: string | undefined) => (id === undefined ? undefined : names?.get(id.toLowerCase())),
    [names],
  );
}

/** An id with its name when the directory knows it (the id stays in the tooltip and is still filterable). */
function Named({
  id,
  nameOf,
}: {
  id: string | undefined;
  nameOf: (id: string | undefined) => string | undefined;
}) {
  if (id === undefined) return '';
  const name = nameOf(id);
  return name ? html`<span title=${id}>${name}</span>` : html`<span class="id">${id}</span>`;
}

function EventsPart({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const nameOf = useIdNames(t.current);
  const [server, setServer] = useState<ServerFilter>({
    plane: route.params.plane ?? '',
    outcome: route.params.outcome ?? '',
    tenant: route.params.all === 'true' ? '' : (t.current ?? ''),
  });
  const [local, setLocal] = useState<LocalFilter>({ principal: '', reason: '', action: '' });
  const [paused, setPaused] = useState(false);
  const [now, setNow] = useState(Date.now());
  const { events, state, ended } = useAuditStream(server, paused);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  const shown = useMemo(() => events.filter((e) => matchesLocal(e, local, nameOf)), [events, local, nameOf]);
  const buckets = useMemo(() => perMinute(shown, now, WINDOW_MINUTES), [shown, now]);
  const tenantName = (id: string | undefined) => t.list.find((x) => x.id === id)?.name;
  const columns: Column<AuditEvent>[] = [
    {
      header: 'Time',
      cell: (e) => html`<time datetime=${e.at} title=${formatTime(e.at)}>${formatClock(e.at)}</time>`,
    },
    { header: 'Plane', cell: (e) => e.plane },
    { header: 'Action', cell: (e) => html`<code>${e.action}</code>` },
    { header: 'Outcome', cell: (e) => html`<${Status} value=${e.outcome} />` },
    { header: 'Principal', cell: (e) => html`<${Named} id=${e.actor} nameOf=${nameOf} />` },
    { header: 'Target', cell: (e) => html`<${Named} id=${e.target} nameOf=${nameOf} />` },
    { header: 'Reason', cell: (e) => (e.reason ? html`<code>${e.reason}</code>` : '') },
    {
      header: 'More',
      cell: (
        e,
      ) => html`${linksOf(e, tenantName(e.tenantId), nameOf).map((l) => html`<a class="row-link" href=${l.href}>${l.label}</a> `)}
        ${e.details && Object.keys(e.details).length > 0 ? html`<${JsonBlock} summary="details" value=${e.details} />` : null}`,
    },
  ];
  const stateText: Record<StreamState, string> = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Connection lost; reconnecting…',
    paused: 'Paused',
    ended: `Stream ended${ended ? ` (${ended})` : ''}`,
  };
  return html`<div class="toolbar filters" role="group" aria-label="Filters">
      <${SelectField} label="Plane" value=${server.plane} onChange=${(v: string) => setServer({ ...server, plane: v })}
        options=${[{ value: '', label: 'every plane' }, ...PLANES]} />
      <${SelectField} label="Outcome" value=${server.outcome} onChange=${(v: string) => setServer({ ...server, outcome: v })}
        options=${[{ value: '', label: 'any' }, { value: 'success', label: 'success' }, { value: 'failure', label: 'refused or failed' }]} />
      <${SelectField} label="Tenant" value=${server.tenant} onChange=${(v: string) => setServer({ ...server, tenant: v })}
        options=${[{ value: '', label: 'every tenant' }, ...t.list.map((x) => ({ value: x.name, label: x.name }))]} />
      <${FilterBox} label="Principal" value=${local.principal} onInput=${(v: string) => setLocal({ ...local, principal: v })} />
      <${FilterBox} label="Action" value=${local.action} onInput=${(v: string) => setLocal({ ...local, action: v })} />
      <${FilterBox} label="Reason" value=${local.reason} onInput=${(v: string) => setLocal({ ...local, reason: v })} />
      <button type="button" onClick=${() => setPaused(!paused)} aria-pressed=${paused ? 'true' : 'false'}>
        ${paused ? 'Resume' : 'Pause'}
      </button>
    </div>
    <p class=${`stream-state stream-${state}`} role="status" aria-live="polite">
      ${stateText[state]} · ${shown.length} of ${events.length} events shown
      ${shown.some(isRefusal) ? ` · ${shown.filter(isRefusal).length} refused` : ''}
    </p>
    <${Chart} buckets=${buckets} />
    ${
      state === 'connecting' && events.length === 0
        ? html`<${Loading} what="events" />`
        : html`<${DataTable} caption="Audit events, newest first" columns=${columns} rows=${shown}
            rowKey=${(e: AuditEvent) => e.id} empty="No event matches yet." />`
    }`;
}

function TracePart({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const tenant = t.current;
  const [gateway, setGateway] = useState(route.params.gateway ?? '');
  const [traceId, setTraceId] = useState(route.params.trace ?? '');
  const gateways = useLoad(
    (signal) =>
      tenant === undefined
        ? Promise.resolve([] as GatewaySummary[])
        : get<GatewaySummary[]>(path`/admin/tenants/${tenant}/gateways`, { signal }),
    [tenant],
  );
  const wanted =
    route.params.gateway && route.params.trace
      ? { g: route.params.gateway, id: route.params.trace }
      : undefined;
  const trace = useLoad(
    (signal) =>
      wanted === undefined || tenant === undefined
        ? Promise.resolve(undefined)
        : get<RequestTrace>(path`/admin/tenants/${tenant}/gateways/${wanted.g}/traces/${wanted.id}`, {
            signal,
          }),
    [tenant, wanted?.g, wanted?.id],
  );
  const submit = useSubmit(async () => {
    navigate(hashFor('activity', ['trace'], { gateway, trace: traceId.trim() }));
  });
  const first = useRef(true);
  useEffect(() => {
    if (first.current && !gateway && gateways.data?.[0]) setGateway(gateways.data[0].name);
    first.current = false;
  }, [gateways.data]);
  const r = trace.data;
  return html`<form class="card form-card" onSubmit=${submit.onSubmit} aria-label="Read a gateway trace">
      <p class="field-help">
        A gateway keeps the traces of requests that asked for one (<code>Ocp-Apim-Trace: true</code>) or that it traced
        while <code>lanyard gateway trace --on</code>: the last 200, by the id answered in <code>Apim-Trace-Id</code>.
      </p>
      <${SelectField} label="Gateway" value=${gateway} onChange=${setGateway}
        options=${(gateways.data ?? []).map((g) => g.name)} />
      <${TextField} label="Trace id" value=${traceId} onInput=${setTraceId} required />
      <${FormButtons} submit=${submit} label="Read trace" />
    </form>
    <${ErrorNote} error=${gateways.error} />
    <${ErrorNote} error=${trace.error} title="The trace could not be read." />
    ${trace.loading && wanted ? html`<${Loading} what="the trace" />` : null}
    ${
      r
        ? html`<section class="card detail" aria-labelledby="trace-h">
            <h2 id="trace-h">${r.method} ${r.path} <span class="muted">→ ${r.status ?? 'no answer'}</span></h2>
            <${Facts}
              items=${[
                ['Gateway', r.gateway],
                ['API', r.api],
                ['Operation', r.operation],
                ['At', formatTime(r.at)],
                [
                  'Last error',
                  r.lastError ? `${r.lastError.source}: ${r.lastError.reason} — ${r.lastError.message}` : '',
                ],
              ]}
            />
            <h3>Steps</h3>
            <ol class="steps">${r.steps.map((s) => html`<li><code>${s}</code></li>`)}</ol>
            <h3>What each policy recorded</h3>
            <ol class="trace-entries">
              ${r.entries.map(
                (e) => html`<li>
                  <span class="muted">${e.elapsedMs.toFixed(1)} ms · ${e.section} · ${e.source}</span>
                  <p>${e.message}</p>
                  ${e.data ? html`<${JsonBlock} summary="data" value=${e.data} />` : null}
                </li>`,
              )}
            </ol>
          </section>`
        : null
    }`;
}

export function View({ route }: { route: Route }): Html {
  const part = route.rest[0] === 'trace' ? 'trace' : 'events';
  return html`<h1>Activity</h1>
    <${SubNav} label="Activity" current=${part} items=${[
      ['events', hashFor('activity'), 'Audit events'],
      ['trace', hashFor('activity', ['trace']), 'Gateway traces'],
    ]} />
    ${part === 'trace' ? html`<${TracePart} route=${route} />` : html`<${EventsPart} route=${route} />`}`;
}
