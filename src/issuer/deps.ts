/**
 * @module issuer/deps
 * What the issuer plane takes from the host: the token service, the signing keys, the federation verifier and
 * the issuer names for its routes (the keys also for `lanyard keys`). Declared here, as the plane needs it;
 * the host's runtime satisfies it as it is.
 */
import type { IssuerNames } from './claims.ts';
import type { FederationVerifier } from './federation.ts';
import type { KeyManager } from './signing-keys.ts';
import type { TokenService } from './token-service.ts';

export interface IssuerDeps {
  readonly tokens: TokenService;
  readonly keys: KeyManager;
  readonly federation: FederationVerifier;
  readonly issuers: IssuerNames;
  /** The tenant the `adfs` authority path stands for (default: the only tenant). */
  readonly adfsTenant?: string | undefined;
}
