/**
 * @module examples/graph-assign-role/assign-role
 * Seed 002's prerequisite, done the way its author did it — look up the managed identity's service principal
 * and the API's service principal by display name, pick the app role by its value, and assign the identity to
 * that role — written with the Microsoft Graph SDK for JavaScript (`@microsoft/microsoft-graph-client`) and an
 * `@azure/identity` credential, pointed at Lanyard instead of graph.microsoft.com and login.microsoftonline.com.
 *
 *   node examples/graph-assign-role/assign-role.mjs <managed identity name> <API display name> <role value>
 *
 * Environment (the credential is an app holding the Graph permissions AppRoleAssignment.ReadWrite.All and
 * Application.Read.All, e.g. `lanyard role assign --principal app:role-admin --app microsoft-graph --role …`):
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET   the app's credential
 *   LANYARD_URL         Lanyard's main listener, e.g. https://localhost:8443 (authority host and Graph host)
 *   NODE_EXTRA_CA_CERTS Lanyard's CA certificate (`lanyard ca path`), so Node trusts its HTTPS
 * Prints the assignment Graph returned, as one JSON line.
 */
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';

const [managedIdentityName, serverApplicationName, appRoleName] = process.argv.slice(2);
if (!managedIdentityName || !serverApplicationName || !appRoleName) {
  console.error('usage: assign-role.mjs <managed identity name> <API display name> <role value>');
  process.exit(2);
}
const lanyard = new URL(process.env.LANYARD_URL ?? 'https://localhost:8443');

// The credential asks Lanyard's issuer (a custom authority: no instance discovery against Microsoft).
const credential = new ClientSecretCredential(
  process.env.AZURE_TENANT_ID,
  process.env.AZURE_CLIENT_ID,
  process.env.AZURE_CLIENT_SECRET,
  { authorityHost: lanyard.origin, disableInstanceDiscovery: true },
);
const graph = Client.initWithMiddleware({
  authProvider: new TokenCredentialAuthenticationProvider(credential, {
    scopes: ['https://graph.microsoft.com/.default'],
  }),
  // Requests go to <baseUrl><version>/…; the SDK sends the token only to Graph's hosts and these.
  baseUrl: `${lanyard.origin}/`,
  defaultVersion: 'v1.0',
  customHosts: new Set([lanyard.hostname]),
});

/** OData doubles a quote inside a string literal. */
const quoted = (s) => `'${s.replace(/'/g, "''")}'`;

async function servicePrincipalNamed(displayName) {
  const found = await graph
    .api('/servicePrincipals')
    .filter(`displayName eq ${quoted(displayName)}`)
    .select('id,displayName,appRoles')
    .get();
  if (found.value.length !== 1) {
    throw new Error(`expected one service principal named "${displayName}", found ${found.value.length}`);
  }
  return found.value[0];
}

try {
  // Look up the managed identity's object id.
  const managedIdentity = await servicePrincipalNamed(managedIdentityName);
  // Look up the API's service principal and the id of the app role.
  const server = await servicePrincipalNamed(serverApplicationName);
  const appRole = server.appRoles.find(
    (r) => r.value === appRoleName && r.allowedMemberTypes.includes('Application'),
  );
  if (!appRole) throw new Error(`"${serverApplicationName}" has no application role "${appRoleName}"`);
  // Assign the managed identity to the app role.
  const assignment = await graph.api(`/servicePrincipals/${managedIdentity.id}/appRoleAssignments`).post({
    principalId: managedIdentity.id,
    resourceId: server.id,
    appRoleId: appRole.id,
  });
  console.log(JSON.stringify({ ok: true, assignment }));
} catch (err) {
  // GraphError carries Graph's status, code and message.
  console.log(
    JSON.stringify({ ok: false, statusCode: err.statusCode, code: err.code, message: err.message }),
  );
  process.exitCode = 1;
}
