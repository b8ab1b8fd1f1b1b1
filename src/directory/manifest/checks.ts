/**
 * @module directory/manifest/checks
 * Checks the directory's part of a manifest as a whole once each object is valid on its own: names that
 * repeat within a list (they are the stable keys apply addresses objects by), pinned ids used twice,
 * identifier URIs the directory would refuse, and references to apps, identities, resources or roles the
 * manifest does not declare. Reporting these at load, with their line, beats a refusal halfway through apply.
 */
import { isLanyardError } from '../../errors/lanyard-error.ts';
import { duplicates, type ManifestProblem } from '../../manifest/problems.ts';
import type { DeclaredManifest } from '../../manifest/section.ts';
import type { KeyPath } from '../../manifest/source.ts';
import { FIRST_PARTY_APPS, FIRST_PARTY_NAMES } from '../first-party.ts';
import { identifierUriKey, validateIdentifierUris } from '../identifier-uris.ts';
import { VM_FIELDS } from '../inputs.ts';
import { normaliseAccessTokenClaims, type OptionalClaimField } from '../optional-claims.ts';
import {
  type DirectoryManifest,
  type ManifestApp,
  type ManifestFederatedCredential,
  type ManifestTenant,
  PRINCIPAL_PATTERN,
  tenantDomains,
} from './schema.ts';

function checkFederated(
  creds: readonly ManifestFederatedCredential[],
  base: KeyPath,
  out: ManifestProblem[],
): void {
  duplicates(
    creds,
    (c) => c.name,
    (i) => [...base, i, 'name'],
    (c, j) => `federated credential "${c.name}" is declared twice (also at index ${j})`,
    out,
  );
  duplicates(
    creds,
    (c) => `${c.issuer}\n${c.subject}`,
    (i) => [...base, i, 'subject'],
    (_c, j) =>
      `trusts the same issuer and subject as federated credential ${j}; Entra allows one credential per pair`,
    out,
  );
}

function checkApp(app: ManifestApp, base: KeyPath, domains: string[], out: ManifestProblem[]): void {
  app.identifierUris.forEach((uri, i) => {
    try {
      validateIdentifierUris([uri], domains);
    } catch (err) {
      if (!isLanyardError(err)) throw err;
      // The path already names the URI; keep the directory's reason.
      const message = err.message.replace(/^Invalid identifier URI "[^"]*": /, '');
      out.push({ kind: 'schema', path: [...base, 'identifierUris', i], message });
    }
  });
  duplicates(
    app.appRoles,
    (r) => r.value,
    (i) => [...base, 'appRoles', i, 'value'],
    (r, j) => `app role value "${r.value}" is declared twice (also appRoles[${j}])`,
    out,
  );
  duplicates(
    app.appRoles,
    (r) => r.id,
    (i) => [...base, 'appRoles', i, 'id'],
    (r, j) => `app role id ${r.id} is used twice (also appRoles[${j}])`,
    out,
  );
  checkFederated(app.federatedCredentials, [...base, 'federatedCredentials'], out);
  const claims = app.optionalClaims.accessToken;
  duplicates(
    claims,
    (c) => c.name,
    (i) => [...base, 'optionalClaims', 'accessToken', i, 'name'],
    (c, j) => `optional claim "${c.name}" is listed twice (also accessToken[${j}])`,
    out,
  );
  claims.forEach((claim, i) => {
    try {
      normaliseAccessTokenClaims([claim]);
    } catch (err) {
      if (!isLanyardError(err)) throw err;
      const field = (err.details?.field as OptionalClaimField | undefined) ?? 'name';
      out.push({
        kind: 'schema',
        path: [...base, 'optionalClaims', 'accessToken', i, field],
        message: `${err.message} ${err.hint ?? ''}`.trim(),
      });
    }
  });
}

