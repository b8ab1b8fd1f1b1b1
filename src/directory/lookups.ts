/**
 * @module directory/lookups
 * The read paths other planes need, each one query or two: who is the caller (by client id), which app does a
 * token request name (by identifier URI or appId), which roles does the caller hold on it; and the names of
 * resources that other planes keep rows for (Easy Auth configs, workloads), read by id in one query.
 */
import { type StoreDb, tablesOf } from '../store/handle.ts';
import { accessTokenClaimsOf, appRolesOf, findAppRow } from './applications.ts';
import type { Tx } from './context.ts';
import { firstPartyApp } from './first-party.ts';
import { identifierUriKey } from './identifier-uris.ts';
import type { DirectoryTables } from './tables.ts';
import type { MemberType, OptionalClaim } from './types.ts';

/** A principal that can ask for tokens, found by the client id it presents. */
export interface ClientPrincipal {
  kind: 'app' | 'identity';
  tenantId: string;
  /** appId of the app, or clientId of the managed identity. */
  clientId: string;
  /** Service principal object id: the token's `oid` and `sub`. */
  principalId: string;
  displayName: string;
  /** How the CLI and the manifest name it as a principal: `app:<name>`, `identity:<name>` or `resource:<name>`. */
  ref: string;
  /** Set for apps: the application's object id (its credentials hang off it). */
  appObjectId?: string;
  /** Set for managed identities. */
  identityId?: string;
  /** Managed identities: the Azure resource id carried as `xms_mirid`. */
  miResourceId?: string;
}

/** The app a token request names, with the identifier it was named by. */
export interface ResourceApp {
  tenantId: string;
  appObjectId: string;
  appId: string;
  name: string;
  displayName: string;
  servicePrincipalId: string;
  appRoleAssignmentRequired: boolean;
  accessTokenAcceptedVersion: 1 | 2;
  firstParty: boolean;
  /** The optional claims the app asks for in its access tokens (the issuer emits only these). */
  accessTokenClaims: readonly OptionalClaim[];
  /** Values of the enabled roles that Application principals may hold (for hints). */
  applicationRoles: string[];
}

export async function findClient(
  db: Tx,
  tenantId: string,
  clientId: string,
): Promise<ClientPrincipal | undefined> {
  const sp = await db
    .selectFrom('service_principals')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('app_id', '=', clientId.toLowerCase())
    .executeTakeFirst();
  if (!sp) return undefined;
  if (sp.type === 'Application') {
    const app = await db
      .selectFrom('applications')
      .select(['object_id', 'name', 'first_party'])
      .where('object_id', '=', sp.app_object_id ?? '')
      .executeTakeFirst();
    // First-party apps are Microsoft's: nobody holds their credentials here.
    if (!app || app.first_party === 1) return undefined;
    return {
      kind: 'app',
      tenantId,
      clientId: sp.app_id,
      principalId: sp.object_id,
      displayName: sp.display_name,
      ref: `app:${app.name}`,
      appObjectId: app.object_id,
    };
  }
  const mi = await db
    .selectFrom('managed_identities')
    .selectAll()
    .where('id', '=', sp.identity_id ?? '')
    .executeTakeFirst();
  if (!mi) return undefined;
  return {
    kind: 'identity',
    tenantId,
    clientId: mi.client_id,
    principalId: mi.principal_id,
    displayName: mi.name,
    // A system-assigned identity is named after the resource that carries it.
    ref: mi.kind === 'system' ? `resource:${mi.name}` : `identity:${mi.name}`,
    identityId: mi.id,
    miResourceId: mi.arm_id,
  };
}

/** Finds the app a `resource` (v1) or scope prefix (v2) names: an identifier URI or an appId. */
export async function findResourceApp(
  db: Tx,
  tenantId: string,
  identifier: string,
): Promise<ResourceApp | undefined> {
  let row = await db
    .selectFrom('applications')
    .innerJoin('identifier_uris', 'identifier_uris.app_object_id', 'applications.object_id')
    .selectAll('applications')
    .where('identifier_uris.tenant_id', '=', tenantId)
    .where('identifier_uris.uri_key', '=', identifierUriKey(identifier))
    .executeTakeFirst();
  if (!row && /^[0-9a-fA-F-]{36}$/.test(identifier)) {
    row = await findAppRow(db, tenantId, identifier);
    if (row && row.app_id !== identifier.toLowerCase()) row = undefined;
  }
  if (!row) return undefined;
  const sp = await db
    .selectFrom('service_principals')
    .select('object_id')
    .where('app_object_id', '=', row.object_id)
    .executeTakeFirstOrThrow();
  const roles = (await appRolesOf(db, row)).filter((r) => r.isEnabled);
  return {
    tenantId,
    appObjectId: row.object_id,
    appId: row.app_id,
    name: row.name,
    displayName: row.display_name,
    servicePrincipalId: sp.object_id,
    appRoleAssignmentRequired: row.app_role_assignment_required === 1,
    accessTokenAcceptedVersion: row.access_token_accepted_version === 2 ? 2 : 1,
    firstParty: row.first_party === 1,
    accessTokenClaims: accessTokenClaimsOf(row),
    applicationRoles: roles.filter((r) => r.allowedMemberTypes.includes('Application')).map((r) => r.value),
  };
}

