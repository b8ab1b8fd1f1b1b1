/**
 * @module console/web/directory-identities
 * Managed identities (user-assigned; system-assigned ones on request, named after their resource) and the
 * resources that carry them: list, create, delete; a resource's system-assigned identity switched on or off
 * (`PATCH`), user-assigned identities attached and detached (`PUT`/`DELETE …/identities/:identity`).
 */
import { del, get, patch, path, post, put } from './api.ts';
import {
  CheckboxField,
  type Column,
  ConfirmButton,
  DataTable,
  ErrorNote,
  FilterBox,
  Loading,
  ReadOnlyNote,
  SelectField,
  TextField,
} from './components.ts';
import { formatTime, matchesQuery, splitList } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import { useLoad } from './hooks.ts';
import type { ManagedIdentity, Resource, ResourceKind } from './models.ts';
import { canWrite } from './session.ts';
import { type Html, html, useState } from './vendor.ts';

const KINDS: readonly ResourceKind[] = ['app', 'automation', 'gateway', 'vault', 'vm', 'workflow'];

function CreateIdentity({ tenant, onDone }: { tenant: string; onDone: () => void }): Html {
  const [name, setName] = useState('');
  const [resourceGroup, setResourceGroup] = useState('');
  const submit = useSubmit(async () => {
    await post(path`/admin/tenants/${tenant}/identities`, {
      name,
      ...(resourceGroup ? { resourceGroup } : {}),
    });
    setName('');
    setResourceGroup('');
    onDone();
  });
  return html`<details class="card form-card">
    <summary>Create a user-assigned identity</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${TextField} label="Name" required value=${name} onInput=${setName} error=${submit.fieldError('name')} />
      <${TextField} label="Resource group" value=${resourceGroup} onInput=${setResourceGroup}
        error=${submit.fieldError('resourceGroup')} help="Empty: the tenant's default." />
      <${FormButtons} submit=${submit} label="Create identity" />
    </form>
  </details>`;
}

export function IdentitiesPart({ tenant }: { tenant: string }): Html {
  const [includeSystem, setIncludeSystem] = useState(true);
  const [query, setQuery] = useState('');
  const ids = useLoad(
    (signal) =>
      get<ManagedIdentity[]>(path`/admin/tenants/${tenant}/identities`, {
        signal,
        query: { includeSystem: includeSystem || undefined },
      }),
    [tenant, includeSystem],
  );
  const columns: Column<ManagedIdentity>[] = [
    { header: 'Name', cell: (i) => i.name },
    { header: 'Kind', cell: (i) => (i.kind === 'user' ? 'user-assigned' : 'system-assigned') },
    { header: 'Client id', cell: (i) => html`<code>${i.clientId}</code>`, className: 'mono' },
    { header: 'Principal id', cell: (i) => html`<code>${i.principalId}</code>`, className: 'mono' },
    { header: 'Attached to', cell: (i) => i.attachedTo.join(', ') },
  ];
  if (canWrite()) {
    columns.push({
      header: 'Actions',
      cell: (i) =>
        i.kind === 'user'
          ? html`<${ConfirmButton}
              label="Delete"
              question=${`Delete the identity ${i.name}? It is detached everywhere and its role assignments go with it.`}
              action=${async () => {
                await del(path`/admin/tenants/${tenant}/identities/${i.name}`);
                ids.reload();
              }}
            />`
          : html`<span class="muted">with its resource</span>`,
    });
  }
  const rows = (ids.data ?? []).filter((i) =>
    matchesQuery(query, i.name, i.clientId, i.principalId, ...i.attachedTo),
  );
  return html`<section aria-labelledby="ids-h">
    <h2 id="ids-h">Managed identities</h2>
    <${ReadOnlyNote} />
    ${canWrite() ? html`<${CreateIdentity} tenant=${tenant} onDone=${ids.reload} />` : null}
    <div class="toolbar">
      <${FilterBox} label="Filter identities" value=${query} onInput=${setQuery} />
      <${CheckboxField} label="Include system-assigned identities" checked=${includeSystem} onChange=${setIncludeSystem} />
    </div>
    <${ErrorNote} error=${ids.error} />
    ${ids.loading && !ids.data ? html`<${Loading} what="identities" />` : null}
    ${ids.data ? html`<${DataTable} caption="Identities" columns=${columns} rows=${rows} rowKey=${(i: ManagedIdentity) => i.id} />` : null}
  </section>`;
}

function CreateResource({ tenant, onDone }: { tenant: string; onDone: () => void }): Html {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<string>('app');
  const [system, setSystem] = useState(true);
  const [users, setUsers] = useState('');
  const submit = useSubmit(async () => {
    await post(path`/admin/tenants/${tenant}/resources`, {
      name,
      kind,
      systemAssignedIdentity: system,
      ...(users.trim() ? { userAssignedIdentities: splitList(users) } : {}),
    });
    setName('');
    setUsers('');
    onDone();
  });
  return html`<details class="card form-card">
    <summary>Create a resource</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${TextField} label="Name" required value=${name} onInput=${setName} error=${submit.fieldError('name')} />
      <${SelectField} label="Kind" value=${kind} onChange=${setKind} options=${KINDS} error=${submit.fieldError('kind')} />
      <${CheckboxField} label="System-assigned identity" checked=${system} onChange=${setSystem}
        error=${submit.fieldError('systemAssignedIdentity')} />
      <${TextField} label="User-assigned identities" value=${users} onInput=${setUsers}
        error=${submit.fieldError('userAssignedIdentities')} help="Names, comma-separated." />
      <${FormButtons} submit=${submit} label="Create resource" />
    </form>
  </details>`;
}

