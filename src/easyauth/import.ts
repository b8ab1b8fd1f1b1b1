/**
 * @module easyauth/import
 * Reads an `authsettingsV2` document exported from Azure (`az rest --method get …/config/authsettingsV2`, the
 * portal's JSON view, an ARM/Bicep resource, or the file-based config) and turns it into a Lanyard Easy Auth
 * config. Leniently, as real exports are messy (docs/protocols.md, "Easy Auth configuration (authsettingsV2)"): the `{id, name, type,
 * properties}` wrapper or the bare properties object; `null` anywhere meaning "absent"; empty objects; other
 * providers (disabled ones quietly, enabled ones with a warning: Lanyard implements only Entra); numeric enums
 * (`unauthenticatedClientAction: 0` is RedirectToLoginPage); booleans as strings. Absent values mean what they
 * mean in Azure (authentication off, not required). Fields that do not affect bearer callers (login flows,
 * token store, cookies, secrets) are dropped; unknown fields are dropped with a warning naming them.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type EasyAuthConfigInput, UNAUTHENTICATED_ACTIONS, type UnauthenticatedAction } from './config.ts';

export interface ImportedEasyAuth {
  /** The Lanyard config, without the fields Azure has no counterpart for (upstream, listen, diagnostics, functions). */
  config: Omit<EasyAuthConfigInput, 'upstream'>;
  warnings: string[];
}

type Json = Record<string, unknown>;

/** Where a field is known: `true` = read or deliberately dropped; an object = its known children. */
type Known = { [key: string]: true | Known };

const KNOWN: Known = {
  platform: { enabled: true, runtimeVersion: true, configFilePath: true },
  globalValidation: {
    requireAuthentication: true,
    unauthenticatedClientAction: true,
    redirectToProvider: true,
    excludedPaths: true,
  },
  identityProviders: {
    azureActiveDirectory: {
      enabled: true,
      isAutoProvisioned: true,
      registration: {
        openIdIssuer: true,
        clientId: true,
        clientSecretSettingName: true,
        clientSecretCertificateThumbprint: true,
        clientSecretCertificateSubjectAlternativeName: true,
        clientSecretCertificateIssuer: true,
      },
      login: { loginParameters: true, disableWWWAuthenticate: true },
      validation: {
        allowedAudiences: true,
        jwtClaimChecks: { allowedGroups: true, allowedClientApplications: true },
        defaultAuthorizationPolicy: {
          allowedApplications: true,
          allowedPrincipals: { groups: true, identities: true },
        },
      },
    },
    facebook: true,
    gitHub: true,
    google: true,
    twitter: true,
    apple: true,
    legacyMicrosoftAccount: true,
    azureStaticWebApps: true,
    customOpenIdConnectProviders: true,
  },
  login: true,
  httpSettings: { requireHttps: true, routes: { apiPrefix: true }, forwardProxy: true },
};

const ARM_WRAPPER = new Set(['id', 'name', 'type', 'kind', 'location', 'tags', 'systemData']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(value: Json, known: Known, at: string, out: string[]): void {
  for (const [key, child] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    const k = known[key];
    if (k === undefined) out.push(path);
    else if (k !== true && isObject(child)) unknownFields(child, k, path, out);
  }
}

function obj(value: unknown): Json {
  return isObject(value) ? value : {};
}

function bool(value: unknown, path: string, warnings: string[]): boolean | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True' || value === 1) return true;
  if (value === 'false' || value === 'False' || value === 0) return false;
  warnings.push(`${path}: ${JSON.stringify(value)} is not a boolean; ignored`);
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function strings(value: unknown, path: string, warnings: string[]): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
  if (!Array.isArray(value)) {
    warnings.push(`${path}: not a list; ignored`);
    return [];
  }
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}

/** ARM's enum order; 4 (Return404) is the portal's addition, missing from the ARM enum. */
function action(value: unknown, warnings: string[]): UnauthenticatedAction | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 4) {
    return (['RedirectToLoginPage', 'AllowAnonymous', 'Return401', 'Return403', 'Return404'] as const)[value];
  }
  if (typeof value === 'string') {
    const found = UNAUTHENTICATED_ACTIONS.find((a) => a.toLowerCase() === value.trim().toLowerCase());
    if (found) return found;
  }
  warnings.push(
    `globalValidation.unauthenticatedClientAction: ${JSON.stringify(value)} is not a known action; Return401 is used`,
  );
  return 'Return401';
}