function checkTenant(tenant: ManifestTenant, t: number, out: ManifestProblem[]): void {
  const base: KeyPath = ['tenants', t];
  const domains = tenantDomains(tenant);
  duplicates(
    domains,
    (d) => d,
    (i) => [...base, 'domains', i],
    (d) => `domain ${d} is listed twice`,
    out,
  );

  // Apps, with their identifier URIs unique across the tenant (a token request must name exactly one app).
  duplicates(
    tenant.apps,
    (a) => a.name,
    (i) => [...base, 'apps', i, 'name'],
    (a, j) => `app "${a.name}" is declared twice (also apps[${j}])`,
    out,
  );
  const uriOwner = new Map<string, string>();
  tenant.apps.forEach((app, a) => {
    checkApp(app, [...base, 'apps', a], domains, out);
    app.identifierUris.forEach((uri, i) => {
      const key = identifierUriKey(uri);
      const owner = uriOwner.get(key);
      if (owner !== undefined && owner !== app.name) {
        out.push({
          kind: 'schema',
          path: [...base, 'apps', a, 'identifierUris', i],
          message: `identifier URI ${uri} is also declared by app "${owner}"; it must be unique in the tenant`,
        });
      } else {
        uriOwner.set(key, app.name);
      }
    });
  });

  duplicates(
    tenant.identities,
    (x) => x.name,
    (i) => [...base, 'identities', i, 'name'],
    (x, j) => `identity "${x.name}" is declared twice (also identities[${j}])`,
    out,
  );
  tenant.identities.forEach((identity, i) => {
    checkFederated(identity.federatedCredentials, [...base, 'identities', i, 'federatedCredentials'], out);
  });

  // Pinned GUIDs: an appId, clientId or principalId names one service principal.
  const pins: { id: string; path: KeyPath }[] = [];
  tenant.apps.forEach((a, i) => {
    if (a.appId) pins.push({ id: a.appId, path: [...base, 'apps', i, 'appId'] });
  });
  tenant.identities.forEach((x, i) => {
    if (x.clientId) pins.push({ id: x.clientId, path: [...base, 'identities', i, 'clientId'] });
    if (x.principalId) pins.push({ id: x.principalId, path: [...base, 'identities', i, 'principalId'] });
  });
  duplicates(
    pins,
    (p) => p.id,
    (i) => pins[i]!.path,
    (p) => `id ${p.id} is pinned twice in this tenant; each app and identity needs its own`,
    out,
  );

  duplicates(
    tenant.resources,
    (r) => r.name.toLowerCase(),
    (i) => [...base, 'resources', i, 'name'],
    (r, j) => `resource "${r.name}" is declared twice (also resources[${j}]; names are case-insensitive)`,
    out,
  );
  const identities = new Set(tenant.identities.map((x) => x.name));
  tenant.resources.forEach((resource, r) => {
    if (resource.kind !== 'vm') {
      for (const field of VM_FIELDS) {
        if (resource[field] === undefined) continue;
        out.push({
          kind: 'schema',
          path: [...base, 'resources', r, field],
          message: `${field} is for resources of kind vm only (this one is of kind ${resource.kind})`,
        });
      }
    }
    const path: KeyPath = [...base, 'resources', r, 'userAssignedIdentities'];
    duplicates(
      resource.userAssignedIdentities,
      (n) => n,
      (i) => [...path, i],
      (n) => `identity "${n}" is listed twice`,
      out,
    );
    resource.userAssignedIdentities.forEach((name, i) => {
      if (!identities.has(name)) {
        out.push({
          kind: 'reference',
          path: [...path, i],
          message: `identity "${name}" is not declared under tenants[${t}].identities`,
        });
      }
    });
  });

  checkAssignments(tenant, t, out);
}

