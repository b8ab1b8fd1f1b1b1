/**
 * @module issuer/routes
 * The issuer's paths on the main listener, shaped as Entra's (`/{tenant}/…`):
 *   GET  /{tenant}/.well-known/openid-configuration            v1 discovery
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration       v2 discovery
 *   GET  /{tenant}/discovery/keys, /{tenant}/discovery/v2.0/keys  JWKS
 *   POST /{tenant}/oauth2/token, /{tenant}/oauth2/v2.0/token   client credentials
 * `{tenant}` is a tenant id or domain, `common`/`organizations` for discovery and keys, or `adfs`.
 */
import { createHash } from 'node:crypto';
import type { Tenant } from '../directory/types.ts';
import { type RequestContext, sendJson } from '../http/http.ts';
import type { RouteGroup } from '../http/route-group.ts';
import { AadstsError } from './aadsts.ts';
import { authThrottleFromEnv, ClientAuthThrottle } from './auth-throttle.ts';
import type { IssuerNames } from './claims.ts';
import { type AssertionLimits, assertionLimitsFromEnv } from './client-auth.ts';
import { discoveryDocument } from './discovery.ts';
import type { FederationVerifier } from './federation.ts';
import { instanceDiscovery } from './instance-discovery.ts';
import type { KeyManager } from './signing-keys.ts';
import { handleTokenRequest, requestOrigin, type TokenEndpointDeps } from './token-endpoint.ts';
import type { TokenService } from './token-service.ts';

export interface IssuerRoutesOptions {
  tokens: TokenService;
  keys: KeyManager;
  federation: FederationVerifier;
  issuers: IssuerNames;
  /** The tenant `adfs` stands for: a named default, else the only tenant there is. */
  adfsTenant?: string | undefined;
  /** Failed-authentication throttle; default one with the limits of the environment (auth-throttle.ts). */
  throttle?: ClientAuthThrottle | undefined;
  /** Longest client-assertion lifetimes; default from the environment (client-auth.ts). */
  assertionLimits?: AssertionLimits | undefined;
}

type Kind = 'discovery' | 'keys' | 'token' | 'instance';

interface Match {
  kind: Kind;
  tenant: string;
  version: 1 | 2;
}

const MULTI_TENANT = new Set(['common', 'organizations']);

/** Recognises an issuer path from its segments; the first segment must look like a tenant, not a plane. */
export function matchIssuerPath(method: string, s: readonly string[]): Match | undefined {
  const tenant = s[0];
  if (!tenant || tenant === 'admin' || tenant === 'healthz' || tenant === 'metadata' || tenant === 'MSI')
    return undefined;
  const rest = s.slice(1).join('/');
  if (method === 'GET' || method === 'HEAD') {
    if (rest === '.well-known/openid-configuration') return { kind: 'discovery', tenant, version: 1 };
    if (rest === 'v2.0/.well-known/openid-configuration') return { kind: 'discovery', tenant, version: 2 };
    if (rest === 'discovery/keys') return { kind: 'keys', tenant, version: 1 };
    if (rest === 'discovery/v2.0/keys') return { kind: 'keys', tenant, version: 2 };
    if (rest === 'discovery/instance' && tenant.toLowerCase() === 'common') {
      return { kind: 'instance', tenant, version: 2 };
    }
  }
  if (method === 'POST') {
    if (rest === 'oauth2/token') return { kind: 'token', tenant, version: 1 };
    if (rest === 'oauth2/v2.0/token') return { kind: 'token', tenant, version: 2 };
  }
  return undefined;
}

export function issuerRoutes(o: IssuerRoutesOptions): RouteGroup {
  const resolveTenant = async (pathTenant: string): Promise<Tenant> => {
    if (pathTenant.toLowerCase() !== 'adfs') return o.tokens.tenant(pathTenant);
    if (o.adfsTenant) return o.tokens.tenant(o.adfsTenant);
    const all = await o.tokens.directory.listTenants();
    if (all.length !== 1) {
      throw new AadstsError(
        90002,
        `Tenant 'adfs' is ambiguous: there are ${all.length} tenants.`,
        'Lanyard: `adfs` stands for the only tenant. Use the tenant id or one of its domains as the tenant (AZURE_TENANT_ID) with disableInstanceDiscovery: true, or keep one tenant in this Lanyard.',
      );
    }
    return all[0]!;
  };

  const tokenDeps: TokenEndpointDeps = {
    tokens: o.tokens,
    federation: o.federation,
    resolveTenant,
    throttle: o.throttle ?? new ClientAuthThrottle(authThrottleFromEnv(process.env)),
    assertionLimits: o.assertionLimits ?? assertionLimitsFromEnv(process.env),
  };

  const sendAadsts = (ctx: RequestContext, err: AadstsError) =>
    sendJson(
      ctx.res,
      err.status,
      err.toBody(o.tokens.now()),
      ctx.req.complete ? {} : { Connection: 'close' },
    );

  return {
    name: 'issuer',
    matches: (ctx) => matchIssuerPath(ctx.method, ctx.segments) !== undefined,
    async handle(ctx) {
      const m = matchIssuerPath(ctx.method, ctx.segments)!;
      // The token endpoint answers every outcome itself, refusals and failures included (token-endpoint.ts).
      if (m.kind === 'token') return handleTokenRequest(ctx, m.tenant, m.version, tokenDeps);
      try {
        if (m.kind === 'instance') {
          const a = instanceDiscovery(requestOrigin(ctx.req), ctx.query.get('authorization_endpoint'));
          sendJson(ctx.res, a.status, a.body, { 'Cache-Control': 'max-age=86400, private' });
          return;
        }
        const multi = MULTI_TENANT.has(m.tenant.toLowerCase());
        const tenantId = multi ? '{tenantid}' : (await resolveTenant(m.tenant)).id;
        if (m.kind === 'discovery') {
          const doc = discoveryDocument({
            origin: requestOrigin(ctx.req),
            pathTenant: m.tenant,
            tenantId,
            version: m.version,
            issuers: o.issuers,
          });
          sendJson(ctx.res, 200, doc, {
            'Cache-Control': 'max-age=86400, private',
            'Access-Control-Allow-Origin': '*',
          });
          return;
        }
        const iss = m.version === 2 ? o.issuers.v2(tenantId) : o.issuers.v1(tenantId);
        const keys = (await o.keys.publishedKeys()).map((k) => ({ ...k, issuer: iss }));
        const body = JSON.stringify({ keys });
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
        const headers = {
          'Cache-Control': 'public, max-age=3600',
          ETag: etag,
          'Access-Control-Allow-Origin': '*',
        };
        if (ctx.req.headers['if-none-match'] === etag) {
          ctx.res.writeHead(304, headers);
          ctx.res.end();
          return;
        }
        sendJson(ctx.res, 200, { keys }, headers);
      } catch (err) {
        if (err instanceof AadstsError) {
          sendAadsts(ctx, err);
          return;
        }
        throw err;
      }
    },
  };
}
