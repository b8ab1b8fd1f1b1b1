/**
 * @module console/web/explain-view
 * `#/explain`: paste a token, choose what judges it — an Easy Auth front (or all of them), a vault, Resource
 * Manager, a gateway's APIs — and see every check passed or failed with the fix, as `lanyard explain` prints it
 * (`POST …/explain`). The token lives in this view's memory only: it is sent in the body of that one request
 * to this Lanyard, never put in the address, history, localStorage or sessionStorage, and the field is emptied
 * when the view is left (or the page hidden). A refusal in Activity links here with its context (front,
 * reason, time), never with a token: audit events hold none.
 *
 * "A recent issuance" cannot be replayed — the issuer keeps no token — so picking one asks "may X call Y?"
 * for its client and audience (`POST …/access`): the token the issuer would give now, its claims, and what
 * each front would say of it.
 */

import { AccessResult, ClaimsTable } from './access-result.ts';
import { askAccess, explainToken, fetchAudit, get, path } from './api.ts';
import { ErrorNote, Facts, Loading, SelectField, Status } from './components.ts';
import { formatTime, formatValue } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import { useLoad, useStore } from './hooks.ts';
import type {
  AccessAnswer,
  Application,
  AuditEvent,
  ExplainAnswer,
  ExplainCheck,
  FrontKind,
  FrontVerdict,
  ManagedIdentity,
  Resource,
} from './models.ts';
import type { Route } from './routes.ts';
import { tenants } from './tenants.ts';
import { type Html, html, useEffect, useId, useRef, useState } from './vendor.ts';

/** `easyauth:` (every front), `easyauth:<name>`, `vault:<name>`, `arm:`, `gateway:<name>` (every API). */
function frontFrom(value: string): { kind: FrontKind; name?: string | undefined } {
  const i = value.indexOf(':');
  const kind = (i === -1 ? value : value.slice(0, i)) as FrontKind;
  const name = i === -1 ? '' : value.slice(i + 1);
  return name === '' ? { kind } : { kind, name };
}

/** The front a refusal's context names: a vault, a gateway or an Easy Auth front, by the resource it names. */
function frontForContext(params: Record<string, string>, resources: readonly Resource[]): string {
  const named = resources.find((r) => r.name === params.front);
  if (named?.kind === 'vault') return `vault:${named.name}`;
  if (named?.kind === 'gateway') return `gateway:${named.name}`;
  if (named) return `easyauth:${named.name}`;
  if (params.plane === 'management') return 'arm:';
  return 'easyauth:';
}

function CheckRow({ check }: { check: ExplainCheck }): Html {
  return html`<li class=${`check check-${check.status}`}>
    <${Status} value=${check.status} /> <strong>${check.name}</strong>
    ${check.code ? html` <code>${check.code}</code>` : null}
    ${check.message ? html`<p>${check.message}</p>` : null}
    ${check.expected !== undefined ? html`<p>expected: <code>${formatValue(check.expected)}</code></p>` : null}
    ${check.actual !== undefined ? html`<p>actual: <code>${formatValue(check.actual)}</code></p>` : null}
    ${check.fix ? html`<p class="fix">fix: ${check.fix}</p>` : null}
  </li>`;
}

function VerdictCard({ v }: { v: FrontVerdict }): Html {
  return html`<section class=${`card verdict-card ${v.accepted ? 'accepted' : 'refused'}`} aria-label=${`Verdict of ${v.resource}`}>
    <h3>
      ${v.resource}${v.tenant ? html` <span class="muted">(${v.tenant})</span>` : null}:${' '}
      <${Status} value=${v.accepted ? 'accepted' : 'refused'} /> <span class="muted">answers ${v.status}</span>
    </h3>
    ${v.accepted && v.upstream ? html`<p>Forwarded to <code>${v.upstream}</code>${v.front ? html` (front <code>${v.front}</code>)` : null}.</p>` : null}
    ${!v.accepted ? html`<p>${v.reason ? html`<code>${v.reason}</code> ` : null}${v.message}</p>` : null}
    ${!v.accepted && v.hint && !v.checks.some((c) => c.fix === v.hint) ? html`<p class="fix">hint: ${v.hint}</p>` : null}
    <ol class="checks">${v.checks.map((c) => html`<${CheckRow} check=${c} />`)}</ol>
    ${(v.notes ?? []).length > 0 ? html`<ul class="notes">${v.notes!.map((n) => html`<li>note: ${n}</li>`)}</ul>` : null}
  </section>`;
}

