/**
 * @module issuer/rewrap
 * The issuer's part of a master-key rotation: the signing keys' private keys, sealed under the master key
 * (plane/rewrap-kit). Rewrapping changes no key, so the KeyManager's opened keys stay valid.
 */
import type { SealedRecords } from '../crypto/sealed-records.ts';
import { sealedColumns } from '../plane/rewrap-kit.ts';
import type { AnyStoreDb } from '../store/handle.ts';

export function issuerSealedRecords(db: AnyStoreDb): SealedRecords[] {
  return [sealedColumns(db, { table: 'signing_keys', key: ['kid'], sealed: ['private_key_sealed'] })];
}
