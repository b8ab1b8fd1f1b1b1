/**
 * @module directory/identities
 * Managed identities and the resources that carry them. A system-assigned identity is born and dies with its
 * resource and is named after it; a user-assigned identity has its own lifecycle and may be attached to many
 * resources. Each identity has a service principal (type ManagedIdentity, appId = clientId, objectId =
 * principalId), which is what role assignments name. A resource of kind vm also carries a power state and its
 * VM settings (size, location, OS type, computer name), which no other kind takes.
 */
import { z } from 'zod';
import { LanyardError } from '../errors/lanyard-error.ts';
import { bumpVersion, isGuid, newId, notFound, type OpContext, type Tx } from './context.ts';
import {
  type CreateIdentityInput,
  type CreateResourceInput,
  createIdentityInput,
  createResourceInput,
  parseInput,
  type UpdateResourceInput,
  updateResourceInput,
  VM_FIELDS,
  vmOsType,
} from './inputs.ts';
import type { ManagedIdentityRow, ResourceRow } from './tables.ts';
import { requireTenantRow } from './tenant-rows.ts';
import {
  type ManagedIdentity,
  PROVIDER_OF_KIND,
  type Resource,
  type ResourceKind,
  VM_DEFAULTS,
  type VmSettings,
} from './types.ts';

