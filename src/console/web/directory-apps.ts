/**
 * @module console/web/directory-apps
 * App registrations: the list (first-party apps on request), one app's roles, identifier URIs and credentials
 * — client secrets, certificates, federated credentials, as metadata only (a secret's first three characters,
 * never its text) — and the forms: create, edit (display name, identifier URIs, roles, assignment required,
 * token version), delete, a new client secret (its text shown once: SecretOnce), a secret removed.
 */
import { del, get, patch, path, post } from './api.ts';
import {
  CheckboxField,
  type Column,
  ConfirmButton,
  DataTable,
  ErrorNote,
  Facts,
  FilterBox,
  Loading,
  ReadOnlyNote,
  SelectField,
  TextField,
} from './components.ts';
import { formatTime, matchesQuery, splitList } from './format.ts';
import { FormButtons, FormError, SecretOnce, useSubmit } from './forms.ts';
import { navigate, useLoad } from './hooks.ts';
import type {
  Application,
  AppRole,
  CertificateCredential,
  ClientSecretInfo,
  FederatedCredential,
  NewClientSecret,
} from './models.ts';
import { hashFor } from './routes.ts';
import { canWrite } from './session.ts';
import { type Html, html, useState } from './vendor.ts';

const appsPath = (tenant: string) => path`/admin/tenants/${tenant}/apps`;
const appPath = (tenant: string, app: string) => path`/admin/tenants/${tenant}/apps/${app}`;

/** Role values as one comma list; kept roles keep their ids (so assignments to them stay), new ones get one. */
function rolesFrom(text: string, existing: readonly AppRole[]) {
  return splitList(text).map((value) => {
    const old = existing.find((r) => r.value === value);
    return old
      ? {
          value,
          id: old.id,
          displayName: old.displayName,
          description: old.description,
          allowedMemberTypes: old.allowedMemberTypes,
          isEnabled: old.isEnabled,
        }
      : { value };
  });
}

function CreateApp({ tenant, onDone }: { tenant: string; onDone: (name: string) => void }): Html {
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [uris, setUris] = useState('');
  const [roles, setRoles] = useState('');
  const [required, setRequired] = useState(false);
  const submit = useSubmit(async () => {
    const made = await post<Application>(appsPath(tenant), {
      name,
      ...(displayName ? { displayName } : {}),
      ...(uris.trim() ? { identifierUris: splitList(uris) } : {}),
      ...(roles.trim() ? { appRoles: rolesFrom(roles, []) } : {}),
      ...(required ? { appRoleAssignmentRequired: true } : {}),
    });
    setName('');
    setDisplayName('');
    setUris('');
    setRoles('');
    setRequired(false);
    onDone(made.name);
  });
  return html`<details class="card form-card">
    <summary>Register an app</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${TextField} label="Name" required value=${name} onInput=${setName} error=${submit.fieldError('name')} />
      <${TextField} label="Display name" value=${displayName} onInput=${setDisplayName}
        error=${submit.fieldError('displayName')} />
      <${TextField} label="Identifier URIs" value=${uris} onInput=${setUris} error=${submit.fieldError('identifierUris')}
        help="Comma-separated, e.g. api://orders." />
      <${TextField} label="App roles" value=${roles} onInput=${setRoles} error=${submit.fieldError('appRoles')}
        help="Role values, comma-separated, e.g. Orders.Read, Orders.Write." />
      <${CheckboxField} label="Assignment required (only assigned principals get tokens)" checked=${required}
        onChange=${setRequired} error=${submit.fieldError('appRoleAssignmentRequired')} />
      <${FormButtons} submit=${submit} label="Register app" />
    </form>
  </details>`;
}

function EditApp({ tenant, app, onDone }: { tenant: string; app: Application; onDone: () => void }): Html {
  const [displayName, setDisplayName] = useState(app.displayName);
  const [uris, setUris] = useState(app.identifierUris.join(', '));
  const [roles, setRoles] = useState(app.appRoles.map((r) => r.value).join(', '));
  const [required, setRequired] = useState(app.appRoleAssignmentRequired);
  const [version, setVersion] = useState(String(app.accessTokenAcceptedVersion));
  const submit = useSubmit(async () => {
    await patch(appPath(tenant, app.name), {
      displayName,
      identifierUris: splitList(uris),
      appRoles: rolesFrom(roles, app.appRoles),
      appRoleAssignmentRequired: required,
      accessTokenAcceptedVersion: Number(version),
    });
    onDone();
  });
  return html`<form class="card form-card" onSubmit=${submit.onSubmit} aria-label=${`Edit app ${app.name}`}>
    <h3>Edit ${app.name}</h3>
    <${FormError} submit=${submit} />
    <${TextField} label="Display name" value=${displayName} onInput=${setDisplayName}
      error=${submit.fieldError('displayName')} />
    <${TextField} label="Identifier URIs" value=${uris} onInput=${setUris} error=${submit.fieldError('identifierUris')}
      help="Comma-separated." />
    <${TextField} label="App roles" value=${roles} onInput=${setRoles} error=${submit.fieldError('appRoles')}
      help="Role values, comma-separated. Removing a role that principals are assigned is refused (ERR_IN_USE)." />
    <${CheckboxField} label="Assignment required" checked=${required} onChange=${setRequired}
      error=${submit.fieldError('appRoleAssignmentRequired')} />
    <${SelectField} label="Access token version" value=${version} onChange=${setVersion}
      options=${[
        { value: '1', label: 'v1 (sts.windows.net issuer)' },
        { value: '2', label: 'v2 (login.microsoftonline.com/…/v2.0 issuer)' },
      ]}
      error=${submit.fieldError('accessTokenAcceptedVersion')} />
    <${FormButtons} submit=${submit} label="Save" onCancel=${onDone} />
  </form>`;
}

