/**
 * @module directory/tenants
 * Tenants: a GUID, a stable name, and domain names by which token endpoints may address them. Creating a
 * tenant registers Microsoft's first-party resources in it.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { insertApplication } from './applications.ts';
import { bumpVersion, newId, type OpContext, type Tx } from './context.ts';
import { FIRST_PARTY_APPS } from './first-party.ts';
import {
  type CreateTenantInput,
  createTenantInput,
  parseInput,
  type UpdateTenantInput,
  updateTenantInput,
} from './inputs.ts';
import type { TenantRow } from './tables.ts';
import { requireTenantRow } from './tenant-rows.ts';
import type { Tenant } from './types.ts';

async function toTenant(db: Tx, row: TenantRow): Promise<Tenant> {
  const domains = await db
    .selectFrom('tenant_domains')
    .select(['domain', 'is_default'])
    .where('tenant_id', '=', row.id)
    .orderBy('is_default', 'desc')
    .orderBy('domain')
    .execute();
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    domains: domains.map((d) => d.domain),
    defaultSubscriptionId: row.default_subscription_id,
    defaultResourceGroup: row.default_resource_group,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function getTenant(db: Tx, ref: string): Promise<Tenant> {
  return toTenant(db, await requireTenantRow(db, ref));
}

export async function listTenants(db: Tx): Promise<Tenant[]> {
  const rows = await db.selectFrom('tenants').selectAll().orderBy('name').execute();
  return Promise.all(rows.map((r) => toTenant(db, r)));
}

async function checkDomainsFree(trx: Tx, domains: string[], tenantId: string): Promise<void> {
  if (new Set(domains).size !== domains.length) {
    throw new LanyardError('ERR_VALIDATION', 'Invalid tenant: domains must not repeat.');
  }
  if (domains.length === 0) return;
  const taken = await trx
    .selectFrom('tenant_domains')
    .innerJoin('tenants', 'tenants.id', 'tenant_domains.tenant_id')
    .select(['tenant_domains.domain', 'tenants.name'])
    .where('tenant_domains.domain', 'in', domains)
    .where('tenant_domains.tenant_id', '!=', tenantId)
    .execute();
  const first = taken[0];
  if (first) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `The domain ${first.domain} already belongs to tenant "${first.name}".`,
      {
        hint: 'A domain name identifies one tenant; choose another domain.',
      },
    );
  }
}

async function writeDomains(trx: Tx, tenantId: string, domains: string[]): Promise<void> {
  await trx.deleteFrom('tenant_domains').where('tenant_id', '=', tenantId).execute();
  if (domains.length === 0) return;
  await trx
    .insertInto('tenant_domains')
    .values(domains.map((domain, i) => ({ domain, tenant_id: tenantId, is_default: i === 0 ? 1 : 0 })))
    .execute();
}

export async function createTenant(ctx: OpContext, raw: CreateTenantInput): Promise<Tenant> {
  const input = parseInput(createTenantInput, raw, 'tenant');
  const { trx, nowIso } = ctx;
  if (await trx.selectFrom('tenants').select('id').where('name', '=', input.name).executeTakeFirst()) {
    throw new LanyardError('ERR_CONFLICT', `A tenant named "${input.name}" already exists.`, {
      hint: 'Tenant names are unique; pick another name or update the existing tenant.',
    });
  }
  const id = input.id ?? newId();
  if (await trx.selectFrom('tenants').select('id').where('id', '=', id).executeTakeFirst()) {
    throw new LanyardError('ERR_CONFLICT', `A tenant with id ${id} already exists.`);
  }
  // Entra gives every tenant an initial <name>.onmicrosoft.com domain; so do we, unless domains are given.
  const domains = input.domains ?? [`${input.name.toLowerCase().replace(/[^a-z0-9-]/g, '')}.onmicrosoft.com`];
  await checkDomainsFree(trx, domains, id);
  await trx
    .insertInto('tenants')
    .values({
      id,
      name: input.name,
      display_name: input.displayName ?? input.name,
      default_subscription_id: input.defaultSubscriptionId ?? newId(),
      default_resource_group: input.defaultResourceGroup ?? 'lanyard',
      created_at: nowIso,
      updated_at: nowIso,
    })
    .execute();
  await writeDomains(trx, id, domains);
  for (const fp of FIRST_PARTY_APPS) {
    await insertApplication(ctx, id, {
      name: fp.name,
      appId: fp.appId,
      displayName: fp.displayName,
      identifierUris: fp.identifierUris,
      appRoles: [],
      appRoleAssignmentRequired: false,
      accessTokenAcceptedVersion: 1,
      accessTokenClaims: [],
      firstParty: true,
    });
  }
  await bumpVersion(trx);
  return getTenant(trx, id);
}

export async function updateTenant(ctx: OpContext, ref: string, raw: UpdateTenantInput): Promise<Tenant> {
  const input = parseInput(updateTenantInput, raw, 'tenant update');
  const row = await requireTenantRow(ctx.trx, ref);
  if (input.domains) {
    await checkDomainsFree(ctx.trx, input.domains, row.id);
    await writeDomains(ctx.trx, row.id, input.domains);
  }
  await ctx.trx
    .updateTable('tenants')
    .set({ display_name: input.displayName ?? row.display_name, updated_at: ctx.nowIso })
    .where('id', '=', row.id)
    .execute();
  await bumpVersion(ctx.trx);
  return getTenant(ctx.trx, row.id);
}

/** Deletes a tenant and everything in it (apps, identities, resources, assignments, credentials). */
export async function deleteTenant(ctx: OpContext, ref: string): Promise<Tenant> {
  const tenant = await getTenant(ctx.trx, ref);
  // Service principals reference each other through assignments; remove those first so the cascade is simple.
  await ctx.trx.deleteFrom('app_role_assignments').where('tenant_id', '=', tenant.id).execute();
  await ctx.trx
    .updateTable('resources')
    .set({ system_identity_id: null })
    .where('tenant_id', '=', tenant.id)
    .execute();
  await ctx.trx.deleteFrom('tenants').where('id', '=', tenant.id).execute();
  await bumpVersion(ctx.trx);
  return tenant;
}
