/**
 * @module easyauth/front
 * One front's compiled state: everything a request is decided and answered with that depends on the config —
 * the config itself (defaults filled in, clientId resolved), the validator's policy and its verified-token
 * cache, the Functions key gate, the excluded-path matcher, the realm and the upstream pool. Built once per
 * config by `compileFront`, never changed afterwards: a new config is a new `Front`, swapped in whole, so a
 * request never sees half of one config and half of another.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import { ensureLocalCa } from '../crypto/local-ca.ts';
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import type { Logger } from '../http/logger.ts';
import { TokenValidator, type ValidationPolicy } from '../validator/validator.ts';
import { type EasyAuthConfig, type EasyAuthConfigInput, parseEasyAuthConfig } from './config.ts';
import type { EasyAuthDeps } from './deps.ts';
import { openUpstream, type Upstream } from './forward.ts';
import { createFunctionKeyGate, type FunctionKeyGate } from './function-keys.ts';
import { pathMatcher } from './paths.ts';
import { buildEasyAuthPolicy, type EasyAuthPolicy } from './policy.ts';
import { resolveClientId } from './store.ts';

/** Bytes of a bearer token; longer ones are refused before decoding (as the 16 KiB header limit). */
export const MAX_TOKEN_BYTES = 16 * 1024;

export interface FrontResource {
  readonly id: string;
  readonly name: string;
  readonly tenantId: string;
}

export interface Front {
  readonly resource: FrontResource;
  /** The config in effect (defaults filled in, clientId resolved). */
  readonly config: EasyAuthConfig;
  /** The policy with what it was built from (issuer, clientId, app), for hints. */
  readonly ctx: EasyAuthPolicy;
  readonly policy: ValidationPolicy;
  readonly validator: TokenValidator;
  readonly gate: FunctionKeyGate | undefined;
  readonly excluded: (matchPath: string) => boolean;
  /** `httpSettings.routes.apiPrefix`, lower-cased, and the paths under it, built once rather than per request. */
  readonly apiPrefix: string;
  readonly apiPrefixSlash: string;
  readonly mePath: string;
  /** `<resource>.localhost`: the WWW-Authenticate realm and the X-Forwarded-Host when the client sent no Host. */
  readonly realm: string;
  readonly upstream: Upstream;
  readonly audit: AuditLog;
  readonly logger: Logger | undefined;
}

export interface CompileOptions {
  logger?: Logger | undefined;
  /** The front this one replaces: its upstream pool is kept when the upstream URL is the same. */
  previous?: Front | undefined;
  /** The local CA's certificate (PEM), which an https upstream may chain to; read from the data folder if absent. */
  caCertPem?: string | undefined;
}

/** The resource `name` names, of kind app; `tenant` is needed only when several tenants have one of that name. */
export async function findAppResource(
  deps: EasyAuthDeps,
  name: string,
  tenant: string | undefined,
): Promise<FrontResource> {
  const resource = await findResource(deps, name, tenant);
  if (resource.kind !== 'app') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; Easy Auth fronts resources of kind app.`,
    );
  }
  return { id: resource.id, name: resource.name, tenantId: resource.tenantId };
}

async function findResource(deps: EasyAuthDeps, name: string, tenant: string | undefined) {
  if (tenant !== undefined) return deps.directory.getResource(tenant, name);
  const found = [];
  for (const t of await deps.directory.listTenants()) {
    try {
      found.push(await deps.directory.getResource(t.id, name));
    } catch (err) {
      if (!isLanyardError(err) || err.code !== 'ERR_NOT_FOUND') throw err;
    }
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new LanyardError('ERR_NOT_FOUND', `Resource "${name}" was not found in any tenant.`, {
      hint: 'Create it (`lanyard resource create --name … --kind app`) or declare it in lanyard.yaml.',
    });
  }
  throw new LanyardError('ERR_USAGE', `Several tenants have a resource named "${name}"; name the tenant.`);
}

/**
 * Validates `input` (defaults filled in), resolves its clientId and builds everything a request needs. Throws,
 * with nothing opened, when the config is invalid or its clientId or issuer cannot be resolved.
 */
export async function compileFront(
  deps: EasyAuthDeps,
  resource: FrontResource,
  input: EasyAuthConfigInput | EasyAuthConfig,
  options: CompileOptions = {},
): Promise<Front> {
  const config = parseEasyAuthConfig(structuredClone(input), `The Easy Auth config of ${resource.name}`);
  const registration = config.identityProviders.azureActiveDirectory.registration;
  registration.clientId = await resolveClientId(deps.directory, resource.tenantId, registration.clientId);
  const ctx = await buildEasyAuthPolicy(deps, resource.tenantId, config);
  const apiPrefix = config.httpSettings.routes.apiPrefix.toLowerCase();
  const previous = options.previous;
  let upstream: Upstream;
  if (previous && previous.config.upstream === config.upstream) upstream = previous.upstream;
  else {
    const caCertPem =
      options.caCertPem ??
      (await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope })).caCertPem;
    upstream = openUpstream(config.upstream, { ca: [caCertPem] });
  }
  return {
    resource,
    config,
    ctx,
    policy: { ...ctx.policy, maxTokenBytes: MAX_TOKEN_BYTES },
    validator: new TokenValidator({ now: () => deps.tokens.now().getTime() }),
    gate: config.functions ? createFunctionKeyGate(config.functions, deps.hasher) : undefined,
    excluded: pathMatcher(config.globalValidation.excludedPaths),
    apiPrefix,
    apiPrefixSlash: `${apiPrefix}/`,
    mePath: `${apiPrefix}/me`,
    realm: `${resource.name.toLowerCase()}.localhost`,
    upstream,
    audit: deps.audit,
    logger: options.logger,
  };
}
