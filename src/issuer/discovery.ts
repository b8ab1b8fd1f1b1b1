/**
 * @module issuer/discovery
 * OpenID discovery documents as Entra serves them (docs/protocols.md, "Discovery, JWKS and instance discovery"), with every endpoint on the
 * origin the client used (MSAL requires `token_endpoint` on the authority's own origin and https) and the
 * `issuer` the tokens carry. v1 (`/{tenant}/.well-known/…`) and v2 (`/{tenant}/v2.0/.well-known/…`) documents;
 * `common`/`organizations` use Entra's literal `{tenantid}` placeholder; `adfs` is the form @azure/identity
 * uses to skip instance discovery.
 */
import type { IssuerNames } from './claims.ts';

export interface DiscoveryInput {
  origin: string;
  /** The tenant segment as it appears in URLs (id, domain, `common`, `organizations`, `adfs`). */
  pathTenant: string;
  /** The tenant id for `issuer`, or `{tenantid}` for the multi-tenant documents. */
  tenantId: string;
  version: 1 | 2;
  issuers: IssuerNames;
}

export function discoveryDocument(d: DiscoveryInput): Record<string, unknown> {
  const base = `${d.origin}/${d.pathTenant}`;
  const adfs = d.pathTenant === 'adfs';
  const oauth = adfs || d.version === 1 ? `${base}/oauth2` : `${base}/oauth2/v2.0`;
  const issuer = d.version === 2 ? d.issuers.v2(d.tenantId) : d.issuers.v1(d.tenantId);
  return {
    token_endpoint: `${oauth}/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: d.version === 2 && !adfs ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: d.version === 2 ? ['openid', 'profile', 'email', 'offline_access'] : ['openid'],
    issuer,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${oauth}/authorize`,
    device_authorization_endpoint: `${oauth}/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${oauth}/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'tid',
      'ver',
      'oid',
      'roles',
      'appid',
      'azp',
    ],
    grant_types_supported: ['client_credentials'],
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}
