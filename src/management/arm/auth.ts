/**
 * @module management/arm/auth
 * Who calls Resource Manager (or Graph): a bearer token from Lanyard's issuer, for one of the audiences the
 * service accepts, checked by the shared validator. ARM's answers when it is not: 401 with
 * `AuthenticationFailed` (no Authorization header), `AuthenticationFailedInvalidHeader` (not `Bearer …`),
 * `InvalidAuthenticationTokenAudience` (a token for another resource — Lanyard names the audience it had and
 * the one to ask for), `ExpiredAuthenticationToken`, or `InvalidAuthenticationToken`, each with ARM's
 * `WWW-Authenticate` challenge (never with `claims=`, which would make the SDKs retry).
 */
import type { IncomingMessage } from 'node:http';
import type { IssuerNames } from '../../issuer/claims.ts';
import type { KeyManager } from '../../issuer/signing-keys.ts';
import { LocalKeySource } from '../../validator/key-sources.ts';
import { type Claims, TokenValidator, type ValidationPolicy } from '../../validator/validator.ts';
import { ArmError } from './errors.ts';

/** What ARM accepts as `aud` (its error text lists the first four), and its first-party app id. */
export const ARM_AUDIENCES: readonly string[] = Object.freeze([
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
  '797f4846-ba00-4fd7-ba43-dac1f8f63013',
]);

export interface Caller {
  readonly tenantId: string;
  /** The principal's object id (`oid`). */
  readonly objectId: string;
  /** The client application (`appid` or `azp`). */
  readonly appId: string;
  readonly claims: Claims;
}

export interface AuthenticatorOptions {
  readonly keys: KeyManager;
  readonly issuers: IssuerNames;
  /** Every tenant id, now (the issuers a token may carry). */
  readonly tenantIds: () => Promise<readonly string[]>;
  readonly now: () => number;
  /** The audiences accepted, and how messages name the service. */
  readonly audiences: readonly string[];
  readonly service: string;
  /** The scope to ask a token for, for hints (`https://management.azure.com/.default`). */
  readonly scope: string;
  /**
   * Challenge `error_description`s are ARM's; Graph and Key Vault pass their own error makers, which get the
   * refused token's audience for an audience mismatch (`found`).
   */
  readonly refuse?:
    | ((code: string, message: string, hint: string | undefined, found?: string) => Error)
    | undefined;
}

const challenge = (description: string) => ({
  'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/", error="invalid_token", error_description="${description}"`,
});

function armRefusal(code: string, message: string, hint: string | undefined): ArmError {
  return new ArmError(401, code, message, { hint, headers: challenge(message.replace(/"/g, "'")) });
}

/** `M/d/yyyy h:mm:ss tt`, UTC, as ARM writes times in its expiry message. */
function armTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #validator: TokenValidator;
  readonly #keys: LocalKeySource;
  #policy: { tenants: string; policy: ValidationPolicy } | undefined;

  constructor(o: AuthenticatorOptions) {
    this.#o = o;
    this.#validator = new TokenValidator({ now: o.now });
    this.#keys = new LocalKeySource(o.keys);
  }

  async #policyNow(): Promise<ValidationPolicy> {
    const ids = await this.#o.tenantIds();
    const key = ids.join(',');
    if (this.#policy?.tenants !== key) {
      this.#policy = {
        tenants: key,
        policy: {
          issuers: ids.flatMap((t) => [this.#o.issuers.v1(t), this.#o.issuers.v2(t)]),
          audiences: this.#o.audiences,
          keys: this.#keys,
          algorithms: ['RS256'],
          clockSkewSeconds: 300,
        },
      };
    }
    return this.#policy.policy;
  }

  async authenticate(req: IncomingMessage): Promise<Caller> {
    const refuse = this.#o.refuse ?? armRefusal;
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw refuse(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        `Send Authorization: Bearer <token for ${this.#o.scope}>.`,
      );
    }
    const m = /^Bearer +([^ ]+)$/i.exec(header);
    if (!m) {
      throw refuse(
        'AuthenticationFailedInvalidHeader',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        'The header must be "Bearer <token>".',
      );
    }
    const result = await this.#validator.validate(m[1]!, await this.#policyNow());
    if (!result.ok) {
      if (result.reason === 'audience_mismatch') {
        const aud = Array.isArray(result.actual) ? result.actual.join(',') : String(result.actual ?? '');
        throw refuse(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${this.#o.audiences
            .slice(0, 4)
            .map((a) => `'${a}'`)
            .join(',')}.`,
          `Ask for a token for ${this.#o.scope} (${this.#o.service}), not for ${aud}.`,
          aud,
        );
      }
      if (result.reason === 'expired') {
        const exp = Number(result.claims?.exp ?? result.actual ?? 0);
        throw refuse(
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${armTime(exp)}' is earlier than current UTC time '${armTime(Math.floor(this.#o.now() / 1000))}'.`,
          'Get a new token; the SDKs do so by themselves when their credential is asked again.',
        );
      }
      throw refuse(
        'InvalidAuthenticationToken',
        'The access token is invalid.',
        result.hint ?? result.message,
      );
    }
    const c = result.claims;
    const objectId = typeof c.oid === 'string' ? c.oid : undefined;
    if (!objectId) {
      throw refuse(
        'InvalidAuthenticationToken',
        "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present. If you are accessing as application please make sure service principal is properly created in the tenant.",
        undefined,
      );
    }
    return {
      tenantId: String(c.tid ?? ''),
      objectId: objectId.toLowerCase(),
      appId: String(c.appid ?? c.azp ?? ''),
      claims: c,
    };
  }
}
