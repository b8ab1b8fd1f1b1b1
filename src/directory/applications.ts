/**
 * @module directory/applications
 * Application registrations with their identifier URIs and app roles, and the service principal each one
 * gets in its tenant. Reads accept any way a caller names an app: its name, appId, object id, or an
 * identifier URI (the last is how token requests name the resource).
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { bumpVersion, isGuid, newId, notFound, type OpContext, type Tx } from './context.ts';
import { firstPartyApp, firstPartyAppRoles } from './first-party.ts';
import { identifierUriKey, validateIdentifierUris } from './identifier-uris.ts';
import {
  type AppRoleInput,
  type CreateAppInput,
  createAppInput,
  type OptionalClaimsInput,
  parseInput,
  type UpdateAppInput,
  updateAppInput,
} from './inputs.ts';
import { normaliseAccessTokenClaims } from './optional-claims.ts';
import type { ApplicationRow } from './tables.ts';
import { requireTenantRow } from './tenant-rows.ts';
import {
  type Application,
  type AppRole,
  DEFAULT_APP_ROLE_ID,
  type MemberType,
  type OptionalClaim,
} from './types.ts';

/** The access-token optional claims of an app's row: stored for the user's apps, defined in code for Microsoft's. */
export function accessTokenClaimsOf(
  row: Pick<ApplicationRow, 'app_id' | 'first_party' | 'access_token_claims'>,
): OptionalClaim[] {
  if (row.first_party === 1) {
    const claims = firstPartyApp(row.app_id)?.accessTokenClaims ?? [];
    return claims.map((c) => ({ ...c, additionalProperties: [...c.additionalProperties] }));
  }
  return JSON.parse(row.access_token_claims) as OptionalClaim[];
}

/** An app's roles in their order: stored for the user's apps, defined in code for Microsoft's (first-party.ts). */
export async function appRolesOf(
  db: Tx,
  row: Pick<ApplicationRow, 'object_id' | 'app_id' | 'first_party'>,
): Promise<AppRole[]> {
  if (row.first_party === 1) return firstPartyAppRoles(row.app_id);
  const roles = await db
    .selectFrom('app_roles')
    .selectAll()
    .where('app_object_id', '=', row.object_id)
    .orderBy('position')
    .execute();
  return roles.map((r) => ({
    id: r.id,
    value: r.value,
    displayName: r.display_name,
    description: r.description,
    allowedMemberTypes: JSON.parse(r.allowed_member_types) as MemberType[],
    isEnabled: r.is_enabled === 1,
  }));
}

/** Validates the `optionalClaims` of a create or update; null asks for none. */
function accessTokenClaimsInput(input: OptionalClaimsInput | null): OptionalClaim[] {
  return normaliseAccessTokenClaims(input?.accessToken ?? []);
}

