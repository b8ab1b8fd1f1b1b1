/**
 * @module identity/tables
 * The identity plane's table, as Kysely sees it (migration `0003-workloads`): workloads and their hashed
 * secrets. Only `workloads.ts` reads and writes it; the name of a workload's resource comes from the directory.
 */
import type { Selectable } from 'kysely';

export interface WorkloadsTable {
  id: string;
  tenant_id: string;
  /** A directory resource (deleted with it). */
  resource_id: string;
  secret_hash: string;
  label: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface IdentityTables {
  workloads: WorkloadsTable;
}

export type WorkloadRow = Selectable<WorkloadsTable>;