function ResourceIdentities({
  tenant,
  resource,
  onDone,
}: {
  tenant: string;
  resource: Resource;
  onDone: () => void;
}): Html {
  const [attach, setAttach] = useState('');
  const base = path`/admin/tenants/${tenant}/resources/${resource.name}`;
  const toggle = useSubmit(async () => {
    await patch(base, { systemAssignedIdentity: resource.systemAssignedIdentity === null });
    onDone();
  });
  const add = useSubmit(async () => {
    await put(`${base}/identities/${encodeURIComponent(attach.trim())}`);
    setAttach('');
    onDone();
  });
  return html`<div class="card form-card">
    <h3>Identities of ${resource.name}</h3>
    <${FormError} submit=${toggle} />
    <p>
      System-assigned: ${resource.systemAssignedIdentity ? html`<code>${resource.systemAssignedIdentity.principalId}</code>` : 'none'}${' '}
      <button type="button" disabled=${toggle.busy} onClick=${() => {
        if (
          resource.systemAssignedIdentity === null ||
          confirm(`Remove the system-assigned identity of ${resource.name}? Its role assignments go with it.`)
        )
          void toggle.run();
      }}>
        ${resource.systemAssignedIdentity ? 'Remove' : 'Turn on'}
      </button>
    </p>
    <ul class="plain">
      ${resource.userAssignedIdentities.map(
        (i) => html`<li>
          ${i.name} <code>${i.clientId}</code>
          <${ConfirmButton}
            label="Detach"
            question=${`Detach ${i.name} from ${resource.name}?`}
            action=${async () => {
              await del(`${base}/identities/${encodeURIComponent(i.name)}`);
              onDone();
            }}
          />
        </li>`,
      )}
    </ul>
    <form class="inline-form" onSubmit=${add.onSubmit} aria-label="Attach a user-assigned identity">
      <${FormError} submit=${add} />
      <${TextField} label="Attach user-assigned identity" value=${attach} onInput=${setAttach} required />
      <${FormButtons} submit=${add} label="Attach" />
    </form>
  </div>`;
}

export function ResourcesPart({ tenant }: { tenant: string }): Html {
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const res = useLoad(
    (signal) => get<Resource[]>(path`/admin/tenants/${tenant}/resources`, { signal }),
    [tenant],
  );
  const write = canWrite();
  const columns: Column<Resource>[] = [
    { header: 'Name', cell: (r) => r.name },
    { header: 'Kind', cell: (r) => r.kind },
    {
      header: 'System-assigned identity',
      cell: (r) =>
        r.systemAssignedIdentity ? html`<code>${r.systemAssignedIdentity.principalId}</code>` : 'none',
      className: 'mono',
    },
    { header: 'User-assigned', cell: (r) => r.userAssignedIdentities.map((i) => i.name).join(', ') },
    { header: 'Resource group', cell: (r) => r.resourceGroup },
    { header: 'State', cell: (r) => r.powerState ?? '' },
    { header: 'Updated', cell: (r) => formatTime(r.updatedAt) },
  ];
  if (write) {
    columns.push({
      header: 'Actions',
      cell: (r) => html`<button type="button" onClick=${() => setEditing(r.name)}>Identities</button>
        <${ConfirmButton}
          label="Delete"
          question=${`Delete the resource ${r.name}? Its system-assigned identity goes with it.`}
          action=${async () => {
            await del(path`/admin/tenants/${tenant}/resources/${r.name}`);
            res.reload();
          }}
        />`,
    });
  }
  const rows = (res.data ?? []).filter((r) => matchesQuery(query, r.name, r.kind, r.resourceGroup));
  const edited = res.data?.find((r) => r.name === editing);
  return html`<section aria-labelledby="res-h">
    <h2 id="res-h">Resources</h2>
    <${ReadOnlyNote} />
    ${write ? html`<${CreateResource} tenant=${tenant} onDone=${res.reload} />` : null}
    ${
      edited
        ? html`<${ResourceIdentities} key=${edited.id} tenant=${tenant} resource=${edited} onDone=${res.reload} />
          <button type="button" onClick=${() => setEditing(undefined)}>Close</button>`
        : null
    }
    <${FilterBox} label="Filter resources" value=${query} onInput=${setQuery} />
    <${ErrorNote} error=${res.error} />
    ${res.loading && !res.data ? html`<${Loading} what="resources" />` : null}
    ${res.data ? html`<${DataTable} caption="Resources" columns=${columns} rows=${rows} rowKey=${(r: Resource) => r.id} />` : null}
  </section>`;
}
