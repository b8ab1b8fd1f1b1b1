/**
 * @module vault/tables
 * The vault plane's tables, as Kysely sees them (migration `0010-vault`). Only the vault's store modules read
 * and write them; tenants and resources come from the directory. Instants are epoch seconds; PostgreSQL returns
 * a bigint as a string, so those columns are read through `Number`.
 */
import type { Selectable } from 'kysely';

export interface VaultsTable {
  /** A directory resource of kind vault (the vault's rows are deleted with it). */
  resource_id: string;
  tenant_id: string;
  /** 1: deleting a secret keeps it recoverable; 0: deleting removes it at once. */
  soft_delete: number;
  /** 7..90: how long a deleted secret stays recoverable. */
  retention_days: number;
  /** 1: a deleted secret cannot be purged before its retention ends; never set back to 0. */
  purge_protection: number;
  created_at: string;
  updated_at: string;
}

export interface VaultSecretsTable {
  resource_id: string;
  /** The name lower-cased: secret names are case-insensitive. */
  name_key: string;
  /** The name as first written. */
  name: string;
  /** The highest version sequence given; the latest version carries it. */
  last_seq: number;
  /** Null while active; when deleted, the epoch second of the deletion. */
  deleted_at: number | string | null;
  /** When deleted with soft delete on: the epoch second it is purged at. */
  scheduled_purge_at: number | string | null;
}

export interface VaultSecretVersionsTable {
  resource_id: string;
  name_key: string;
  /** 32 lower-case hex characters, as Key Vault's version ids. */
  version: string;
  /** Order of creation within the secret (1, 2, …). */
  seq: number;
  /** The value, sealed (crypto/envelope) and bound to tenant, vault, name and version. */
  value_sealed: string;
  content_type: string | null;
  /** JSON object of tag name → value. */
  tags: string;
  enabled: number;
  nbf: number | string | null;
  exp: number | string | null;
  created: number | string;
  updated: number | string;
}

export interface VaultTables {
  vaults: VaultsTable;
  vault_secrets: VaultSecretsTable;
  vault_secret_versions: VaultSecretVersionsTable;
}

export type VaultRow = Selectable<VaultsTable>;
export type VaultSecretRow = Selectable<VaultSecretsTable>;
export type VaultSecretVersionRow = Selectable<VaultSecretVersionsTable>;
