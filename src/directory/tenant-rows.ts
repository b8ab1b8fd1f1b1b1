/**
 * @module directory/tenant-rows
 * Finding a tenant's row by id, name or domain: what every part of the directory needs first, kept apart from
 * tenants.ts so that creating a tenant (which registers first-party apps) and the apps module do not import
 * each other.
 */
import { isGuid, notFound, type Tx } from './context.ts';
import type { TenantRow } from './tables.ts';

/** Finds a tenant by id, name or any of its domain names (case-insensitive). */
export async function findTenantRow(db: Tx, ref: string): Promise<TenantRow | undefined> {
  if (isGuid(ref)) {
    const byId = await db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', ref.toLowerCase())
      .executeTakeFirst();
    if (byId) return byId;
  }
  const byName = await db.selectFrom('tenants').selectAll().where('name', '=', ref).executeTakeFirst();
  if (byName) return byName;
  return db
    .selectFrom('tenants')
    .innerJoin('tenant_domains', 'tenant_domains.tenant_id', 'tenants.id')
    .selectAll('tenants')
    .where('tenant_domains.domain', '=', ref.toLowerCase())
    .executeTakeFirst();
}

export async function requireTenantRow(db: Tx, ref: string): Promise<TenantRow> {
  const row = await findTenantRow(db, ref);
  if (!row)
    throw notFound(
      'Tenant',
      ref,
      'List tenants with `lanyard tenant list`, or create one with `lanyard tenant create`.',
    );
  return row;
}
