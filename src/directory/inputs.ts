/**
 * @module directory/inputs
 * Input schemas of every directory operation, shared by the admin API, the CLI and the manifest. Each rule
 * follows Entra where Entra has one; messages say what to change. Unknown keys are refused.
 */
import { z } from 'zod';
import { LanyardError } from '../errors/lanyard-error.ts';
import { POWER_STATES, type PowerState, RESOURCE_KINDS, VM_OS_TYPES, type VmOsType } from './types.ts';

export const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID')
  .transform((s) => s.toLowerCase());

/** Stable keys of tenants and apps: what the manifest and the CLI address them by. */
export const objectName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/** Resource names become host names (`<name>.localhost`), so they follow DNS label rules as App Service does. */
export const resourceName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$/,
    'must be 1-60 letters, digits or "-", not starting or ending with "-" (it becomes a host name)',
  );

/** User-assigned identity names, as Azure allows: 3-128 characters, letters, digits, "-" and "_". */
export const identityName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/,
    'must be 3-128 letters, digits, "-" or "_", starting with a letter or digit',
  );

export const domainName = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/,
    'must be a domain name such as contoso.onmicrosoft.com',
  )
  .transform((s) => s.toLowerCase());

export const displayName = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

const resourceGroup = z
  .string()
  .regex(/^[-\w._()]{1,90}$/, 'must be 1-90 letters, digits, "_", "-", ".", "(" or ")"')
  .refine((s) => !s.endsWith('.'), 'must not end with "."');

export const createTenantInput = z.strictObject({
  name: objectName,
  id: guid.optional(),
  displayName: displayName.optional(),
  domains: z.array(domainName).max(20).optional(),
  defaultSubscriptionId: guid.optional(),
  defaultResourceGroup: resourceGroup.optional(),
});
export type CreateTenantInput = z.input<typeof createTenantInput>;

export const updateTenantInput = z.strictObject({
  displayName: displayName.optional(),
  domains: z.array(domainName).min(1).max(20).optional(),
});
export type UpdateTenantInput = z.input<typeof updateTenantInput>;

export const appRoleInput = z.strictObject({
  id: guid.optional(),
  value: z
    .string()
    .min(1)
    .max(249)
    .regex(/^[^\s]+$/, 'must not contain spaces')
    .refine((s) => !s.startsWith('.'), 'must not start with "."'),
  displayName: displayName.optional(),
  description: z.string().max(1000).optional(),
  allowedMemberTypes: z
    .array(z.enum(['Application', 'User']))
    .min(1, 'must name at least one of Application, User')
    .optional(),
  isEnabled: z.boolean().optional(),
});
export type AppRoleInput = z.input<typeof appRoleInput>;

/** One optional claim as Entra's manifest writes it; which names Lanyard emits is directory/optional-claims. */
export const optionalClaimInput = z.strictObject({
  name: z.string().min(1).max(100),
  source: z.string().max(100).nullable().optional(),
  essential: z.boolean().optional(),
  additionalProperties: z.array(z.string().min(1).max(100)).max(10).optional(),
});
export type OptionalClaimInput = z.input<typeof optionalClaimInput>;

const noTokensOfThisKind = 'Lanyard issues access tokens only: ask for optional claims under accessToken';

/** Entra's `optionalClaims`: null or omitted lists mean none. */
export const optionalClaimsInput = z.strictObject({
  accessToken: z.array(optionalClaimInput).max(20).nullable().optional(),
  idToken: z.array(optionalClaimInput).max(0, noTokensOfThisKind).nullable().optional(),
  saml2Token: z.array(optionalClaimInput).max(0, noTokensOfThisKind).nullable().optional(),
});
export type OptionalClaimsInput = z.input<typeof optionalClaimsInput>;

const appFields = {
  displayName: displayName.optional(),
  identifierUris: z.array(z.string()).max(50).optional(),
  appRoles: z.array(appRoleInput).max(1200).optional(),
  appRoleAssignmentRequired: z.boolean().optional(),
  accessTokenAcceptedVersion: z.union([z.literal(1), z.literal(2), z.null()]).optional(),
  /** Replaces the whole set when given; null asks for none. */
  optionalClaims: optionalClaimsInput.nullable().optional(),
};

export const createAppInput = z.strictObject({
  name: objectName,
  appId: guid.optional(),
  ...appFields,
});
export type CreateAppInput = z.input<typeof createAppInput>;

export const updateAppInput = z.strictObject(appFields);
export type UpdateAppInput = z.input<typeof updateAppInput>;

