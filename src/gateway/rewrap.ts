/**
 * @module gateway/rewrap
 * The gateway's part of a master-key rotation: secret named values and subscription keys, sealed under the
 * master key (plane/rewrap-kit). The values themselves do not change, so running gateways are not told.
 */
import type { SealedRecords } from '../crypto/sealed-records.ts';
import { sealedColumns } from '../plane/rewrap-kit.ts';
import type { AnyStoreDb } from '../store/handle.ts';

export function gatewaySealedRecords(db: AnyStoreDb): SealedRecords[] {
  return [
    sealedColumns(db, {
      table: 'gateway_named_values',
      key: ['resource_id', 'name'],
      sealed: ['value_sealed'],
    }),
    sealedColumns(db, {
      table: 'gateway_subscriptions',
      key: ['resource_id', 'name'],
      sealed: ['primary_key_sealed', 'secondary_key_sealed'],
    }),
  ];
}
