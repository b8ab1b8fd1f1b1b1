/**
 * @module host/sealed-records
 * Every place Lanyard keeps records sealed under the master key, in the order a rotation re-wraps them: the
 * keys the store keeps sealed (the secret-hash key) and the vault's secret versions, the issuer's signing
 * keys, the gateway's named values and subscription keys, and the local CA's key file. A plane that adds
 * a sealed column adds its part here (docs/security.md, "Master key and rotation").
 */
import { type SealedRecords, sealedCaKey } from '../crypto/sealed-records.ts';
import type { Directory } from '../directory/directory.ts';
import { gatewaySealedRecords } from '../gateway/rewrap.ts';
import { issuerSealedRecords } from '../issuer/rewrap.ts';
import { vaultSealedRecords } from '../vault/rewrap.ts';

export function sealedRecordsOf(dataDir: string, directory: Directory): SealedRecords[] {
  return [
    ...vaultSealedRecords(directory),
    ...issuerSealedRecords(directory.db),
    ...gatewaySealedRecords(directory.db),
    sealedCaKey(dataDir),
  ];
}