async function toApplication(db: Tx, row: ApplicationRow): Promise<Application> {
  const [uris, roles, sp] = await Promise.all([
    db
      .selectFrom('identifier_uris')
      .select('uri')
      .where('app_object_id', '=', row.object_id)
      .orderBy('position')
      .execute(),
    appRolesOf(db, row),
    db
      .selectFrom('service_principals')
      .select('object_id')
      .where('app_object_id', '=', row.object_id)
      .executeTakeFirst(),
  ]);
  return {
    objectId: row.object_id,
    tenantId: row.tenant_id,
    appId: row.app_id,
    name: row.name,
    displayName: row.display_name,
    identifierUris: uris.map((u) => u.uri),
    appRoles: roles,
    appRoleAssignmentRequired: row.app_role_assignment_required === 1,
    accessTokenAcceptedVersion: row.access_token_accepted_version === 2 ? 2 : 1,
    optionalClaims: { accessToken: accessTokenClaimsOf(row), idToken: [], saml2Token: [] },
    firstParty: row.first_party === 1,
    servicePrincipalId: sp?.object_id ?? '',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Finds an app in a tenant by name, appId, object id or identifier URI. */
export async function findAppRow(db: Tx, tenantId: string, ref: string): Promise<ApplicationRow | undefined> {
  const base = db.selectFrom('applications').selectAll().where('tenant_id', '=', tenantId);
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    const row = await base
      .where((eb) => eb.or([eb('app_id', '=', id), eb('object_id', '=', id)]))
      .executeTakeFirst();
    if (row) return row;
  }
  const byName = await base.where('name', '=', ref).executeTakeFirst();
  if (byName) return byName;
  if (ref.includes(':')) {
    return db
      .selectFrom('applications')
      .innerJoin('identifier_uris', 'identifier_uris.app_object_id', 'applications.object_id')
      .selectAll('applications')
      .where('identifier_uris.tenant_id', '=', tenantId)
      .where('identifier_uris.uri_key', '=', identifierUriKey(ref))
      .executeTakeFirst();
  }
  return undefined;
}

export async function requireAppRow(db: Tx, tenantId: string, ref: string): Promise<ApplicationRow> {
  const row = await findAppRow(db, tenantId, ref);
  if (!row) {
    throw notFound(
      'App',
      ref,
      'Name the app by its name, appId, object id or an identifier URI; `lanyard app list` shows them.',
    );
  }
  return row;
}

export async function getApp(db: Tx, tenantRef: string, ref: string): Promise<Application> {
  const tenant = await requireTenantRow(db, tenantRef);
  return toApplication(db, await requireAppRow(db, tenant.id, ref));
}

export async function listApps(
  db: Tx,
  tenantRef: string,
  options: { includeFirstParty?: boolean } = {},
): Promise<Application[]> {
  const tenant = await requireTenantRow(db, tenantRef);
  let q = db.selectFrom('applications').selectAll().where('tenant_id', '=', tenant.id);
  if (!options.includeFirstParty) q = q.where('first_party', '=', 0);
  const rows = await q.orderBy('first_party').orderBy('name').execute();
  return Promise.all(rows.map((r) => toApplication(db, r)));
}

function normaliseRoles(inputs: AppRoleInput[], existing: AppRole[]): AppRole[] {
  const byValue = new Map(existing.map((r) => [r.value, r]));
  const roles: AppRole[] = inputs.map((r) => {
    const prior = byValue.get(r.value);
    return {
      // A role keeps its id across updates when only its other fields change: assignments point at the id.
      id: (r.id ?? prior?.id ?? newId()).toLowerCase(),
      value: r.value,
      displayName: r.displayName ?? r.value,
      description: r.description ?? '',
      allowedMemberTypes: [...new Set(r.allowedMemberTypes ?? ['Application'])] as MemberType[],
      isEnabled: r.isEnabled ?? true,
    };
  });
  const ids = new Set<string>();
  const values = new Set<string>();
  for (const role of roles) {
    if (role.id === DEFAULT_APP_ROLE_ID) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `App role "${role.value}" cannot use the reserved default role id ${DEFAULT_APP_ROLE_ID}.`,
      );
    }
    if (ids.has(role.id)) throw new LanyardError('ERR_VALIDATION', `App role id ${role.id} is used twice.`);
    if (values.has(role.value))
      throw new LanyardError('ERR_VALIDATION', `App role value "${role.value}" is used twice.`);
    ids.add(role.id);
    values.add(role.value);
  }
  return roles;
}

export interface ApplicationFields {
  name: string;
  appId?: string | undefined;
  displayName: string;
  identifierUris: string[];
  appRoles: AppRole[];
  appRoleAssignmentRequired: boolean;
  accessTokenAcceptedVersion: 1 | 2;
  /** Already validated; first-party apps take theirs from first-party.ts and store none. */
  accessTokenClaims: OptionalClaim[];
  firstParty: boolean;
}

async function writeUris(
  ctx: OpContext,
  tenantId: string,
  appObjectId: string,
  uris: string[],
): Promise<void> {
  const { trx } = ctx;
  await trx.deleteFrom('identifier_uris').where('app_object_id', '=', appObjectId).execute();
  if (uris.length === 0) return;
  const keys = uris.map(identifierUriKey);
  const clash = await trx
    .selectFrom('identifier_uris')
    .innerJoin('applications', 'applications.object_id', 'identifier_uris.app_object_id')
    .select(['identifier_uris.uri', 'applications.name'])
    .where('identifier_uris.tenant_id', '=', tenantId)
    .where('identifier_uris.uri_key', 'in', keys)
    .executeTakeFirst();
  if (clash) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `The identifier URI ${clash.uri} is already used by app "${clash.name}" in this tenant.`,
      { hint: 'Identifier URIs are unique within a tenant: a token request must name exactly one app.' },
    );
  }
  await trx
    .insertInto('identifier_uris')
    .values(
      uris.map((uri, i) => ({
        tenant_id: tenantId,
        uri_key: keys[i]!,
        uri,
        app_object_id: appObjectId,
        position: i,
      })),
    )
    .execute();
}

