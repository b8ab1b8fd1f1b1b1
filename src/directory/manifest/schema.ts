/**
 * @module directory/manifest/schema
 * The directory's part of `lanyard.yaml`, the base every other section extends: what a tenant declares
 * (apps, user-assigned identities, resources, role assignments, federated credentials), with Entra's field
 * names and the directory's own validation rules (reused from directory/inputs so a value the manifest
 * accepts is one the directory accepts). Every object is strict: an unknown key is an error, never silently
 * ignored. Defaults live here, in `.default()` and `.describe()`, and are what docs/manifest.md documents.
 *
 * Other planes' sections add keys to a tenant (after these) or to a resource (after its fields); the host
 * composes them (manifest/compose).
 */
import { z } from 'zod';
import { DEFAULT_FEDERATION_AUDIENCE } from '../credentials.ts';
import { FIRST_PARTY_NAMES } from '../first-party.ts';
import {
  appRoleInput,
  createIdentityInput,
  displayName,
  domainName,
  federatedCredentialInput,
  guid,
  identityName,
  objectName,
  optionalClaimInput,
  powerState,
  resourceName,
  vmComputerName,
  vmLocation,
  vmOsType,
  vmSize,
} from '../inputs.ts';
import { REQUESTABLE_CLAIMS } from '../optional-claims.ts';
import { POWER_STATES, RESOURCE_KINDS, type ResourceKind, VM_DEFAULTS } from '../types.ts';

const resourceGroup = createIdentityInput.shape.resourceGroup;

export const federatedCredentialSchema = z
  .strictObject({
    name: federatedCredentialInput.shape.name.describe('Stable key within its app or identity.'),
    issuer: federatedCredentialInput.shape.issuer.describe('The external issuer, an https:// URL.'),
    subject: federatedCredentialInput.shape.subject.describe('The `sub` the external token must carry.'),
    audiences: z
      .array(z.string().min(1).max(600))
      .length(1, 'Entra allows exactly one audience')
      .default([DEFAULT_FEDERATION_AUDIENCE])
      .describe(`The \`aud\` the external token must carry. Default: [${DEFAULT_FEDERATION_AUDIENCE}].`),
    description: z.string().max(600).default('').describe('Free text. Default: empty.'),
  })
  .describe('Trusts a token from an external issuer for this subject (workload identity federation).');

export const appRoleSchema = z
  .strictObject({
    value: appRoleInput.shape.value.describe(
      'Stable key: what the `roles` claim carries. No spaces, must not start with ".".',
    ),
    id: guid.optional().describe('Pinned role id (GUID). Default: generated once and kept. Immutable.'),
    displayName: displayName.optional().describe('Default: the value.'),
    description: z.string().max(1000).default('').describe('Default: empty.'),
    allowedMemberTypes: z
      .array(z.enum(['Application', 'User']))
      .min(1, 'must name at least one of Application, User')
      .default(['Application'])
      .describe('Who may hold the role. Default: [Application] (managed identities and service principals).'),
    isEnabled: z.boolean().default(true).describe('Default: true. A disabled role cannot be assigned.'),
  })
  .describe('An app role, addressed by its value.');

export const optionalClaimSchema = z
  .strictObject({
    name: optionalClaimInput.shape.name.describe(
      `The claim. Lanyard emits: ${REQUESTABLE_CLAIMS.join(', ')}; any other name is refused.`,
    ),
    source: z
      .string()
      .max(100)
      .nullable()
      .default(null)
      .describe(
        'Must be null (a standard claim): user and extension attributes are not modelled. Default: null.',
      ),
    essential: z
      .boolean()
      .default(false)
      .describe('Kept as Entra keeps it; no effect on app-only tokens. Default: false.'),
    additionalProperties: z
      .array(z.string().min(1).max(100))
      .max(10)
      .default([])
      .describe(
        'idtyp: include_user_token; aud: use_guid (v1 tokens carry the appId as aud). Default: none.',
      ),
  })
  .describe("An optional claim, in Entra's manifest shape.");

const NO_OTHER_TOKENS = 'Lanyard issues access tokens only: ask for optional claims under accessToken';

