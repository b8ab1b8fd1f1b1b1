/**
 * @module management/graph/shapes
 * The directory's objects in Graph v1.0's shapes: `application`, `servicePrincipal` (an app's, with the app's
 * roles copied as Graph does, or a managed identity's: `servicePrincipalType: ManagedIdentity`, no backing
 * application, its ARM id in `alternativeNames`) and `appRoleAssignment`. Properties Lanyard does not model
 * are present with Graph's empty values, so clients that read them find what they expect.
 */
import type { Application, AppRole, AppRoleAssignment, ServicePrincipal } from '../../directory/types.ts';
import { graphAssignmentId } from './assignment-ids.ts';
import type { GraphTenantView } from './directory-view.ts';
import type { GraphObject } from './query.ts';

/** The tenant Microsoft's own applications belong to (their service principals name it as owner). */
export const MICROSOFT_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export function appRoleJson(r: AppRole): GraphObject {
  return {
    allowedMemberTypes: [...r.allowedMemberTypes],
    description: r.description,
    displayName: r.displayName,
    id: r.id,
    isEnabled: r.isEnabled,
    origin: 'Application',
    value: r.value,
  };
}

export function applicationJson(a: Application): GraphObject {
  return {
    id: a.objectId,
    deletedDateTime: null,
    appId: a.appId,
    createdDateTime: a.createdAt,
    displayName: a.displayName,
    identifierUris: [...a.identifierUris],
    signInAudience: 'AzureADMyOrg',
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: a.accessTokenAcceptedVersion === 2 ? 2 : null,
      oauth2PermissionScopes: [],
      preAuthorizedApplications: [],
    },
    appRoles: a.appRoles.map(appRoleJson),
    optionalClaims: {
      accessToken: a.optionalClaims.accessToken.map((c) => ({ ...c })),
      idToken: [],
      saml2Token: [],
    },
    requiredResourceAccess: [],
    keyCredentials: [],
    passwordCredentials: [],
    tags: [],
    web: { homePageUrl: null, logoutUrl: null, redirectUris: [] },
  };
}

/** The properties `$filter` may name on applications. */
export const APPLICATION_FILTERS = ['id', 'appId', 'displayName', 'identifierUris', 'signInAudience', 'tags'];

function common(sp: ServicePrincipal): GraphObject {
  return {
    id: sp.objectId,
    deletedDateTime: null,
    accountEnabled: true,
    appId: sp.appId,
    displayName: sp.displayName,
    servicePrincipalType: sp.servicePrincipalType,
    oauth2PermissionScopes: [],
    keyCredentials: [],
    passwordCredentials: [],
    tags: [],
  };
}

export function servicePrincipalJson(sp: ServicePrincipal, view: GraphTenantView): GraphObject {
  const identity = sp.identityId ? view.identitiesById.get(sp.identityId) : undefined;
  if (sp.servicePrincipalType === 'ManagedIdentity') {
    return {
      ...common(sp),
      appDisplayName: null,
      appOwnerOrganizationId: null,
      appRoleAssignmentRequired: false,
      // Azure names a managed identity's resource here; isExplicit says whether it is user-assigned.
      alternativeNames: identity
        ? [`isExplicit=${identity.kind === 'user' ? 'True' : 'False'}`, identity.resourceId]
        : [],
      appRoles: [],
      servicePrincipalNames: [sp.appId],
      signInAudience: 'AzureADMyOrg',
    };
  }
  const app = view.apps.find((a) => a.servicePrincipalId === sp.objectId);
  return {
    ...common(sp),
    appDisplayName: app?.displayName ?? sp.displayName,
    appOwnerOrganizationId: app?.firstParty ? MICROSOFT_TENANT_ID : sp.tenantId,
    appRoleAssignmentRequired: app?.appRoleAssignmentRequired ?? false,
    alternativeNames: [],
    // Graph copies the application's roles onto its service principal.
    appRoles: (app?.appRoles ?? []).map(appRoleJson),
    servicePrincipalNames: [sp.appId, ...(app?.identifierUris ?? [])],
    signInAudience: app?.firstParty ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
  };
}

/** The properties `$filter` may name on service principals. */
export const SERVICE_PRINCIPAL_FILTERS = [
  'id',
  'appId',
  'displayName',
  'appDisplayName',
  'servicePrincipalType',
  'servicePrincipalNames',
  'alternativeNames',
  'accountEnabled',
  'appOwnerOrganizationId',
  'tags',
];

export function appRoleAssignmentJson(a: AppRoleAssignment): GraphObject {
  return {
    id: graphAssignmentId(a.principalId, a.id),
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdAt,
    principalDisplayName: a.principalDisplayName,
    principalId: a.principalId,
    // Managed identities are service principals to Graph as well.
    principalType: 'ServicePrincipal',
    resourceDisplayName: a.resourceDisplayName,
    resourceId: a.resourceId,
  };
}

export const APP_ROLE_ASSIGNMENT_FILTERS = ['id', 'principalId', 'resourceId', 'appRoleId', 'principalType'];
