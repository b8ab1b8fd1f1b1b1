/**
 * @module issuer/instance-discovery
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=https://{host}/{tenant}/oauth2/…`:
 * MSAL's instance discovery. msal-node asks it for an authority host it does not know, MSAL-Python (az) for
 * any host not on its list and again on a cache miss for a new resource — and fails outright when it does not
 * answer. The answer names the tenant discovery document of the tenant in `authorization_endpoint`, on the host
 * the caller reached (so it works both on Lanyard's own origin and under Azure's host names), and Entra's alias
 * groups, with Lanyard's host added to the public cloud's (docs/protocols.md, "Instance discovery").
 */

/** Entra's alias groups, as MSAL expects them. */
const CLOUDS = [
  [
    'login.microsoftonline.com',
    'login.windows.net',
    ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
  ],
  [
    'login.partner.microsoftonline.cn',
    'login.partner.microsoftonline.cn',
    ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn'],
  ],
  ['login.microsoftonline.de', 'login.microsoftonline.de', ['login.microsoftonline.de']],
  [
    'login.microsoftonline.us',
    'login.microsoftonline.us',
    ['login.microsoftonline.us', 'login.usgovcloudapi.net'],
  ],
  ['login-us.microsoftonline.com', 'login-us.microsoftonline.com', ['login-us.microsoftonline.com']],
] as const;

export interface InstanceDiscoveryAnswer {
  readonly status: 200 | 400;
  readonly body: Record<string, unknown>;
}

/**
 * The answer for `authorizationEndpoint` (absent: the `common` tenant), seen from `origin` (`https://host:port`).
 * An endpoint that is not an absolute https URL is refused as Entra does, with `invalid_instance`.
 */
export function instanceDiscovery(
  origin: string,
  authorizationEndpoint: string | null,
): InstanceDiscoveryAnswer {
  let tenant = 'common';
  if (authorizationEndpoint) {
    let url: URL;
    try {
      url = new URL(authorizationEndpoint);
    } catch {
      return invalid(authorizationEndpoint);
    }
    if (url.protocol !== 'https:') return invalid(authorizationEndpoint);
    tenant = url.pathname.split('/').filter(Boolean)[0] ?? 'common';
  }
  const own = new URL(origin).host;
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${origin}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: CLOUDS.map(([network, cache, aliases], i) => ({
        preferred_network: network,
        preferred_cache: cache,
        aliases: i === 0 && !(aliases as readonly string[]).includes(own) ? [...aliases, own] : [...aliases],
      })),
    },
  };
}

function invalid(endpoint: string): InstanceDiscoveryAnswer {
  return {
    status: 400,
    body: {
      error: 'invalid_instance',
      error_description: `AADSTS50049: Unknown or invalid instance. The authorization endpoint '${endpoint.slice(0, 200)}' is not an absolute https URL.`,
      error_codes: [50049],
    },
  };
}
