/**
 * @module identity/workloads
 * A workload is a process allowed to use the identities of exactly one resource. It holds a 256-bit random
 * secret — our `IDENTITY_HEADER` — that the store keeps only as a keyed hash, compared through the hash (so
 * in constant time), revocable, and expiring with the workload (docs/security.md, "Workload secrets"). The secret is hex: it
 * also travels inside the IMDS authority URL, which MSAL lower-cases.
 *
 * The plane's one table is `workloads` (identity/tables.ts); a workload's resource name is the directory's to
 * tell (`Directory.resourceNames`), and a revocation moves the directory version through the directory's own
 * `bumpVersion`, in the same transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import { bumpVersion } from '../directory/context.ts';
import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import type { IdentityTables, WorkloadRow } from './tables.ts';

export const WORKLOAD_SECRET_HEX = 64;
/** Default lifetime of a workload issued for a process Lanyard does not start. */
export const DEFAULT_WORKLOAD_TTL_MS = 24 * 3_600_000;
export const MAX_WORKLOAD_TTL_MS = 366 * 24 * 3_600_000;

export interface Workload {
  id: string;
  tenantId: string;
  resourceId: string;
  resourceName: string;
  label: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface IssuedWorkload extends Workload {
  /** Shown once: the value of IDENTITY_HEADER. */
  secret: string;
}

export interface WorkloadStoreOptions {
  /** The store handle; the workload store views it as its own table. */
  db: StoreDb;
  directory: Directory;
  hasher: SecretHasher;
  now?: (() => Date) | undefined;
}

/**
 * The workload of a part of Lanyard that asks for tokens in-process with a resource's identities (a gateway, a
 * workflow): no secret, nothing stored, never expires. `kind` names the part (`gateway:<resource id>`).
 */
export function inProcessWorkload(
  kind: string,
  resource: { tenantId: string; resourceId: string; name: string },
): Workload {
  return {
    id: `${kind}:${resource.resourceId}`,
    tenantId: resource.tenantId,
    resourceId: resource.resourceId,
    resourceName: resource.name,
    label: `${kind} ${resource.name}`,
    createdAt: '',
    expiresAt: '',
    revokedAt: null,
  };
}

/** Accepts only what a secret of ours can look like, before any hashing: bounds the work per request. */
export function looksLikeWorkloadSecret(value: string): boolean {
  return value.length === WORKLOAD_SECRET_HEX && /^[0-9a-fA-F]+$/.test(value);
}

export class WorkloadStore {
  readonly #o: WorkloadStoreOptions;
  readonly #db: Kysely<IdentityTables>;
  readonly #now: () => Date;

  constructor(options: WorkloadStoreOptions) {
    this.#o = options;
    this.#db = tablesOf<IdentityTables>(options.db);
    this.#now = options.now ?? (() => new Date());
  }

  async issue(
    tenantRef: string,
    resourceRef: string,
    options: { ttlMs?: number; label?: string } = {},
  ): Promise<IssuedWorkload> {
    const ttl = options.ttlMs ?? DEFAULT_WORKLOAD_TTL_MS;
    if (!Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_WORKLOAD_TTL_MS) {
      throw new LanyardError('ERR_VALIDATION', 'A workload lifetime must be between 1 second and 366 days.', {
        hint: 'Pass --ttl like 8h, 30d or 3600s.',
      });
    }
    const resource = await this.#o.directory.getResource(tenantRef, resourceRef);
    const secret = randomBytes(WORKLOAD_SECRET_HEX / 2).toString('hex');
    const now = this.#now();
    const row: WorkloadRow = {
      id: randomUUID(),
      tenant_id: resource.tenantId,
      resource_id: resource.id,
      secret_hash: this.#o.hasher.hash(secret),
      label: (options.label ?? '').slice(0, 200),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttl).toISOString(),
      revoked_at: null,
    };
    await this.#db.insertInto('workloads').values(row).execute();
    return { ...this.#toWorkload(row, resource.name), secret };
  }

  /** The stored (keyed-hash) form of a secret, by which the store finds its workload. */
  keyOf(secret: string): string {
    return this.#o.hasher.hash(secret.toLowerCase());
  }

  /** The live workload holding `secret`, or undefined (unknown, revoked or expired). */
  async verify(secret: string): Promise<(Workload & { row: WorkloadRow }) | undefined> {
    if (!looksLikeWorkloadSecret(secret)) return undefined;
    // Lookup by the keyed hash: equality of digests, so nothing about the secret leaks through timing.
    const row = await this.#db
      .selectFrom('workloads')
      .selectAll()
      .where('secret_hash', '=', this.keyOf(secret))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || Date.parse(row.expires_at) <= this.#now().getTime())
      return undefined;
    // The second of two reads, as before the directory answered it (a miss of the service's cache only).
    const name = (await this.#o.directory.resourceNames([row.resource_id])).get(row.resource_id);
    if (name === undefined) return undefined;
    return { ...this.#toWorkload(row, name), row };
  }

  async revoke(id: string): Promise<Workload> {
    const row = await this.#db
      .selectFrom('workloads')
      .selectAll()
      .where('id', '=', id.toLowerCase())
      .executeTakeFirst();
    if (!row)
      throw new LanyardError('ERR_NOT_FOUND', `Workload "${id}" was not found.`, {
        hint: 'List them with `lanyard workload list`.',
      });
    const at = this.#now().toISOString();
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('workloads')
        .set({ revoked_at: sql`coalesce(revoked_at, ${at})` })
        .where('id', '=', row.id)
        .execute();
      // Endpoints cache verified secrets; the version bump tells every process to forget them.
      await bumpVersion(trx);
    });
    const name = (await this.#o.directory.resourceNames([row.resource_id])).get(row.resource_id);
    return this.#toWorkload({ ...row, revoked_at: row.revoked_at ?? at }, name ?? '');
  }

  async list(tenantId: string, options: { includeEnded?: boolean } = {}): Promise<Workload[]> {
    let q = this.#db.selectFrom('workloads').selectAll().where('tenant_id', '=', tenantId);
    if (!options.includeEnded) {
      q = q.where('revoked_at', 'is', null).where('expires_at', '>', this.#now().toISOString());
    }
    const rows = await q.orderBy('created_at').execute();
    const names = await this.#o.directory.resourceNames(rows.map((r) => r.resource_id));
    // A workload whose resource is gone is left out (the store deletes it with the resource anyway).
    return rows.flatMap((r) => {
      const name = names.get(r.resource_id);
      return name === undefined ? [] : [this.#toWorkload(r, name)];
    });
  }

  #toWorkload(row: WorkloadRow, resourceName: string): Workload {
    return {
      id: row.id,
      tenantId: row.tenant_id,
      resourceId: row.resource_id,
      resourceName,
      label: row.label,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    };
  }
}