export const addSecretInput = z.strictObject({
  displayName: z.string().max(256).optional(),
  /** Lifetime in days; Entra's portal offers up to 24 months. */
  expiresInDays: z.number().int().min(1).max(730).optional(),
  endDateTime: z.iso.datetime({ offset: true }).optional(),
});
export type AddSecretInput = z.input<typeof addSecretInput>;

export const addCertificateInput = z.strictObject({
  certificate: z.string().min(1).max(16384),
  displayName: z.string().max(256).optional(),
});
export type AddCertificateInput = z.input<typeof addCertificateInput>;

export const federatedCredentialInput = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/,
      'must be 3-120 letters, digits, "-" or "_", starting with a letter or digit',
    ),
  issuer: z
    .string()
    .url()
    .max(600)
    .refine((s) => s.startsWith('https://'), 'must be an https:// URL'),
  subject: z.string().min(1).max(600),
  audiences: z.array(z.string().min(1).max(600)).length(1, 'Entra allows exactly one audience').optional(),
  description: z.string().max(600).optional(),
});
export type FederatedCredentialInput = z.input<typeof federatedCredentialInput>;

export const createIdentityInput = z.strictObject({
  name: identityName,
  clientId: guid.optional(),
  principalId: guid.optional(),
  subscriptionId: guid.optional(),
  resourceGroup: resourceGroup.optional(),
});
export type CreateIdentityInput = z.input<typeof createIdentityInput>;

export const powerState = z.enum(POWER_STATES as [PowerState, ...PowerState[]]);
export const vmOsType = z.enum(VM_OS_TYPES as [VmOsType, ...VmOsType[]]);

/** Azure's size names: Standard_B1s, Standard_D2s_v3, Basic_A0 … */
export const vmSize = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{1,63}$/, 'must be an Azure VM size such as Standard_B1s');

/** Azure's region names (eastus, westeurope); ARM compares them without case, so they are kept lower case. */
export const vmLocation = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{1,49}$/, 'must be an Azure region name such as eastus (letters and digits)')
  .transform((s) => s.toLowerCase());

/** The host name inside the VM: a DNS label, as Azure's osProfile.computerName for Linux. */
export const vmComputerName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/,
    'must be 1-64 letters, digits or "-", not starting or ending with "-"',
  );

/** What only a resource of kind vm takes; the directory refuses them on any other kind. */
const vmFields = {
  powerState: powerState.optional(),
  vmSize: vmSize.optional(),
  location: vmLocation.optional(),
  osType: vmOsType.optional(),
  computerName: vmComputerName.optional(),
};
export const VM_FIELDS = Object.keys(vmFields) as (keyof typeof vmFields)[];

export const createResourceInput = z.strictObject({
  name: resourceName,
  kind: z
    .enum(RESOURCE_KINDS as [string, ...string[]])
    .transform((k) => k as (typeof RESOURCE_KINDS)[number]),
  subscriptionId: guid.optional(),
  resourceGroup: resourceGroup.optional(),
  systemAssignedIdentity: z.boolean().optional(),
  userAssignedIdentities: z.array(identityName).max(100).optional(),
  ...vmFields,
});
export type CreateResourceInput = z.input<typeof createResourceInput>;

export const updateResourceInput = z.strictObject({
  systemAssignedIdentity: z.boolean().optional(),
  userAssignedIdentities: z.array(identityName).max(100).optional(),
  ...vmFields,
});
export type UpdateResourceInput = z.input<typeof updateResourceInput>;

/**
 * Who receives a role: `app:<name>` (the app's service principal), `identity:<name>` (a user-assigned
 * identity), `resource:<name>` (the system-assigned identity of a resource), or a service principal object id.
 */
export const principalRef = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(?:(?:app|identity|resource):[^\s]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
    'must be app:<name>, identity:<name>, resource:<name> or a service principal object id',
  );

export const roleAssignmentInput = z.strictObject({
  principal: principalRef,
  /** The resource application: name, appId, object id or an identifier URI. */
  app: z.string().min(1).max(300),
  /** The role's value or id; omit for the default role of an app that defines no roles. */
  role: z.string().min(1).max(249).optional(),
});
export type RoleAssignmentInput = z.input<typeof roleAssignmentInput>;

/** Parses `input` with `schema`, turning zod's issues into one ERR_VALIDATION naming each offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new LanyardError('ERR_VALIDATION', `Invalid ${what}: ${text}`, { details: { issues } });
}
