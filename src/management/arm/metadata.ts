/**
 * @module management/arm/metadata
 * `GET /metadata/endpoints` (no token needed): the cloud's other endpoints, so `az cloud register
 * --endpoint-resource-manager https://localhost:8443` and `ARM_CLOUD_METADATA_URL` learn them all from Lanyard.
 * Before api-version 2019-05-01 the single-cloud object; from it on, an array of one cloud (the multi-cloud
 * format) — both naming Lanyard's own origin for login, Resource Manager and Graph.
 */

export const ARM_AUDIENCE_LIST = ['https://management.core.windows.net/', 'https://management.azure.com/'];

/** `origin`: `https://host:port`, without a trailing slash. */
export function metadataEndpoints(apiVersion: string, origin: string): unknown {
  const base = `${origin}/`;
  if (apiVersion < '2019-05-01') {
    return {
      galleryEndpoint: base,
      graphEndpoint: base,
      portalEndpoint: base,
      authentication: { loginEndpoint: base, audiences: ARM_AUDIENCE_LIST },
    };
  }
  return [
    {
      name: 'Lanyard',
      portal: base,
      authentication: {
        loginEndpoint: base,
        audiences: ARM_AUDIENCE_LIST,
        tenant: 'common',
        identityProvider: 'AAD',
      },
      media: base,
      graphAudience: 'https://graph.windows.net/',
      graph: base,
      resourceManager: base,
      microsoftGraphResourceId: 'https://graph.microsoft.com/',
      appInsightsResourceId: base,
      sqlManagement: base,
      batch: base,
      gallery: base,
      vmImageAliasDoc: `${base}vm-image-aliases.json`,
      activeDirectoryDataLake: base,
      suffixes: {
        storage: 'core.windows.net',
        keyVaultDns: 'vault.azure.net',
        sqlServerHostname: 'database.windows.net',
        acrLoginServer: 'azurecr.io',
      },
    },
  ];
}
