/**
 * @module vault/plane
 * The vault plane: Key Vault secrets kept per resource of kind vault (versions sealed at rest, soft delete,
 * purge protection, backup and restore; store.ts, backup.ts, rewrap.ts). For now it brings its tables
 * (migration `0010-vault`); the REST API and the CLI come on top of its store functions.
 */
import type { Plane } from '../plane/contract.ts';
import type { VaultDeps } from './deps.ts';
import * as m0010 from './migrations/0010-vault.ts';

export const vaultPlane: Plane<VaultDeps> = {
  name: 'vault',
  owns: 'Key Vault secrets: versions sealed at rest, soft delete and purge protection, backup and restore',
  migrations: { '0010-vault': m0010 },
};
