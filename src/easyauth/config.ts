/**
 * @module easyauth/config
 * What an Easy Auth front is told: the part of Azure's `authsettingsV2` that matters to bearer callers (same
 * names, so a config copied from Azure reads the same here), plus what only Lanyard needs — where to forward
 * (`upstream`), where to listen, how much to tell refused callers (`diagnostics`) and optional Functions-style
 * keys. One strict zod schema serves the manifest (`easyAuth:` under a resource), `lanyard easyauth set` and
 * `startEasyAuth`; the lenient reader for configs exported from Azure is easyauth/import.
 *
 * Lanyard's defaults differ from ARM's absent values where ARM's would leave an API open or send API callers a
 * login redirect: a declared config is enabled, requires authentication and answers 401.
 */
import { z } from 'zod';
import { LanyardError } from '../errors/lanyard-error.ts';

import { UNAUTHENTICATED_ACTIONS } from './actions.ts';

export { UNAUTHENTICATED_ACTIONS, type UnauthenticatedAction } from './actions.ts';

export const AUTH_LEVELS = ['anonymous', 'function', 'admin'] as const;
export type AuthLevel = (typeof AUTH_LEVELS)[number];

/** The host master key's name, as the Functions host calls it: it satisfies every level. */
export const MASTER_KEY_NAME = '_master';
/** The host function key made when a config declares none. */
export const DEFAULT_FUNCTION_KEY_NAME = 'default';

/** A key as given (plaintext; never `$`) or as stored (`sh1$…`, the keyed hash). */
export const PLAIN_KEY = /^[A-Za-z0-9_+/=-]{16,256}$/;
export const HASHED_KEY = /^sh1\$[A-Za-z0-9_-]{43}$/;

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const isGuid = (s: string): boolean => GUID.test(s);

/** `/exact/path` or `/prefix/*`: what Azure's excludedPaths accept. Matched case-insensitively. */
export const pathPattern = z
  .string()
  .max(500)
  .refine((p) => p.startsWith('/'), 'must start with "/"')
  .refine((p) => !/[?#%;\\\s]/.test(p), 'must be a plain path: no "?", "#", "%", ";", "\\" or spaces')
  .refine(
    (p) => !p.slice(0, -2).includes('*') && (!p.includes('*') || p.endsWith('/*')),
    'may use "*" only as a trailing "/*"',
  )
  .refine(
    (p) =>
      !p
        .split('/')
        .slice(1)
        .some((s, i, all) => s === '.' || s === '..' || (s === '' && i < all.length - 1)),
    'must not contain "//", "." or ".." segments',
  );

/** Builds a zod default from the schema itself, so an omitted object gets every nested default. */
function defaulted<T extends z.ZodType>(schema: T) {
  return schema.default(() => schema.parse({}) as never);
}

const stringList = (max: number) => z.array(z.string().min(1).max(2000)).max(max);

const upstreamUrl = z.string().refine((u) => {
  try {
    const url = new URL(u);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === '' &&
      url.search === '' &&
      url.hash === '' &&
      !u.includes('?') &&
      !u.includes('#')
    );
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL without credentials, query or fragment');

export const listenSchema = z
  .strictObject({
    port: z
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe('Port of the HTTPS listener; 0 picks a free one at start. Default: 0.'),
    host: z
      .string()
      .min(1)
      .max(255)
      .default('127.0.0.1')
      .describe('Address to listen on. Default: 127.0.0.1.'),
  })
  .describe('Where the front listens (HTTPS, certificate from the local CA for <resource>.localhost).');

export const platformSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Authentication on. false: every request passes through (identity headers still stripped). Default: true.',
      ),
  })
  .describe('authsettingsV2 `platform`.');

export const globalValidationSchema = z
  .strictObject({
    requireAuthentication: z
      .boolean()
      .default(true)
      .describe('false: unauthenticated requests are forwarded without principal headers. Default: true.'),
    unauthenticatedClientAction: z
      .enum(UNAUTHENTICATED_ACTIONS)
      .default('Return401')
      .describe(
        'Answer to unauthenticated requests: Return401, Return403, Return404, AllowAnonymous; ' +
          'RedirectToLoginPage answers 401 (bearer callers get no login page). Default: Return401.',
      ),
    excludedPaths: z
      .array(pathPattern)
      .max(200)
      .default([])
      .describe(
        'Paths forwarded anonymously, exact or with a trailing /* (case-insensitive). Default: none.',
      ),
  })
  .describe('authsettingsV2 `globalValidation`.');

export const registrationSchema = z
  .strictObject({
    openIdIssuer: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional()
      .describe(
        "Issuer URL, e.g. https://sts.windows.net/<tenant>/v2.0. A tenant in Lanyard's directory is checked in-process " +
          "(v1 and v2 issuers both accepted); any other URL through its discovery document. Default: the resource's tenant.",
      ),
    clientId: z
      .string()
      .min(1)
      .max(256)
      .describe(
        "The app registration's application (client) id; an app name is resolved to its appId when stored. Required.",
      ),
  })
  .describe('authsettingsV2 `registration` of the Entra provider.');

export const validationSchema = z
  .strictObject({
    allowedAudiences: stringList(100)
      .default([])
      .describe(
        'Accepted `aud` values besides the bare clientId (always implicit; api://<clientId> is not). Default: none.',
      ),
    jwtClaimChecks: defaulted(
      z
        .strictObject({
          allowedClientApplications: stringList(500)
            .default([])
            .describe('Calling app ids (`appid`/`azp`) allowed; others get 403. Default: any.'),
        })
        .describe('authsettingsV2 `jwtClaimChecks`.'),
    ).describe('authsettingsV2 `jwtClaimChecks`.'),
    defaultAuthorizationPolicy: defaulted(
      z
        .strictObject({
          allowedApplications: stringList(500)
            .default([])
            .describe('Calling app ids (`appid`/`azp`) allowed; others get 403. Default: any.'),
          allowedPrincipals: defaulted(
            z
              .strictObject({
                identities: stringList(500)
                  .default([])
                  .describe('Caller object ids (`oid`) allowed; others get 403. Default: any.'),
              })
              .describe('authsettingsV2 `allowedPrincipals`.'),
          ).describe('authsettingsV2 `allowedPrincipals`.'),
        })
        .describe('authsettingsV2 `defaultAuthorizationPolicy`: every configured member must pass.'),
    ).describe('authsettingsV2 `defaultAuthorizationPolicy`: every configured member must pass.'),
  })
  .describe('authsettingsV2 `validation` of the Entra provider.');

export const loginSchema = z
  .strictObject({
    disableWWWAuthenticate: z
      .boolean()
      .default(false)
      .describe('Send no WWW-Authenticate header on refusals. Default: false.'),
  })
  .describe('authsettingsV2 `login` of the Entra provider.');

export const azureActiveDirectorySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('false: no token is accepted; every request is unauthenticated. Default: true.'),
    registration: registrationSchema,
    validation: defaulted(validationSchema).describe('authsettingsV2 `validation` of the Entra provider.'),
    login: defaulted(loginSchema).describe('authsettingsV2 `login` of the Entra provider.'),
  })
  .describe('The Entra (Azure AD) provider.');

