/**
 * @module gateway/policy/token-keys
 * What `validate-jwt` and `validate-azure-ad-token` need at run time: the one token validator (its
 * verified-token cache) and the key sources behind `openid-config` URLs — one `DiscoveryKeySource` per URL,
 * shared by every compiled policy and kept across recompiles, so a gateway with a hundred operations naming
 * the same issuer fetches its discovery document and JWKS once (cached an hour, an unknown `kid` refetched at
 * most once per cooldown, five minutes as in APIM) and a configuration change does not drop the keys.
 *
 * `rewrite` maps a policy's URL before anything is fetched: the gateway plane points Entra's login hosts
 * (`https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration`, what copied policies
 * name) at Lanyard's own issuer, which serves the same paths. `entraTo(origin)` is that mapping.
 */
import { DiscoveryKeySource, type KeySource } from '../../validator/key-sources.ts';
import { TokenValidator } from '../../validator/validator.ts';

/** The keys and `issuer` of one OpenID discovery document. */
export interface OpenIdConfigKeys extends KeySource {
  /** The document's `issuer`, fetched first when it never was; undefined while it cannot be fetched. */
  issuer(): Promise<string | undefined>;
  /** Why the last fetch failed (undefined after a good one): for the hint of a refusal. */
  readonly lastError: string | undefined;
}

export interface TokenServices {
  /** The validator every compiled policy shares. */
  readonly validator: TokenValidator;
  /** The key source of an `openid-config` URL (named values already substituted): one per URL, shared. */
  openIdConfig(url: string): OpenIdConfigKeys;
  /**
   * The v2 discovery URL of the tenant `validate-azure-ad-token` names (a GUID or a domain): Entra's, before
   * `rewrite`, so the plane maps it to Lanyard's issuer like any copied `openid-config` URL.
   */
  azureAdDiscoveryUrl(tenant: string): string;
}

export interface TokenServicesOptions {
  /** Milliseconds since the epoch: the validator's clock (exp, nbf). */
  now?: (() => number) | undefined;
  /** Maps a policy's discovery URL to the one fetched (`entraTo(origin)` for Lanyard's issuer). */
  rewrite?: ((url: string) => string) | undefined;
  /** Extra CA certificates (PEM) trusted for discovery and JWKS fetches: Lanyard's local CA. */
  ca?: readonly string[] | undefined;
  /** How long a fetched key set is used before it is fetched again. Default one hour (APIM's). */
  cacheMs?: number | undefined;
  /** The least time between two fetches for an unknown `kid`. Default five minutes (APIM's). */
  cooldownMs?: number | undefined;
  /** Discovery URLs remembered at most (the oldest is dropped). Default 256. */
  maxSources?: number | undefined;
}

const ENTRA_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net', 'sts.windows.net']);

/** A `rewrite` sending Entra's login hosts to `origin` (Lanyard's issuer), path and query kept. */
export function entraTo(origin: string): (url: string) => string {
  const base = origin.replace(/\/+$/, '');
  return (url) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return url;
    }
    return ENTRA_HOSTS.has(u.host.toLowerCase()) ? `${base}${u.pathname}${u.search}` : url;
  };
}

export function createTokenServices(o: TokenServicesOptions = {}): TokenServices {
  const sources = new Map<string, DiscoveryKeySource>();
  const max = o.maxSources ?? 256;
  return {
    validator: new TokenValidator({ now: o.now ?? Date.now }),
    openIdConfig(url) {
      const target = o.rewrite ? o.rewrite(url) : url;
      let source = sources.get(target);
      if (!source) {
        source = new DiscoveryKeySource({
          discoveryUrl: target,
          ca: o.ca,
          cacheMs: o.cacheMs ?? 3_600_000,
          cooldownMs: o.cooldownMs ?? 300_000,
        });
        if (sources.size >= max) sources.delete(sources.keys().next().value!);
        sources.set(target, source);
      }
      return source;
    },
    azureAdDiscoveryUrl: (tenant) =>
      `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`,
  };
}
