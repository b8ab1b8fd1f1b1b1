/**
 * @module flows/rewrap
 * The flows plane's part of a master-key rotation: each workflow's two access keys, sealed under the master key
 * (plane/rewrap-kit). The keys themselves do not change, so callback URLs signed with them keep working.
 */
import type { SealedRecords } from '../crypto/sealed-records.ts';
import { sealedColumns } from '../plane/rewrap-kit.ts';
import type { AnyStoreDb } from '../store/handle.ts';

export function flowsSealedRecords(db: AnyStoreDb): SealedRecords[] {
  return [
    sealedColumns(db, {
      table: 'flow_workflows',
      key: ['resource_id'],
      sealed: ['primary_key_sealed', 'secondary_key_sealed'],
    }),
  ];
}