export function armId(subscriptionId: string, resourceGroup: string, provider: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${provider}/${name}`;
}

async function toIdentity(db: Tx, row: ManagedIdentityRow): Promise<ManagedIdentity> {
  let attachedTo: string[];
  let ownerResource: string | undefined;
  if (row.kind === 'system') {
    const owner = row.owner_resource_id
      ? await db
          .selectFrom('resources')
          .select('name')
          .where('id', '=', row.owner_resource_id)
          .executeTakeFirst()
      : undefined;
    ownerResource = owner?.name;
    attachedTo = owner ? [owner.name] : [];
  } else {
    const rows = await db
      .selectFrom('resource_identities')
      .innerJoin('resources', 'resources.id', 'resource_identities.resource_id')
      .select('resources.name')
      .where('resource_identities.identity_id', '=', row.id)
      .orderBy('resources.name')
      .execute();
    attachedTo = rows.map((r) => r.name);
  }
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    name: row.name,
    clientId: row.client_id,
    principalId: row.principal_id,
    subscriptionId: row.subscription_id,
    resourceGroup: row.resource_group,
    resourceId: row.arm_id,
    ...(ownerResource === undefined ? {} : { ownerResource }),
    attachedTo,
    createdAt: row.created_at,
  };
}

/** Finds a user-assigned identity by name, client id, principal (object) id or resource id. */
export async function findUserIdentityRow(
  db: Tx,
  tenantId: string,
  ref: string,
): Promise<ManagedIdentityRow | undefined> {
  const base = db
    .selectFrom('managed_identities')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'user');
  if (isGuid(ref)) {
    const id = ref.toLowerCase();
    const row = await base
      .where((eb) => eb.or([eb('client_id', '=', id), eb('principal_id', '=', id), eb('id', '=', id)]))
      .executeTakeFirst();
    if (row) return row;
  }
  if (ref.startsWith('/')) {
    const row = await base
      .where((eb) => eb(eb.fn('lower', ['arm_id']), '=', ref.toLowerCase()))
      .executeTakeFirst();
    if (row) return row;
  }
  return base.where('name', '=', ref).executeTakeFirst();
}

async function requireUserIdentityRow(db: Tx, tenantId: string, ref: string): Promise<ManagedIdentityRow> {
  const row = await findUserIdentityRow(db, tenantId, ref);
  if (!row) throw notFound('Identity', ref, 'List user-assigned identities with `lanyard identity list`.');
  return row;
}

export async function getIdentity(db: Tx, tenantRef: string, ref: string): Promise<ManagedIdentity> {
  const tenant = await requireTenantRow(db, tenantRef);
  return toIdentity(db, await requireUserIdentityRow(db, tenant.id, ref));
}

export async function listIdentities(
  db: Tx,
  tenantRef: string,
  options: { includeSystem?: boolean } = {},
): Promise<ManagedIdentity[]> {
  const tenant = await requireTenantRow(db, tenantRef);
  let q = db.selectFrom('managed_identities').selectAll().where('tenant_id', '=', tenant.id);
  if (!options.includeSystem) q = q.where('kind', '=', 'user');
  const rows = await q.orderBy('kind', 'desc').orderBy('name').execute();
  return Promise.all(rows.map((r) => toIdentity(db, r)));
}

async function insertIdentity(
  ctx: OpContext,
  fields: Omit<ManagedIdentityRow, 'id' | 'created_at' | 'updated_at'>,
): Promise<string> {
  const { trx, nowIso } = ctx;
  const clash = await trx
    .selectFrom('managed_identities')
    .select('name')
    .where((eb) =>
      eb.or([
        eb('client_id', 'in', [fields.client_id, fields.principal_id]),
        eb('principal_id', 'in', [fields.client_id, fields.principal_id]),
      ]),
    )
    .executeTakeFirst();
  const spClash = await trx
    .selectFrom('service_principals')
    .select('display_name')
    .where((eb) => eb.or([eb('object_id', '=', fields.principal_id), eb('app_id', '=', fields.client_id)]))
    .executeTakeFirst();
  if (clash || spClash) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `The client id or principal id is already used by "${clash?.name ?? spClash?.display_name}".`,
      {
        hint: 'Omit clientId and principalId to have them generated.',
      },
    );
  }
  const id = newId();
  await trx
    .insertInto('managed_identities')
    .values({ id, ...fields, created_at: nowIso, updated_at: nowIso })
    .execute();
  await trx
    .insertInto('service_principals')
    .values({
      object_id: fields.principal_id,
      tenant_id: fields.tenant_id,
      app_id: fields.client_id,
      display_name: fields.name,
      type: 'ManagedIdentity',
      app_object_id: null,
      identity_id: id,
      created_at: nowIso,
    })
    .execute();
  return id;
}

export async function createIdentity(
  ctx: OpContext,
  tenantRef: string,
  raw: CreateIdentityInput,
): Promise<ManagedIdentity> {
  const input = parseInput(createIdentityInput, raw, 'identity');
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  if (await findUserIdentityRow(ctx.trx, tenant.id, input.name)) {
    throw new LanyardError('ERR_CONFLICT', `A user-assigned identity named "${input.name}" already exists.`);
  }
  const sub = input.subscriptionId ?? tenant.default_subscription_id;
  const rg = input.resourceGroup ?? tenant.default_resource_group;
  const id = await insertIdentity(ctx, {
    tenant_id: tenant.id,
    kind: 'user',
    name: input.name,
    client_id: input.clientId ?? newId(),
    principal_id: input.principalId ?? newId(),
    subscription_id: sub,
    resource_group: rg,
    arm_id: armId(sub, rg, 'Microsoft.ManagedIdentity/userAssignedIdentities', input.name),
    owner_resource_id: null,
  });
  await bumpVersion(ctx.trx);
  return toIdentity(
    ctx.trx,
    await ctx.trx.selectFrom('managed_identities').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
  );
}

/** Deletes a user-assigned identity: it is detached from every resource and its assignments go with it. */
export async function deleteIdentity(
  ctx: OpContext,
  tenantRef: string,
  ref: string,
): Promise<ManagedIdentity> {
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const row = await requireUserIdentityRow(ctx.trx, tenant.id, ref);
  const identity = await toIdentity(ctx.trx, row);
  await ctx.trx.deleteFrom('managed_identities').where('id', '=', row.id).execute();
  await bumpVersion(ctx.trx);
  return identity;
}

// ---- resources ----

/** A VM's settings as stored; a key a row lacks reads as its default rather than as garbage. */
const storedVmSettings = z.object({
  vmSize: z.string().default(VM_DEFAULTS.vmSize),
  location: z.string().default(VM_DEFAULTS.location),
  osType: vmOsType.default(VM_DEFAULTS.osType),
  computerName: z.string().optional(),
});

function vmSettingsOf(row: ResourceRow): VmSettings {
  const parsed = storedVmSettings.safeParse(JSON.parse(row.settings));
  if (!parsed.success) {
    throw new LanyardError('ERR_INTERNAL', `The stored settings of resource "${row.name}" are unreadable.`, {
      details: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return { ...parsed.data, computerName: parsed.data.computerName ?? row.name };
}

/** The power state and settings of a vm; nothing for other kinds. */
function vmFieldsOf(row: ResourceRow): Partial<Resource> {
  if (row.kind !== 'vm') return {};
  return { powerState: row.power_state ?? VM_DEFAULTS.powerState, ...vmSettingsOf(row) };
}

/** Refuses a power state or VM setting on a resource of another kind, naming each one given. */
function refuseVmFields(kind: ResourceKind, name: string, input: Partial<Record<string, unknown>>): void {
  if (kind === 'vm') return;
  const given = VM_FIELDS.filter((f) => input[f] !== undefined);
  if (given.length === 0) return;
  throw new LanyardError(
    'ERR_VALIDATION',
    `Resource "${name}" is of kind ${kind}: ${given.join(', ')} apply to virtual machines (kind vm) only.`,
    {
      hint: 'Leave them out for this resource; a power state and VM settings belong to a resource of kind vm (`lanyard resource create --kind vm`).',
      details: { kind, fields: given },
    },
  );
}

async function toResource(db: Tx, row: ResourceRow): Promise<Resource> {
  const system = row.system_identity_id
    ? await db
        .selectFrom('managed_identities')
        .selectAll()
        .where('id', '=', row.system_identity_id)
        .executeTakeFirst()
    : undefined;
  const users = await db
    .selectFrom('resource_identities')
    .innerJoin('managed_identities', 'managed_identities.id', 'resource_identities.identity_id')
    .selectAll('managed_identities')
    .where('resource_identities.resource_id', '=', row.id)
    .orderBy('managed_identities.name')
    .execute();
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    kind: row.kind,
    subscriptionId: row.subscription_id,
    resourceGroup: row.resource_group,
    resourceId: row.arm_id,
    systemAssignedIdentity: system ? await toIdentity(db, system) : null,
    userAssignedIdentities: await Promise.all(users.map((u) => toIdentity(db, u))),
    ...vmFieldsOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findResourceRow(
  db: Tx,
  tenantId: string,
  ref: string,
): Promise<ResourceRow | undefined> {
  const base = db.selectFrom('resources').selectAll().where('tenant_id', '=', tenantId);
  if (isGuid(ref)) {
    const row = await base.where('id', '=', ref.toLowerCase()).executeTakeFirst();
    if (row) return row;
  }
  if (ref.startsWith('/')) {
    const row = await base
      .where((eb) => eb(eb.fn('lower', ['arm_id']), '=', ref.toLowerCase()))
      .executeTakeFirst();
    if (row) return row;
  }
  return base.where((eb) => eb(eb.fn('lower', ['name']), '=', ref.toLowerCase())).executeTakeFirst();
}

export async function requireResourceRow(db: Tx, tenantId: string, ref: string): Promise<ResourceRow> {
  const row = await findResourceRow(db, tenantId, ref);
  if (!row) throw notFound('Resource', ref, 'List resources with `lanyard resource list`.');
  return row;
}

export async function getResource(db: Tx, tenantRef: string, ref: string): Promise<Resource> {
  const tenant = await requireTenantRow(db, tenantRef);
  return toResource(db, await requireResourceRow(db, tenant.id, ref));
}

export async function listResources(db: Tx, tenantRef: string): Promise<Resource[]> {
  const tenant = await requireTenantRow(db, tenantRef);
  const rows = await db
    .selectFrom('resources')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .orderBy('name')
    .execute();
  return Promise.all(rows.map((r) => toResource(db, r)));
}

async function enableSystemIdentity(ctx: OpContext, row: ResourceRow): Promise<void> {
  const id = await insertIdentity(ctx, {
    tenant_id: row.tenant_id,
    kind: 'system',
    name: row.name,
    client_id: newId(),
    principal_id: newId(),
    subscription_id: row.subscription_id,
    resource_group: row.resource_group,
    arm_id: row.arm_id,
    owner_resource_id: row.id,
  });
  await ctx.trx.updateTable('resources').set({ system_identity_id: id }).where('id', '=', row.id).execute();
}

async function disableSystemIdentity(ctx: OpContext, row: ResourceRow): Promise<void> {
  if (!row.system_identity_id) return;
  await ctx.trx.updateTable('resources').set({ system_identity_id: null }).where('id', '=', row.id).execute();
  // Cascades to its service principal and every role assignment it held, as Azure does.
  await ctx.trx.deleteFrom('managed_identities').where('id', '=', row.system_identity_id).execute();
}

async function setUserIdentities(ctx: OpContext, row: ResourceRow, refs: string[]): Promise<void> {
  const ids: string[] = [];
  for (const ref of refs) {
    const identity = await findUserIdentityRow(ctx.trx, row.tenant_id, ref);
    if (!identity) {
      throw notFound(
        'Identity',
        ref,
        `Create it first (\`lanyard identity create --name ${ref}\`) or declare it under identities.`,
      );
    }
    if (!ids.includes(identity.id)) ids.push(identity.id);
  }
  await ctx.trx.deleteFrom('resource_identities').where('resource_id', '=', row.id).execute();
  if (ids.length > 0) {
    await ctx.trx
      .insertInto('resource_identities')
      .values(ids.map((identity_id) => ({ resource_id: row.id, identity_id, created_at: ctx.nowIso })))
      .execute();
  }
}