export const optionalClaimsSchema = z
  .strictObject({
    accessToken: z
      .array(optionalClaimSchema)
      .max(20)
      .default([])
      .describe('Claims added to the access tokens issued for this app. Default: none.'),
    idToken: z.array(optionalClaimSchema).max(0, NO_OTHER_TOKENS).default([]).describe('Must be empty.'),
    saml2Token: z.array(optionalClaimSchema).max(0, NO_OTHER_TOKENS).default([]).describe('Must be empty.'),
  })
  .describe("Entra's optionalClaims: what the tokens issued for this app carry beyond the common claims.");

export const appSchema = z
  .strictObject({
    name: objectName
      .refine((n) => !FIRST_PARTY_NAMES.has(n), 'is the name of a Microsoft first-party app; choose another')
      .describe('Stable key of the app registration within its tenant.'),
    appId: guid.optional().describe('Pinned application (client) id. Default: generated once and kept.'),
    displayName: displayName.optional().describe('Default: the name.'),
    identifierUris: z
      .array(z.string())
      .max(50)
      .default([])
      .describe(
        'App ID URIs (api://…, https://<tenant domain>/…, urn:…), unique within the tenant. Default: none.',
      ),
    appRoleAssignmentRequired: z
      .boolean()
      .default(false)
      .describe('Only principals assigned to the app may get tokens for it. Default: false.'),
    accessTokenAcceptedVersion: z
      .literal([1, 2])
      .default(1)
      .describe('Access token version issued for this app (1 or 2). Default: 1.'),
    appRoles: z.array(appRoleSchema).max(1200).default([]).describe('Default: none.'),
    optionalClaims: optionalClaimsSchema
      .default({ accessToken: [], idToken: [], saml2Token: [] })
      .describe('Optional claims in the access tokens issued for this app. Default: none (no idtyp).'),
    federatedCredentials: z.array(federatedCredentialSchema).max(20).default([]).describe('Default: none.'),
  })
  .describe('An application registration and its service principal.');

export const identitySchema = z
  .strictObject({
    name: identityName.describe('Stable key of the user-assigned identity within its tenant.'),
    clientId: guid.optional().describe('Pinned client id. Default: generated once and kept.'),
    principalId: guid.optional().describe('Pinned principal (object) id. Default: generated once and kept.'),
    subscriptionId: guid.optional().describe("Default: the tenant's default subscription. Immutable."),
    resourceGroup: resourceGroup.describe("Default: the tenant's default resource group. Immutable."),
    federatedCredentials: z.array(federatedCredentialSchema).max(20).default([]).describe('Default: none.'),
  })
  .describe('A user-assigned managed identity: its own lifecycle, attachable to many resources.');

export const resourceSchema = z
  .strictObject({
    name: resourceName.describe('Stable key (case-insensitive); becomes the host name <name>.localhost.'),
    kind: z
      .enum(RESOURCE_KINDS as [ResourceKind, ...ResourceKind[]])
      .describe(
        'app (function/web app), automation (runbooks, flows, jobs), gateway (APIM), vault, vm (virtual ' +
          'machine). Immutable.',
      ),
    subscriptionId: guid.optional().describe("Default: the tenant's default subscription. Immutable."),
    resourceGroup: resourceGroup.describe("Default: the tenant's default resource group. Immutable."),
    systemAssignedIdentity: z
      .boolean()
      .default(false)
      .describe('Give the resource a system-assigned identity, named after it. Default: false.'),
    userAssignedIdentities: z
      .array(identityName)
      .max(100)
      .default([])
      .describe('Names of user-assigned identities (declared under identities) to attach. Default: none.'),
    // Kind vm only (checks.ts refuses them on other kinds), so no `.default()`: plan applies the defaults.
    powerState: powerState
      .optional()
      .describe(
        `Kind vm: ${POWER_STATES.join(', ')}. Created ${VM_DEFAULTS.powerState}; omitted, apply leaves the ` +
          'current power state as it is.',
      ),
    vmSize: vmSize.optional().describe(`Kind vm: the Azure VM size. Default: ${VM_DEFAULTS.vmSize}.`),
    location: vmLocation.optional().describe(`Kind vm: the Azure region. Default: ${VM_DEFAULTS.location}.`),
    osType: vmOsType.optional().describe(`Kind vm: Linux or Windows. Default: ${VM_DEFAULTS.osType}.`),
    computerName: vmComputerName
      .optional()
      .describe('Kind vm: the host name inside the VM. Default: the resource name.'),
  })
  .describe(
    'A resource that carries identities: a function app, an automation account, a gateway, a vault, a virtual ' +
      'machine.',
  );

