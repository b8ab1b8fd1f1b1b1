/**
 * @module console/web/directory-view
 * `#/directory/<part>`: the directory as the admin API holds it — tenants, apps (roles, identifier URIs,
 * credentials as metadata; a new secret shown once), managed identities, resources, app role assignments and
 * Azure RBAC assignments — each a table, with create, edit and delete forms for an admin session. Every
 * write is the admin API's, so the validation and the messages are those of the CLI.
 */
import { SubNav } from './components.ts';
import { AppsPart } from './directory-apps.ts';
import { AppRoleAssignmentsPart, RbacPart } from './directory-assignments.ts';
import { IdentitiesPart, ResourcesPart } from './directory-identities.ts';
import { TenantsPart } from './directory-tenants.ts';
import { useStore } from './hooks.ts';
import { hashFor, type Route } from './routes.ts';
import { tenants } from './tenants.ts';
import { type Html, html } from './vendor.ts';

const PARTS: readonly [string, string][] = [
  ['tenants', 'Tenants'],
  ['apps', 'Apps'],
  ['identities', 'Identities'],
  ['resources', 'Resources'],
  ['assignments', 'App role assignments'],
  ['rbac', 'Azure RBAC'],
];

export function View({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const part = PARTS.some(([k]) => k === route.rest[0]) ? route.rest[0]! : 'apps';
  const tenant = t.current;
  const body = () => {
    if (part === 'tenants') return html`<${TenantsPart} />`;
    if (tenant === undefined) {
      return html`<p class="empty">No tenant yet: create one under <a href=${hashFor('directory', ['tenants'])}>Tenants</a>.</p>`;
    }
    switch (part) {
      case 'identities':
        return html`<${IdentitiesPart} tenant=${tenant} />`;
      case 'resources':
        return html`<${ResourcesPart} tenant=${tenant} />`;
      case 'assignments':
        return html`<${AppRoleAssignmentsPart} tenant=${tenant} />`;
      case 'rbac':
        return html`<${RbacPart} tenant=${tenant} />`;
      default:
        return html`<${AppsPart} tenant=${tenant} selected=${route.params.app} />`;
    }
  };
  return html`<h1>Directory</h1>
    <${SubNav}
      label="Directory"
      current=${part}
      items=${PARTS.map(([k, label]) => [k, hashFor('directory', [k]), label] as [string, string, string])}
    />
    <div key=${`${part}:${tenant ?? ''}`}>${body()}</div>`;
}
