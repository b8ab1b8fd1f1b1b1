/**
 * @module issuer/token-service
 * Minting access tokens, independent of HTTP. It decides — resource known? caller assigned where assignment is
 * required? — builds Entra's claims and signs with the current key, as two pipeline steps
 * (`TokenService.resolveResource`, `TokenService.issueToken`) that the token endpoints' pipeline lists after
 * its own. In-process callers (the managed-identity endpoints) call `mint`, which runs the same two steps and
 * the same audit step (token-audit.ts): every issuance and refusal is audited once, by that step only.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Directory } from '../directory/directory.ts';
import type { ClientPrincipal, ResourceApp } from '../directory/lookups.ts';
import type { Tenant } from '../directory/types.ts';
import { definePipeline, newPipelineState, type Pipeline, type Step } from '../http/pipeline.ts';
import { AadstsError } from './aadsts.ts';
import { type AccessTokenClaims, buildClaims, type ClientAuthStrength, type IssuerNames } from './claims.ts';
import { DirectoryCache } from './directory-cache.ts';
import { signRs256 } from './jws.ts';
import type { Rs256Signer } from './rs256-signer.ts';
import type { KeyManager } from './signing-keys.ts';
import { auditStep, type TokenAuditContext } from './token-audit.ts';

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
  /** The roles granted (also in `claims.roles` when there are any). */
  roles: string[];
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

/**
 * A token pipeline's state from the client's authentication on. `resolveResource` needs `tenant`, `client`
 * (authenticated) and `target` (the resource as requested); `issueToken` then sets `issued`.
 */
export interface MintContext extends TokenAuditContext {
  readonly tokens: TokenService;
  tenant: Tenant | undefined;
  client: ClientPrincipal | undefined;
  acr: ClientAuthStrength;
  lifetimeSeconds: number | undefined;
  resource: ResourceApp | undefined;
  roles: string[];
  issued: IssuedToken | undefined;
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

  /**
   * Checks the caller may have a token for the resource, then mints it; audited once, success or refusal.
   * Rejects with what refused it: an AadstsError, or the unexpected error itself (audited as AADSTS90033).
   */
  mint(req: MintRequest): Promise<IssuedToken> {
    return this.#run(MINT, req);
  }

  /**
   * What `mint` would decide and issue — the same `resolve-resource` and `issue-token` steps — without an audit
   * row, for questions about access (the console's "may X call Y?", which validates the token against the
   * fronts that would receive it, in this process; it never leaves). Rejects as `mint` does.
   */
  preview(req: MintRequest): Promise<IssuedToken> {
    return this.#run(PREVIEW, req);
  }

  async #run(pipeline: Pipeline<MintContext>, req: MintRequest): Promise<IssuedToken> {
    const ctx: MintContext = {
      pipeline: newPipelineState(),
      audit: this.#o.audit,
      tokens: this,
      tenant: req.tenant,
      actor: req.client.clientId,
      target: req.requestedAs,
      via: req.via,
      client: req.client,
      acr: req.acr,
      lifetimeSeconds: req.lifetimeSeconds,
      resource: undefined,
      roles: [],
      issued: undefined,
      audited: false,
      refusal: undefined,
    };
    await pipeline.run(ctx);
    if (ctx.pipeline.failedStep !== undefined) throw ctx.pipeline.error;
    return ctx.issued!;
  }

  /** AADSTS500011 for a resource the tenant does not have; 501051 when it requires assignment and has none. */
  static readonly resolveResource: Step<MintContext> = {
    name: 'resolve-resource',
    async run(ctx) {
      const tenant = ctx.tenant!;
      const client = ctx.client!;
      const requestedAs = ctx.target!;
      const resource = await ctx.tokens.resource(tenant, requestedAs);
      const granted = await ctx.tokens.lookups.grantedRoles(client.principalId, resource);
      if (resource.appRoleAssignmentRequired && !granted.assigned) {
        throw new AadstsError(
          501051,
          `Application '${client.clientId}'(${client.displayName}) is not assigned to a role for the application '${requestedAs}'(${resource.displayName}).`,
          `Lanyard: assign it, e.g. \`lanyard role assign --principal ${client.ref} --app ${resource.name}${resource.applicationRoles.length > 0 ? ` --role ${resource.applicationRoles[0]}` : ''}\` (roles: ${resource.applicationRoles.join(', ') || 'none, the default role'}), or set appRoleAssignmentRequired: false.`,
        );
      }
      ctx.resource = resource;
      ctx.roles = granted.roles;
    },
  };

  /**
   * Builds the claims and signs them. Signing is the one wait: requests of one event-loop turn reach the
   * signer together and are signed as one batch (rs256-signer.ts), so nothing here may wait on a timer or I/O
   * before it.
   */
  static readonly issueToken: Step<MintContext> = {
    name: 'issue-token',
    async run(ctx) {
      ctx.issued = await ctx.tokens.#issue(ctx);
    },
  };

  async #issue(ctx: MintContext): Promise<IssuedToken> {
    const client = ctx.client!;
    const lifetime = ctx.lifetimeSeconds ?? this.#o.clientCredentialsLifetimeSeconds ?? 3599;
    const now = this.#now();
    const claims = buildClaims({
      client,
      resource: ctx.resource!,
      tenantCreatedAt: ctx.tenant!.createdAt,
      requestedAs: ctx.target!,
      roles: ctx.roles,
      acr: ctx.acr,
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
    const nowSec = Math.floor(now.getTime() / 1000);
    return {
      accessToken,
      claims,
      roles: ctx.roles,
      expiresIn: claims.exp - nowSec,
      expiresOn: claims.exp,
      notBefore: claims.nbf,
      kid: key.kid,
    };
  }
}

/** `mint`: the client is already authenticated (or is a managed identity); the rest as the token endpoint. */
const MINT = definePipeline<MintContext>('mint', {
  inbound: [TokenService.resolveResource],
  backend: [TokenService.issueToken],
  outbound: [auditStep],
  onError: [auditStep],
});

/** `preview`: `mint`'s decision and token, unaudited (nothing is issued to anyone). */
const PREVIEW = definePipeline<MintContext>('preview', {
  inbound: [TokenService.resolveResource],
  backend: [TokenService.issueToken],
});
