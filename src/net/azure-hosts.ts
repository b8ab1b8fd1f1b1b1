/**
 * @module net/azure-hosts
 * Azure's own host names, for programs that never take an endpoint option (`new ClientSecretCredential(tenant,
 * client, secret)` goes to login.microsoftonline.com; an ARM client with no `endpoint` to management.azure.com).
 * The main listener answers TLS for them with certificates of the local CA (its SNI names), and `lanyard run
 * --azure-hosts` points a Node program's connections to them at that listener (identity/localhost-preload.mjs).
 * Each host's API is served by path on the one listener: login (issuer), Resource Manager, Graph; Key Vault
 * names go to the vault when it serves them. docs/management.md, "Azure's own host names", says what other
 * runtimes need.
 */

/** Exact names and `*.` wildcards (one label), lower case. */
export const AZURE_HOST_PATTERNS: readonly string[] = Object.freeze([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'management.azure.com',
  'management.core.windows.net',
  'graph.microsoft.com',
  '*.vault.azure.net',
]);

/** Whether `host` (no port) is one of them. */
export function isAzureHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return AZURE_HOST_PATTERNS.some((p) =>
    p.startsWith('*.') ? h.endsWith(p.slice(1)) && !h.slice(0, -p.length + 1).includes('.') : h === p,
  );
}