function NewSecret({ tenant, app, onMade }: { tenant: string; app: string; onMade: () => void }): Html {
  const [displayName, setDisplayName] = useState('');
  const [days, setDays] = useState('');
  const [made, setMade] = useState<NewClientSecret | undefined>(undefined);
  const submit = useSubmit(async () => {
    const secret = await post<NewClientSecret>(path`/admin/tenants/${tenant}/apps/${app}/secrets`, {
      ...(displayName ? { displayName } : {}),
      ...(days ? { expiresInDays: Number(days) } : {}),
    });
    setDisplayName('');
    setDays('');
    setMade(secret);
    onMade();
  });
  if (made) {
    return html`<${SecretOnce}
      title=${`New client secret for ${app}${made.displayName ? ` (${made.displayName})` : ''}`}
      value=${made.secretText}
      onDismiss=${() => setMade(undefined)}
    />`;
  }
  return html`<form class="inline-form" onSubmit=${submit.onSubmit} aria-label="New client secret">
    <${FormError} submit=${submit} />
    <${TextField} label="Secret description" value=${displayName} onInput=${setDisplayName}
      error=${submit.fieldError('displayName')} />
    <${TextField} label="Expires in (days)" type="number" value=${days} onInput=${setDays}
      error=${submit.fieldError('expiresInDays')} help="1–730; empty: Entra's default." />
    <${FormButtons} submit=${submit} label="New client secret" />
  </form>`;
}

function Credentials({ tenant, app }: { tenant: string; app: Application }): Html {
  const base = path`/admin/tenants/${tenant}/apps/${app.name}`;
  const creds = useLoad(
    async (signal) => {
      const [secrets, certificates, federated] = await Promise.all([
        get<ClientSecretInfo[]>(`${base}/secrets`, { signal }),
        get<CertificateCredential[]>(`${base}/certificates`, { signal }),
        get<FederatedCredential[]>(`${base}/federated-credentials`, { signal }),
      ]);
      return { secrets, certificates, federated };
    },
    [base],
  );
  const write = canWrite() && !app.firstParty;
  if (creds.error) return html`<${ErrorNote} error=${creds.error} />`;
  if (!creds.data) return html`<${Loading} what="credentials" />`;
  const secretColumns: Column<ClientSecretInfo>[] = [
    { header: 'Description', cell: (s) => s.displayName },
    { header: 'Starts with', cell: (s) => html`<code>${s.hint}…</code>` },
    { header: 'Key id', cell: (s) => html`<code>${s.keyId}</code>`, className: 'mono' },
    { header: 'Expires', cell: (s) => formatTime(s.endDateTime) },
  ];
  if (write) {
    secretColumns.push({
      header: 'Actions',
      cell: (s) => html`<${ConfirmButton}
        label="Remove"
        question=${`Remove the secret ${s.hint}… of ${app.name}? Clients using it stop getting tokens.`}
        action=${async () => {
          await del(path`/admin/tenants/${tenant}/apps/${app.name}/secrets/${s.keyId}`);
          creds.reload();
        }}
      />`,
    });
  }
  return html`<section aria-labelledby="creds-h">
    <h3 id="creds-h">Credentials</h3>
    <${DataTable} caption="Client secrets" columns=${secretColumns} rows=${creds.data.secrets}
      rowKey=${(s: ClientSecretInfo) => s.keyId} empty="No client secrets." />
    ${write ? html`<${NewSecret} tenant=${tenant} app=${app.name} onMade=${creds.reload} />` : null}
    <${DataTable}
      caption="Certificates"
      columns=${[
        { header: 'Description', cell: (c: CertificateCredential) => c.displayName },
        {
          header: 'SHA-1 thumbprint',
          cell: (c: CertificateCredential) => html`<code>${c.thumbprint}</code>`,
          className: 'mono',
        },
        { header: 'Expires', cell: (c: CertificateCredential) => formatTime(c.endDateTime) },
      ]}
      rows=${creds.data.certificates}
      rowKey=${(c: CertificateCredential) => c.keyId}
      empty="No certificates."
    />
    <${DataTable}
      caption="Federated credentials"
      columns=${[
        { header: 'Name', cell: (f: FederatedCredential) => f.name },
        { header: 'Issuer', cell: (f: FederatedCredential) => f.issuer },
        { header: 'Subject', cell: (f: FederatedCredential) => f.subject },
        { header: 'Audiences', cell: (f: FederatedCredential) => f.audiences.join(', ') },
      ]}
      rows=${creds.data.federated}
      rowKey=${(f: FederatedCredential) => f.id}
      empty="No federated credentials."
    />
  </section>`;
}

