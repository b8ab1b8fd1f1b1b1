/**
 * @module directory/types
 * The directory model as every plane and the admin API see it: camelCase, Entra's names where Entra has one
 * (appId, identifierUris, appRoles, appRoleAssignmentRequired, principalId, servicePrincipalType …).
 */

export type ResourceKind = 'app' | 'automation' | 'gateway' | 'vault' | 'vm' | 'workflow';
export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'app',
  'automation',
  'gateway',
  'vault',
  'vm',
  'workflow',
];

/** The Azure resource provider type of each kind: what its ARM id names after `/providers/`. */
export const PROVIDER_OF_KIND: Readonly<Record<ResourceKind, string>> = {
  app: 'Microsoft.Web/sites',
  automation: 'Microsoft.Automation/automationAccounts',
  gateway: 'Microsoft.ApiManagement/service',
  vault: 'Microsoft.KeyVault/vaults',
  vm: 'Microsoft.Compute/virtualMachines',
  // A Logic Apps (Consumption) workflow: its definition and runs belong to the flows plane.
  workflow: 'Microsoft.Logic/workflows',
};

/** A virtual machine's power state, as Azure's instance view names it (`PowerState/<state>`). */
export type PowerState = 'running' | 'stopped' | 'deallocated' | 'starting' | 'stopping' | 'deallocating';
export const POWER_STATES: readonly PowerState[] = [
  'running',
  'stopped',
  'deallocated',
  'starting',
  'stopping',
  'deallocating',
];

export type VmOsType = 'Linux' | 'Windows';
export const VM_OS_TYPES: readonly VmOsType[] = ['Linux', 'Windows'];

/** What a virtual machine carries besides its power state; kept whole on its row (resources.settings). */
export interface VmSettings {
  /** Azure's size name, e.g. Standard_B1s. */
  vmSize: string;
  /** Azure region name, lower case, e.g. eastus. */
  location: string;
  osType: VmOsType;
  /** The host name inside the VM (Azure's osProfile.computerName). */
  computerName: string;
}

/** What a new VM gets for what it does not name; `computerName` defaults to the VM's name. */
export const VM_DEFAULTS: Readonly<Omit<VmSettings, 'computerName'> & { powerState: PowerState }> = {
  powerState: 'running',
  vmSize: 'Standard_B1s',
  location: 'eastus',
  osType: 'Linux',
};

export type MemberType = 'Application' | 'User';

export interface Tenant {
  id: string;
  name: string;
  displayName: string;
  /** Domain names, the default (first) one first. The tenant can be addressed by any of them. */
  domains: string[];
  defaultSubscriptionId: string;
  defaultResourceGroup: string;
  createdAt: string;
  updatedAt: string;
}

export interface AppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: MemberType[];
  isEnabled: boolean;
}

/** One optional claim, in Entra's shape (`optionalClaim` of Microsoft Graph). */
export interface OptionalClaim {
  name: string;
  /** null for a standard claim; Entra's other sources (user attributes) are not modelled. */
  source: null;
  essential: boolean;
  additionalProperties: string[];
}

/** The claims an app asks for in tokens issued for it. Lanyard issues access tokens only. */
export interface OptionalClaims {
  accessToken: OptionalClaim[];
  idToken: OptionalClaim[];
  saml2Token: OptionalClaim[];
}

export interface Application {
  objectId: string;
  tenantId: string;
  appId: string;
  name: string;
  displayName: string;
  identifierUris: string[];
  appRoles: AppRole[];
  appRoleAssignmentRequired: boolean;
  accessTokenAcceptedVersion: 1 | 2;
  /** Claims the app asks for in the access tokens issued for it (see directory/optional-claims.ts). */
  optionalClaims: OptionalClaims;
  /** A Microsoft resource (Resource Manager, Key Vault, Graph) pre-registered in every tenant. Read-only. */
  firstParty: boolean;
  /** Object ID of the application's service principal in its tenant. */
  servicePrincipalId: string;
  createdAt: string;
  updatedAt: string;
}

export interface ClientSecretInfo {
  keyId: string;
  displayName: string;
  /** First three characters of the secret, as Entra shows them. */
  hint: string;
  startDateTime: string;
  endDateTime: string;
}

/** Returned once, when the secret is created. The text is never stored nor shown again. */
export interface NewClientSecret extends ClientSecretInfo {
  secretText: string;
}

export interface CertificateCredential {
  keyId: string;
  displayName: string;
  /** SHA-1 thumbprint, upper-case hex: what Entra shows and what `x5t` carries (base64url of the bytes). */
  thumbprint: string;
  thumbprintSha256: string;
  startDateTime: string;
  endDateTime: string;
}

export interface FederatedCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description: string;
  /** What the credential belongs to: an application (by name) or a user-assigned identity (by name). */
  owner: { kind: 'app' | 'identity'; name: string };
}

export type ServicePrincipalType = 'Application' | 'ManagedIdentity';

export interface ServicePrincipal {
  objectId: string;
  tenantId: string;
  appId: string;
  displayName: string;
  servicePrincipalType: ServicePrincipalType;
  /** For an application's service principal: the application's name. */
  appName?: string;
  /** For a managed identity's service principal: the identity's id. */
  identityId?: string;
}

export interface ManagedIdentity {
  id: string;
  tenantId: string;
  kind: 'system' | 'user';
  /** User-assigned: its own name. System-assigned: the name of the resource that carries it. */
  name: string;
  clientId: string;
  principalId: string;
  subscriptionId: string;
  resourceGroup: string;
  /** Azure resource id: the identity's own for user-assigned, the carrying resource's for system-assigned. */
  resourceId: string;
  /** System-assigned only: the resource that carries it. */
  ownerResource?: string;
  /** Names of the resources it is attached to (user-assigned) or that carry it (system-assigned). */
  attachedTo: string[];
  createdAt: string;
}

export interface Resource {
  id: string;
  tenantId: string;
  name: string;
  kind: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  /** Azure-style resource id, e.g. /subscriptions/…/resourceGroups/…/providers/Microsoft.Web/sites/name. */
  resourceId: string;
  systemAssignedIdentity: ManagedIdentity | null;
  userAssignedIdentities: ManagedIdentity[];
  /** Kind vm only (absent for other kinds), as are the four settings below. */
  powerState?: PowerState;
  vmSize?: string;
  location?: string;
  osType?: VmOsType;
  computerName?: string;
  createdAt: string;
  updatedAt: string;
}

export interface AppRoleAssignment {
  id: string;
  tenantId: string;
  principalId: string;
  principalDisplayName: string;
  principalType: ServicePrincipalType;
  resourceId: string;
  resourceDisplayName: string;
  resourceAppName: string;
  appRoleId: string;
  /** The role's value, or null for the default role (00000000-0000-0000-0000-000000000000). */
  appRoleValue: string | null;
  createdAt: string;
}

export const DEFAULT_APP_ROLE_ID = '00000000-0000-0000-0000-000000000000';
