/**
 * @module test/gateway/plane-services
 * The services the gateway plane gives each gateway's policies: managed-identity tokens for the gateway
 * resource's own identities (system-assigned, or a user-assigned one attached to it, by client id) from the
 * identity plane's in-process service, reused until shortly before they expire, and a clear refusal naming
 * the gateway when it has no such identity; its backends by name.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type SharedServices, servicesFor } from '../../src/gateway/plane.ts';
import { countersFromEnv } from '../../src/gateway/runtime/counters.ts';
import { getGateway, putGateway } from '../../src/gateway/store.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

for (const kind of STORE_KINDS) {
  describe(`gateway services (${kind})`, () => {
    let runtime: Runtime;
    let dataDir: string;
    let drop: () => Promise<void>;
    const shared = {
      now: Date.now,
      tokens: undefined,
      backend: undefined,
      traces: undefined,
    } as unknown as SharedServices;
    const servicesOf = async (name: string) => {
      const resource = await runtime.directory.getResource('contoso', name);
      const stored = await getGateway(runtime.store.db, runtime.envelope, resource.id);
      return servicesFor(runtime, shared, stored!.definition, countersFromEnv({}, name));
    };

    before(async () => {
      dataDir = tempDir('lanyard-gateway-services-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      runtime = await openRuntime({ dataDir, store: loc.location, env: {} });
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso' });
      await d.createApp('contoso', { name: 'orders-api', identifierUris: ['api://orders'] });
      await d.createIdentity('contoso', { name: 'uai-one' });
      await d.createResource('contoso', {
        name: 'gw-mi',
        kind: 'gateway',
        systemAssignedIdentity: true,
        userAssignedIdentities: ['uai-one'],
      });
      await d.createResource('contoso', { name: 'gw-none', kind: 'gateway' });
      await putGateway(d, 'contoso', 'gw-mi', { backends: [{ name: 'b1', url: 'https://b1.example/' }] });
      await putGateway(d, 'contoso', 'gw-none', {});
    });
    after(async () => {
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('mints for the system-assigned identity, and reuses the token', async () => {
      const services = await servicesOf('gw-mi');
      const resource = await runtime.directory.getResource('contoso', 'gw-mi');
      const first = await services.managedIdentityToken({ resource: 'api://orders' });
      const c = claims(first.accessToken);
      assert.equal(c.oid, resource.systemAssignedIdentity?.principalId);
      assert.ok(first.expiresOn > Date.now() / 1000 + 3600);
      const again = await services.managedIdentityToken({ resource: 'api://orders' });
      assert.equal(again.accessToken, first.accessToken, 'cached');
    });

    it('mints for an attached user-assigned identity by client id', async () => {
      const services = await servicesOf('gw-mi');
      const uai = (await runtime.directory.getResource('contoso', 'gw-mi')).userAssignedIdentities[0]!;
      const t = await services.managedIdentityToken({ resource: 'api://orders', clientId: uai.clientId });
      assert.equal(claims(t.accessToken).oid, uai.principalId);
      await assert.rejects(
        services.managedIdentityToken({
          resource: 'api://orders',
          clientId: '00000000-0000-0000-0000-000000000001',
        }),
        /Gateway gw-mi cannot get a managed-identity token: No user-assigned identity with client_id/,
      );
    });

    it('refuses clearly when the gateway has no identity', async () => {
      const services = await servicesOf('gw-none');
      await assert.rejects(
        services.managedIdentityToken({ resource: 'api://orders' }),
        /Gateway gw-none cannot get a managed-identity token: Resource "gw-none" has no system-assigned identity/,
      );
    });

    it('gives the gateway its backends by name', async () => {
      const services = await servicesOf('gw-mi');
      assert.deepEqual(services.backendEntity?.('b1'), { url: 'https://b1.example/' });
      assert.equal(services.backendEntity?.('nope'), undefined);
    });
  });
}