function Decoded({ answer }: { answer: ExplainAnswer }): Html {
  const t = answer.token;
  if (!t.readable) {
    return html`<p class="error-note" role="alert">Not a readable JWT: ${t.error}.</p>`;
  }
  const h = t.header ?? {};
  return html`<section class="card" aria-labelledby="decoded-h">
    <h2 id="decoded-h">The token, decoded (not trusted)</h2>
    <${Facts}
      items=${[
        [
          'Header',
          `alg ${formatValue(h.alg)}, kid ${formatValue(h.kid) || '-'}, typ ${formatValue(h.typ) || '-'}`,
        ],
        ['Issued', formatTime(t.times?.issuedAt)],
        ['Not before', formatTime(t.times?.notBefore)],
        [
          'Expires',
          t.times?.expiresAt
            ? html`${formatTime(t.times.expiresAt)} ${t.times.expired ? html`<${Status} value="expired" />` : null}`
            : '',
        ],
      ]}
    />
    <${ClaimsTable} claims=${t.claims ?? {}} />
  </section>`;
}

/** Recent token issuances of the tenant; picking one asks "may X call Y?" for its client and audience. */
function RecentIssuances({ tenant }: { tenant: string }): Html {
  const recent = useLoad(
    async (signal) => {
      const base = path`/admin/tenants/${tenant}`;
      const [events, identities, apps] = await Promise.all([
        fetchAudit({ tenant, action: 'token.issue', limit: 20 }, signal),
        get<ManagedIdentity[]>(`${base}/identities`, { signal, query: { includeSystem: true } }),
        get<Application[]>(`${base}/apps`, { signal }),
      ]);
      // The issuer's rows name the client by its client id (appId); "may X call Y?" takes app:/identity:/resource:.
      const refOf = new Map<string, string>();
      for (const a of apps) refOf.set(a.appId.toLowerCase(), `app:${a.name}`);
      for (const i of identities) {
        refOf.set(
          i.clientId.toLowerCase(),
          i.kind === 'system' ? `resource:${i.ownerResource ?? i.name}` : `identity:${i.name}`,
        );
      }
      return { events, refOf };
    },
    [tenant],
  );
  const [answer, setAnswer] = useState<AccessAnswer | undefined>(undefined);
  const picked = useRef<AuditEvent | undefined>(undefined);
  const submit = useSubmit(async () => {
    const e = picked.current;
    if (!e?.actor || !e.target) return;
    setAnswer(undefined);
    const principal = recent.data?.refOf.get(e.actor.toLowerCase()) ?? e.actor;
    setAnswer(await askAccess(tenant, { principal, target: e.target }));
  });
  return html`<details class="card">
    <summary>Or pick a recent issuance</summary>
    <p class="field-help">
      Lanyard never keeps a token, so an issuance is explained again: the token its client would get now for the
      same audience, its claims, and what each front would say of it.
    </p>
    <${ErrorNote} error=${recent.error} />
    ${recent.loading && !recent.data ? html`<${Loading} what="recent issuances" />` : null}
    ${
      recent.data
        ? recent.data.events.length === 0
          ? html`<p class="empty">No token issued in this tenant yet.</p>`
          : html`<ul class="plain issuances">
              ${recent.data.events.map(
                (e) => html`<li key=${e.id}>
                  <button type="button" disabled=${submit.busy} onClick=${() => {
                    picked.current = e;
                    void submit.run();
                  }}>
                    ${formatTime(e.at)}: ${recent.data!.refOf.get((e.actor ?? '').toLowerCase()) ?? e.actor} → ${e.target}
                    ${Array.isArray(e.details?.roles) && (e.details.roles as unknown[]).length > 0 ? ` (roles ${(e.details.roles as string[]).join(', ')})` : ''}
                  </button>
                </li>`,
              )}
            </ul>`
        : null
    }
    <${FormError} submit=${submit} />
    ${answer ? html`<${AccessResult} answer=${answer} />` : null}
  </details>`;
}

