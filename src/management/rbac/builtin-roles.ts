/**
 * @module management/rbac/builtin-roles
 * The built-in role definitions Lanyard knows, with Azure's GUIDs and permission lists exactly as Azure
 * publishes them (roles whose lists could not be confirmed are left out rather than guessed). Every one is
 * assignable at `/` and deep-frozen. The descriptions are Lanyard's own one-line summaries, not Azure's text.
 * docs/management.md, "Built-in roles", lists them.
 */
import { defineRole, type RoleDefinition, roleDefinitionGuid } from './role-definition.ts';

/** Control-plane actions shared by Key Vault Administrator, Secrets Officer and Reader. */
const KEY_VAULT_COMMON = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];

/** Control-plane actions shared by the API Management service roles. */
const API_MANAGEMENT_COMMON = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.ResourceHealth/availabilityStatuses/read',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
];

function builtIn(
  id: string,
  roleName: string,
  description: string,
  permission: { actions?: string[]; notActions?: string[]; dataActions?: string[] },
): RoleDefinition {
  return defineRole({
    id,
    roleName,
    description,
    roleType: 'BuiltInRole',
    assignableScopes: ['/'],
    permissions: [permission],
  });
}

export const OWNER = builtIn(
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  'Owner',
  'Everything on the control plane, assigning roles included; no data operations.',
  { actions: ['*'] },
);

export const CONTRIBUTOR = builtIn(
  'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'Contributor',
  'Everything on the control plane except writing or deleting role assignments and a few other governance operations.',
  {
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
      'Microsoft.Subscription/cancel/action',
      'Microsoft.Subscription/enable/action',
    ],
  },
);

export const READER = builtIn(
  'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'Reader',
  'Reads every resource on the control plane; changes nothing.',
  { actions: ['*/read'] },
);

export const USER_ACCESS_ADMINISTRATOR = builtIn(
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'User Access Administrator',
  'Manages access: every Microsoft.Authorization operation, plus reading everything.',
  { actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'] },
);

export const ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR = builtIn(
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  'Role Based Access Control Administrator',
  'Creates and deletes role assignments, and reads everything.',
  {
    actions: [
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleAssignments/delete',
      '*/read',
      'Microsoft.Support/*',
    ],
  },
);

export const KEY_VAULT_ADMINISTRATOR = builtIn(
  '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'Key Vault Administrator',
  'Every data operation on a vault (secrets, keys, certificates), and reading the vault.',
  { actions: KEY_VAULT_COMMON, dataActions: ['Microsoft.KeyVault/vaults/*'] },
);

export const KEY_VAULT_SECRETS_OFFICER = builtIn(
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Key Vault Secrets Officer',
  'Every data operation on a vault’s secrets, and reading the vault.',
  { actions: KEY_VAULT_COMMON, dataActions: ['Microsoft.KeyVault/vaults/secrets/*'] },
);

export const KEY_VAULT_SECRETS_USER = builtIn(
  '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets User',
  'Reads secret values and their metadata; nothing on the control plane.',
  {
    dataActions: [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  },
);

export const KEY_VAULT_READER = builtIn(
  '21090545-7ca7-4776-b22c-e363652d74d2',
  'Key Vault Reader',
  'Reads a vault and the metadata of what it holds, never a secret’s value.',
  {
    actions: KEY_VAULT_COMMON,
    dataActions: [
      'Microsoft.KeyVault/vaults/*/read',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
    ],
  },
);

export const MANAGED_IDENTITY_OPERATOR = builtIn(
  'f1a07417-d97a-45cb-824c-7a7467783830',
  'Managed Identity Operator',
  'Reads user-assigned identities and assigns them to resources.',
  {
    actions: [
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
      'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Support/*',
    ],
  },
);

export const API_MANAGEMENT_SERVICE_CONTRIBUTOR = builtIn(
  '312a565d-c81f-4fd8-895a-4e21e48d571c',
  'API Management Service Contributor',
  'Manages API Management services and everything in them.',
  { actions: ['Microsoft.ApiManagement/service/*', ...API_MANAGEMENT_COMMON] },
);

export const API_MANAGEMENT_SERVICE_READER = builtIn(
  '71522526-b88f-4d52-b57f-d31fc3546d0d',
  'API Management Service Reader Role',
  'Reads API Management services and what is in them, except users’ keys.',
  {
    actions: [
      'Microsoft.ApiManagement/service/*/read',
      'Microsoft.ApiManagement/service/read',
      ...API_MANAGEMENT_COMMON,
    ],
    notActions: ['Microsoft.ApiManagement/service/users/keys/read'],
  },
);

export const API_MANAGEMENT_SERVICE_OPERATOR = builtIn(
  'e022efe7-f5ba-4159-bbe4-b44f577e9b61',
  'API Management Service Operator Role',
  'Runs API Management services (backup, restore, certificates, host names, updates) without managing their APIs.',
  {
    actions: [
      'Microsoft.ApiManagement/service/*/read',
      'Microsoft.ApiManagement/service/backup/action',
      'Microsoft.ApiManagement/service/delete',
      'Microsoft.ApiManagement/service/managedeployments/action',
      'Microsoft.ApiManagement/service/read',
      'Microsoft.ApiManagement/service/restore/action',
      'Microsoft.ApiManagement/service/updatecertificate/action',
      'Microsoft.ApiManagement/service/updatehostname/action',
      'Microsoft.ApiManagement/service/write',
      ...API_MANAGEMENT_COMMON,
    ],
    notActions: ['Microsoft.ApiManagement/service/users/keys/read'],
  },
);

/** Every built-in role, in the order docs/management.md lists them. */
export const BUILTIN_ROLES: readonly RoleDefinition[] = Object.freeze([
  OWNER,
  CONTRIBUTOR,
  READER,
  USER_ACCESS_ADMINISTRATOR,
  ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR,
  KEY_VAULT_ADMINISTRATOR,
  KEY_VAULT_SECRETS_OFFICER,
  KEY_VAULT_SECRETS_USER,
  KEY_VAULT_READER,
  MANAGED_IDENTITY_OPERATOR,
  API_MANAGEMENT_SERVICE_CONTRIBUTOR,
  API_MANAGEMENT_SERVICE_READER,
  API_MANAGEMENT_SERVICE_OPERATOR,
]);

const BY_ID = new Map(BUILTIN_ROLES.map((r) => [r.id, r]));
const BY_NAME = new Map(BUILTIN_ROLES.map((r) => [r.roleName.toLowerCase(), r]));

/** A built-in role by its GUID or either ARM id form (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`). */
export function builtinRoleById(idOrGuid: string): RoleDefinition | undefined {
  const guid = roleDefinitionGuid(idOrGuid);
  return guid === undefined ? undefined : BY_ID.get(guid);
}

/** A built-in role by its roleName, ignoring case (`az role assignment create --role Reader`). */
export function builtinRoleByName(roleName: string): RoleDefinition | undefined {
  return BY_NAME.get(roleName.toLowerCase());
}
