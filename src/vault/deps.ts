/**
 * @module vault/deps
 * What the vault plane takes from the host: the directory (vaults are its resources of kind vault, and the
 * store its rows live in, with the envelope that seals values), the issuer's signing keys, issuer names and
 * clock to check the tokens Key Vault is called with, and the audit log every read and write goes to.
 * Declared here, as the plane needs it; the host's runtime satisfies it.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { MasterKey, MasterKeyring } from '../crypto/master-key.ts';
import type { SealedRecords } from '../crypto/sealed-records.ts';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import type { Directory } from '../directory/directory.ts';
import type { IssuerNames } from '../issuer/claims.ts';
import type { KeyManager } from '../issuer/signing-keys.ts';
import type { TokenService } from '../issuer/token-service.ts';

export interface VaultDeps {
  readonly dataDir: string;
  readonly directory: Directory;
  readonly keys: KeyManager;
  readonly issuers: IssuerNames;
  /** The issuer's clock: validation and the issuer agree on "now" (tests move it). */
  readonly tokens: Pick<TokenService, 'now'>;
  readonly audit: AuditLog;
  readonly masterKey: MasterKey;
  /** Where the master keys come from (`lanyard vault rotate-master-key` writes a new one there). */
  readonly keyring: MasterKeyring;
  readonly envelope: Envelope;
  /** Everything sealed under the master key, each place once: what a rotation re-wraps. */
  readonly sealedRecords: readonly SealedRecords[];
  readonly hasher: SecretHasher;
}
