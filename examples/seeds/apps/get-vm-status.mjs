/**
 * Seed 004's Get-VM-Status: an HTTP-triggered function that signs in as an AAD application with the credentials
 * the flow passes it (tenant, application id, secret, subscription — what Get-Creds read from Key Vault) and
 * answers with the subscription's resource groups and virtual machines, each VM with its power state. It uses
 * the ARM SDKs for JavaScript unchanged; Lanyard is the authority and the Resource Manager endpoint.
 *
 *   PORT=7078 LANYARD_URL=https://localhost:8443 NODE_EXTRA_CA_CERTS=$(lanyard ca path) \
 *     node examples/seeds/apps/get-vm-status.mjs
 *   curl -s localhost:7078/api/get-vm-status -d '{"tenantId":"…","applicationId":"…","secret":"…","subscriptionId":"…"}'
 *
 * With no credentials in the body it signs in as its own managed identity instead — the better way seed 004's
 * author asks for, since then no secret travels at all. Run it with the function app's identity (the seed
 * manifest gives get-vm-status Reader on the subscription):
 *
 *   PORT=7078 LANYARD_URL=https://localhost:8443 \
 *     lanyard run --as get-vm-status -- node examples/seeds/apps/get-vm-status.mjs
 *   curl -s localhost:7078/api/get-vm-status -d '{}'
 *
 * Without a `subscriptionId` in the body, it reports on the subscription its identity can read (the first that
 * `GET /subscriptions` lists). The answer says how it signed in (`credential`: ClientSecretCredential or
 * ManagedIdentityCredential). Under `lanyard run --azure-hosts` LANYARD_URL may be left out and the SDKs'
 * defaults (management.azure.com) used. Listens on 127.0.0.1; the first stdout line says where.
 */
import http from 'node:http';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';

const port = Number(process.env.PORT ?? 7078);
const lanyard = process.env.LANYARD_URL;
const ARM_SCOPE = 'https://management.azure.com/.default';

function clientOptions() {
  return lanyard ? { endpoint: lanyard, credentialScopes: [ARM_SCOPE] } : {};
}

function credentialFor(body) {
  if (body.applicationId && body.secret && body.tenantId) {
    return new ClientSecretCredential(body.tenantId, body.applicationId, body.secret, {
      ...(lanyard ? { authorityHost: lanyard, disableInstanceDiscovery: true } : {}),
    });
  }
  return new ManagedIdentityCredential(
    process.env.AZURE_CLIENT_ID ? { clientId: process.env.AZURE_CLIENT_ID } : {},
  );
}

/** The subscription the credential's principal can read: the first `GET /subscriptions` lists. */
async function firstSubscription(credential) {
  const token = await credential.getToken(ARM_SCOPE);
  const res = await fetch(
    `${lanyard ?? 'https://management.azure.com'}/subscriptions?api-version=2022-12-01`,
    {
      headers: { authorization: `Bearer ${token.token}` },
      signal: AbortSignal.timeout(30_000),
    },
  );
  const body = await res.json();
  if (res.status !== 200) {
    throw Object.assign(new Error(body.error?.message ?? `GET /subscriptions answered ${res.status}`), {
      statusCode: res.status,
      code: body.error?.code,
    });
  }
  const first = body.value?.[0]?.subscriptionId;
  if (!first) {
    throw Object.assign(new Error('This identity can read no subscription: give it Reader on one.'), {
      statusCode: 403,
      code: 'NoSubscription',
    });
  }
  return first;
}

/** Resource groups, and each VM with its size and power state (`VM running`, `VM deallocated`, …). */
async function report(credential, subscriptionId) {
  const resources = new ResourceManagementClient(credential, subscriptionId, clientOptions());
  const compute = new ComputeManagementClient(credential, subscriptionId, clientOptions());
  const resourceGroups = [];
  for await (const g of resources.resourceGroups.list())
    resourceGroups.push({ name: g.name, location: g.location });
  const virtualMachines = [];
  for await (const vm of compute.virtualMachines.listAll()) {
    const group = vm.id.split('/')[4];
    const view = await compute.virtualMachines.instanceView(group, vm.name);
    const power = view.statuses?.find((s) => s.code?.startsWith('PowerState/'));
    virtualMachines.push({
      name: vm.name,
      resourceGroup: group,
      size: vm.hardwareProfile?.vmSize,
      location: vm.location,
      powerState: power?.displayStatus ?? 'unknown',
    });
  }
  return { subscriptionId, credential: credential.constructor.name, resourceGroups, virtualMachines };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      text += c;
      if (text.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = http.createServer(async (req, res) => {
  if (req.url === '/') return send(res, 200, { status: 'ok' });
  if (req.url?.split('?')[0].toLowerCase() !== '/api/get-vm-status')
    return send(res, 404, { error: 'not found' });
  try {
    const text = await readBody(req);
    const body = text ? JSON.parse(text) : {};
    const credential = credentialFor(body);
    if (!body.subscriptionId && credential instanceof ClientSecretCredential)
      return send(res, 400, { error: 'subscriptionId is required with credentials' });
    send(res, 200, await report(credential, body.subscriptionId ?? (await firstSubscription(credential))));
  } catch (err) {
    // The ARM error (e.g. AuthorizationFailed, with the role that would allow it in Lanyard's hint) as it came.
    send(res, err.statusCode ?? 500, { error: err.code ?? err.name, message: err.message });
  }
});
server.once('error', (err) => {
  console.error(`get-vm-status: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`get-vm-status listening on http://127.0.0.1:${server.address().port}/api/get-vm-status`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
