/**
 * @module directory/manifest/plan
 * Compares what the manifest declares of the directory with what the store holds and says what apply must
 * do. Objects are matched by their stable names, never by generated ids, so the ids made the first time are
 * kept forever. Fields the manifest omits take their documented defaults (the manifest is the whole
 * declaration of an object it names). Objects it does not name are "not managed": listed, and deleted only
 * with `prune`. A pinned id that differs from the stored object's is refused: ids are immutable.
 *
 * Each step is a directory call by name, run with the directory bound to apply's transaction, so that objects
 * created earlier in the same apply are found by the later steps that refer to them.
 */

import type { Planner } from '../../manifest/planner.ts';
import type { StoredTenant, TenantPlan } from '../../manifest/section.ts';
import type { KeyPath } from '../../manifest/source.ts';
import type { PlanObject } from '../../manifest/types.ts';
import type { FederationOwner } from '../credentials.ts';
import type { Directory } from '../directory.ts';
import { FIRST_PARTY_APPS } from '../first-party.ts';
import type { AppRoleInput, UpdateAppInput, UpdateResourceInput, UpdateTenantInput } from '../inputs.ts';
import {
  type Application,
  type AppRole,
  type AppRoleAssignment,
  DEFAULT_APP_ROLE_ID,
  type FederatedCredential,
  type ManagedIdentity,
  type OptionalClaim,
  type PowerState,
  type Resource,
  type Tenant,
  VM_DEFAULTS,
  type VmSettings,
} from '../types.ts';
import {
  type ManifestApp,
  type ManifestAppRole,
  type ManifestFederatedCredential,
  type ManifestOptionalClaim,
  type ManifestResource,
  type ManifestTenant,
  PRINCIPAL_PATTERN,
  tenantDomains,
} from './schema.ts';

/**
 * The directory's phases (manifest/planner: deletions below 100, dependents first; then creates and updates,
 * dependencies first). Gaps leave room for other planes' sections, which place theirs relative to these:
 * Easy Auth deletes a config before its resource and sets it after the apps and assignments.
 */
export const DIRECTORY_PHASE = {
  deleteRoleAssignment: 0,
  deleteFederatedCredential: 10,
  deleteResource: 30,
  deleteApp: 40,
  deleteIdentity: 50,
  deleteTenant: 60,
  tenant: 100,
  identity: 110,
  app: 120,
  resource: 130,
  federatedCredential: 140,
  roleAssignment: 150,
} as const;

const PHASE = DIRECTORY_PHASE;

type DirectoryPlanner = Planner<Directory>;

/** What the store holds of one tenant's directory objects. */
export interface DirectoryState {
  tenant: Tenant | undefined;
  apps: Application[];
  identities: ManagedIdentity[];
  resources: Resource[];
  assignments: AppRoleAssignment[];
  appCredentials: Map<string, FederatedCredential[]>;
  identityCredentials: Map<string, FederatedCredential[]>;
}

export async function readDirectory(d: Directory, stored: StoredTenant | undefined): Promise<DirectoryState> {
  if (!stored) {
    return {
      tenant: undefined,
      apps: [],
      identities: [],
      resources: [],
      assignments: [],
      appCredentials: new Map(),
      identityCredentials: new Map(),
    };
  }
  // The framework hands back the very objects the base section's `tenants` listed: Directory tenants.
  const tenant = stored as Tenant;
  const apps = await d.listApps(tenant.id);
  const identities = await d.listIdentities(tenant.id);
  const resources = await d.listResources(tenant.id);
  const assignments = await d.listRoleAssignments(tenant.id);
  const appCredentials = new Map<string, FederatedCredential[]>();
  for (const app of apps) {
    appCredentials.set(
      app.name,
      await d.listFederatedCredentials(tenant.id, { kind: 'app', name: app.objectId }),
    );
  }
  const identityCredentials = new Map<string, FederatedCredential[]>();
  for (const identity of identities) {
    identityCredentials.set(
      identity.name,
      await d.listFederatedCredentials(tenant.id, { kind: 'identity', name: identity.id }),
    );
  }
  return { tenant, apps, identities, resources, assignments, appCredentials, identityCredentials };
}

