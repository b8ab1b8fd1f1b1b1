/**
 * @module gateway/deps
 * What the gateway plane takes from the host: the store and the directory (its gateways and their resources),
 * the envelope and the secret hasher (subscription keys, secret named values, the local CA's key), the audit
 * log, the issuer's clock, and the managed-identity service its `authentication-managed-identity` policies
 * mint through. Declared here, as the plane needs it; the host's runtime satisfies it as it is.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import type { Directory } from '../directory/directory.ts';
import type { TokenService } from '../issuer/token-service.ts';
import type { Store } from '../store/open-store.ts';
import type { MiTokenSource } from './policy/mi-tokens.ts';

export interface GatewayDeps {
  readonly dataDir: string;
  readonly envelope: Envelope;
  readonly hasher: SecretHasher;
  readonly directory: Directory;
  readonly audit: AuditLog;
  /** The issuer's clock: token validation and the issuer agree on "now" (tests move it). */
  readonly tokens: Pick<TokenService, 'now'>;
  /** The managed-identity service (identity/mi-service.ts): tokens for a gateway's own identities, cached. */
  readonly identity: MiTokenSource;
  readonly store: Pick<Store, 'db'>;
}
