/**
 * @module console/web/directory-assignments
 * Who holds what: app role assignments (a principal, an app, a role: what goes in `roles` of the tokens the
 * principal gets for the app) and Azure RBAC assignments (a principal, a role definition, a scope: what
 * Resource Manager, Key Vault and the other data planes allow), each listed, created and deleted; and the
 * RBAC check of `lanyard rbac check` (`POST …/rbac/check`), which names the assignment that grants an
 * operation or the roles that would.
 */
import { del, get, path, post } from './api.ts';
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
  Status,
  TextField,
} from './components.ts';
import { formatTime, matchesQuery } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import { useLoad } from './hooks.ts';
import type {
  Application,
  AppRoleAssignment,
  ManagedIdentity,
  RbacAssignment,
  RbacCheck,
  ServicePrincipal,
} from './models.ts';
import { type PrincipalChoice, principalChoices, principalNames } from './principals.ts';
import { canWrite } from './session.ts';
import { type Html, html, useState } from './vendor.ts';

interface Directory {
  identities: ManagedIdentity[];
  apps: Application[];
  servicePrincipals: ServicePrincipal[];
  choices: PrincipalChoice[];
  names: Map<string, string>;
}

/** What the pickers and the name columns need, read once per part. */
function useDirectory(tenant: string) {
  return useLoad(
    async (signal): Promise<Directory> => {
      const base = path`/admin/tenants/${tenant}`;
      const [identities, apps, servicePrincipals] = await Promise.all([
        get<ManagedIdentity[]>(`${base}/identities`, { signal, query: { includeSystem: true } }),
        get<Application[]>(`${base}/apps`, { signal, query: { firstParty: true } }),
        get<ServicePrincipal[]>(`${base}/service-principals`, { signal }),
      ]);
      return {
        identities,
        apps,
        servicePrincipals,
        choices: principalChoices(identities, apps),
        names: principalNames(identities, apps, servicePrincipals),
      };
    },
    [tenant],
  );
}

function PrincipalSelect({
  choices,
  value,
  onChange,
  error,
  label = 'Principal',
}: {
  choices: readonly PrincipalChoice[];
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  label?: string;
}): Html {
  return html`<${SelectField}
    label=${label}
    value=${value}
    onChange=${onChange}
    error=${error}
    options=${[{ value: '', label: 'Choose a principal…' }, ...choices.map((c) => ({ value: c.value, label: c.label }))]}
  />`;
}

function CreateAppRoleAssignment({
  tenant,
  dir,
  onDone,
}: {
  tenant: string;
  dir: Directory;
  onDone: () => void;
}): Html {
  const [principal, setPrincipal] = useState('');
  const [app, setApp] = useState('');
  const [role, setRole] = useState('');
  const target = dir.apps.find((a) => a.name === app);
  const submit = useSubmit(async () => {
    await post(path`/admin/tenants/${tenant}/role-assignments`, {
      principal,
      app,
      ...(role ? { role } : {}),
    });
    setRole('');
    onDone();
  });
  return html`<details class="card form-card">
    <summary>Assign an app role</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${PrincipalSelect} choices=${dir.choices} value=${principal} onChange=${setPrincipal} error=${submit.fieldError('principal')} />
      <${SelectField}
        label="App"
        value=${app}
        onChange=${(v: string) => {
          setApp(v);
          setRole('');
        }}
        error=${submit.fieldError('app')}
        options=${[{ value: '', label: 'Choose an app…' }, ...dir.apps.filter((a) => !a.firstParty).map((a) => ({ value: a.name, label: a.name }))]}
      />
      <${SelectField}
        label="Role"
        value=${role}
        onChange=${setRole}
        error=${submit.fieldError('role')}
        options=${[
          {
            value: '',
            label:
              target && target.appRoles.length > 0 ? 'Choose a role…' : 'Default role (the app has no roles)',
          },
          ...(target?.appRoles ?? []).map((r) => ({ value: r.value, label: r.value })),
        ]}
      />
      <${FormButtons} submit=${submit} label="Assign" />
    </form>
  </details>`;
}