function checkAssignments(tenant: ManifestTenant, t: number, out: ManifestProblem[]): void {
  const base: KeyPath = ['tenants', t, 'roleAssignments'];
  const apps = new Map(tenant.apps.map((a) => [a.name, a]));
  const identities = new Set(tenant.identities.map((x) => x.name));
  const resources = new Map(tenant.resources.map((r) => [r.name.toLowerCase(), r]));
  const keys: (string | undefined)[] = [];
  tenant.roleAssignments.forEach((assignment, i) => {
    const [, kind, name] = PRINCIPAL_PATTERN.exec(assignment.principal) ?? [];
    const where = `tenants[${t}]`;
    if (kind === 'app' && !apps.has(name!)) {
      out.push({
        kind: 'reference',
        path: [...base, i, 'principal'],
        message: `app "${name}" is not declared under ${where}.apps`,
      });
    } else if (kind === 'identity' && !identities.has(name!)) {
      out.push({
        kind: 'reference',
        path: [...base, i, 'principal'],
        message: `identity "${name}" is not declared under ${where}.identities`,
      });
    } else if (kind === 'resource') {
      const resource = resources.get(name!.toLowerCase());
      if (!resource) {
        out.push({
          kind: 'reference',
          path: [...base, i, 'principal'],
          message: `resource "${name}" is not declared under ${where}.resources`,
        });
      } else if (!resource.systemAssignedIdentity) {
        out.push({
          kind: 'reference',
          path: [...base, i, 'principal'],
          message: `resource "${name}" has no system-assigned identity; set systemAssignedIdentity: true on it`,
        });
      }
    }

    const app = apps.get(assignment.app);
    let roleKey: string | undefined = assignment.role ?? '';
    if (app) {
      if (assignment.role !== undefined) {
        const wanted = assignment.role.toLowerCase();
        const role = app.appRoles.find((r) => r.value === assignment.role || r.id === wanted);
        if (!role) {
          const values = app.appRoles.map((r) => r.value);
          out.push({
            kind: 'reference',
            path: [...base, i, 'role'],
            message: `app "${app.name}" declares no role "${assignment.role}" (${values.length > 0 ? `its roles: ${values.join(', ')}` : 'it declares no roles: omit role for the default role'})`,
          });
          roleKey = undefined;
        } else {
          roleKey = role.value;
        }
      }
    } else if (FIRST_PARTY_NAMES.has(assignment.app)) {
      // Microsoft's apps define their roles in code (Graph's application permissions): check against those.
      const roles = FIRST_PARTY_APPS.find((a) => a.name === assignment.app)?.appRoles ?? [];
      if (assignment.role !== undefined) {
        const wanted = assignment.role.toLowerCase();
        const role = roles.find((r) => r.value === assignment.role || r.id === wanted);
        if (!role) {
          out.push({
            kind: 'reference',
            path: [...base, i, 'role'],
            message:
              roles.length > 0
                ? `first-party app "${assignment.app}" has no role "${assignment.role}" (its roles: ${roles.map((r) => r.value).join(', ')})`
                : `first-party app "${assignment.app}" defines no roles here; omit role for the default role`,
          });
          roleKey = undefined;
        } else {
          roleKey = role.value;
        }
      } else if (roles.length > 0) {
        out.push({
          kind: 'reference',
          path: [...base, i, 'role'],
          message: `first-party app "${assignment.app}" defines roles; name one (${roles.map((r) => r.value).join(', ')})`,
        });
        roleKey = undefined;
      }
    } else {
      out.push({
        kind: 'reference',
        path: [...base, i, 'app'],
        message: `app "${assignment.app}" is not declared under ${where}.apps (nor is it a first-party app)`,
      });
      roleKey = undefined;
    }
    keys.push(roleKey === undefined ? undefined : `${assignment.principal}\n${assignment.app}\n${roleKey}`);
  });
  duplicates(
    keys,
    (k) => k,
    (i) => [...base, i],
    (_k, j) => `the same assignment is declared twice (also roleAssignments[${j}])`,
    out,
  );
}

/** Every problem of the directory's part of a schema-valid manifest, pushed to `out`. */
export function checkDirectory(declared: DeclaredManifest, out: ManifestProblem[]): void {
  const manifest = declared as unknown as DirectoryManifest;
  duplicates(
    manifest.tenants,
    (t) => t.name,
    (i) => ['tenants', i, 'name'],
    (t, j) => `tenant "${t.name}" is declared twice (also tenants[${j}])`,
    out,
  );
  duplicates(
    manifest.tenants,
    (t) => t.id,
    (i) => ['tenants', i, 'id'],
    (t, j) => `tenant id ${t.id} is pinned twice (also tenants[${j}])`,
    out,
  );
  const domainOwner = new Map<string, string>();
  manifest.tenants.forEach((tenant, t) => {
    tenantDomains(tenant).forEach((domain, i) => {
      const owner = domainOwner.get(domain);
      if (owner !== undefined && owner !== tenant.name) {
        out.push({
          kind: 'schema',
          path: tenant.domains ? ['tenants', t, 'domains', i] : ['tenants', t, 'name'],
          message: `domain ${domain} also belongs to tenant "${owner}"; a domain names one tenant`,
        });
      } else {
        domainOwner.set(domain, tenant.name);
      }
    });
    checkTenant(tenant, t, out);
  });
}