export const identityProvidersSchema = z
  .strictObject({
    azureActiveDirectory: azureActiveDirectorySchema.describe('The Entra (Azure AD) provider. Required.'),
  })
  .describe('authsettingsV2 `identityProviders`: Lanyard implements the Entra provider.');

export const httpSettingsSchema = z
  .strictObject({
    routes: defaulted(
      z
        .strictObject({
          apiPrefix: z
            .string()
            .regex(/^\/[A-Za-z0-9._~-]+$/, 'must be one path segment such as /.auth')
            .default('/.auth')
            .describe('Prefix of the routes the front serves itself (/.auth/me). Default: /.auth.'),
        })
        .describe('authsettingsV2 `httpSettings.routes`.'),
    ).describe('authsettingsV2 `httpSettings.routes`.'),
  })
  .describe('authsettingsV2 `httpSettings`.');

export const functionRouteSchema = z
  .strictObject({
    path: pathPattern.describe('Route, exact or with a trailing /* (case-insensitive). Required.'),
    authLevel: z
      .enum(AUTH_LEVELS)
      .describe('anonymous (no key), function (a function or master key), admin (the master key). Required.'),
  })
  .describe('A Functions HTTP route and the key it needs.');

const keyName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
const keyValue = z
  .string()
  .refine(
    (v) => PLAIN_KEY.test(v) || HASHED_KEY.test(v),
    'must be 16-256 characters from A-Z a-z 0-9 _ - + / =',
  );

export const functionsSchema = z
  .strictObject({
    routes: z
      .array(functionRouteSchema)
      .max(500)
      .default([])
      .describe('First match wins; a path no route matches is anonymous. Default: none.'),
    keys: z
      .record(keyName, keyValue)
      .default({})
      .describe(
        `Host keys by name: ${MASTER_KEY_NAME} is the master key, any other is a function key. Stored hashed; ` +
          `${MASTER_KEY_NAME} and ${DEFAULT_FUNCTION_KEY_NAME} are generated (and shown once) when absent.`,
      ),
  })
  .describe('Azure Functions authorization levels and keys, checked after Easy Auth.');

export const easyAuthConfigSchema = z
  .strictObject({
    upstream: upstreamUrl.describe(
      'Where accepted requests go: the app, e.g. http://127.0.0.1:7071. Required.',
    ),
    listen: defaulted(listenSchema).describe(
      'Where the front listens. Default: a free port on 127.0.0.1 (printed by lanyard up).',
    ),
    diagnostics: z
      .enum(['full', 'minimal'])
      .default('full')
      .describe(
        'full: refusals say why in WWW-Authenticate; minimal: only the audit log does. Default: full.',
      ),
    platform: defaulted(platformSchema).describe('authsettingsV2 `platform`.'),
    globalValidation: defaulted(globalValidationSchema).describe('authsettingsV2 `globalValidation`.'),
    identityProviders: identityProvidersSchema.describe(
      'authsettingsV2 `identityProviders`. Required: azureActiveDirectory.registration.clientId.',
    ),
    httpSettings: defaulted(httpSettingsSchema).describe('authsettingsV2 `httpSettings`.'),
    functions: functionsSchema
      .optional()
      .describe('Functions-style keys per route, checked after Easy Auth. Default: none.'),
  })
  .describe('Easy Auth in front of this app: authsettingsV2 names plus upstream, listen, diagnostics.');

export type EasyAuthConfig = z.output<typeof easyAuthConfigSchema>;
export type EasyAuthConfigInput = z.input<typeof easyAuthConfigSchema>;
export type FunctionsConfig = NonNullable<EasyAuthConfig['functions']>;

/** Parses a config, throwing ERR_VALIDATION that lists every problem with its key path. */
export function parseEasyAuthConfig(input: unknown, where = 'Easy Auth config'): EasyAuthConfig {
  const result = easyAuthConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
  throw new LanyardError(
    'ERR_VALIDATION',
    `${where} is not valid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    {
      hint: 'See docs/easyauth.md for every field; `lanyard easyauth import` reads a config exported from Azure.',
      details: { issues },
    },
  );
}

/** `https://<resource>.localhost:<port>`: the address a caller uses (the certificate names it). */
export function frontUrl(resourceName: string, port: number): string {
  return `https://${resourceName.toLowerCase()}.localhost:${port}`;
}