async function writeRoles(ctx: OpContext, appObjectId: string, roles: AppRole[]): Promise<void> {
  await ctx.trx.deleteFrom('app_roles').where('app_object_id', '=', appObjectId).execute();
  if (roles.length === 0) return;
  await ctx.trx
    .insertInto('app_roles')
    .values(
      roles.map((r, i) => ({
        app_object_id: appObjectId,
        id: r.id,
        value: r.value,
        display_name: r.displayName,
        description: r.description,
        allowed_member_types: JSON.stringify(r.allowedMemberTypes),
        is_enabled: r.isEnabled ? 1 : 0,
        position: i,
      })),
    )
    .execute();
}

/** Inserts an application and its service principal. Inputs are already validated. */
export async function insertApplication(
  ctx: OpContext,
  tenantId: string,
  fields: ApplicationFields,
): Promise<string> {
  const { trx, nowIso } = ctx;
  const objectId = newId();
  const appId = (fields.appId ?? newId()).toLowerCase();
  const clash = await trx
    .selectFrom('applications')
    .select(['name', 'app_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('name', '=', fields.name), eb('app_id', '=', appId)]))
    .executeTakeFirst();
  if (clash) {
    const byName = clash.name === fields.name;
    throw new LanyardError(
      'ERR_CONFLICT',
      byName
        ? `An app named "${fields.name}" already exists in this tenant.`
        : `The appId ${appId} is already used by app "${clash.name}".`,
      {
        hint: byName
          ? 'App names are unique within a tenant; update the existing app instead.'
          : 'Omit appId to have one generated.',
      },
    );
  }
  const spClash = await trx
    .selectFrom('service_principals')
    .select('display_name')
    .where('tenant_id', '=', tenantId)
    .where('app_id', '=', appId)
    .executeTakeFirst();
  if (spClash) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `The id ${appId} is already the client id of "${spClash.display_name}".`,
    );
  }
  await trx
    .insertInto('applications')
    .values({
      object_id: objectId,
      tenant_id: tenantId,
      app_id: appId,
      name: fields.name,
      display_name: fields.displayName,
      app_role_assignment_required: fields.appRoleAssignmentRequired ? 1 : 0,
      access_token_accepted_version: fields.accessTokenAcceptedVersion,
      access_token_claims: JSON.stringify(fields.firstParty ? [] : fields.accessTokenClaims),
      first_party: fields.firstParty ? 1 : 0,
      created_at: nowIso,
      updated_at: nowIso,
    })
    .execute();
  await writeUris(ctx, tenantId, objectId, fields.identifierUris);
  await writeRoles(ctx, objectId, fields.appRoles);
  await trx
    .insertInto('service_principals')
    .values({
      object_id: newId(),
      tenant_id: tenantId,
      app_id: appId,
      display_name: fields.displayName,
      type: 'Application',
      app_object_id: objectId,
      identity_id: null,
      created_at: nowIso,
    })
    .execute();
  return objectId;
}

async function tenantDomains(trx: Tx, tenantId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('tenant_domains')
    .select('domain')
    .where('tenant_id', '=', tenantId)
    .execute();
  return rows.map((r) => r.domain);
}

