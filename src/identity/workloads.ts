/**
 * @module identity/workloads
 * A workload is a process allowed to use the identities of exactly one resource. It holds a 256-bit random
 * secret — our `IDENTITY_HEADER` — that the store keeps only as a keyed hash, compared through the hash (so
 * in constant time), revocable, and expiring with the workload (docs/security.md, "Workload secrets"). The secret is hex: it
 * also travels inside the IMDS authority URL, which MSAL lower-cases.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import { bumpVersion } from '../directory/context.ts';
import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { Database, WorkloadRow } from '../store/schema.ts';

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
  db: Kysely<Database>;
  directory: Directory;
  hasher: SecretHasher;
  now?: (() => Date) | undefined;
}

/** Accepts only what a secret of ours can look like, before any hashing: bounds the work per request. */
export function looksLikeWorkloadSecret(value: string): boolean {
  return value.length === WORKLOAD_SECRET_HEX && /^[0-9a-fA-F]+$/.test(value);
}

export class WorkloadStore {
  readonly #o: WorkloadStoreOptions;
  readonly #now: () => Date;

  constructor(options: WorkloadStoreOptions) {
    this.#o = options;
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
    await this.#o.db.insertInto('workloads').values(row).execute();
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
    const row = await this.#o.db
      .selectFrom('workloads')
      .selectAll()
      .where('secret_hash', '=', this.keyOf(secret))
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || Date.parse(row.expires_at) <= this.#now().getTime())
      return undefined;
    const resource = await this.#o.db
      .selectFrom('resources')
      .select('name')
      .where('id', '=', row.resource_id)
      .executeTakeFirst();
    if (!resource) return undefined;
    return { ...this.#toWorkload(row, resource.name), row };
  }

  async revoke(id: string): Promise<Workload> {
    const row = await this.#o.db
      .selectFrom('workloads')
      .selectAll()
      .where('id', '=', id.toLowerCase())
      .executeTakeFirst();
    if (!row)
      throw new LanyardError('ERR_NOT_FOUND', `Workload "${id}" was not found.`, {
        hint: 'List them with `lanyard workload list`.',
      });
    const at = this.#now().toISOString();
    await this.#o.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('workloads')
        .set({ revoked_at: sql`coalesce(revoked_at, ${at})` })
        .where('id', '=', row.id)
        .execute();
      // Endpoints cache verified secrets; the version bump tells every process to forget them.
      await bumpVersion(trx);
    });
    const resource = await this.#o.db
      .selectFrom('resources')
      .select('name')
      .where('id', '=', row.resource_id)
      .executeTakeFirst();
    return this.#toWorkload({ ...row, revoked_at: row.revoked_at ?? at }, resource?.name ?? '');
  }

  async list(tenantId: string, options: { includeEnded?: boolean } = {}): Promise<Workload[]> {
    let q = this.#o.db
      .selectFrom('workloads')
      .innerJoin('resources', 'resources.id', 'workloads.resource_id')
      .selectAll('workloads')
      .select('resources.name as resource_name')
      .where('workloads.tenant_id', '=', tenantId);
    if (!options.includeEnded) {
      q = q
        .where('workloads.revoked_at', 'is', null)
        .where('workloads.expires_at', '>', this.#now().toISOString());
    }
    const rows = await q.orderBy('workloads.created_at').execute();
    return rows.map((r) => this.#toWorkload(r, r.resource_name));
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