export const PRINCIPAL_PATTERN = /^(app|identity|resource):(\S+)$/;

export const roleAssignmentSchema = z
  .strictObject({
    principal: z
      .string()
      .regex(PRINCIPAL_PATTERN, 'must be app:<name>, identity:<name> or resource:<name>')
      .describe(
        'Who receives the role: app:<name> (its service principal), identity:<name> (user-assigned) or ' +
          'resource:<name> (its system-assigned identity), all declared in this tenant.',
      ),
    app: objectName.describe(
      'The app that defines the role: an app declared in this tenant, or a first-party app ' +
        '(azure-resource-manager, azure-key-vault, microsoft-graph).',
    ),
    role: z
      .string()
      .min(1)
      .max(249)
      .optional()
      .describe(
        "The role's value (or pinned id). Omit for the default role of an app that defines no roles.",
      ),
  })
  .describe('An app role assignment: the principal may call the app in this role.');

/**
 * A tenant: its own fields, then the lists it holds. `resource` is the resource schema with the keys other
 * sections add to it (`easyAuth`); the host's composition adds their tenant keys after these.
 */
export function tenantSchema<R extends z.ZodObject>(resource: R) {
  return z
    .strictObject({
      name: objectName.describe('Stable key of the tenant.'),
      id: guid.optional().describe('Pinned tenant id (GUID). Default: generated once and kept. Immutable.'),
      displayName: displayName.optional().describe('Default: the name.'),
      domains: z
        .array(domainName)
        .min(1)
        .max(20)
        .optional()
        .describe('Domain names, the default one first. Default: [<name>.onmicrosoft.com].'),
      defaultSubscriptionId: guid
        .optional()
        .describe('Subscription of resources and identities that name none. Default: generated. Immutable.'),
      defaultResourceGroup: resourceGroup.describe(
        'Resource group of resources and identities that name none. Default: lanyard. Immutable.',
      ),
      apps: z.array(appSchema).default([]).describe('Application registrations. Default: none.'),
      identities: z
        .array(identitySchema)
        .default([])
        .describe('User-assigned managed identities. Default: none.'),
      resources: z.array(resource).default([]).describe('Resources that carry identities. Default: none.'),
      roleAssignments: z
        .array(roleAssignmentSchema)
        .default([])
        .describe('App role assignments. Default: none.'),
    })
    .describe('An Entra tenant and everything declared in it.');
}

/** The tenant as the directory sees it; other sections' keys are there too, read by their sections. */
export type ManifestTenant = z.output<ReturnType<typeof tenantSchema<typeof resourceSchema>>>;
export type ManifestApp = ManifestTenant['apps'][number];
export type ManifestAppRole = ManifestApp['appRoles'][number];
export type ManifestIdentity = ManifestTenant['identities'][number];
export type ManifestResource = ManifestTenant['resources'][number];
export type ManifestRoleAssignment = ManifestTenant['roleAssignments'][number];
export type ManifestFederatedCredential = ManifestApp['federatedCredentials'][number];
export type ManifestOptionalClaim = ManifestApp['optionalClaims']['accessToken'][number];

/** A manifest as the directory sees it (what the host's parseManifest returns). */
export interface DirectoryManifest {
  apiVersion: string;
  tenants: ManifestTenant[];
}

/** Entra's initial domain for a tenant, exactly as directory/tenants derives it when none is given. */
export function defaultDomain(tenantName: string): string {
  return `${tenantName.toLowerCase().replace(/[^a-z0-9-]/g, '')}.onmicrosoft.com`;
}

export function tenantDomains(tenant: ManifestTenant): string[] {
  return tenant.domains ?? [defaultDomain(tenant.name)];
}