export async function createApp(
  ctx: OpContext,
  tenantRef: string,
  raw: CreateAppInput,
): Promise<Application> {
  const input = parseInput(createAppInput, raw, 'app');
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const uris = validateIdentifierUris(input.identifierUris ?? [], await tenantDomains(ctx.trx, tenant.id));
  const objectId = await insertApplication(ctx, tenant.id, {
    name: input.name,
    appId: input.appId,
    displayName: input.displayName ?? input.name,
    identifierUris: uris,
    appRoles: normaliseRoles(input.appRoles ?? [], []),
    appRoleAssignmentRequired: input.appRoleAssignmentRequired ?? false,
    accessTokenAcceptedVersion: input.accessTokenAcceptedVersion ?? 1,
    accessTokenClaims: accessTokenClaimsInput(input.optionalClaims ?? null),
    firstParty: false,
  });
  await bumpVersion(ctx.trx);
  return getApp(ctx.trx, tenant.id, objectId);
}

function refuseFirstParty(row: ApplicationRow, verb: string): void {
  if (row.first_party === 1) {
    throw new LanyardError(
      'ERR_READ_ONLY',
      `"${row.display_name}" is a Microsoft first-party resource and cannot be ${verb}.`,
      {
        hint: 'First-party resources are pre-registered in every tenant as Azure has them; register your own app instead.',
      },
    );
  }
}

export async function updateApp(
  ctx: OpContext,
  tenantRef: string,
  ref: string,
  raw: UpdateAppInput,
): Promise<Application> {
  const input = parseInput(updateAppInput, raw, 'app update');
  const { trx } = ctx;
  const tenant = await requireTenantRow(trx, tenantRef);
  const row = await requireAppRow(trx, tenant.id, ref);
  refuseFirstParty(row, 'changed');
  const accessTokenClaims =
    input.optionalClaims === undefined
      ? row.access_token_claims
      : JSON.stringify(accessTokenClaimsInput(input.optionalClaims));
  const current = await toApplication(trx, row);
  if (input.identifierUris !== undefined) {
    const uris = validateIdentifierUris(input.identifierUris, await tenantDomains(trx, tenant.id));
    await writeUris(ctx, tenant.id, row.object_id, uris);
  }
  if (input.appRoles !== undefined) {
    const roles = normaliseRoles(input.appRoles, current.appRoles);
    const kept = new Set(roles.map((r) => r.id));
    const removed = current.appRoles.filter((r) => !kept.has(r.id));
    for (const role of removed) {
      const uses = await trx
        .selectFrom('app_role_assignments')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('resource_sp_id', '=', current.servicePrincipalId)
        .where('app_role_id', '=', role.id)
        .executeTakeFirst();
      const n = Number(uses?.n ?? 0);
      if (n > 0) {
        throw new LanyardError(
          'ERR_IN_USE',
          `App role "${role.value}" cannot be removed: ${n} principal(s) are assigned to it.`,
          {
            hint: `Remove those assignments first (\`lanyard role list --app ${row.name}\`), or set isEnabled: false to stop new assignments.`,
            details: { role: role.value, assignments: n },
          },
        );
      }
    }
    await writeRoles(ctx, row.object_id, roles);
  }
  const displayName = input.displayName ?? row.display_name;
  await trx
    .updateTable('applications')
    .set({
      display_name: displayName,
      app_role_assignment_required:
        input.appRoleAssignmentRequired === undefined
          ? row.app_role_assignment_required
          : input.appRoleAssignmentRequired
            ? 1
            : 0,
      access_token_accepted_version:
        input.accessTokenAcceptedVersion === undefined
          ? row.access_token_accepted_version
          : (input.accessTokenAcceptedVersion ?? 1),
      access_token_claims: accessTokenClaims,
      updated_at: ctx.nowIso,
    })
    .where('object_id', '=', row.object_id)
    .execute();
  await trx
    .updateTable('service_principals')
    .set({ display_name: displayName })
    .where('app_object_id', '=', row.object_id)
    .execute();
  await bumpVersion(trx);
  return getApp(trx, tenant.id, row.object_id);
}

/** Deletes an app, its service principal, its credentials and every assignment to or from it. */
export async function deleteApp(ctx: OpContext, tenantRef: string, ref: string): Promise<Application> {
  const { trx } = ctx;
  const tenant = await requireTenantRow(trx, tenantRef);
  const row = await requireAppRow(trx, tenant.id, ref);
  refuseFirstParty(row, 'deleted');
  const app = await toApplication(trx, row);
  await trx.deleteFrom('applications').where('object_id', '=', row.object_id).execute();
  await bumpVersion(trx);
  return app;
}
