/**
 * @module management/graph/applications
 * A Graph `application` body as the Directory API's input. Lanyard models displayName, identifierUris,
 * appRoles, `api.requestedAccessTokenVersion` and `optionalClaims.accessToken`; Graph properties it does not
 * model (signInAudience, requiredResourceAccess, web, tags …) are accepted and not kept, as they change
 * nothing Lanyard decides; a property Graph does not have is refused as Graph refuses it. An application
 * created through Graph has no Lanyard name of its own: it is named after its displayName (lower case, other
 * characters as `-`, a number appended when taken), the name `lanyard app` and the manifest use.
 */
import type { Application } from '../../directory/types.ts';
import { badRequest, invalidProperties } from './errors.ts';

/** Graph's application properties Lanyard accepts and does not keep. */
const IGNORED = new Set(
  [
    'id',
    'appId',
    'deletedDateTime',
    'createdDateTime',
    'signInAudience',
    'requiredResourceAccess',
    'web',
    'spa',
    'publicClient',
    'tags',
    'notes',
    'description',
    'info',
    'keyCredentials',
    'passwordCredentials',
    'isFallbackPublicClient',
    'isDeviceOnlyAuthSupported',
    'groupMembershipClaims',
    'parentalControlSettings',
    'publisherDomain',
    'serviceManagementReference',
    'disabledByMicrosoftStatus',
    'addIns',
    'defaultRedirectUri',
    'tokenEncryptionKeyId',
    'uniqueName',
    'verifiedPublisher',
    'certification',
    'samlMetadataUrl',
    'applicationTemplateId',
  ].map((k) => k.toLowerCase()),
);

const MODELLED = new Set(['displayname', 'identifieruris', 'approles', 'api', 'optionalclaims']);

export interface AppInputFromGraph {
  displayName?: string;
  identifierUris?: string[];
  appRoles?: {
    id?: string;
    value: string;
    displayName?: string;
    description?: string;
    allowedMemberTypes?: ('Application' | 'User')[];
    isEnabled?: boolean;
  }[];
  accessTokenAcceptedVersion?: 1 | 2 | null;
  optionalClaims?: { accessToken?: unknown[] } | null;
}

function stringArray(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidProperties(`${name} must be an array of strings.`);
  }
  return v as string[];
}

function appRoleOf(v: unknown, i: number): NonNullable<AppInputFromGraph['appRoles']>[number] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalidProperties(`appRoles[${i}] must be an object.`);
  }
  const r = v as Record<string, unknown>;
  if (typeof r.value !== 'string' || r.value === '') {
    throw invalidProperties(
      `appRoles[${i}].value must be a non-empty string (Lanyard needs a value per role).`,
    );
  }
  const out: NonNullable<AppInputFromGraph['appRoles']>[number] = { value: r.value };
  if (typeof r.id === 'string') out.id = r.id;
  if (typeof r.displayName === 'string') out.displayName = r.displayName;
  if (typeof r.description === 'string') out.description = r.description;
  if (r.allowedMemberTypes !== undefined) {
    out.allowedMemberTypes = stringArray(r.allowedMemberTypes, `appRoles[${i}].allowedMemberTypes`) as (
      | 'Application'
      | 'User'
    )[];
  }
  if (typeof r.isEnabled === 'boolean') out.isEnabled = r.isEnabled;
  return out;
}

/** The Directory API's fields for a Graph application body (create or PATCH). */
export function appInputOf(body: Record<string, unknown>): AppInputFromGraph {
  const out: AppInputFromGraph = {};
  for (const [key, value] of Object.entries(body)) {
    const k = key.toLowerCase();
    if (key.startsWith('@odata.') || IGNORED.has(k)) continue;
    if (!MODELLED.has(k)) {
      throw badRequest(
        `Property '${key}' does not exist on type 'microsoft.graph.application'.`,
        'docs/management.md lists the application properties Lanyard keeps.',
      );
    }
    if (k === 'displayname') {
      if (typeof value !== 'string' || value.trim() === '') {
        throw invalidProperties('displayName must be a non-empty string.');
      }
      out.displayName = value;
    } else if (k === 'identifieruris') {
      out.identifierUris = stringArray(value, 'identifierUris');
    } else if (k === 'approles') {
      if (!Array.isArray(value)) throw invalidProperties('appRoles must be an array.');
      out.appRoles = value.map(appRoleOf);
    } else if (k === 'api') {
      const api = (value ?? {}) as Record<string, unknown>;
      const v = api.requestedAccessTokenVersion;
      if (v !== undefined) {
        if (v !== null && v !== 1 && v !== 2) {
          throw invalidProperties('api.requestedAccessTokenVersion must be 1, 2 or null.');
        }
        out.accessTokenAcceptedVersion = v;
      }
    } else if (k === 'optionalclaims') {
      if (value === null) out.optionalClaims = null;
      else {
        const oc = value as Record<string, unknown>;
        out.optionalClaims = { accessToken: (oc.accessToken as unknown[] | null) ?? [] };
      }
    }
  }
  return out;
}

/** A Lanyard name for an application registered through Graph, free in the tenant. */
export function nameFor(displayName: string, apps: readonly Application[]): string {
  const base =
    displayName
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 56) || 'app';
  const taken = new Set(apps.map((a) => a.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
