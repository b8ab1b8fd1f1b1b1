/**
 * @module issuer/token-endpoint
 * `POST /{tenant}/oauth2/token` (v1, `resource=`) and `/{tenant}/oauth2/v2.0/token` (v2,
 * `scope=<resource>/.default`), client-credentials grant. Steps, in order: read a bounded form body, refuse
 * duplicate parameters, find the tenant, check the grant, name the resource, authenticate the client, mint.
 * MSAL's extra parameters (x-client-*, client-request-id, claims …) are accepted and ignored.
 */
import type { IncomingMessage } from 'node:http';
import type { Tenant } from '../directory/types.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { readBoundedBody } from '../http/http.ts';
import { AadstsError } from './aadsts.ts';
import { authenticateClient, type ClientCredentials } from './client-auth.ts';
import type { FederationVerifier } from './federation.ts';
import type { TokenService } from './token-service.ts';

export const TOKEN_BODY_LIMIT = 16 * 1024;

/** Parameters that must not repeat: a second value would be ambiguous (which secret? which resource?). */
const SINGLE = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'resource',
];

/** OIDC scopes MSAL may add; they name no resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

export interface TokenRequestContext {
  req: IncomingMessage;
  origin: string;
  pathTenant: string;
  version: 1 | 2;
  tokens: TokenService;
  federation: FederationVerifier;
  /** Resolves `adfs` (and nothing else) to the tenant it stands for. */
  resolveTenant: (pathTenant: string) => Promise<Tenant>;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new AadstsError(
      900144,
      "The request body must contain the following parameter: 'grant_type'.",
      'Lanyard: send the parameters as a form (Content-Type: application/x-www-form-urlencoded).',
    );
  }
  let body: Buffer;
  try {
    body = await readBoundedBody(req, TOKEN_BODY_LIMIT);
  } catch (err) {
    if (isLanyardError(err) && err.code === 'ERR_REQUEST_TOO_LARGE') {
      throw new AadstsError(900143, `The request body is larger than ${TOKEN_BODY_LIMIT} bytes.`);
    }
    throw new AadstsError(900143, 'The request body could not be read.');
  }
  const form = new URLSearchParams(body.toString('utf8'));
  for (const name of SINGLE) {
    if (form.getAll(name).length > 1) {
      throw new AadstsError(900143, `The request body contains the parameter '${name}' more than once.`);
    }
  }
  return form;
}

/** RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new AadstsError(900143, 'The Authorization header is not valid HTTP Basic client authentication.');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new AadstsError(900143, 'The Authorization header is not valid HTTP Basic client authentication.');
  }
}

/** The resource a request names: v1 `resource`; v2 the single `<resource>/.default` scope. */
function requestedResource(form: URLSearchParams, version: 1 | 2): string {
  if (version === 1) {
    const resource = form.get('resource');
    if (!resource)
      throw new AadstsError(900144, "The request body must contain the following parameter: 'resource'.");
    return resource;
  }
  const scope = form.get('scope');
  if (!scope)
    throw new AadstsError(900144, "The request body must contain the following parameter: 'scope'.");
  const scopes = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  if (scopes.length !== 1) {
    throw new AadstsError(
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} names ${scopes.length} resources; request one at a time.`,
    );
  }
  const only = scopes[0]!;
  if (!only.endsWith('/.default')) {
    throw new AadstsError(
      1002012,
      `The provided value for scope ${only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      `Lanyard: request ${only.replace(/\/[^/]*$/, '')}/.default.`,
    );
  }
  return only.slice(0, -'/.default'.length);
}

/** Every URL a certificate assertion's `aud` may name for this tenant (the endpoint, by any tenant name). */
function assertionAudiences(origin: string, pathTenant: string, tenant: Tenant): string[] {
  const names = new Set([pathTenant, tenant.id, ...tenant.domains]);
  const out: string[] = [];
  for (const n of names) out.push(`${origin}/${n}/oauth2/v2.0/token`, `${origin}/${n}/oauth2/token`);
  return out;
}

export async function handleTokenRequest(ctx: TokenRequestContext): Promise<TokenResponse> {
  const via = ctx.version === 2 ? 'oauth2/v2.0/token' : 'oauth2/token';
  let tenant: Tenant | undefined;
  let clientId: string | undefined;
  let target: string | undefined;
  try {
    const form = await readForm(ctx.req);
    tenant = await ctx.resolveTenant(ctx.pathTenant);
    const grant = form.get('grant_type');
    if (!grant)
      throw new AadstsError(900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') {
      throw new AadstsError(
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
        'Lanyard issues app-only tokens: use grant_type=client_credentials (managed identities use their own endpoint).',
      );
    }
    // AD FS's `/adfs/oauth2/token` takes `scope` as well as `resource`, and MSAL (the `adfs` authority that
    // @azure/identity uses to skip instance discovery) sends `scope`: answer it as the v2 endpoint would.
    const shape =
      ctx.version === 1 &&
      ctx.pathTenant.toLowerCase() === 'adfs' &&
      !form.has('resource') &&
      form.has('scope')
        ? 2
        : ctx.version;
    target = requestedResource(form, shape);
    const basic = basicCredentials(ctx.req.headers.authorization);
    if (basic && (form.has('client_secret') || form.has('client_assertion'))) {
      throw new AadstsError(
        90014,
        'The client authenticated twice: HTTP Basic and credentials in the body. Use one.',
      );
    }
    if (basic && form.has('client_id') && form.get('client_id') !== basic.id) {
      throw new AadstsError(
        90014,
        'The client_id in the body differs from the one in the Authorization header.',
      );
    }
    const creds: ClientCredentials = {
      clientId: basic?.id ?? form.get('client_id') ?? undefined,
      clientSecret: basic?.secret ?? form.get('client_secret') ?? undefined,
      clientAssertion: form.get('client_assertion') ?? undefined,
      clientAssertionType: form.get('client_assertion_type') ?? undefined,
    };
    clientId = creds.clientId;
    const auth = await authenticateClient(tenant, creds, {
      directory: ctx.tokens.lookups,
      federation: ctx.federation,
      audiences: assertionAudiences(ctx.origin, ctx.pathTenant, tenant),
      now: ctx.tokens.now(),
    });
    const issued = await ctx.tokens.mint({
      tenant,
      client: auth.client,
      requestedAs: target,
      acr: auth.acr,
      via: `${via} ${auth.method}`,
    });
    if (shape === 2) {
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: issued.expiresIn,
          ext_expires_in: issued.expiresIn,
          access_token: issued.accessToken,
        },
      };
    }
    // The v1 endpoint answers with strings, and echoes the resource as requested.
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: String(issued.expiresIn),
        ext_expires_in: String(issued.expiresIn),
        expires_on: String(issued.expiresOn),
        not_before: String(issued.notBefore),
        resource: target,
        access_token: issued.accessToken,
      },
    };
  } catch (err) {
    if (!(err instanceof AadstsError)) throw err;
    // Refusals raised after minting started were audited by the token service already.
    if (!(err.code === 500011 || err.code === 501051) || !clientId) {
      await ctx.tokens.refused(tenant?.id, clientId, target, via, err);
    }
    return {
      status: err.status,
      body: { ...err.toBody(ctx.tokens.now(), ctx.req.headers['client-request-id']?.toString()) },
    };
  }
}