export async function createResource(
  ctx: OpContext,
  tenantRef: string,
  raw: CreateResourceInput,
): Promise<Resource> {
  const input = parseInput(createResourceInput, raw, 'resource');
  const { trx, nowIso } = ctx;
  const tenant = await requireTenantRow(trx, tenantRef);
  if (await findResourceRow(trx, tenant.id, input.name)) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `A resource named "${input.name}" already exists in this tenant.`,
      {
        hint: 'Resource names are unique within a tenant (case-insensitive): they become host names.',
      },
    );
  }
  refuseVmFields(input.kind, input.name, input);
  const sub = input.subscriptionId ?? tenant.default_subscription_id;
  const rg = input.resourceGroup ?? tenant.default_resource_group;
  const isVm = input.kind === 'vm';
  // A VM's settings are stored whole, so a later change of a default leaves existing VMs as they were.
  const settings: VmSettings | Record<string, never> = isVm
    ? {
        vmSize: input.vmSize ?? VM_DEFAULTS.vmSize,
        location: input.location ?? VM_DEFAULTS.location,
        osType: input.osType ?? VM_DEFAULTS.osType,
        computerName: input.computerName ?? input.name,
      }
    : {};
  const row: ResourceRow = {
    id: newId(),
    tenant_id: tenant.id,
    name: input.name,
    kind: input.kind,
    subscription_id: sub,
    resource_group: rg,
    arm_id: armId(sub, rg, PROVIDER_OF_KIND[input.kind], input.name),
    system_identity_id: null,
    power_state: isVm ? (input.powerState ?? VM_DEFAULTS.powerState) : null,
    settings: JSON.stringify(settings),
    created_at: nowIso,
    updated_at: nowIso,
  };
  await trx.insertInto('resources').values(row).execute();
  if (input.systemAssignedIdentity) await enableSystemIdentity(ctx, row);
  if (input.userAssignedIdentities) await setUserIdentities(ctx, row, input.userAssignedIdentities);
  await bumpVersion(trx);
  return getResource(trx, tenant.id, row.id);
}

