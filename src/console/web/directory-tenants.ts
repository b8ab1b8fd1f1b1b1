/**
 * @module console/web/directory-tenants
 * Tenants: list, create (`POST /admin/tenants`), edit display name and domains (`PATCH`), delete with
 * everything in it (`DELETE`, after a confirmation naming what goes).
 */
import { del, patch, path, post } from './api.ts';
import { type Column, ConfirmButton, DataTable, ReadOnlyNote, TextField } from './components.ts';
import { splitList } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import { useStore } from './hooks.ts';
import type { Tenant } from './models.ts';
import { canWrite } from './session.ts';
import { loadTenants, tenants } from './tenants.ts';
import { type Html, html, useState } from './vendor.ts';

function CreateTenant(): Html {
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [domains, setDomains] = useState('');
  const [done, setDone] = useState('');
  const submit = useSubmit(async () => {
    const made = await post<Tenant>('/admin/tenants', {
      name,
      ...(displayName ? { displayName } : {}),
      ...(domains.trim() ? { domains: splitList(domains) } : {}),
    });
    setName('');
    setDisplayName('');
    setDomains('');
    setDone(`Created tenant ${made.name} (${made.id}).`);
    await loadTenants();
  });
  return html`<details class="card form-card">
    <summary>Create a tenant</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${TextField} label="Name" required value=${name} onInput=${setName} error=${submit.fieldError('name')}
        help="Letters, digits and dashes; how paths and the CLI name it." />
      <${TextField} label="Display name" value=${displayName} onInput=${setDisplayName}
        error=${submit.fieldError('displayName')} />
      <${TextField} label="Domains" value=${domains} onInput=${setDomains} error=${submit.fieldError('domains')}
        help="Comma-separated; the first is the default. Empty: <name>.onmicrosoft.com." />
      <${FormButtons} submit=${submit} label="Create tenant" />
      ${done ? html`<p role="status" class="done">${done}</p>` : null}
    </form>
  </details>`;
}

function EditTenant({ tenant, onDone }: { tenant: Tenant; onDone: () => void }): Html {
  const [displayName, setDisplayName] = useState(tenant.displayName);
  const [domains, setDomains] = useState(tenant.domains.join(', '));
  const submit = useSubmit(async () => {
    await patch(path`/admin/tenants/${tenant.name}`, { displayName, domains: splitList(domains) });
    await loadTenants();
    onDone();
  });
  return html`<form class="card form-card" onSubmit=${submit.onSubmit} aria-label=${`Edit tenant ${tenant.name}`}>
    <h3>Edit ${tenant.name}</h3>
    <${FormError} submit=${submit} />
    <${TextField} label="Display name" value=${displayName} onInput=${setDisplayName}
      error=${submit.fieldError('displayName')} />
    <${TextField} label="Domains" value=${domains} onInput=${setDomains} error=${submit.fieldError('domains')}
      help="Comma-separated; the first is the default." />
    <${FormButtons} submit=${submit} label="Save" onCancel=${onDone} />
  </form>`;
}

export function TenantsPart(): Html {
  const t = useStore(tenants);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const write = canWrite();
  const columns: Column<Tenant>[] = [
    { header: 'Name', cell: (x) => x.name },
    { header: 'Display name', cell: (x) => x.displayName },
    { header: 'Tenant id', cell: (x) => html`<code>${x.id}</code>`, className: 'mono' },
    { header: 'Domains', cell: (x) => x.domains.join(', ') },
    {
      header: 'Default subscription',
      cell: (x) => html`<code>${x.defaultSubscriptionId}</code>`,
      className: 'mono',
    },
  ];
  if (write) {
    columns.push({
      header: 'Actions',
      cell: (x) => html`<button type="button" onClick=${() => setEditing(x.name)}>Edit</button>
        <${ConfirmButton}
          label="Delete"
          question=${`Delete tenant ${x.name} and everything in it (apps, identities, resources, assignments)?`}
          action=${async () => {
            await del(path`/admin/tenants/${x.name}`);
            await loadTenants();
          }}
        />`,
    });
  }
  const edited = t.list.find((x) => x.name === editing);
  return html`<section aria-labelledby="tenants-h">
    <h2 id="tenants-h">Tenants</h2>
    <${ReadOnlyNote} />
    ${write ? html`<${CreateTenant} />` : null}
    ${edited ? html`<${EditTenant} key=${edited.name} tenant=${edited} onDone=${() => setEditing(undefined)} />` : null}
    <${DataTable} caption="Tenants" columns=${columns} rows=${t.list} rowKey=${(x: Tenant) => x.id} />
  </section>`;
}