function AppDetail({
  tenant,
  app,
  onChanged,
}: {
  tenant: string;
  app: Application;
  onChanged: () => void;
}): Html {
  const [editing, setEditing] = useState(false);
  const write = canWrite() && !app.firstParty;
  return html`<section class="card detail" aria-labelledby="app-detail-h">
    <h2 id="app-detail-h">${app.displayName || app.name}</h2>
    <${Facts}
      items=${[
        ['Name', app.name],
        ['Application (client) id', html`<code>${app.appId}</code>`],
        ['Object id', html`<code>${app.objectId}</code>`],
        ['Service principal', html`<code>${app.servicePrincipalId}</code>`],
        ['Identifier URIs', app.identifierUris.join(', ') || '(none)'],
        ['Assignment required', app.appRoleAssignmentRequired ? 'yes' : 'no'],
        ['Access token version', `v${app.accessTokenAcceptedVersion}`],
        ['Optional claims', app.optionalClaims.accessToken.map((c) => c.name).join(', ')],
        ['First-party (read-only)', app.firstParty ? 'yes' : ''],
        ['Updated', formatTime(app.updatedAt)],
      ]}
    />
    <${DataTable}
      caption="App roles"
      columns=${[
        { header: 'Value', cell: (r: AppRole) => html`<code>${r.value}</code>` },
        { header: 'Display name', cell: (r: AppRole) => r.displayName },
        { header: 'Member types', cell: (r: AppRole) => r.allowedMemberTypes.join(', ') },
        { header: 'Enabled', cell: (r: AppRole) => (r.isEnabled ? 'yes' : 'no') },
      ]}
      rows=${app.appRoles}
      rowKey=${(r: AppRole) => r.id}
      empty="No app roles: principals get the default role when assigned."
    />
    ${
      write
        ? html`<div class="actions">
            <button type="button" onClick=${() => setEditing(true)} disabled=${editing}>Edit</button>
            <${ConfirmButton}
              label="Delete app"
              question=${`Delete the app ${app.name}, its service principal, credentials and assignments?`}
              action=${async () => {
                await del(appPath(tenant, app.name));
                navigate(hashFor('directory', ['apps']));
                onChanged();
              }}
            />
          </div>`
        : null
    }
    ${
      editing
        ? html`<${EditApp} tenant=${tenant} app=${app} onDone=${() => {
            setEditing(false);
            onChanged();
          }} />`
        : null
    }
    <${Credentials} key=${app.objectId} tenant=${tenant} app=${app} />
  </section>`;
}

export function AppsPart({ tenant, selected }: { tenant: string; selected?: string | undefined }): Html {
  const [firstParty, setFirstParty] = useState(false);
  const [query, setQuery] = useState('');
  const apps = useLoad(
    (signal) =>
      get<Application[]>(appsPath(tenant), { signal, query: { firstParty: firstParty || undefined } }),
    [tenant, firstParty],
  );
  const open = (name: string) => navigate(hashFor('directory', ['apps'], { app: name }));
  const columns: Column<Application>[] = [
    {
      header: 'Name',
      cell: (a) => html`<a href=${hashFor('directory', ['apps'], { app: a.name })}>${a.name}</a>`,
    },
    { header: 'Display name', cell: (a) => a.displayName },
    { header: 'Application id', cell: (a) => html`<code>${a.appId}</code>`, className: 'mono' },
    { header: 'Identifier URIs', cell: (a) => a.identifierUris.join(', ') },
    { header: 'Roles', cell: (a) => a.appRoles.map((r) => r.value).join(', ') },
  ];
  const list = (apps.data ?? []).filter((a) =>
    matchesQuery(query, a.name, a.displayName, a.appId, ...a.identifierUris),
  );
  const current = apps.data?.find((a) => a.name === selected);
  return html`<section aria-labelledby="apps-h">
    <h2 id="apps-h">Apps</h2>
    <${ReadOnlyNote} />
    ${
      canWrite()
        ? html`<${CreateApp} tenant=${tenant} onDone=${(name: string) => {
            apps.reload();
            open(name);
          }} />`
        : null
    }
    ${current ? html`<${AppDetail} key=${current.objectId} tenant=${tenant} app=${current} onChanged=${apps.reload} />` : null}
    ${selected && apps.data && !current ? html`<p class="note">No app named ${selected} in this tenant.</p>` : null}
    <div class="toolbar">
      <${FilterBox} label="Filter apps" value=${query} onInput=${setQuery} />
      <${CheckboxField} label="Show first-party apps (Resource Manager, Key Vault, Graph)" checked=${firstParty}
        onChange=${setFirstParty} />
    </div>
    <${ErrorNote} error=${apps.error} />
    ${apps.loading && !apps.data ? html`<${Loading} what="apps" />` : null}
    ${
      apps.data
        ? html`<${DataTable} caption="Apps" columns=${columns} rows=${list} rowKey=${(a: Application) => a.objectId}
      selected=${current?.objectId} />`
        : null
    }
  </section>`;
}
