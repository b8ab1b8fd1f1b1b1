/**
 * @module directory/first-party
 * Microsoft's own resources, pre-registered in every tenant with their real application ids and identifier
 * URIs, so that a token "for Resource Manager" or "for Key Vault" is requested and issued exactly as in
 * Azure. They are read-only: they belong to Microsoft's tenant, not the user's.
 */

export interface FirstPartyApp {
  name: string;
  displayName: string;
  appId: string;
  identifierUris: string[];
}

export const FIRST_PARTY_APPS: readonly FirstPartyApp[] = [
  {
    name: 'azure-resource-manager',
    displayName: 'Windows Azure Service Management API',
    appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
    identifierUris: ['https://management.core.windows.net/', 'https://management.azure.com/'],
  },
  {
    name: 'azure-key-vault',
    displayName: 'Azure Key Vault',
    appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
    identifierUris: ['https://vault.azure.net'],
  },
  {
    name: 'microsoft-graph',
    displayName: 'Microsoft Graph',
    appId: '00000003-0000-0000-c000-000000000000',
    identifierUris: ['https://graph.microsoft.com'],
  },
];

export const FIRST_PARTY_NAMES: ReadonlySet<string> = new Set(FIRST_PARTY_APPS.map((a) => a.name));
