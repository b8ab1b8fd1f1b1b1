/**
 * @module test/easyauth/store-manifest
 * Where configs live, on both store dialects: the store functions (validation, clientId resolution, keys kept
 * only hashed, removal, cascade with the resource) and the manifest's `easyAuth:` block — apply stores it,
 * a second plan finds nothing, edits are field-level updates that never print key values, an undeclared
 * config is "not managed" until --prune, and references are checked at load.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HASHED_KEY } from '../../src/easyauth/config.ts';
import { startFronts } from '../../src/easyauth/plane.ts';
import {
  getEasyAuthConfig,
  listEasyAuthConfigs,
  regenerateFunctionKey,
  removeEasyAuth,
  setEasyAuth,
  showEasyAuth,
} from '../../src/easyauth/store.ts';
import type { EasyAuthTables } from '../../src/easyauth/tables.ts';
import { LanyardError } from '../../src/errors/lanyard-error.ts';
import { applyManifest, formatPlan, parseManifest, planManifest } from '../../src/host/manifest.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { createLogger } from '../../src/http/logger.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const KEY = 'k'.repeat(32);

function manifest(easyAuth: string | undefined, extra = ''): string {
  return `apiVersion: lanyard/v1
tenants:
  - name: contoso
    apps:
      - name: somefunction
        appId: cc334b87-fdbe-4996-aa3f-5bad192a18a6
        identifierUris: [api://somefunction]
      - name: other-api
    resources:
      - name: somefunction
        kind: app
${easyAuth === undefined ? '' : `        easyAuth:\n${easyAuth.replace(/^/gm, '          ')}\n`}${extra}`;
}

const BLOCK = `upstream: http://127.0.0.1:7071
globalValidation:
  excludedPaths: [/api/health]
identityProviders:
  azureActiveDirectory:
    registration:
      clientId: somefunction
    validation:
      allowedAudiences: [api://somefunction]
functions:
  routes:
    - { path: /api/*, authLevel: function }
  keys:
    default: ${KEY}`;

const rejects = async (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof LanyardError, String(err));
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });

for (const kind of STORE_KINDS) {
  describe(`Easy Auth store and manifest (${kind})`, () => {
    let runtime: Runtime;
    let dataDir: string;
    let drop: () => Promise<void>;
    before(async () => {
      dataDir = tempDir('lanyard-easyauth-store-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      runtime = await openRuntime({ dataDir, store: loc.location, env: {} });
    });
    after(async () => {
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('manifest: apply stores the block (clientId resolved, keys hashed); a second plan changes nothing', async () => {
      const m = parseManifest(manifest(BLOCK), 'lanyard.yaml');
      const plan = await applyManifest(runtime.directory, m);
      assert.ok(
        plan.changes.some((c) => c.kind === 'easyAuth' && c.action === 'create' && c.name === 'somefunction'),
      );
      const [stored] = await listEasyAuthConfigs(runtime.store.db);
      assert.equal(stored?.resourceName, 'somefunction');
      const c = stored!.config;
      assert.equal(
        c.identityProviders.azureActiveDirectory.registration.clientId,
        'cc334b87-fdbe-4996-aa3f-5bad192a18a6',
      );
      assert.match(c.functions!.keys.default!, HASHED_KEY);
      assert.ok(runtime.hasher.verify(KEY, c.functions!.keys.default!));
      assert.match(c.functions!.keys._master!, HASHED_KEY, 'the master key is generated');
      const row = await tablesOf<EasyAuthTables>(runtime.store.db)
        .selectFrom('easyauth_configs')
        .select('config')
        .executeTakeFirstOrThrow();
      assert.ok(!row.config.includes(KEY), 'no plaintext key in the store');
      const again = await planManifest(runtime.directory, m);
      assert.deepEqual(again.changes, [], formatPlan(again));
    });

    it('manifest: edits are field-level updates; key values are never printed', async () => {
      const edited = BLOCK.replace(
        'excludedPaths: [/api/health]',
        'excludedPaths: [/api/health]\n  unauthenticatedClientAction: Return403',
      ).replace(`default: ${KEY}`, `default: ${'n'.repeat(32)}`);
      const m = parseManifest(manifest(edited), 'lanyard.yaml');
      const plan = await planManifest(runtime.directory, m);
      const change = plan.changes.find((c) => c.kind === 'easyAuth');
      assert.equal(change?.action, 'update');
      assert.ok(
        change?.changes?.includes('globalValidation.unauthenticatedClientAction: "Return401" → "Return403"'),
      );
      assert.ok(change?.changes?.includes('functions.keys.default: (changed)'));
      assert.ok(!formatPlan(plan).includes('n'.repeat(32)));
      const masterBefore = (await listEasyAuthConfigs(runtime.store.db))[0]!.config.functions!.keys._master;
      await applyManifest(runtime.directory, m);
      const after = (await listEasyAuthConfigs(runtime.store.db))[0]!.config;
      assert.equal(after.globalValidation.unauthenticatedClientAction, 'Return403');
      assert.equal(after.functions!.keys._master, masterBefore, 'a generated key is kept across applies');
      assert.deepEqual((await planManifest(runtime.directory, m)).changes, []);
    });

    it('manifest: a config the manifest does not declare is not managed until --prune', async () => {
      const m = parseManifest(manifest(undefined), 'lanyard.yaml');
      const plan = await planManifest(runtime.directory, m);
      assert.deepEqual(plan.changes, []);
      assert.ok(plan.notManaged.some((o) => o.kind === 'easyAuth' && o.name === 'somefunction'));
      const pruned = await applyManifest(runtime.directory, m, { prune: true });
      assert.ok(pruned.changes.some((c) => c.kind === 'easyAuth' && c.action === 'delete'));
      assert.deepEqual(await listEasyAuthConfigs(runtime.store.db), []);
    });

    it('manifest: references and placement are checked at load', () => {
      const load = (text: string) => () => parseManifest(text, 'lanyard.yaml');
      assert.throws(
        load(manifest(BLOCK.replace('clientId: somefunction', 'clientId: nope'))),
        /ERR_MANIFEST_REFERENCE|clientId "nope"/,
      );
      assert.throws(
        load(
          manifest(
            undefined,
            `      - name: gw\n        kind: gateway\n        easyAuth:\n          upstream: http://x\n          identityProviders: { azureActiveDirectory: { registration: { clientId: other-api } } }\n`,
          ),
        ),
        /easyAuth is only for resources of kind app/,
      );
      const fixed = `upstream: http://x\nlisten: { port: 9443 }\nidentityProviders: { azureActiveDirectory: { registration: { clientId: other-api } } }`;
      assert.throws(
        load(
          manifest(
            fixed,
            `      - name: second\n        kind: app\n        easyAuth:\n${fixed.replace(/^/gm, '          ')}\n`,
          ),
        ),
        /port 9443 is used by another Easy Auth front/,
      );
      assert.throws(load(manifest('upstream: http://x\nidentityProviders: {}')), /azureActiveDirectory/);
    });

    it('store: set, show, regenerate a key, remove; resolves names; refuses non-app resources', async () => {
      const d = runtime.directory;
      const tenant = 'contoso';
      await d.createResource(tenant, { name: 'gw', kind: 'gateway' });
      const input = {
        upstream: 'http://127.0.0.1:7071',
        identityProviders: { azureActiveDirectory: { registration: { clientId: 'api://somefunction' } } },
        functions: { routes: [{ path: '/api/*', authLevel: 'function' as const }] },
      };
      await rejects(setEasyAuth(d, tenant, 'gw', input), 'ERR_VALIDATION', /of kind gateway/);
      await rejects(
        setEasyAuth(d, tenant, 'somefunction', {
          ...input,
          identityProviders: { azureActiveDirectory: { registration: { clientId: 'missing-app' } } },
        }),
        'ERR_VALIDATION',
        /missing-app/,
      );
      const set = await setEasyAuth(d, tenant, 'somefunction', input);
      assert.equal(
        set.stored.config.identityProviders.azureActiveDirectory.registration.clientId,
        'cc334b87-fdbe-4996-aa3f-5bad192a18a6',
      );
      assert.deepEqual(Object.keys(set.generatedKeys).sort(), ['_master', 'default']);
      assert.ok(
        runtime.hasher.verify(set.generatedKeys.default!, set.stored.config.functions!.keys.default!),
      );
      const again = await setEasyAuth(d, tenant, 'somefunction', input);
      assert.deepEqual(again.generatedKeys, {}, 'kept, not regenerated');
      const fresh = await regenerateFunctionKey(d, tenant, 'somefunction', 'default');
      const shown = await showEasyAuth(d, tenant, 'somefunction');
      assert.ok(runtime.hasher.verify(fresh.key, shown.config.functions!.keys.default!));
      assert.ok(!runtime.hasher.verify(set.generatedKeys.default!, shown.config.functions!.keys.default!));
      await removeEasyAuth(d, tenant, 'somefunction');
      await rejects(showEasyAuth(d, tenant, 'somefunction'), 'ERR_NOT_FOUND');
      await rejects(removeEasyAuth(d, tenant, 'somefunction'), 'ERR_NOT_FOUND');
    });

    it('store: a config goes with its resource; lanyard up starts every stored front', async () => {
      const d = runtime.directory;
      await d.createResource('contoso', { name: 'short-lived', kind: 'app' });
      const { stored } = await setEasyAuth(d, 'contoso', 'short-lived', {
        upstream: 'http://127.0.0.1:7071',
        identityProviders: { azureActiveDirectory: { registration: { clientId: 'other-api' } } },
      });
      const running = await startFronts(runtime, {
        logger: createLogger({ level: 'silent' }),
        settings: {},
      });
      const fronts = running.fronts();
      try {
        assert.deepEqual(
          fronts.map((f) => f.resource.name),
          ['short-lived'],
        );
        assert.match(fronts[0]!.url, /^https:\/\/short-lived\.localhost:\d+$/);
      } finally {
        await running.close();
      }
      await d.deleteResource('contoso', 'short-lived');
      assert.equal(await getEasyAuthConfig(runtime.store.db, stored.resourceId), undefined);
    });
  });
}