export interface GrantedRoles {
  /** Whether the principal holds any assignment on the resource (the default role counts). */
  assigned: boolean;
  /** Values of the enabled Application roles it holds: the token's `roles` claim. */
  roles: string[];
}

export async function grantedRoles(
  db: Tx,
  principalId: string,
  resource: ResourceApp,
): Promise<GrantedRoles> {
  const rows = await db
    .selectFrom('app_role_assignments as a')
    .leftJoin('app_roles as r', (j) =>
      j.onRef('r.id', '=', 'a.app_role_id').on('r.app_object_id', '=', resource.appObjectId),
    )
    .select(['a.app_role_id', 'r.value', 'r.is_enabled', 'r.allowed_member_types'])
    .where('a.principal_id', '=', principalId)
    .where('a.resource_sp_id', '=', resource.servicePrincipalId)
    .execute();
  if (resource.firstParty) {
    // Microsoft's roles are defined in code (first-party.ts), not in app_roles.
    const defined = firstPartyApp(resource.appId)?.appRoles ?? [];
    const held = new Set(rows.map((r) => r.app_role_id));
    const values = defined
      .filter((r) => held.has(r.id) && r.isEnabled && r.allowedMemberTypes.includes('Application'))
      .map((r) => r.value)
      .sort();
    return { assigned: rows.length > 0, roles: values };
  }
  const roles = rows
    .filter(
      (r) =>
        r.value !== null &&
        r.is_enabled === 1 &&
        (JSON.parse(r.allowed_member_types ?? '[]') as MemberType[]).includes('Application'),
    )
    .map((r) => r.value as string)
    .sort();
  return { assigned: rows.length > 0, roles };
}

export interface FederatedMatch {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** The federated identity credentials of a client (app or user-assigned identity). */
export async function federatedCredentialsOf(db: Tx, client: ClientPrincipal): Promise<FederatedMatch[]> {
  let q = db.selectFrom('federated_credentials').select(['name', 'issuer', 'subject', 'audiences']);
  if (client.appObjectId) q = q.where('app_object_id', '=', client.appObjectId);
  else if (client.identityId) q = q.where('identity_id', '=', client.identityId);
  else return [];
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, audiences: JSON.parse(r.audiences) as string[] }));
}

export interface CertificateMatch {
  keyId: string;
  thumbprint: string;
  certificatePem: string;
  startDateTime: string;
  endDateTime: string;
}

/** The app's certificate with this SHA-1 (hex) or SHA-256 (hex) thumbprint. */
export async function certificateOf(
  db: Tx,
  appObjectId: string,
  thumbprint: { sha1?: string | undefined; sha256?: string | undefined },
): Promise<CertificateMatch | undefined> {
  let q = db.selectFrom('certificate_credentials').selectAll().where('app_object_id', '=', appObjectId);
  if (thumbprint.sha256) q = q.where('thumbprint_sha256', '=', thumbprint.sha256.toUpperCase());
  else if (thumbprint.sha1) q = q.where('thumbprint_sha1', '=', thumbprint.sha1.toUpperCase());
  else return undefined;
  const row = await q.executeTakeFirst();
  return row
    ? {
        keyId: row.key_id,
        thumbprint: row.thumbprint_sha1,
        certificatePem: row.certificate_pem,
        startDateTime: row.start_at,
        endDateTime: row.end_at,
      }
    : undefined;
}

/** Ids a query binds at most (SQLite bounds the number of parameters of a statement). */
const IDS_PER_QUERY = 500;

/**
 * The names of the resources with these ids, by id; ids of resources that do not exist are absent. One query
 * per 500 distinct ids (none for none). Takes the store handle as other planes hold it, so a plane inside a
 * transaction reads through that transaction.
 */
export async function resourceNames(db: StoreDb, ids: Iterable<string>): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const wanted = [...new Set(ids)];
  for (let i = 0; i < wanted.length; i += IDS_PER_QUERY) {
    const rows = await tablesOf<DirectoryTables>(db)
      .selectFrom('resources')
      .select(['id', 'name'])
      .where('id', 'in', wanted.slice(i, i + IDS_PER_QUERY))
      .execute();
    for (const r of rows) names.set(r.id, r.name);
  }
  return names;
}
