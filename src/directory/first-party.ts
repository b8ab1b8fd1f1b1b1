/**
 * @module directory/first-party
 * Microsoft's own resources, pre-registered in every tenant with their real application ids and identifier
 * URIs, so that a token "for Resource Manager" or "for Key Vault" is requested and issued exactly as in
 * Azure. They are read-only: they belong to Microsoft's tenant, not the user's. What their tokens carry beyond
 * the common claims is written as optional claims, as observed in Entra's tokens for them (docs/issuer.md).
 * Microsoft Graph also exposes its application permissions as app roles with Graph's own ids, so that a
 * grant of `Application.Read.All` is an ordinary app role assignment and lands in the token's `roles`
 * (docs/management.md, "Microsoft Graph").
 */
import { optionalClaim } from './optional-claims.ts';
import type { AppRole, OptionalClaim } from './types.ts';

export interface FirstPartyApp {
  name: string;
  displayName: string;
  appId: string;
  identifierUris: string[];
  /** Defined here, not stored: a newer Lanyard corrects them in every existing tenant. */
  accessTokenClaims: readonly OptionalClaim[];
  /** Likewise defined here, not stored (nothing in the app_roles table): assignments point at these ids. */
  appRoles: readonly AppRole[];
}

/** An application permission of a first-party API: an app role for Application members, always enabled. */
function permission(id: string, value: string, displayName: string, description: string): AppRole {
  return { id, value, displayName, description, allowedMemberTypes: ['Application'], isEnabled: true };
}

/** Microsoft Graph's application permissions Lanyard knows, with the role ids Graph itself uses. */
export const GRAPH_APP_ROLES: readonly AppRole[] = Object.freeze([
  permission(
    '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
    'Application.Read.All',
    'Read all applications',
    'Lets the app read every application registration and service principal without a signed-in user.',
  ),
  permission(
    '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
    'Application.ReadWrite.All',
    'Read and write all applications',
    'Lets the app create, read and update every application registration and service principal without a signed-in user.',
  ),
  permission(
    '06b708a9-e830-4db3-a914-8e69da51d44f',
    'AppRoleAssignment.ReadWrite.All',
    'Manage app permission grants and app role assignments',
    'Lets the app grant and remove app roles of any API to any service principal without a signed-in user.',
  ),
  permission(
    '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
    'Directory.Read.All',
    'Read directory data',
    'Lets the app read the directory (applications, service principals, identities) without a signed-in user.',
  ),
  permission(
    '19dbc75e-c2e2-444c-a770-ec69d8559fc7',
    'Directory.ReadWrite.All',
    'Read and write directory data',
    'Lets the app read and write the directory without a signed-in user.',
  ),
  permission(
    '5b567255-7703-4780-807c-7be8301ae99b',
    'Group.Read.All',
    'Read all groups',
    'Lets the app read every group without a signed-in user (Lanyard models no groups).',
  ),
  permission(
    '62a82d76-70ea-41e2-9197-370581804d09',
    'Group.ReadWrite.All',
    'Read and write all groups',
    'Lets the app create and change groups without a signed-in user (Lanyard models no groups).',
  ),
  permission(
    'df021288-bdef-4463-88db-98f22de89214',
    'User.Read.All',
    "Read all users' full profiles",
    'Lets the app read every user without a signed-in user (Lanyard models no users).',
  ),
  permission(
    '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8',
    'RoleManagement.ReadWrite.Directory',
    'Read and write all directory RBAC settings',
    'Lets the app manage directory role assignments without a signed-in user (Lanyard models no directory roles).',
  ),
]);

export const FIRST_PARTY_APPS: readonly FirstPartyApp[] = [
  {
    name: 'azure-resource-manager',
    displayName: 'Windows Azure Service Management API',
    appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
    identifierUris: ['https://management.core.windows.net/', 'https://management.azure.com/'],
    accessTokenClaims: [optionalClaim('idtyp'), optionalClaim('xms_tcdt')],
    appRoles: [],
  },
  {
    name: 'azure-key-vault',
    displayName: 'Azure Key Vault',
    appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
    // vault.localhost: the challenge resource of vaults at https://<vault>.vault.localhost (vault/api/hosts.ts).
    identifierUris: ['https://vault.azure.net', 'https://vault.localhost'],
    accessTokenClaims: [],
    appRoles: [],
  },
  {
    name: 'microsoft-graph',
    displayName: 'Microsoft Graph',
    appId: '00000003-0000-0000-c000-000000000000',
    identifierUris: ['https://graph.microsoft.com'],
    accessTokenClaims: [optionalClaim('idtyp', ['include_user_token']), optionalClaim('xms_tcdt')],
    appRoles: GRAPH_APP_ROLES,
  },
];

export const FIRST_PARTY_NAMES: ReadonlySet<string> = new Set(FIRST_PARTY_APPS.map((a) => a.name));

const FIRST_PARTY_BY_APP_ID: ReadonlyMap<string, FirstPartyApp> = new Map(
  FIRST_PARTY_APPS.map((a) => [a.appId, a]),
);

export function firstPartyApp(appId: string): FirstPartyApp | undefined {
  return FIRST_PARTY_BY_APP_ID.get(appId);
}

/** The app roles of a first-party app (copies: callers may not change the definitions). */
export function firstPartyAppRoles(appId: string): AppRole[] {
  return (firstPartyApp(appId)?.appRoles ?? []).map((r) => ({
    ...r,
    allowedMemberTypes: [...r.allowedMemberTypes],
  }));
}
