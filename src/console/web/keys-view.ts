/**
 * @module console/web/keys-view
 * `#/keys`: the issuer's signing keys (as `lanyard keys list`: each key's state and dates, never key material),
 * the rotation policy and when the next rotation is due; and the master key — its id, where it comes from,
 * retired keys still in the keyring, and how many sealed records each place still holds under another key (a
 * rotation left unfinished, which `lanyard vault rotate-master-key` finishes). `GET /admin/keys`.
 */
import { fetchKeys } from './api.ts';
import { type Column, DataTable, ErrorNote, Facts, Loading, Status } from './components.ts';
import { formatTime } from './format.ts';
import { useLoad } from './hooks.ts';
import type { SigningKey } from './models.ts';
import { type Html, html } from './vendor.ts';

/** `86400000` → `24 h`, `604800000` → `7 days`. */
function span(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48 && Number.isInteger(h / 24)) return `${h / 24} days`;
  if (h >= 1) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round(ms / 60_000)} min`;
}

export function View(): Html {
  const keys = useLoad((signal) => fetchKeys(signal), []);
  const columns: Column<SigningKey>[] = [
    { header: 'Key id (kid)', cell: (k) => html`<code>${k.kid}</code>`, className: 'mono' },
    { header: 'State', cell: (k) => html`<${Status} value=${k.state} />` },
    { header: 'Published', cell: (k) => formatTime(k.publishAt) },
    { header: 'Signs from', cell: (k) => formatTime(k.activateAt) },
    { header: 'Signs until', cell: (k) => formatTime(k.retireAt) },
    { header: 'Unpublished', cell: (k) => formatTime(k.revokedAt ?? k.unpublishAt) },
  ];
  const d = keys.data;
  return html`<h1>Keys</h1>
    <${ErrorNote} error=${keys.error} title="The keys could not be read." />
    ${keys.loading && !d ? html`<${Loading} what="keys" />` : null}
    ${
      d
        ? html`<section aria-labelledby="signing-h">
            <h2 id="signing-h">Token-signing keys</h2>
            <${Facts}
              items=${[
                [
                  'Signs now',
                  d.signing.active
                    ? html`<code>${d.signing.active}</code>`
                    : html`<${Status} value="none" />`,
                ],
                ['Rotated every', span(d.signing.policy.rotationIntervalMs)],
                ['Published ahead by', span(d.signing.policy.leadTimeMs)],
                ['Longest token lifetime', span(d.signing.policy.maxTokenLifetimeMs)],
                ['Next rotation due', formatTime(d.signing.nextRotationAt)],
              ]}
            />
            <${DataTable} caption="Signing keys" columns=${columns} rows=${d.signing.keys} rowKey=${(k: SigningKey) => k.kid} />
            <p class="field-help">Rotate with <code>lanyard keys rotate</code>; remove a compromised key with <code>lanyard keys revoke</code>.</p>
          </section>
          <section aria-labelledby="master-h">
            <h2 id="master-h">Master key</h2>
            <${Facts}
              items=${[
                ['Key id', html`<code>${d.masterKey.id}</code>`],
                [
                  'Comes from',
                  d.masterKey.source === 'env' ? 'LANYARD_MASTER_KEY' : 'master.key in the data folder',
                ],
                [
                  'Retired keys in the keyring',
                  d.masterKey.retired.length === 0 ? 'none' : d.masterKey.retired.join(', '),
                ],
                [
                  'Rotation',
                  d.masterKey.rotationUnfinished
                    ? html`<${Status} value="unfinished" /> — run <code>lanyard vault rotate-master-key</code> to finish it`
                    : html`<${Status} value="complete" />`,
                ],
              ]}
            />
            <${DataTable}
              caption="Sealed records"
              columns=${[
                { header: 'Where', cell: (s: { name: string }) => s.name },
                {
                  header: 'Under another key',
                  cell: (s: { underOtherKeys: number }) => String(s.underOtherKeys),
                  className: 'num',
                },
              ]}
              rows=${d.masterKey.sealed}
              rowKey=${(s: { name: string }) => s.name}
            />
          </section>`
        : null
    }`;
}