export function AppRoleAssignmentsPart({ tenant }: { tenant: string }): Html {
  const [query, setQuery] = useState('');
  const dir = useDirectory(tenant);
  const list = useLoad(
    (signal) => get<AppRoleAssignment[]>(path`/admin/tenants/${tenant}/role-assignments`, { signal }),
    [tenant],
  );
  const columns: Column<AppRoleAssignment>[] = [
    { header: 'Principal', cell: (a) => `${a.principalDisplayName} (${a.principalType})` },
    { header: 'App', cell: (a) => a.resourceAppName || a.resourceDisplayName },
    {
      header: 'Role',
      cell: (a) =>
        a.appRoleValue === null
          ? html`<span class="muted">default</span>`
          : html`<code>${a.appRoleValue}</code>`,
    },
    { header: 'Created', cell: (a) => formatTime(a.createdAt) },
  ];
  if (canWrite()) {
    columns.push({
      header: 'Actions',
      cell: (a) => html`<${ConfirmButton}
        label="Remove"
        question=${`Remove ${a.appRoleValue ?? 'the default role'} of ${a.resourceAppName} from ${a.principalDisplayName}?`}
        action=${async () => {
          await del(path`/admin/tenants/${tenant}/role-assignments/${a.id}`);
          list.reload();
        }}
      />`,
    });
  }
  const rows = (list.data ?? []).filter((a) =>
    matchesQuery(query, a.principalDisplayName, a.resourceAppName, a.resourceDisplayName, a.appRoleValue),
  );
  return html`<section aria-labelledby="ara-h">
    <h2 id="ara-h">App role assignments</h2>
    <${ReadOnlyNote} />
    ${canWrite() && dir.data ? html`<${CreateAppRoleAssignment} tenant=${tenant} dir=${dir.data} onDone=${list.reload} />` : null}
    <${ErrorNote} error=${dir.error} />
    <${FilterBox} label="Filter assignments" value=${query} onInput=${setQuery} />
    <${ErrorNote} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="assignments" />` : null}
    ${
      list.data
        ? html`<${DataTable} caption="App role assignments" columns=${columns} rows=${rows}
      rowKey=${(a: AppRoleAssignment) => a.id} />`
        : null
    }
  </section>`;
}

interface RoleDefinition {
  id: string;
  roleName: string;
  description?: string;
}

function CreateRbacAssignment({
  tenant,
  dir,
  roles,
  onDone,
}: {
  tenant: string;
  dir: Directory;
  roles: readonly RoleDefinition[];
  onDone: () => void;
}): Html {
  const [principal, setPrincipal] = useState('');
  const [role, setRole] = useState('');
  const [scope, setScope] = useState('subscription');
  const submit = useSubmit(async () => {
    await post(path`/admin/tenants/${tenant}/rbac/assignments`, { principal, role, scope });
    onDone();
  });
  return html`<details class="card form-card">
    <summary>Assign an Azure role</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${PrincipalSelect} choices=${dir.choices} value=${principal} onChange=${setPrincipal} error=${submit.fieldError('principal')} />
      <${SelectField} label="Role" value=${role} onChange=${setRole} error=${submit.fieldError('role')}
        options=${[{ value: '', label: 'Choose a role…' }, ...roles.map((r) => ({ value: r.roleName, label: r.roleName }))]} />
      <${TextField} label="Scope" value=${scope} onInput=${setScope} required error=${submit.fieldError('scope')}
        help="An ARM id, or subscription[:<id>], group:<name>, resource:<name>, identity:<name>." />
      <${FormButtons} submit=${submit} label="Assign" />
    </form>
  </details>`;
}

function RbacCheckForm({ tenant, dir }: { tenant: string; dir: Directory }): Html {
  const [principal, setPrincipal] = useState('');
  const [action, setAction] = useState('Microsoft.KeyVault/vaults/secrets/getSecret/action');
  const [scope, setScope] = useState('subscription');
  const [dataAction, setDataAction] = useState(true);
  const [answer, setAnswer] = useState<RbacCheck | undefined>(undefined);
  const submit = useSubmit(async () => {
    setAnswer(undefined);
    setAnswer(
      await post<RbacCheck>(path`/admin/tenants/${tenant}/rbac/check`, {
        principal,
        action,
        scope,
        dataAction,
      }),
    );
  });
  const d = answer?.decision;
  return html`<details class="card form-card">
    <summary>Check an operation (as <code>lanyard rbac check</code>)</summary>
    <form onSubmit=${submit.onSubmit}>
      <${FormError} submit=${submit} />
      <${PrincipalSelect} choices=${dir.choices} value=${principal} onChange=${setPrincipal} error=${submit.fieldError('principal')} />
      <${TextField} label="Operation" value=${action} onInput=${setAction} required error=${submit.fieldError('action')}
        help="e.g. Microsoft.Compute/virtualMachines/read" />
      <${TextField} label="Scope" value=${scope} onInput=${setScope} required error=${submit.fieldError('scope')} />
      <${CheckboxField} label="Data action (Key Vault secrets, blobs …)" checked=${dataAction} onChange=${setDataAction} />
      <${FormButtons} submit=${submit} label="Check" />
    </form>
    ${
      answer && d
        ? html`<div class="verdict" role="status">
            <p><${Status} value=${d.allowed ? 'allowed' : 'denied'} /> for ${answer.principalName}</p>
            ${
              d.allowed
                ? html`<ul>${d.grantedBy.map((g) => html`<li>granted by <strong>${g.roleName}</strong> at <code>${g.assignment.scope}</code> (assignment <code>${g.assignment.id}</code>)</li>`)}</ul>`
                : html`<p>No assignment allows <code>${d.action}</code> at <code>${d.scope}</code>.</p>
                  ${
                    d.wouldGrant.length > 0
                      ? html`<p>Roles that would (least privileged first): ${d.wouldGrant.map((r) => r.roleName).join(', ')}.</p>`
                      : html`<p>No role assignable there allows it.</p>`
                  }`
            }
          </div>`
        : null
    }
  </details>`;
}

export function RbacPart({ tenant }: { tenant: string }): Html {
  const [query, setQuery] = useState('');
  const dir = useDirectory(tenant);
  const list = useLoad(
    async (signal) => {
      const base = path`/admin/tenants/${tenant}/rbac`;
      const [assignments, roles] = await Promise.all([
        get<RbacAssignment[]>(`${base}/assignments`, { signal }),
        get<RoleDefinition[]>(`${base}/roles`, { signal }),
      ]);
      return { assignments, roles };
    },
    [tenant],
  );
  const nameOf = (id: string) => dir.data?.names.get(id) ?? id;
  const columns: Column<RbacAssignment>[] = [
    { header: 'Principal', cell: (a) => nameOf(a.principalId) },
    { header: 'Role', cell: (a) => a.roleName },
    { header: 'Scope', cell: (a) => html`<code>${a.scope}</code>`, className: 'mono' },
    { header: 'Created', cell: (a) => formatTime(a.createdOn) },
  ];
  if (canWrite()) {
    columns.push({
      header: 'Actions',
      cell: (a) => html`<${ConfirmButton}
        label="Remove"
        question=${`Remove ${a.roleName} of ${nameOf(a.principalId)} at ${a.scope}?`}
        action=${async () => {
          await del(path`/admin/tenants/${tenant}/rbac/assignments/${a.name}`);
          list.reload();
        }}
      />`,
    });
  }
  const rows = (list.data?.assignments ?? []).filter((a) =>
    matchesQuery(query, nameOf(a.principalId), a.roleName, a.scope),
  );
  return html`<section aria-labelledby="rbac-h">
    <h2 id="rbac-h">Azure RBAC</h2>
    <${ReadOnlyNote} />
    ${dir.data ? html`<${RbacCheckForm} tenant=${tenant} dir=${dir.data} />` : null}
    ${
      canWrite() && dir.data && list.data
        ? html`<${CreateRbacAssignment} tenant=${tenant} dir=${dir.data} roles=${list.data.roles} onDone=${list.reload} />`
        : null
    }
    <${ErrorNote} error=${dir.error} />
    <${FilterBox} label="Filter RBAC assignments" value=${query} onInput=${setQuery} />
    <${ErrorNote} error=${list.error} />
    ${list.loading && !list.data ? html`<${Loading} what="RBAC assignments" />` : null}
    ${list.data ? html`<${DataTable} caption="Role assignments" columns=${columns} rows=${rows} rowKey=${(a: RbacAssignment) => a.id} />` : null}
  </section>`;
}