export function View({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const tenant = t.current;
  const tokenId = useId();
  const [token, setToken] = useState('');
  const [front, setFront] = useState('easyauth:');
  const [answer, setAnswer] = useState<ExplainAnswer | undefined>(undefined);
  const area = useRef<HTMLTextAreaElement>(null);
  const resources = useLoad(
    (signal) =>
      tenant === undefined
        ? Promise.resolve([] as Resource[])
        : get<Resource[]>(path`/admin/tenants/${tenant}/resources`, { signal }),
    [tenant],
  );
  const context = route.params;

  // Forget the token and the answer when the address or tenant changes, when the view goes, and when the page is hidden.
  const forget = () => {
    setToken('');
    setAnswer(undefined);
    if (area.current) area.current.value = '';
  };
  useEffect(() => {
    forget();
  }, [location.hash, tenant]);
  useEffect(() => {
    addEventListener('pagehide', forget);
    return () => {
      removeEventListener('pagehide', forget);
      if (area.current) area.current.value = '';
    };
  }, []);
  useEffect(() => {
    if (resources.data && context.front !== undefined) setFront(frontForContext(context, resources.data));
  }, [resources.data, context.front, context.plane]);

  const submit = useSubmit(async () => {
    setAnswer(undefined);
    setAnswer(await explainToken(tenant!, token, frontFrom(front)));
  });

  const options = [
    { value: 'easyauth:', label: 'Every Easy Auth front of the tenant' },
    ...(resources.data ?? [])
      .filter((r) => r.kind === 'app')
      .map((r) => ({ value: `easyauth:${r.name}`, label: `Easy Auth front of ${r.name}` })),
    ...(resources.data ?? [])
      .filter((r) => r.kind === 'vault')
      .map((r) => ({ value: `vault:${r.name}`, label: `Key Vault ${r.name} (reading a secret)` })),
    { value: 'arm:', label: 'Resource Manager' },
    ...(resources.data ?? [])
      .filter((r) => r.kind === 'gateway')
      .map((r) => ({
        value: `gateway:${r.name}`,
        label: `API gateway ${r.name} (its APIs' inbound policies)`,
      })),
  ];

  return html`<h1>Token explainer</h1>
    <p class="lede">
      Paste an access token and choose what checks it: every check is shown, passed or failed, with the fix —
      the same evaluators as <code>lanyard explain</code>. The token goes only to this Lanyard, in the body of one
      request; it is not stored, not put in the address, and this field is emptied when you leave the view.
    </p>
    ${
      context.event
        ? html`<div class="card context" role="note">
            <h2>Explaining a refusal</h2>
            <${Facts}
              items=${[
                ['When', formatTime(context.at)],
                ['Where', `${context.plane ?? ''} ${context.action ?? ''}`],
                ['Front or target', context.front],
                ['Reason', context.reason ? html`<code>${context.reason}</code>` : ''],
                ['Caller', context.actor],
                ['Event', html`<code>${context.event}</code>`],
              ]}
            />
            <p>Paste the token that caller sent to see which check refused it and how to fix it.</p>
          </div>`
        : null
    }
    ${
      tenant === undefined
        ? html`<p class="empty">No tenant yet.</p>`
        : html`<form class="card form-card" onSubmit=${submit.onSubmit} autocomplete="off" aria-label="Explain a token">
            <${FormError} submit=${submit} />
            <div class="field">
              <label for=${tokenId}>Access token</label>
              <textarea
                id=${tokenId}
                ref=${area}
                class="token-input"
                rows="5"
                required
                autocomplete="off"
                autocapitalize="off"
                autocorrect="off"
                spellcheck=${false}
                data-lpignore="true"
                data-1p-ignore="true"
                aria-describedby=${`${tokenId}-help`}
                value=${token}
                onInput=${(e: Event) => setToken((e.currentTarget as HTMLTextAreaElement).value)}
              ></textarea>
              <p class="field-help" id=${`${tokenId}-help`}>A JWT (three dot-separated parts); a leading "Bearer " is ignored.</p>
            </div>
            <${SelectField} label="Checked by" value=${front} onChange=${setFront} options=${options}
              error=${submit.fieldError('front')} />
            <${FormButtons} submit=${submit} label="Explain" onCancel=${forget} cancelLabel="Clear" />
          </form>
          ${
            answer
              ? html`<section aria-labelledby="result-h" class="explain-result">
                  <h2 id="result-h">
                    Result: <${Status} value=${answer.accepted ? 'accepted' : 'refused'} />
                  </h2>
                  <${Decoded} answer=${answer} />
                  ${
                    answer.verdicts.length === 0
                      ? html`<p class="note">No resource has an Easy Auth config: add an easyAuth block under a resource, or <code>lanyard easyauth set</code>.</p>`
                      : answer.verdicts.map((v) => html`<${VerdictCard} v=${v} />`)
                  }
                </section>`
              : null
          }
          <${RecentIssuances} tenant=${tenant} />`
    }`;
}
