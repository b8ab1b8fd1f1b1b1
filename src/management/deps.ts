/**
 * @module management/deps
 * What the management plane takes from the host: the directory (tenants, principals, resources) and, through
 * it, the store its own rows live in; the issuer's signing keys, issuer names and clock, to check the tokens
 * Resource Manager and Graph are called with. Declared here, as the plane needs it; the host's runtime
 * satisfies it.
 */
import type { Directory } from '../directory/directory.ts';
import type { IssuerNames } from '../issuer/claims.ts';
import type { KeyManager } from '../issuer/signing-keys.ts';
import type { TokenService } from '../issuer/token-service.ts';

export interface ManagementDeps {
  readonly directory: Directory;
  readonly keys: KeyManager;
  readonly issuers: IssuerNames;
  /** The issuer's clock: validation and the issuer agree on "now" (tests move it). */
  readonly tokens: Pick<TokenService, 'now'>;
}
