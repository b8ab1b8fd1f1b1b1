/**
 * @module vault/rewrap
 * Moves every sealed secret value to the current master key after a rotation: each value's data key is
 * re-wrapped (crypto/envelope `rewrap`; the value's ciphertext and its AAD binding stay as they are). Rows are
 * walked in key order, a batch at a time, each batch in its own transaction: a crash midway leaves some rows
 * under the old key and some under the new, all readable by a keyring holding both, and running it again
 * finishes the job (plane/rewrap-kit). `vaultSealedRecords` is the vault's part of what
 * `lanyard vault rotate-master-key` re-wraps: the secret versions and the sealed keys (vault/sealed-keys).
 */
import type { Envelope } from '../crypto/envelope.ts';
import type { RewrapOptions, RewrapProgress, SealedRecords } from '../crypto/sealed-records.ts';
import type { Directory } from '../directory/directory.ts';
import { rewrapColumns, type SealedColumns, sealedColumns } from '../plane/rewrap-kit.ts';
import type { AnyStoreDb } from '../store/handle.ts';
import { SEALED_KEYS_COLUMNS } from './sealed-keys.ts';
import { VAULT_TOPIC } from './store.ts';

export type { RewrapOptions, RewrapProgress } from '../crypto/sealed-records.ts';

const VERSIONS: SealedColumns = {
  table: 'vault_secret_versions',
  key: ['resource_id', 'name_key', 'version'],
  sealed: ['value_sealed'],
  topic: VAULT_TOPIC,
};

export function rewrapAll(
  d: Directory,
  envelope: Pick<Envelope, 'rewrap'>,
  options: RewrapOptions = {},
): Promise<RewrapProgress> {
  return rewrapColumns(d.db, (fn) => d.transaction((t) => fn(t.db)), VERSIONS, envelope, options);
}

/** The sealed keys (vault/sealed-keys), then the secret versions. */
export function vaultSealedRecords(db: AnyStoreDb): SealedRecords[] {
  return [sealedColumns(db, SEALED_KEYS_COLUMNS), sealedColumns(db, VERSIONS)];
}
