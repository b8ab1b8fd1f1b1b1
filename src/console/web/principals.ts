/**
 * @module console/web/principals
 * Principals as the admin API and the CLI write them (`identity:<name>`, `resource:<name>` for a resource's
 * system-assigned identity, `app:<name>`), with the object ids they stand for: for the pickers of the
 * assignment forms, "may X call Y?" and for naming object ids in tables. Pure (node:test covers it).
 */
import type { Application, ManagedIdentity, ServicePrincipal } from './models.ts';

export interface PrincipalChoice {
  /** What the admin API takes: `identity:orders-mi`, `resource:func1`, `app:daemon`. */
  value: string;
  label: string;
  principalId: string;
}

/** User-assigned identities, then resources' system-assigned identities, then apps (first-party ones left out). */
export function principalChoices(
  identities: readonly ManagedIdentity[],
  apps: readonly Application[],
): PrincipalChoice[] {
  const byName = (a: PrincipalChoice, b: PrincipalChoice) => a.label.localeCompare(b.label);
  const users = identities
    .filter((i) => i.kind === 'user')
    .map((i) => ({
      value: `identity:${i.name}`,
      label: `${i.name} (user-assigned identity)`,
      principalId: i.principalId,
    }))
    .sort(byName);
  const systems = identities
    .filter((i) => i.kind === 'system')
    .map((i) => {
      const owner = i.ownerResource ?? i.name;
      return {
        value: `resource:${owner}`,
        label: `${owner} (system-assigned identity)`,
        principalId: i.principalId,
      };
    })
    .sort(byName);
  const appChoices = apps
    .filter((a) => !a.firstParty)
    .map((a) => ({ value: `app:${a.name}`, label: `${a.name} (app)`, principalId: a.servicePrincipalId }))
    .sort(byName);
  return [...users, ...systems, ...appChoices];
}

/** Object id → a name people know, for tables that list principals by id (RBAC assignments). */
export function principalNames(
  identities: readonly ManagedIdentity[],
  apps: readonly Application[],
  servicePrincipals: readonly ServicePrincipal[] = [],
): Map<string, string> {
  const names = new Map<string, string>();
  for (const sp of servicePrincipals) names.set(sp.objectId, sp.displayName);
  for (const a of apps) names.set(a.servicePrincipalId, `app:${a.name}`);
  for (const i of identities) {
    names.set(
      i.principalId,
      i.kind === 'system' ? `resource:${i.ownerResource ?? i.name}` : `identity:${i.name}`,
    );
  }
  return names;
}
