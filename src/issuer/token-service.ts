/**
 * @module issuer/token-service
 * Minting access tokens, independent of HTTP: the token endpoints (client credentials) and, later, the
 * managed-identity endpoints call it. It decides — resource known? caller assigned where assignment is
 * required? — builds Entra's claims, signs with the current key, and audits every issuance and refusal.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Directory } from '../directory/directory.ts';
import type { ClientPrincipal, ResourceApp } from '../directory/lookups.ts';
import type { Tenant } from '../directory/types.ts';
import { AadstsError } from './aadsts.ts';
import { type AccessTokenClaims, buildClaims, type ClientAuthStrength, type IssuerNames } from './claims.ts';
import { DirectoryCache } from './directory-cache.ts';
import { signRs256 } from './jws.ts';
import type { Rs256Signer } from './rs256-signer.ts';
import type { KeyManager } from './signing-keys.ts';

export interface TokenServiceOptions {
  directory: Directory;
  keys: KeyManager;
  audit: AuditLog;
  /** Signs the tokens (in batches, on signing threads where there are spare cores). */
  signer: Rs256Signer;
  issuers: IssuerNames;
  /** Lifetime of client-credentials tokens. Entra: 60–90 minutes; default 3599 s as in its samples. */
  clientCredentialsLifetimeSeconds?: number | undefined;
  now?: (() => Date) | undefined;
}

export interface IssuedToken {
  accessToken: string;
  claims: AccessTokenClaims;
  /** Seconds from now until `exp`. */
  expiresIn: number;
  expiresOn: number;
  notBefore: number;
  kid: string;
}

export interface MintRequest {
  tenant: Tenant;
  client: ClientPrincipal;
  /** The resource exactly as requested (scope without `/.default`, or `resource`). */
  requestedAs: string;
  acr: ClientAuthStrength;
  lifetimeSeconds?: number | undefined;
  /** For the audit trail: which grant or endpoint asked. */
  via: string;
}

const RESERVED_TENANTS = new Set(['common', 'organizations', 'consumers']);

export class TokenService {
  readonly #o: TokenServiceOptions;
  readonly #now: () => Date;
  /** The directory reads of a token request, cached per directory version. */
  readonly lookups: DirectoryCache;

  constructor(options: TokenServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.lookups = new DirectoryCache(options.directory);
  }

  get directory(): Directory {
    return this.#o.directory;
  }

  get audit(): AuditLog {
    return this.#o.audit;
  }

  now(): Date {
    return this.#now();
  }

  /** Finds the tenant a token URL names (id or domain); AADSTS90002 / 90023 otherwise. */
  async tenant(ref: string): Promise<Tenant> {
    if (RESERVED_TENANTS.has(ref.toLowerCase())) {
      throw new AadstsError(
        90023,
        `The tenant '${ref}' cannot be used with the client credentials grant.`,
        'Use your tenant id or one of its domains in the token URL (e.g. AZURE_TENANT_ID).',
      );
    }
    const tenant = await this.lookups.findTenant(ref);
    if (!tenant) {
      throw new AadstsError(
        90002,
        `Tenant '${ref}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        'List tenants with `lanyard tenant list`.',
      );
    }
    return tenant;
  }

  async resource(tenant: Tenant, identifier: string): Promise<ResourceApp> {
    const app = await this.lookups.findResourceApp(tenant.id, identifier);
    if (!app) {
      throw new AadstsError(
        500011,
        `The resource principal named ${identifier} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        `Lanyard: register an app whose identifierUris include "${identifier}" (or request its appId), e.g. \`lanyard app create --name <name> --identifier-uri ${identifier}\`.`,
      );
    }
    return app;
  }

  /** Checks the caller may have a token for the resource, then mints it. Audits both outcomes. */
  async mint(req: MintRequest): Promise<IssuedToken> {
    const { tenant, client } = req;
    try {
      const resource = await this.resource(tenant, req.requestedAs);
      const granted = await this.lookups.grantedRoles(client.principalId, resource);
      if (resource.appRoleAssignmentRequired && !granted.assigned) {
        throw new AadstsError(
          501051,
          `Application '${client.clientId}'(${client.displayName}) is not assigned to a role for the application '${req.requestedAs}'(${resource.displayName}).`,
          `Lanyard: assign it, e.g. \`lanyard role assign --principal ${client.ref} --app ${resource.name}${resource.applicationRoles.length > 0 ? ` --role ${resource.applicationRoles[0]}` : ''}\` (roles: ${resource.applicationRoles.join(', ') || 'none, the default role'}), or set appRoleAssignmentRequired: false.`,
        );
      }
      const lifetime = req.lifetimeSeconds ?? this.#o.clientCredentialsLifetimeSeconds ?? 3599;
      const now = this.#now();
      const claims = buildClaims({
        client,
        resource,
        requestedAs: req.requestedAs,
        roles: granted.roles,
        acr: req.acr,
        issuers: this.#o.issuers,
        now,
        lifetimeSeconds: lifetime,
      });
      const key = await this.#o.keys.signingKey();
      // Entra's headers: v1 tokens carry `x5t` (equal to `kid`), v2 tokens `kid` only; `typ` is plain JWT.
      const header =
        claims.ver === '1.0'
          ? { alg: 'RS256', typ: 'JWT', x5t: key.kid, kid: key.kid }
          : { alg: 'RS256', typ: 'JWT', kid: key.kid };
      const accessToken = await signRs256(this.#o.signer, header, claims, key);
      await this.#o.audit.record({
        plane: 'issuer',
        action: 'token.issue',
        outcome: 'success',
        tenantId: tenant.id,
        actor: client.clientId,
        target: req.requestedAs,
        details: {
          via: req.via,
          kid: key.kid,
          ver: claims.ver,
          roles: granted.roles,
          uti: claims.uti,
          exp: claims.exp,
        },
      });
      const nowSec = Math.floor(now.getTime() / 1000);
      return {
        accessToken,
        claims,
        expiresIn: claims.exp - nowSec,
        expiresOn: claims.exp,
        notBefore: claims.nbf,
        kid: key.kid,
      };
    } catch (err) {
      if (err instanceof AadstsError)
        await this.refused(tenant.id, client.clientId, req.requestedAs, req.via, err);
      throw err;
    }
  }

  /** Records a refusal in the audit log (never the presented credential). */
  async refused(
    tenantId: string | undefined,
    actor: string | undefined,
    target: string | undefined,
    via: string,
    err: AadstsError,
  ): Promise<void> {
    await this.#o.audit.record({
      plane: 'issuer',
      action: 'token.refuse',
      outcome: 'failure',
      tenantId,
      actor,
      target,
      reason: `AADSTS${err.code}`,
      details: { via, error: err.error, message: err.message },
    });
  }
}