export async function updateResource(
  ctx: OpContext,
  tenantRef: string,
  ref: string,
  raw: UpdateResourceInput,
): Promise<Resource> {
  const input = parseInput(updateResourceInput, raw, 'resource update');
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const row = await requireResourceRow(ctx.trx, tenant.id, ref);
  refuseVmFields(row.kind, row.name, input);
  if (input.systemAssignedIdentity === true && !row.system_identity_id) await enableSystemIdentity(ctx, row);
  if (input.systemAssignedIdentity === false) await disableSystemIdentity(ctx, row);
  if (input.userAssignedIdentities) await setUserIdentities(ctx, row, input.userAssignedIdentities);
  const vm =
    row.kind === 'vm'
      ? {
          power_state: input.powerState ?? row.power_state ?? VM_DEFAULTS.powerState,
          settings: JSON.stringify({
            ...vmSettingsOf(row),
            ...(input.vmSize === undefined ? {} : { vmSize: input.vmSize }),
            ...(input.location === undefined ? {} : { location: input.location }),
            ...(input.osType === undefined ? {} : { osType: input.osType }),
            ...(input.computerName === undefined ? {} : { computerName: input.computerName }),
          } satisfies VmSettings),
        }
      : {};
  await ctx.trx
    .updateTable('resources')
    .set({ ...vm, updated_at: ctx.nowIso })
    .where('id', '=', row.id)
    .execute();
  await bumpVersion(ctx.trx);
  return getResource(ctx.trx, tenant.id, row.id);
}

export async function attachIdentity(
  ctx: OpContext,
  tenantRef: string,
  resourceRef: string,
  identityRef: string,
): Promise<Resource> {
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const row = await requireResourceRow(ctx.trx, tenant.id, resourceRef);
  const current = await toResource(ctx.trx, row);
  const names = current.userAssignedIdentities.map((i) => i.id);
  return updateResource(ctx, tenant.id, row.id, { userAssignedIdentities: [...names, identityRef] });
}

export async function detachIdentity(
  ctx: OpContext,
  tenantRef: string,
  resourceRef: string,
  identityRef: string,
): Promise<Resource> {
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const row = await requireResourceRow(ctx.trx, tenant.id, resourceRef);
  const identity = await requireUserIdentityRow(ctx.trx, tenant.id, identityRef);
  const deleted = await ctx.trx
    .deleteFrom('resource_identities')
    .where('resource_id', '=', row.id)
    .where('identity_id', '=', identity.id)
    .executeTakeFirst();
  if (Number(deleted.numDeletedRows) === 0) {
    throw new LanyardError(
      'ERR_NOT_FOUND',
      `Identity "${identity.name}" is not attached to resource "${row.name}".`,
    );
  }
  await bumpVersion(ctx.trx);
  return getResource(ctx.trx, tenant.id, row.id);
}

/** Deletes a resource; its system-assigned identity (and that identity's assignments) go with it. */
export async function deleteResource(ctx: OpContext, tenantRef: string, ref: string): Promise<Resource> {
  const tenant = await requireTenantRow(ctx.trx, tenantRef);
  const row = await requireResourceRow(ctx.trx, tenant.id, ref);
  const resource = await toResource(ctx.trx, row);
  await disableSystemIdentity(ctx, row);
  await ctx.trx.deleteFrom('resources').where('id', '=', row.id).execute();
  await bumpVersion(ctx.trx);
  return resource;
}