// ---- how field changes read ----

const quote = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.join(', ')}]`;
const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const sorted = (xs: readonly string[]): string[] => [...new Set(xs)].sort();
const sameSet = (a: readonly string[], b: readonly string[]): boolean => sameList(sorted(a), sorted(b));

export function assignmentName(principal: string, app: string, role: string | null | undefined): string {
  return `${principal} → ${app}/${role ?? '(default)'}`;
}

const recreateHint = (kind: string, stored: string, field: string) =>
  `Remove the pin to keep ${stored}; or, to get a new ${field}, take the ${kind} out of the manifest, ` +
  `apply with --prune (it is deleted, with its assignments), then declare it again.`;

// ---- tenants ----

function planTenant(p: DirectoryPlanner, t: ManifestTenant, ti: number, existing: Tenant | undefined): void {
  const object: PlanObject = { kind: 'tenant', tenant: t.name, name: t.name };
  const domains = tenantDomains(t);
  const displayName = t.displayName ?? t.name;
  if (!existing) {
    p.add(PHASE.tenant, 'create', object, (d) =>
      d.createTenant({
        name: t.name,
        displayName,
        domains,
        ...(t.id === undefined ? {} : { id: t.id }),
        ...(t.defaultSubscriptionId === undefined ? {} : { defaultSubscriptionId: t.defaultSubscriptionId }),
        ...(t.defaultResourceGroup === undefined ? {} : { defaultResourceGroup: t.defaultResourceGroup }),
      }),
    );
    return;
  }
  const what = `tenant ${t.name}`;
  const path: KeyPath = ['tenants', ti];
  if (t.id !== undefined && t.id !== existing.id) {
    p.immutable([...path, 'id'], what, 'id', existing.id, t.id, recreateHint('tenant', existing.id, 'id'));
  }
  if (t.defaultSubscriptionId !== undefined && t.defaultSubscriptionId !== existing.defaultSubscriptionId) {
    p.immutable(
      [...path, 'defaultSubscriptionId'],
      what,
      'defaultSubscriptionId',
      existing.defaultSubscriptionId,
      t.defaultSubscriptionId,
      recreateHint('tenant', existing.defaultSubscriptionId, 'defaultSubscriptionId'),
    );
  }
  if (t.defaultResourceGroup !== undefined && t.defaultResourceGroup !== existing.defaultResourceGroup) {
    p.immutable(
      [...path, 'defaultResourceGroup'],
      what,
      'defaultResourceGroup',
      existing.defaultResourceGroup,
      t.defaultResourceGroup,
      recreateHint('tenant', existing.defaultResourceGroup, 'defaultResourceGroup'),
    );
  }
  const changes: string[] = [];
  const input: UpdateTenantInput = {};
  if (displayName !== existing.displayName) {
    changes.push(`displayName: ${quote(existing.displayName)} → ${quote(displayName)}`);
    input.displayName = displayName;
  }
  // The first domain is the default one; the order of the others carries no meaning.
  if (domains[0] !== existing.domains[0] || !sameSet(domains.slice(1), existing.domains.slice(1))) {
    changes.push(`domains: ${list(existing.domains)} → ${list(domains)}`);
    input.domains = domains;
  }
  if (changes.length > 0)
    p.add(PHASE.tenant, 'update', object, (d) => d.updateTenant(t.name, input), changes);
}

// ---- apps ----

function roleInput(r: ManifestAppRole): AppRoleInput {
  return {
    value: r.value,
    displayName: r.displayName ?? r.value,
    description: r.description,
    allowedMemberTypes: r.allowedMemberTypes,
    isEnabled: r.isEnabled,
    // Unpinned roles keep their stored id: the directory matches them by value.
    ...(r.id === undefined ? {} : { id: r.id }),
  };
}

function roleChanges(
  p: DirectoryPlanner,
  app: ManifestApp,
  path: KeyPath,
  existing: AppRole[],
  what: string,
): string[] {
  const lines: string[] = [];
  const matched = new Set<string>();
  app.appRoles.forEach((r, i) => {
    let stored = r.id === undefined ? undefined : existing.find((x) => x.id === r.id);
    if (!stored) {
      const byValue = existing.find((x) => x.value === r.value);
      if (byValue && r.id !== undefined && byValue.id !== r.id) {
        p.immutable(
          [...path, 'appRoles', i, 'id'],
          `role ${r.value} of ${what}`,
          'id',
          byValue.id,
          r.id,
          `Remove the pin to keep ${byValue.id}; assignments point at role ids, so a role id never changes.`,
        );
      }
      stored = byValue;
    }
    if (!stored) {
      lines.push(`appRoles: + ${r.value}`);
      return;
    }
    matched.add(stored.id);
    const label = `appRoles[${stored.value}]`;
    const want = roleInput(r);
    if (stored.value !== r.value) lines.push(`${label}.value: ${quote(stored.value)} → ${quote(r.value)}`);
    if (stored.displayName !== want.displayName)
      lines.push(`${label}.displayName: ${quote(stored.displayName)} → ${quote(want.displayName ?? '')}`);
    if (stored.description !== r.description)
      lines.push(`${label}.description: ${quote(stored.description)} → ${quote(r.description)}`);
    if (!sameSet(stored.allowedMemberTypes, r.allowedMemberTypes))
      lines.push(
        `${label}.allowedMemberTypes: ${list(stored.allowedMemberTypes)} → ${list(r.allowedMemberTypes)}`,
      );
    if (stored.isEnabled !== r.isEnabled)
      lines.push(`${label}.isEnabled: ${stored.isEnabled} → ${r.isEnabled}`);
  });
  for (const stored of existing) if (!matched.has(stored.id)) lines.push(`appRoles: - ${stored.value}`);
  return lines;
}

// ---- optional claims ----

/** A claim as the plan prints it: its name, with its additional properties in parentheses. */
function claimLabel(c: { name: string; additionalProperties: readonly string[] }): string {
  const props = sorted(c.additionalProperties);
  return props.length > 0 ? `${c.name}(${props.join(', ')})` : c.name;
}

/** Order does not matter to Entra: the claims compare as a set of (name, essential, properties). */
function claimsKey(claims: readonly (ManifestOptionalClaim | OptionalClaim)[]): string {
  return JSON.stringify(
    claims
      .map((c) => [c.name, c.essential, sorted(c.additionalProperties)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function claimInput(c: ManifestOptionalClaim) {
  return { name: c.name, essential: c.essential, additionalProperties: c.additionalProperties };
}

function planApps(p: DirectoryPlanner, t: ManifestTenant, ti: number, state: DirectoryState): void {
  t.apps.forEach((app, ai) => {
    const object: PlanObject = { kind: 'app', tenant: t.name, name: app.name };
    const path: KeyPath = ['tenants', ti, 'apps', ai];
    const displayName = app.displayName ?? app.name;
    const existing = state.apps.find((a) => a.name === app.name);
    if (!existing) {
      p.add(PHASE.app, 'create', object, (d) =>
        d.createApp(t.name, {
          name: app.name,
          ...(app.appId === undefined ? {} : { appId: app.appId }),
          displayName,
          identifierUris: app.identifierUris,
          appRoles: app.appRoles.map(roleInput),
          appRoleAssignmentRequired: app.appRoleAssignmentRequired,
          accessTokenAcceptedVersion: app.accessTokenAcceptedVersion,
          optionalClaims: { accessToken: app.optionalClaims.accessToken.map(claimInput) },
        }),
      );
      return;
    }
    const what = `app ${t.name}/${app.name}`;
    if (app.appId !== undefined && app.appId !== existing.appId) {
      p.immutable(
        [...path, 'appId'],
        what,
        'appId',
        existing.appId,
        app.appId,
        recreateHint('app', existing.appId, 'appId'),
      );
    }
    const changes: string[] = [];
    const input: UpdateAppInput = {};
    if (displayName !== existing.displayName) {
      changes.push(`displayName: ${quote(existing.displayName)} → ${quote(displayName)}`);
      input.displayName = displayName;
    }
    if (!sameList(app.identifierUris, existing.identifierUris)) {
      changes.push(`identifierUris: ${list(existing.identifierUris)} → ${list(app.identifierUris)}`);
      input.identifierUris = app.identifierUris;
    }
    if (app.appRoleAssignmentRequired !== existing.appRoleAssignmentRequired) {
      changes.push(
        `appRoleAssignmentRequired: ${existing.appRoleAssignmentRequired} → ${app.appRoleAssignmentRequired}`,
      );
      input.appRoleAssignmentRequired = app.appRoleAssignmentRequired;
    }
    if (app.accessTokenAcceptedVersion !== existing.accessTokenAcceptedVersion) {
      changes.push(
        `accessTokenAcceptedVersion: ${existing.accessTokenAcceptedVersion} → ${app.accessTokenAcceptedVersion}`,
      );
      input.accessTokenAcceptedVersion = app.accessTokenAcceptedVersion;
    }
    const declaredClaims = app.optionalClaims.accessToken;
    const storedClaims = existing.optionalClaims.accessToken;
    if (claimsKey(declaredClaims) !== claimsKey(storedClaims)) {
      changes.push(
        `optionalClaims.accessToken: ${list(storedClaims.map(claimLabel))} → ${list(declaredClaims.map(claimLabel))}`,
      );
      input.optionalClaims = { accessToken: declaredClaims.map(claimInput) };
    }
    const roles = roleChanges(p, app, path, existing.appRoles, what);
    if (roles.length > 0) {
      changes.push(...roles);
      input.appRoles = app.appRoles.map(roleInput);
    }
    if (changes.length > 0)
      p.add(PHASE.app, 'update', object, (d) => d.updateApp(t.name, app.name, input), changes);
  });
  for (const stored of state.apps) {
    if (t.apps.some((a) => a.name === stored.name)) continue;
    p.undeclared(PHASE.deleteApp, { kind: 'app', tenant: t.name, name: stored.name }, (d) =>
      d.deleteApp(t.name, stored.objectId),
    );
  }
}

// ---- user-assigned identities ----

function planIdentities(p: DirectoryPlanner, t: ManifestTenant, ti: number, state: DirectoryState): void {
  t.identities.forEach((identity, ii) => {
    const object: PlanObject = { kind: 'identity', tenant: t.name, name: identity.name };
    const path: KeyPath = ['tenants', ti, 'identities', ii];
    const existing = state.identities.find((x) => x.name === identity.name);
    if (!existing) {
      p.add(PHASE.identity, 'create', object, (d) =>
        d.createIdentity(t.name, {
          name: identity.name,
          ...(identity.clientId === undefined ? {} : { clientId: identity.clientId }),
          ...(identity.principalId === undefined ? {} : { principalId: identity.principalId }),
          ...(identity.subscriptionId === undefined ? {} : { subscriptionId: identity.subscriptionId }),
          ...(identity.resourceGroup === undefined ? {} : { resourceGroup: identity.resourceGroup }),
        }),
      );
      return;
    }
    const what = `identity ${t.name}/${identity.name}`;
    for (const field of ['clientId', 'principalId', 'subscriptionId', 'resourceGroup'] as const) {
      const declared = identity[field];
      if (declared !== undefined && declared !== existing[field]) {
        p.immutable(
          [...path, field],
          what,
          field,
          existing[field],
          declared,
          recreateHint('identity', existing[field], field),
        );
      }
    }
  });
  for (const stored of state.identities) {
    if (t.identities.some((x) => x.name === stored.name)) continue;
    const notes = stored.attachedTo.length > 0 ? [`detached from ${list(stored.attachedTo)}`] : [];
    p.undeclared(
      PHASE.deleteIdentity,
      { kind: 'identity', tenant: t.name, name: stored.name },
      (d) => d.deleteIdentity(t.name, stored.id),
      notes,
    );
  }
}

// ---- resources ----

/**
 * What a declared VM asks for: its settings with their defaults (the manifest is the whole declaration), and
 * its power state only if declared — it changes at run time (`lanyard resource update`, Resource Manager), so
 * an apply that does not name one leaves it alone. Empty for other kinds (checks.ts refuses the fields there).
 */
function vmDeclared(resource: ManifestResource): Partial<VmSettings> & { powerState?: PowerState } {
  if (resource.kind !== 'vm') return {};
  return {
    ...(resource.powerState === undefined ? {} : { powerState: resource.powerState }),
    vmSize: resource.vmSize ?? VM_DEFAULTS.vmSize,
    location: resource.location ?? VM_DEFAULTS.location,
    osType: resource.osType ?? VM_DEFAULTS.osType,
    computerName: resource.computerName ?? resource.name,
  };
}

/** The VM fields that differ from the stored VM's, as plan lines and as the update's input. */
function vmChanges(resource: ManifestResource, existing: Resource, input: UpdateResourceInput): string[] {
  if (resource.kind !== 'vm' || existing.kind !== 'vm') return [];
  const want = vmDeclared(resource);
  const lines: string[] = [];
  const differs = <K extends keyof VmSettings>(field: K) =>
    want[field] !== undefined && want[field] !== existing[field];
  if (want.powerState !== undefined && want.powerState !== existing.powerState) {
    lines.push(`powerState: ${existing.powerState} → ${want.powerState}`);
    input.powerState = want.powerState;
  }
  if (differs('osType')) {
    lines.push(`osType: ${existing.osType} → ${want.osType}`);
    input.osType = want.osType;
  }
  for (const field of ['vmSize', 'location', 'computerName'] as const) {
    if (!differs(field)) continue;
    lines.push(`${field}: ${quote(existing[field] ?? '')} → ${quote(want[field] ?? '')}`);
    input[field] = want[field];
  }
  return lines;
}

function planResources(p: DirectoryPlanner, t: ManifestTenant, ti: number, state: DirectoryState): void {
  t.resources.forEach((resource, ri) => {
    const object: PlanObject = { kind: 'resource', tenant: t.name, name: resource.name };
    const path: KeyPath = ['tenants', ti, 'resources', ri];
    const existing = state.resources.find((r) => r.name.toLowerCase() === resource.name.toLowerCase());
    if (!existing) {
      p.add(PHASE.resource, 'create', object, (d) =>
        d.createResource(t.name, {
          name: resource.name,
          kind: resource.kind,
          ...(resource.subscriptionId === undefined ? {} : { subscriptionId: resource.subscriptionId }),
          ...(resource.resourceGroup === undefined ? {} : { resourceGroup: resource.resourceGroup }),
          systemAssignedIdentity: resource.systemAssignedIdentity,
          userAssignedIdentities: resource.userAssignedIdentities,
          ...vmDeclared(resource),
        }),
      );
      return;
    }
    const what = `resource ${t.name}/${resource.name}`;
    if (resource.kind !== existing.kind) {
      p.immutable(
        [...path, 'kind'],
        what,
        'kind',
        existing.kind,
        resource.kind,
        'Take the resource out of the manifest, apply with --prune (it is deleted with its system-assigned identity), then declare it again with the new kind.',
      );
    }
    for (const field of ['subscriptionId', 'resourceGroup'] as const) {
      const declared = resource[field];
      if (declared !== undefined && declared !== existing[field]) {
        p.immutable(
          [...path, field],
          what,
          field,
          existing[field],
          declared,
          recreateHint('resource', existing[field], field),
        );
      }
    }
    const changes: string[] = [];
    const input: UpdateResourceInput = {};
    const hasSystem = existing.systemAssignedIdentity !== null;
    if (resource.systemAssignedIdentity !== hasSystem) {
      changes.push(
        `systemAssignedIdentity: ${hasSystem} → ${resource.systemAssignedIdentity}${
          hasSystem ? ' (the identity and its role assignments are deleted)' : ''
        }`,
      );
      input.systemAssignedIdentity = resource.systemAssignedIdentity;
    }
    const attached = existing.userAssignedIdentities.map((x) => x.name);
    if (!sameSet(attached, resource.userAssignedIdentities)) {
      changes.push(
        `userAssignedIdentities: ${list(sorted(attached))} → ${list(sorted(resource.userAssignedIdentities))}`,
      );
      input.userAssignedIdentities = resource.userAssignedIdentities;
    }
    changes.push(...vmChanges(resource, existing, input));
    if (changes.length > 0) {
      p.add(PHASE.resource, 'update', object, (d) => d.updateResource(t.name, resource.name, input), changes);
    }
  });
  for (const stored of state.resources) {
    if (t.resources.some((r) => r.name.toLowerCase() === stored.name.toLowerCase())) continue;
    const notes = stored.systemAssignedIdentity ? ['its system-assigned identity is deleted with it'] : [];
    p.undeclared(
      PHASE.deleteResource,
      { kind: 'resource', tenant: t.name, name: stored.name },
      (d) => d.deleteResource(t.name, stored.id),
      notes,
    );
  }
}

// ---- federated credentials ----

function planCredentials(
  p: DirectoryPlanner,
  t: ManifestTenant,
  owner: FederationOwner,
  declared: readonly ManifestFederatedCredential[],
  existing: readonly FederatedCredential[],
): void {
  const label = (name: string) => `${owner.kind}:${owner.name}/${name}`;
  for (const f of declared) {
    const object: PlanObject = { kind: 'federatedCredential', tenant: t.name, name: label(f.name) };
    const input = {
      name: f.name,
      issuer: f.issuer,
      subject: f.subject,
      audiences: f.audiences,
      description: f.description,
    };
    const stored = existing.find((x) => x.name === f.name);
    if (!stored) {
      p.add(PHASE.federatedCredential, 'create', object, (d) =>
        d.addFederatedCredential(t.name, owner, input),
      );
      continue;
    }
    const changes: string[] = [];
    if (stored.issuer !== f.issuer) changes.push(`issuer: ${quote(stored.issuer)} → ${quote(f.issuer)}`);
    if (stored.subject !== f.subject) changes.push(`subject: ${quote(stored.subject)} → ${quote(f.subject)}`);
    if (!sameList(stored.audiences, f.audiences))
      changes.push(`audiences: ${list(stored.audiences)} → ${list(f.audiences)}`);
    if (stored.description !== f.description)
      changes.push(`description: ${quote(stored.description)} → ${quote(f.description)}`);
    if (changes.length > 0) {
      // The directory has no in-place update: Entra's own PATCH replaces the credential too.
      p.add(
        PHASE.federatedCredential,
        'update',
        object,
        async (d) => {
          await d.removeFederatedCredential(t.name, owner, stored.id);
          await d.addFederatedCredential(t.name, owner, input);
        },
        changes,
      );
    }
  }
  for (const stored of existing) {
    if (declared.some((f) => f.name === stored.name)) continue;
    p.undeclared(
      PHASE.deleteFederatedCredential,
      { kind: 'federatedCredential', tenant: t.name, name: label(stored.name) },
      (d) => d.removeFederatedCredential(t.name, owner, stored.id),
    );
  }
}

// ---- role assignments ----

function planAssignments(p: DirectoryPlanner, t: ManifestTenant, state: DirectoryState): void {
  // How the manifest names each service principal the store holds.
  const refBySp = new Map<string, string>();
  for (const a of state.apps) refBySp.set(a.servicePrincipalId, `app:${a.name}`);
  for (const x of state.identities) refBySp.set(x.principalId, `identity:${x.name}`);
  for (const r of state.resources) {
    if (r.systemAssignedIdentity) refBySp.set(r.systemAssignedIdentity.principalId, `resource:${r.name}`);
  }
  // The stored service principal a declared principal names, if it exists yet.
  const spOf = (ref: string): string | undefined => {
    const [, kind, name = ''] = PRINCIPAL_PATTERN.exec(ref) ?? [];
    if (kind === 'app') return state.apps.find((a) => a.name === name)?.servicePrincipalId;
    if (kind === 'identity') return state.identities.find((x) => x.name === name)?.principalId;
    return state.resources.find((r) => r.name.toLowerCase() === name.toLowerCase())?.systemAssignedIdentity
      ?.principalId;
  };
  const declaredRole = (app: string, role: string) =>
    t.apps.find((a) => a.name === app)?.appRoles.find((r) => r.value === role || r.id === role.toLowerCase());
  // Assignments point at role ids; a declared role is matched to the stored role it will be.
  const roleIdOf = (app: string, role: string | undefined): string => {
    if (role === undefined) return DEFAULT_APP_ROLE_ID;
    const declared = declaredRole(app, role);
    if (declared?.id) return declared.id;
    const value = declared?.value ?? role;
    // Microsoft's apps (Graph's permissions) are not in the state's apps: their roles are defined in code.
    const firstParty = FIRST_PARTY_APPS.find((a) => a.name === app)?.appRoles.find(
      (r) => r.value === value || r.id === value.toLowerCase(),
    );
    return (
      firstParty?.id ??
      state.apps.find((a) => a.name === app)?.appRoles.find((r) => r.value === value)?.id ??
      `new:${value}`
    );
  };
  const keyOf = (sp: string, app: string, roleId: string) => `${sp}\n${app}\n${roleId}`;

  const declaredKeys = new Set<string>();
  for (const ra of t.roleAssignments) {
    const sp = spOf(ra.principal);
    if (sp !== undefined) {
      const key = keyOf(sp, ra.app, roleIdOf(ra.app, ra.role));
      declaredKeys.add(key);
      if (state.assignments.some((a) => keyOf(a.principalId, a.resourceAppName, a.appRoleId) === key))
        continue;
    }
    const roleLabel = ra.role === undefined ? undefined : (declaredRole(ra.app, ra.role)?.value ?? ra.role);
    p.add(
      PHASE.roleAssignment,
      'create',
      { kind: 'roleAssignment', tenant: t.name, name: assignmentName(ra.principal, ra.app, roleLabel) },
      (d) =>
        d.assignRole(t.name, {
          principal: ra.principal,
          app: ra.app,
          ...(ra.role === undefined ? {} : { role: ra.role }),
        }),
    );
  }
  for (const a of state.assignments) {
    if (declaredKeys.has(keyOf(a.principalId, a.resourceAppName, a.appRoleId))) continue;
    const principal = refBySp.get(a.principalId) ?? `${a.principalDisplayName} (${a.principalId})`;
    p.undeclared(
      PHASE.deleteRoleAssignment,
      {
        kind: 'roleAssignment',
        tenant: t.name,
        name: assignmentName(principal, a.resourceAppName, a.appRoleValue),
      },
      (d) => d.unassignRole(t.name, a.id),
    );
  }
}

/** Plans one declared tenant's directory objects, in the order of their phases. */
export function planDirectory(ctx: TenantPlan<Directory>, state: DirectoryState): void {
  const p = ctx.planner;
  const t = ctx.declared as unknown as ManifestTenant;
  const ti = ctx.index;
  planTenant(p, t, ti, state.tenant);
  planIdentities(p, t, ti, state);
  planApps(p, t, ti, state);
  planResources(p, t, ti, state);
  for (const app of t.apps) {
    planCredentials(
      p,
      t,
      { kind: 'app', name: app.name },
      app.federatedCredentials,
      state.appCredentials.get(app.name) ?? [],
    );
  }
  for (const identity of t.identities) {
    planCredentials(
      p,
      t,
      { kind: 'identity', name: identity.name },
      identity.federatedCredentials,
      state.identityCredentials.get(identity.name) ?? [],
    );
  }
  planAssignments(p, t, state);
}

/** A stored tenant the manifest does not name: deleted with everything in it (prune), else not managed. */
export function planUndeclaredTenant(p: DirectoryPlanner, s: StoredTenant): void {
  p.undeclared(
    PHASE.deleteTenant,
    { kind: 'tenant', tenant: s.name, name: s.name },
    (dir) => dir.deleteTenant(s.id),
    ['with everything in it: apps, identities, resources, assignments, credentials'],
  );
}