/** Converts an exported authsettingsV2 document. Throws ERR_VALIDATION only when it is not one at all. */
export function importAuthSettingsV2(document: unknown): ImportedEasyAuth {
  if (!isObject(document)) {
    throw new LanyardError('ERR_VALIDATION', 'The authsettingsV2 document is not a JSON object.', {
      hint: 'Export it with `az rest --method get --url <site id>/config/authsettingsV2?api-version=2022-03-01`.',
    });
  }
  const warnings: string[] = [];
  let props: Json = document;
  if (isObject(document.properties)) {
    props = document.properties;
    const extra = Object.keys(document).filter((k) => k !== 'properties' && !ARM_WRAPPER.has(k));
    if (extra.length > 0) warnings.push(`ignored unknown fields beside properties: ${extra.join(', ')}`);
  }
  const unknown: string[] = [];
  unknownFields(props, KNOWN, '', unknown);
  if (unknown.length > 0) warnings.push(`ignored unknown fields: ${unknown.join(', ')}`);

  const platform = obj(props.platform);
  const gv = obj(props.globalValidation);
  const providers = obj(props.identityProviders);
  const aad = obj(providers.azureActiveDirectory);
  const registration = obj(aad.registration);
  const validation = obj(aad.validation);
  const claimChecks = obj(validation.jwtClaimChecks);
  const policy = obj(validation.defaultAuthorizationPolicy);
  const principals = obj(policy.allowedPrincipals);

  const enabled = bool(platform.enabled, 'platform.enabled', warnings);
  if (enabled === undefined) {
    warnings.push(
      'platform.enabled is absent: as in Azure, authentication is off (every request passes through)',
    );
  }
  const requireAuthentication = bool(
    gv.requireAuthentication,
    'globalValidation.requireAuthentication',
    warnings,
  );
  if (requireAuthentication === undefined) {
    warnings.push(
      'globalValidation.requireAuthentication is absent: as in Azure, unauthenticated requests are let through',
    );
  }
  const unauthenticated = action(gv.unauthenticatedClientAction, warnings);
  if (unauthenticated === 'RedirectToLoginPage') {
    warnings.push(
      'unauthenticatedClientAction RedirectToLoginPage: Lanyard answers bearer/API callers with 401 (no login page), as Azure does for non-browser clients; Return401 says so explicitly',
    );
  }

  for (const [name, provider] of Object.entries(providers)) {
    if (name === 'azureActiveDirectory' || !isObject(provider)) continue;
    const on =
      name === 'customOpenIdConnectProviders' ? Object.keys(provider).length > 0 : provider.enabled === true;
    if (on)
      warnings.push(
        `identityProviders.${name} is enabled in Azure; Lanyard implements only Entra, so its callers are refused`,
      );
  }
  const aadEnabled = bool(aad.enabled, 'identityProviders.azureActiveDirectory.enabled', warnings);
  const clientId = str(registration.clientId);
  if (!clientId) {
    throw new LanyardError(
      'ERR_VALIDATION',
      'The authsettingsV2 document has no identityProviders.azureActiveDirectory.registration.clientId.',
      { hint: 'Lanyard fronts apps with the Entra provider configured; export the config of such an app.' },
    );
  }
  const groups = [
    ...strings(claimChecks.allowedGroups, 'jwtClaimChecks.allowedGroups', warnings),
    ...strings(principals.groups, 'allowedPrincipals.groups', warnings),
  ];
  if (groups.length > 0) {
    warnings.push(
      'allowedGroups / allowedPrincipals.groups are not enforced by Lanyard (tokens here carry no groups)',
    );
  }
  const apiPrefix = str(obj(obj(props.httpSettings).routes).apiPrefix);
  const openIdIssuer = str(registration.openIdIssuer);
  const disableWWW = bool(obj(aad.login).disableWWWAuthenticate, 'login.disableWWWAuthenticate', warnings);

  return {
    config: {
      platform: { enabled: enabled ?? false },
      globalValidation: {
        requireAuthentication: requireAuthentication ?? false,
        unauthenticatedClientAction: unauthenticated ?? 'RedirectToLoginPage',
        excludedPaths: strings(gv.excludedPaths, 'globalValidation.excludedPaths', warnings),
      },
      identityProviders: {
        azureActiveDirectory: {
          enabled: aadEnabled ?? true,
          registration: { clientId, ...(openIdIssuer ? { openIdIssuer } : {}) },
          validation: {
            allowedAudiences: strings(validation.allowedAudiences, 'validation.allowedAudiences', warnings),
            jwtClaimChecks: {
              allowedClientApplications: strings(
                claimChecks.allowedClientApplications,
                'jwtClaimChecks.allowedClientApplications',
                warnings,
              ),
            },
            defaultAuthorizationPolicy: {
              allowedApplications: strings(
                policy.allowedApplications,
                'defaultAuthorizationPolicy.allowedApplications',
                warnings,
              ),
              allowedPrincipals: {
                identities: strings(principals.identities, 'allowedPrincipals.identities', warnings),
              },
            },
          },
          login: { disableWWWAuthenticate: disableWWW ?? false },
        },
      },
      ...(apiPrefix ? { httpSettings: { routes: { apiPrefix } } } : {}),
    },
    warnings,
  };
}
