/**
 * @module easyauth/policy
 * Turns an Easy Auth config into the validator's policy, with Azure's rules (docs/protocols.md, "Easy Auth request pipeline"):
 * - issuer: an Entra-style `openIdIssuer` (`https://sts.windows.net/{tenant}/v2.0`, `…/{tenant}/`,
 *   `https://login.microsoftonline.com/{tenant}/v2.0`, or the same path on Lanyard's own origin) naming a
 *   tenant in the directory is checked in-process against Lanyard's keys, accepting BOTH that tenant's v1 and
 *   v2 issuer strings; `common`/`organizations` accept every tenant's. Any other https issuer goes through
 *   its discovery document, whose `issuer` must be the configured one.
 * - audiences: `allowedAudiences` ∪ {bare clientId}; only the bare clientId is implicit, never `api://…`.
 * - applications: `defaultAuthorizationPolicy.allowedApplications` AND `jwtClaimChecks.allowedClientApplications`
 *   (both must pass, so the policy holds their intersection); principals: `allowedPrincipals.identities` (oid).
 * The app registration is looked up too, only to make hints precise (its App ID URIs).
 */
import { caPathFor } from '../crypto/local-ca.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { DiscoveryKeySource, type KeySource, LocalKeySource } from '../validator/key-sources.ts';
import type { ValidationPolicy } from '../validator/validator.ts';
import { type EasyAuthConfig, isGuid } from './config.ts';
import type { EasyAuthDeps } from './deps.ts';

const ENTRA_HOSTS = new Set(['sts.windows.net', 'login.microsoftonline.com', 'login.windows.net']);
const MULTI_TENANT = new Set(['common', 'organizations']);

export interface EasyAuthPolicy {
  policy: ValidationPolicy;
  /** The issuer URL in effect (configured, or the resource tenant's default). */
  openIdIssuer: string;
  /** `local` (Lanyard's own keys) or `discovery` (the issuer's JWKS over https). */
  keys: 'local' | 'discovery';
  clientId: string;
  /** The app registration the clientId names, when the directory has it (for hints). */
  app: { name: string; identifierUris: string[] } | undefined;
}

function entraPath(issuer: URL): string | undefined {
  const parts = issuer.pathname.split('/').filter(Boolean);
  if (parts.length === 1 || (parts.length === 2 && parts[1]!.toLowerCase() === 'v2.0')) return parts[0];
  return undefined;
}

function isOwnHost(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** The applications that pass both lists (an empty list places no restriction). */
function allowedApplications(a: readonly string[], b: readonly string[]): string[] | undefined {
  const la = a.map((x) => x.toLowerCase());
  const lb = b.map((x) => x.toLowerCase());
  if (la.length === 0 && lb.length === 0) return undefined;
  if (la.length === 0) return unique(lb);
  if (lb.length === 0) return unique(la);
  const both = la.filter((x) => lb.includes(x));
  // Nothing passes both: keep a value no token carries so every caller is refused, as AND demands.
  return both.length > 0 ? unique(both) : ['(no application is in both allowed lists)'];
}

export async function buildEasyAuthPolicy(
  runtime: EasyAuthDeps,
  resourceTenantId: string,
  config: EasyAuthConfig,
): Promise<EasyAuthPolicy> {
  const aad = config.identityProviders.azureActiveDirectory;
  const lowerGuid = (x: string) => (isGuid(x) ? x.toLowerCase() : x);
  const clientId = lowerGuid(aad.registration.clientId);
  const openIdIssuer = aad.registration.openIdIssuer ?? `https://sts.windows.net/${resourceTenantId}/v2.0`;
  const url = new URL(openIdIssuer);
  const ref = entraPath(url);
  let keys: KeySource | undefined;
  let issuers: string[] = [];
  let kind: 'local' | 'discovery' = 'local';
  if (ref !== undefined && (ENTRA_HOSTS.has(url.host) || isOwnHost(url.host))) {
    if (MULTI_TENANT.has(ref.toLowerCase())) {
      const tenants = await runtime.directory.listTenants();
      issuers = tenants.flatMap((t) => [runtime.issuers.v1(t.id), runtime.issuers.v2(t.id)]);
      keys = new LocalKeySource(runtime.keys);
    } else {
      const tenant = await runtime.directory.findTenant(ref);
      if (tenant) {
        issuers = [runtime.issuers.v1(tenant.id), runtime.issuers.v2(tenant.id)];
        keys = new LocalKeySource(runtime.keys);
      } else if (ENTRA_HOSTS.has(url.host)) {
        // A real Entra tenant: its keys from Microsoft's discovery document, both token versions accepted.
        issuers = [`https://sts.windows.net/${ref}/`, `https://login.microsoftonline.com/${ref}/v2.0`];
        keys = new DiscoveryKeySource({ discoveryUrl: openIdIssuer, caFile: caPathFor(runtime.dataDir) });
        kind = 'discovery';
      }
    }
  }
  if (!keys) {
    issuers = [openIdIssuer];
    keys = new DiscoveryKeySource({
      discoveryUrl: openIdIssuer,
      expectedIssuer: openIdIssuer,
      caFile: caPathFor(runtime.dataDir),
    });
    kind = 'discovery';
  }
  const validation = aad.validation;
  const apps = allowedApplications(
    validation.defaultAuthorizationPolicy.allowedApplications,
    validation.jwtClaimChecks.allowedClientApplications,
  );
  const identities = validation.defaultAuthorizationPolicy.allowedPrincipals.identities.map((x) =>
    x.toLowerCase(),
  );
  const policy: ValidationPolicy = {
    issuers,
    // The clientId first: the validator's hint names the first audience as the one to request.
    audiences: unique([clientId, ...validation.allowedAudiences.map(lowerGuid)]),
    keys,
    algorithms: kind === 'local' ? ['RS256'] : ['RS256', 'PS256', 'ES256'],
    clockSkewSeconds: 300,
    ...(apps ? { allowedApplications: apps } : {}),
    ...(identities.length > 0 ? { allowedPrincipals: identities } : {}),
  };
  let app: EasyAuthPolicy['app'];
  try {
    const found = await runtime.directory.getApp(resourceTenantId, clientId);
    app = { name: found.name, identifierUris: found.identifierUris };
  } catch (err) {
    if (!isLanyardError(err)) throw err;
    app = undefined;
  }
  return { policy, openIdIssuer, keys: kind, clientId, app };
}
