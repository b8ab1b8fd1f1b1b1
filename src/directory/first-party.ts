/**
 * @module directory/first-party
 * Microsoft's own resources, pre-registered in every tenant with their real application ids and identifier
 * URIs, so that a token "for Resource Manager" or "for Key Vault" is requested and issued exactly as in
 * Azure. They are read-only: they belong to Microsoft's tenant, not the user's. What their tokens carry beyond
 * the common claims is written as optional claims, as observed in Entra's tokens for them (docs/issuer.md).
 */
import { optionalClaim } from './optional-claims.ts';
import type { OptionalClaim } from './types.ts';

export interface FirstPartyApp {
  name: string;
  displayName: string;
  appId: string;
  identifierUris: string[];
  /** Defined here, not stored: a newer Lanyard corrects them in every existing tenant. */
  accessTokenClaims: readonly OptionalClaim[];
}

export const FIRST_PARTY_APPS: readonly FirstPartyApp[] = [
  {
    name: 'azure-resource-manager',
    displayName: 'Windows Azure Service Management API',
    appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
    identifierUris: ['https://management.core.windows.net/', 'https://management.azure.com/'],
    accessTokenClaims: [optionalClaim('idtyp'), optionalClaim('xms_tcdt')],
  },
  {
    name: 'azure-key-vault',
    displayName: 'Azure Key Vault',
    appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
    identifierUris: ['https://vault.azure.net'],
    accessTokenClaims: [],
  },
  {
    name: 'microsoft-graph',
    displayName: 'Microsoft Graph',
    appId: '00000003-0000-0000-c000-000000000000',
    identifierUris: ['https://graph.microsoft.com'],
    accessTokenClaims: [optionalClaim('idtyp', ['include_user_token']), optionalClaim('xms_tcdt')],
  },
];

export const FIRST_PARTY_NAMES: ReadonlySet<string> = new Set(FIRST_PARTY_APPS.map((a) => a.name));

const FIRST_PARTY_BY_APP_ID: ReadonlyMap<string, FirstPartyApp> = new Map(
  FIRST_PARTY_APPS.map((a) => [a.appId, a]),
);

export function firstPartyApp(appId: string): FirstPartyApp | undefined {
  return FIRST_PARTY_BY_APP_ID.get(appId);
}
