/**
 * @module console/deps
 * What the console plane takes from the host: the store (its read-only tokens), the secret hasher they are
 * kept under, the audit log (sign-ins, the live view), the directory, the issuer's keys, names and token
 * service (the Keys view; "may X call Y?" decides with the issuer's own steps), the master keyring and the
 * sealed records (the Keys view's master-key state), and what Easy Auth's explanation needs (easyauth/deps.ts).
 * Declared here, as the plane needs it; the host's runtime satisfies it as it is.
 */
import type { MasterKeyring } from '../crypto/master-key.ts';
import type { SealedRecords } from '../crypto/sealed-records.ts';
import type { EasyAuthDeps } from '../easyauth/deps.ts';
import type { TokenService } from '../issuer/token-service.ts';
import type { Store } from '../store/open-store.ts';

export interface ConsoleDeps extends Omit<EasyAuthDeps, 'tokens' | 'store'> {
  readonly store: Pick<Store, 'db' | 'dialect'>;
  /** The issuer's token service: its clock, its lookups and `preview` (what a token request would get). */
  readonly tokens: TokenService;
  readonly keyring: MasterKeyring;
  /** Everything sealed under the master key, each place once (how many records a rotation has left to do). */
  readonly sealedRecords: readonly SealedRecords[];
  /**
   * Whether a token is the admin token (constant time): given by the main listener to its routes, so the console
   * signs the admin in without holding the token; absent elsewhere (the CLI), where nobody signs in.
   */
  readonly isAdminToken?: ((token: string) => boolean) | undefined;
}
