/**
 * @module host/sealed-records
 * Every place Lanyard keeps records sealed under the master key, in the order a rotation re-wraps them: the
 * keys the store keeps sealed (the secret-hash key) and the vault's secret versions, the issuer's signing
 * keys, the gateway's named values and subscription keys, the workflows' access keys, and the local CA's key
 * file. A plane that adds a sealed column adds its part here (docs/security.md, "Master key and rotation").
 */
import { type SealedRecords, sealedCaKey } from '../crypto/sealed-records.ts';
import { flowsSealedRecords } from '../flows/rewrap.ts';
import { gatewaySealedRecords } from '../gateway/rewrap.ts';
import { issuerSealedRecords } from '../issuer/rewrap.ts';
import type { AnyStoreDb } from '../store/handle.ts';
import { vaultSealedRecords } from '../vault/rewrap.ts';

export function sealedRecordsOf(dataDir: string, db: AnyStoreDb): SealedRecords[] {
  return [
    ...vaultSealedRecords(db),
    ...issuerSealedRecords(db),
    ...gatewaySealedRecords(db),
    ...flowsSealedRecords(db),
    sealedCaKey(dataDir),
  ];
}

/** How many records are wrapped under another master key than `keyId`, everywhere. */
export async function countSealedNotUnder(all: readonly SealedRecords[], keyId: string): Promise<number> {
  let n = 0;
  for (const records of all) n += await records.countOther(keyId);
  return n;
}
