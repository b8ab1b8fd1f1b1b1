/**
 * Seed 004's Get-Creds: an HTTP-triggered function that reads the credentials a flow needs — an application
 * id, its secret and a subscription id — from Key Vault with its own managed identity, and hands them back.
 * `@azure/keyvault-secrets` and `@azure/identity` exactly as in Azure: `new SecretClient(vaultUrl, new
 * ManagedIdentityCredential())`. Run it with the function app's identity:
 *
 *   KEY_VAULT_URL=https://flow-credentials.vault.localhost:8443 NODE_EXTRA_CA_CERTS=$(lanyard ca path) \
 *     lanyard run --as get-creds -- node examples/seeds/apps/get-creds.mjs
 *   curl -s -X POST localhost:7077/api/get-creds
 *
 * The body may name other secrets by their Key Vault ids (as the seed's flow passes Key Vault URIs):
 *   {"applicationId":"https://…/secrets/app-id","secret":"https://…/secrets/app-secret","subscriptionId":"…"}
 * A Key Vault refusal comes back as it came (status, `code`, `message`): ForbiddenByRbac names the role and
 * the `lanyard rbac assign` that grants it. `AZURE_TENANT_ID`, when set, is returned as `tenantId`.
 * Listens on 127.0.0.1; the first stdout line says where.
 */
import http from 'node:http';
import { ManagedIdentityCredential } from '@azure/identity';
import { parseKeyVaultSecretIdentifier, SecretClient } from '@azure/keyvault-secrets';

const port = Number(process.env.PORT ?? 7077);
const vaultUrl = process.env.KEY_VAULT_URL;
const DEFAULTS = { applicationId: 'app-id', secret: 'app-secret', subscriptionId: 'subscription-id' };

const credential = new ManagedIdentityCredential(
  process.env.AZURE_CLIENT_ID ? { clientId: process.env.AZURE_CLIENT_ID } : {},
);
/** One client per vault, kept: the challenge is answered once per client. */
const clients = new Map();
const clientFor = (url) => {
  if (!clients.has(url)) clients.set(url, new SecretClient(url, credential));
  return clients.get(url);
};

/** A secret named by its Key Vault id, or by its name in KEY_VAULT_URL. */
async function read(ref) {
  if (/^https:\/\//.test(ref)) {
    const id = parseKeyVaultSecretIdentifier(ref);
    return (await clientFor(id.vaultUrl).getSecret(id.name, { version: id.version })).value;
  }
  if (!vaultUrl) throw Object.assign(new Error('KEY_VAULT_URL is not set'), { statusCode: 500 });
  return (await clientFor(vaultUrl).getSecret(ref)).value;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      text += c;
      if (text.length > 16 * 1024) req.destroy(new Error('body too large'));
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
  if (req.url?.split('?')[0].toLowerCase() !== '/api/get-creds')
    return send(res, 404, { error: 'not found' });
  try {
    const text = await readBody(req);
    const refs = { ...DEFAULTS, ...(text ? JSON.parse(text) : {}) };
    // Three secrets, three requests, as the seed notes; read side by side.
    const [applicationId, secret, subscriptionId] = await Promise.all([
      read(refs.applicationId),
      read(refs.secret),
      read(refs.subscriptionId),
    ]);
    send(res, 200, {
      ...(process.env.AZURE_TENANT_ID ? { tenantId: process.env.AZURE_TENANT_ID } : {}),
      applicationId,
      secret,
      subscriptionId,
    });
  } catch (err) {
    // Key Vault's refusal as the SDK raised it (RestError: statusCode, code, message).
    send(res, err.statusCode ?? 500, { error: err.code ?? err.name, message: err.message });
  }
});
server.once('error', (err) => {
  console.error(`get-creds: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`get-creds listening on http://127.0.0.1:${server.address().port}/api/get-creds`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
