/**
 * @module easyauth/deps
 * What the Easy Auth plane takes from the host: the directory, the issuer's keys and names, the secret
 * hasher, the audit log and the data folder (for the local CA). Declared here, as the plane needs it, so the
 * plane never imports the composition root that builds it; the host's runtime satisfies it as it is.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import type { Directory } from '../directory/directory.ts';
import type { IssuerNames } from '../issuer/claims.ts';
import type { KeyManager } from '../issuer/signing-keys.ts';
import type { TokenService } from '../issuer/token-service.ts';
import type { Store } from '../store/open-store.ts';

export interface EasyAuthDeps {
  readonly dataDir: string;
  readonly envelope: Envelope;
  readonly hasher: SecretHasher;
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly keys: KeyManager;
  readonly issuers: IssuerNames;
  /** The issuer's clock: validation and the issuer agree on "now" (tests move it). */
  readonly tokens: Pick<TokenService, 'now'>;
  readonly store: Pick<Store, 'db'>;
}
