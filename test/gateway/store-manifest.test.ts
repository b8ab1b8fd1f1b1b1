/**
 * @module test/gateway/store-manifest
 * Where gateways live, on both store dialects: putGateway validates and compiles the whole gateway (a policy
 * that does not load is refused with its position and nothing is written), subscription keys are stored only
 * as keyed hashes and sealed values (shown on demand, regenerated one at a time), secret named values are
 * sealed at rest, the gateway goes with its resource; and the manifest's `gateways:` section — policy files
 * relative to the manifest, a secret from the environment, apply then a plan with nothing to do, field-level
 * updates that print no policy, secret or key, undeclared gateways kept until --prune.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import { PolicyLoadError } from '../../src/gateway/policy/errors.ts';
import {
  createSubscription,
  getGateway,
  listGateways,
  putGateway,
  regenerateSubscriptionKey,
  setGatewayPolicy,
  showGateway,
  showSubscriptionKeys,
} from '../../src/gateway/store.ts';
import type { GatewayTables } from '../../src/gateway/tables.ts';
import {
  applyManifest,
  formatPlan,
  loadManifest,
  parseManifest,
  planManifest,
} from '../../src/host/manifest.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const GOOD = (header: string) =>
  `<policies><inbound><base/><set-header name="${header}" exists-action="override"><value>yes</value></set-header></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`;
const GLOBAL = (header: string) =>
  `<policies><inbound><set-header name="${header}" exists-action="override"><value>yes</value></set-header></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`;
const BAD = '<policies><inbound><base/><no-such-policy/></inbound><backend><base/></backend></policies>';
const KEY = 'k0123456789abcdef0123456789abcdef';
const SECRET = 's3cr3t-value-never-printed';

const rejects = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof LanyardError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

const baseInput = {
  apis: [
    {
      name: 'orders',
      path: 'orders',
      serviceUrl: 'http://127.0.0.1:9/api',
      operations: [{ name: 'get-order', method: 'GET', urlTemplate: '/{id}' }],
    },
  ],
  products: [{ name: 'gold', apis: ['orders'] }],
  subscriptions: [{ name: 'alice', scope: { kind: 'product', name: 'gold' } }],
  namedValues: [
    { name: 'plain', value: 'hello' },
    { name: 'secret', value: SECRET, secret: true },
  ],
  backends: [{ name: 'b1', url: 'https://backend.example/' }],
};

describe('gateway manifest docs', () => {
  it('docs/gateway.md: the example of "Manifest" loads', () => {
    const docs = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/gateway.md'), 'utf8');
    const example = /## Manifest[\s\S]*?```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(example, 'docs/gateway.md has a yaml example under Manifest');
    const m = parseManifest(example, 'docs/gateway.md') as unknown as {
      tenants: { gateways: { apis: unknown[]; subscriptions: unknown[] }[] }[];
    };
    assert.equal(m.tenants[0]?.gateways[0]?.apis.length, 1);
    assert.equal(m.tenants[0]?.gateways[0]?.subscriptions.length, 2);
  });
});

for (const kind of STORE_KINDS) {
  describe(`gateway store and manifest (${kind})`, () => {
    let runtime: Runtime;
    let dataDir: string;
    let drop: () => Promise<void>;
    before(async () => {
      dataDir = tempDir('lanyard-gateway-store-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      runtime = await openRuntime({ dataDir, store: loc.location, env: {} });
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso' });
      await d.createResource('contoso', { name: 'gw1', kind: 'gateway' });
      await d.createResource('contoso', { name: 'web', kind: 'app' });
    });
    after(async () => {
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('putGateway stores the definition; keys hashed and sealed, secrets sealed, shown on demand', async () => {
      const { stored, generatedKeys } = await putGateway(runtime.directory, 'contoso', 'gw1', baseInput);
      assert.equal(stored.name, 'gw1');
      assert.deepEqual(
        stored.definition.apis.map((a) => [a.name, a.displayName, a.subscriptionKeyHeader]),
        [['orders', 'orders', 'Ocp-Apim-Subscription-Key']],
      );
      const keys = generatedKeys.alice!;
      assert.match(keys.primaryKey, /^[0-9a-f]{32}$/);
      assert.notEqual(keys.primaryKey, keys.secondaryKey);
      const sub = stored.definition.subscriptions[0]!;
      assert.ok(runtime.hasher.verify(keys.primaryKey, sub.primaryKeyHash));
      assert.ok(runtime.hasher.verify(keys.secondaryKey, sub.secondaryKeyHash));
      assert.deepEqual(sub.scope, { kind: 'product', name: 'gold' });
      assert.equal(stored.definition.namedValues.find((v) => v.name === 'secret')?.value, SECRET);
      assert.deepEqual(await showSubscriptionKeys(runtime.directory, 'contoso', 'gw1', 'alice'), keys);

      // Nothing in the tables in the clear.
      const t = tablesOf<GatewayTables>(runtime.store.db);
      const dump = JSON.stringify([
        await t.selectFrom('gateway_subscriptions').selectAll().execute(),
        await t.selectFrom('gateway_named_values').selectAll().execute(),
      ]);
      assert.ok(!dump.includes(keys.primaryKey) && !dump.includes(keys.secondaryKey), 'no key in the clear');
      assert.ok(!dump.includes(SECRET), 'no secret value in the clear');
      assert.ok(dump.includes('hello'), 'a plain value is stored as is');
    });

    it('a second put keeps the keys; regenerate replaces one key; createSubscription returns new keys', async () => {
      const before = await showSubscriptionKeys(runtime.directory, 'contoso', 'gw1', 'alice');
      await putGateway(runtime.directory, 'contoso', 'gw1', baseInput);
      assert.deepEqual(await showSubscriptionKeys(runtime.directory, 'contoso', 'gw1', 'alice'), before);
      const fresh = await regenerateSubscriptionKey(
        runtime.directory,
        'contoso',
        'gw1',
        'alice',
        'secondary',
      );
      const after = await showSubscriptionKeys(runtime.directory, 'contoso', 'gw1', 'alice');
      assert.equal(after.primaryKey, before.primaryKey);
      assert.equal(after.secondaryKey, fresh);
      assert.notEqual(fresh, before.secondaryKey);
      const bob = await createSubscription(runtime.directory, 'contoso', 'gw1', {
        name: 'bob',
        scope: { kind: 'api', name: 'orders' },
        primaryKey: KEY,
      });
      assert.equal(bob.primaryKey, KEY);
      assert.match(bob.secondaryKey, /^[0-9a-f]{32}$/);
      await rejects(createSubscription(runtime.directory, 'contoso', 'gw1', { name: 'bob' }), 'ERR_CONFLICT');
    });

    it('refuses invalid input and a policy that does not compile, writing nothing', async () => {
      const before = await showGateway(runtime.directory, 'contoso', 'gw1');
      const d = runtime.directory;
      await rejects(putGateway(d, 'contoso', 'web', baseInput), 'ERR_VALIDATION', /kind app/);
      await rejects(
        putGateway(d, 'contoso', 'gw1', {
          ...baseInput,
          apis: [{ ...baseInput.apis[0], serviceUrl: 'ftp://x' }],
        }),
        'ERR_VALIDATION',
        /serviceUrl/,
      );
      await rejects(
        putGateway(d, 'contoso', 'gw1', { ...baseInput, apis: [{ ...baseInput.apis[0], name: 'bad name' }] }),
        'ERR_VALIDATION',
      );
      await rejects(
        putGateway(d, 'contoso', 'gw1', {
          ...baseInput,
          apis: [{ ...baseInput.apis[0], operations: [{ name: 'x', method: 'GET', urlTemplate: '/a{b}' }] }],
        }),
        'ERR_VALIDATION',
        /mixes text/,
      );
      await rejects(
        putGateway(d, 'contoso', 'gw1', { ...baseInput, products: [{ name: 'gold', apis: ['nope'] }] }),
        'ERR_VALIDATION',
        /nope/,
      );
      await assert.rejects(
        setGatewayPolicy(d, 'contoso', 'gw1', { xml: BAD, file: 'global.xml' }),
        (err: unknown) => {
          assert.ok(err instanceof PolicyLoadError, String(err));
          assert.equal(err.position.file, 'global.xml');
          assert.match(err.message, /global\.xml:1:/);
          return true;
        },
      );
      const after = await showGateway(runtime.directory, 'contoso', 'gw1');
      assert.deepEqual(after.definition, before.definition, 'nothing was written');
      const ok = await setGatewayPolicy(d, 'contoso', 'gw1', { xml: GLOBAL('X-Global') });
      assert.equal(ok.definition.policy?.xml, GLOBAL('X-Global'));
    });

    it('every write marks the gateway topic changed', async () => {
      const version = async () =>
        (
          await tablesOf<{ change_versions: { topic: string; version: number } }>(runtime.store.db)
            .selectFrom('change_versions')
            .selectAll()
            .where('topic', '=', 'gateway')
            .executeTakeFirst()
        )?.version ?? 0;
      const v0 = Number(await version());
      await setGatewayPolicy(runtime.directory, 'contoso', 'gw1', { xml: GLOBAL('X-Other') });
      assert.ok(Number(await version()) > v0);
    });

    it('goes with its resource', async () => {
      await runtime.directory.createResource('contoso', { name: 'gw-temp', kind: 'gateway' });
      const { stored } = await putGateway(runtime.directory, 'contoso', 'gw-temp', baseInput);
      await runtime.directory.deleteResource('contoso', 'gw-temp');
      assert.equal(await getGateway(runtime.store.db, runtime.envelope, stored.resourceId), undefined);
      const t = tablesOf<GatewayTables>(runtime.store.db);
      const left = await t
        .selectFrom('gateway_subscriptions')
        .select('name')
        .where('resource_id', '=', stored.resourceId)
        .execute();
      assert.deepEqual(left, []);
    });

    describe('manifest', () => {
      let folder: string;
      let file: string;
      const write = (gateways: string) =>
        fs.writeFileSync(
          file,
          `apiVersion: lanyard/v1
tenants:
  - name: fabrikam
    resources:
      - name: gw2
        kind: gateway
${gateways}`,
        );
      const GATEWAYS = (opPolicy: string, extra = '') => `    gateways:
      - resource: gw2
        policyFile: policies/global.xml
        apis:
          - name: orders
            path: orders
            serviceUrl: http://127.0.0.1:9/api
            subscriptionKeyParameterNames: { header: X-Key }
            operations:
              - name: get-order
                method: GET
                urlTemplate: /{id}
                policy: '${opPolicy}'
        products:
          - name: gold
            apis: [orders]
        subscriptions:
          - name: alice
            scope: /products/gold
            primaryKey: ${KEY}
          - name: carol
        namedValues:
          - name: token
            valueFromEnv: GW_TEST_SECRET
            secret: true
        backends:
          - name: b1
            url: https://backend.example/
${extra}`;
      before(() => {
        folder = tempDir('lanyard-gateway-manifest-');
        fs.mkdirSync(path.join(folder, 'policies'));
        fs.writeFileSync(path.join(folder, 'policies', 'global.xml'), GLOBAL('X-From-File'));
        file = path.join(folder, 'lanyard.yaml');
        process.env.GW_TEST_SECRET = SECRET;
      });
      after(() => {
        delete process.env.GW_TEST_SECRET;
        fs.rmSync(folder, { recursive: true, force: true });
      });

      it('apply stores the gateway (policy file read, secret from the environment); a second plan is empty', async () => {
        write(GATEWAYS(GOOD('X-Op')));
        const m = await loadManifest(file);
        const plan = await applyManifest(runtime.directory, m);
        assert.ok(
          plan.changes.some((c) => c.kind === 'gateway' && c.action === 'create' && c.name === 'gw2'),
        );
        const stored = await showGateway(runtime.directory, 'fabrikam', 'gw2');
        assert.equal(stored.definition.policy?.xml, GLOBAL('X-From-File'));
        assert.equal(stored.definition.policy?.file, 'policies/global.xml');
        assert.equal(stored.definition.apis[0]?.subscriptionKeyHeader, 'X-Key');
        assert.equal(stored.definition.namedValues[0]?.value, SECRET);
        assert.deepEqual(
          (await showSubscriptionKeys(runtime.directory, 'fabrikam', 'gw2', 'alice')).primaryKey,
          KEY,
        );
        const carol = await showSubscriptionKeys(runtime.directory, 'fabrikam', 'gw2', 'carol');
        const again = await planManifest(runtime.directory, await loadManifest(file));
        assert.deepEqual(again.changes, [], formatPlan(again));
        await applyManifest(runtime.directory, await loadManifest(file));
        assert.deepEqual(
          await showSubscriptionKeys(runtime.directory, 'fabrikam', 'gw2', 'carol'),
          carol,
          'generated keys survive a second apply',
        );
      });

      it('plan lists field-level changes without printing policies, secrets or keys', async () => {
        write(GATEWAYS(GOOD('X-Op-2')).replace('path: orders', 'path: orders2'));
        fs.writeFileSync(path.join(folder, 'policies', 'global.xml'), GLOBAL('X-From-File-2'));
        process.env.GW_TEST_SECRET = 'another-secret-value';
        const m = await loadManifest(file);
        const plan = await planManifest(runtime.directory, m);
        const text = formatPlan(plan);
        const change = plan.changes.find((c) => c.kind === 'gateway');
        assert.equal(change?.action, 'update', text);
        assert.ok(change?.changes?.includes('apis.orders.path: "orders" → "orders2"'), text);
        assert.ok(change?.changes?.includes('policy.xml: (changed)'), text);
        assert.ok(change?.changes?.includes('apis.orders.operations.get-order.policy.xml: (changed)'), text);
        assert.ok(change?.changes?.includes('namedValues.token.value: (changed)'), text);
        for (const hidden of ['another-secret-value', SECRET, 'X-Op-2', 'X-From-File-2', KEY])
          assert.ok(!text.includes(hidden), `plan prints ${hidden}`);
        await applyManifest(runtime.directory, m);
        assert.deepEqual((await planManifest(runtime.directory, m)).changes, []);
        process.env.GW_TEST_SECRET = SECRET;
      });

      it('a bad policy refuses the whole apply with its position; a missing policy file names the line', async () => {
        const before = await showGateway(runtime.directory, 'fabrikam', 'gw2');
        write(GATEWAYS(BAD));
        await assert.rejects(applyManifest(runtime.directory, await loadManifest(file)), (err: unknown) => {
          assert.ok(err instanceof LanyardError);
          assert.equal(err.code, 'ERR_GATEWAY_POLICY', err.message);
          assert.match(err.message, /Could not update gateway fabrikam\/gw2/);
          assert.match(err.message, /operation get-order/);
          return true;
        });
        assert.deepEqual(
          (await showGateway(runtime.directory, 'fabrikam', 'gw2')).definition,
          before.definition,
        );
        write(
          GATEWAYS(GOOD('X-Op')).replace('policyFile: policies/global.xml', 'policyFile: policies/none.xml'),
        );
        await rejects(
          planManifest(runtime.directory, await loadManifest(file)),
          'ERR_MANIFEST_FILE',
          /lanyard\.yaml:\d+:\d+ .*policies\/none\.xml: no such file/,
        );
      });

      it('load checks references and both policy forms', async () => {
        write(
          GATEWAYS(GOOD('X-Op'))
            .replace('apis: [orders]', 'apis: [orders, nope]')
            .replace('scope: /products/gold', 'scope: /products/silver'),
        );
        await rejects(
          loadManifest(file),
          'ERR_MANIFEST_REFERENCE',
          /API nope is not declared.*\n.*product silver/,
        );
        // Two fronts on one fixed port, and one gateway declared twice.
        write(
          `${GATEWAYS(GOOD('X-Op')).replace('resource: gw2', 'resource: gw2\n        port: 8555')}      - resource: gw2\n        port: 8555\n`,
        );
        const err = await loadManifest(file).catch((e: unknown) => e as LanyardError);
        assert.ok(err instanceof LanyardError);
        assert.equal(err.code, 'ERR_MANIFEST_SCHEMA');
        assert.match(err.message, /port 8555 is used by another gateway/);
        assert.match(err.message, /gateway gw2 is declared twice/);
      });

      it('an undeclared gateway is not managed until --prune; subscriptions made elsewhere are kept', async () => {
        write(GATEWAYS(GOOD('X-Op')));
        await applyManifest(runtime.directory, await loadManifest(file));
        await createSubscription(runtime.directory, 'fabrikam', 'gw2', { name: 'cli-made' });
        const kept = await planManifest(runtime.directory, await loadManifest(file));
        assert.deepEqual(kept.changes, [], formatPlan(kept));
        assert.ok(kept.notManaged.some((o) => o.kind === 'gatewaySubscription' && o.name === 'gw2/cli-made'));
        write('');
        const m = await loadManifest(file);
        const plan = await planManifest(runtime.directory, m);
        assert.ok(plan.notManaged.some((o) => o.kind === 'gateway' && o.name === 'gw2'));
        await applyManifest(runtime.directory, m, { prune: true });
        const left = await listGateways(runtime.store.db, runtime.envelope);
        assert.ok(!left.some((g) => g.name === 'gw2'));
      });
    });
  });
}
