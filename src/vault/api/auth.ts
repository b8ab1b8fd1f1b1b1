/**
 * @module vault/api/auth
 * Who calls a vault: a bearer token from Lanyard's issuer for Key Vault (`https://vault.azure.net` or
 * `https://vault.localhost`, either form, or Key Vault's app id) issued by the vault's own tenant. The checks are
 * the shared validator's (through management/arm/auth.ts's Authenticator); the refusals are Key Vault's 401s
 * (`Unauthorized`, messages `AKV10000` no token, `AKV10022` wrong audience, `AKV10032` another tenant's issuer),
 * each with the challenge added by the route group (group.ts), so the SDK's challenge policy can recover.
 */
import type { IncomingMessage } from 'node:http';
import type { IssuerNames } from '../../issuer/claims.ts';
import type { KeyManager } from '../../issuer/signing-keys.ts';
import { Authenticator, type Caller } from '../../management/arm/auth.ts';
import { KeyVaultError } from './errors.ts';

/** Key Vault's first-party application id (directory/first-party.ts). */
export const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
const RESOURCES = ['https://vault.azure.net', 'https://vault.localhost'] as const;

export interface VaultAuthOptions {
  readonly keys: KeyManager;
  readonly issuers: IssuerNames;
  readonly tenantIds: () => Promise<readonly string[]>;
  readonly now: () => number;
}

const MISSING = 'AKV10000: Request is missing a Bearer or PoP token.';

function refuse(resource: string) {
  return (code: string, message: string, hint: string | undefined, found = ''): KeyVaultError => {
    if (code === 'AuthenticationFailed' || code === 'AuthenticationFailedInvalidHeader') {
      return new KeyVaultError(401, 'Unauthorized', MISSING, { reason: 'AKV10000', hint });
    }
    if (code === 'InvalidAuthenticationTokenAudience') {
      return new KeyVaultError(
        401,
        'Unauthorized',
        `AKV10022: Invalid audience. Expected ${resource}, found: ${found}.`,
        {
          reason: 'AKV10022',
          hint: `Ask for a token for ${resource} (scope ${resource}/.default), not for ${found}.`,
        },
      );
    }
    if (code === 'ExpiredAuthenticationToken') {
      return new KeyVaultError(401, 'Unauthorized', `The access token has expired. ${message}`, {
        reason: 'TokenExpired',
        hint: 'Get a new token; the SDKs do so by themselves when their credential is asked again.',
      });
    }
    return new KeyVaultError(401, 'Unauthorized', `The access token is invalid: ${hint ?? message}`, {
      reason: 'InvalidToken',
      hint,
    });
  };
}

export class VaultAuthenticator {
  readonly #byResource: ReadonlyMap<string, Authenticator>;
  readonly #issuers: IssuerNames;

  constructor(o: VaultAuthOptions) {
    this.#issuers = o.issuers;
    const audiences = [...RESOURCES.flatMap((r) => [r, `${r}/`]), KEY_VAULT_APP_ID];
    this.#byResource = new Map(
      RESOURCES.map((resource) => [
        resource,
        new Authenticator({
          keys: o.keys,
          issuers: o.issuers,
          tenantIds: o.tenantIds,
          now: o.now,
          audiences,
          service: 'Azure Key Vault',
          scope: `${resource}/.default`,
          refuse: refuse(resource),
        }),
      ]),
    );
  }

  /** The caller of a request to a vault of `tenantId` addressed under `resource`, or Key Vault's 401. */
  async authenticate(req: IncomingMessage, resource: string, tenantId: string): Promise<Caller> {
    const auth = this.#byResource.get(resource);
    if (!auth) throw new Error(`no authenticator for ${resource}`);
    const caller = await auth.authenticate(req);
    if (caller.tenantId.toLowerCase() !== tenantId.toLowerCase()) {
      const expected = this.#issuers.v1(tenantId);
      const found = String(caller.claims.iss ?? '');
      throw new KeyVaultError(
        401,
        'Unauthorized',
        `AKV10032: Invalid issuer. Expected one of ${expected}, found ${found}.`,
        {
          reason: 'AKV10032',
          hint: `The vault is in tenant ${tenantId}; get the token from that tenant (the challenge's authorization names it).`,
        },
      );
    }
    return caller;
  }
}
