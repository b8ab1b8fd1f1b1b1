/**
 * @module easyauth/tables
 * Easy Auth's table, as Kysely sees it (migration `0004-easyauth`): one config per app resource. Only
 * `store.ts` reads and writes it; resource names come from the directory.
 */
import type { Selectable } from 'kysely';

export interface EasyAuthConfigsTable {
  /** A directory resource of kind app (the config is deleted with it). */
  resource_id: string;
  tenant_id: string;
  /** The normalized config as JSON; Functions keys only as keyed hashes. */
  config: string;
  created_at: string;
  updated_at: string;
}

export interface EasyAuthTables {
  easyauth_configs: EasyAuthConfigsTable;
}

export type EasyAuthConfigRow = Selectable<EasyAuthConfigsTable>;
