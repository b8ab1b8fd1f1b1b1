/**
 * The workflow routes of the admin API over real HTTPS, on both stores: a workflow saved from JSON (unknown
 * fields, definitions that do not load and resources of another kind refused), shown without its source and
 * secure values, listed, disabled and enabled; a callback URL on the server's own origin whose signature the
 * workflow's keys accept, refused for a trigger it does not have; a regenerated key making the old URL's
 * signature wrong; runs listed newest first with top and status, one run shown; the workflow deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifySignature } from '../../../src/flows/workflows/callback.ts';
import { createRun, getWorkflow, workflowAccessKeys } from '../../../src/flows/workflows/store.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { startTestServer, type TestServer } from '../../host/harness.ts';
import { definition, runName, runRecord } from './saved.ts';

for (const kind of STORE_KINDS) {
  describe(`workflows in the admin API (${kind})`, () => {
    let t: TestServer;
    const base = '/admin/tenants/contoso/workflows';
    before(async () => {
      t = await startTestServer(kind);
      await t.runtime.directory.createTenant({ name: 'contoso' });
      await t.runtime.directory.createResource('contoso', {
        name: 'report-flow',
        kind: 'workflow',
        systemAssignedIdentity: true,
      });
      await t.runtime.directory.createResource('contoso', { name: 'fn1', kind: 'app' });
    });
    after(async () => t?.cleanup());

    it('saves, shows, lists, disables and enables a workflow; refuses what does not load', async () => {
      const put = await t.call('PUT', `${base}/report-flow`, {
        body: {
          definition: definition(),
          parameters: { apiKey: { value: 'k3y-value-not-shown' } },
        },
      });
      assert.equal(put.status, 200, put.text);
      assert.match(put.json.workflowId, /^[0-9a-f]{32}$/);
      assert.equal(put.json.state, 'Enabled');
      assert.equal(put.json.source, undefined);
      assert.doesNotMatch(put.text, /k3y-value-not-shown/);
      assert.deepEqual(put.json.triggers, [{ name: 'manual', type: 'Request' }]);

      const shown = await t.call('GET', `${base}/report-flow`);
      assert.equal(shown.json.version, put.json.version);
      assert.deepEqual(
        (await t.call('GET', base)).json.map((w: { name: string }) => w.name),
        ['report-flow'],
      );

      const unknown = await t.call('PUT', `${base}/report-flow`, {
        body: { definition: definition(), defintion: {} },
      });
      assert.equal(unknown.status, 400);
      assert.match(unknown.json.error.message, /Unknown field `defintion`/);
      const bad = await t.call('PUT', `${base}/report-flow`, { body: { definition: '{"triggers": 1}' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'ERR_FLOW_DEFINITION');
      const app = await t.call('PUT', `${base}/fn1`, { body: { definition: definition() } });
      assert.equal(app.status, 400);
      assert.equal(app.json.error.code, 'ERR_VALIDATION');
      assert.equal((await t.call('GET', `${base}/fn1`)).status, 400);

      const disabled = await t.call('POST', `${base}/report-flow/disable`);
      assert.equal(disabled.json.state, 'Disabled');
      assert.ok(disabled.json.version > put.json.version);
      assert.equal((await t.call('POST', `${base}/report-flow/enable`)).json.state, 'Enabled');
    });

    it('answers a callback URL on the server origin, signed with the key asked for', async () => {
      const d = t.runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      const keys = await workflowAccessKeys(d, t.runtime.envelope, 'contoso', 'report-flow');
      const r = await t.call('POST', `${base}/report-flow/triggers/manual/listCallbackUrl`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.method, 'POST');
      assert.equal(
        r.json.basePath,
        `${new URL(t.server.url).origin}/workflows/${w.workflowId}/triggers/manual/paths/invoke`,
      );
      assert.deepEqual(Object.keys(r.json.queries), ['api-version', 'sp', 'sv', 'sig']);
      const url = new URL(r.json.value);
      assert.deepEqual(verifySignature(w.workflowId, url.searchParams, keys, 'manual'), {
        ok: true,
        keyType: 'Primary',
      });
      const secondary = await t.call('POST', `${base}/report-flow/triggers/manual/listCallbackUrl`, {
        body: { keyType: 'Secondary' },
      });
      assert.equal(
        verifySignature(w.workflowId, new URL(secondary.json.value).searchParams, keys, 'manual').ok &&
          'Secondary',
        'Secondary',
      );
      const other = await t.call('POST', `${base}/report-flow/triggers/other/listCallbackUrl`);
      assert.equal(other.status, 404);

      const regen = await t.call('POST', `${base}/report-flow/regenerateAccessKey`, {
        body: { keyType: 'Primary' },
      });
      assert.equal(regen.status, 204, regen.text);
      const next = await workflowAccessKeys(d, t.runtime.envelope, 'contoso', 'report-flow');
      const check = verifySignature(w.workflowId, url.searchParams, next, 'manual');
      assert.equal(!check.ok && check.reason, 'wrong-signature');
      const noType = await t.call('POST', `${base}/report-flow/regenerateAccessKey`, { body: {} });
      assert.equal(noType.status, 400);
    });

    it('lists runs newest first with top and status, and shows one', async () => {
      const d = t.runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
      await createRun(d, runRecord(w, runName(1), at(1), 'Succeeded'));
      await createRun(d, runRecord(w, runName(2), at(2), 'Failed'));
      await createRun(d, runRecord(w, runName(3), at(3), 'Succeeded'));
      const all = await t.call('GET', `${base}/report-flow/runs`);
      assert.deepEqual(
        all.json.map((r: { name: string }) => r.name),
        [runName(3), runName(2), runName(1)],
      );
      const some = await t.call('GET', `${base}/report-flow/runs?top=1&status=Succeeded`);
      assert.deepEqual(
        some.json.map((r: { name: string }) => r.name),
        [runName(3)],
      );
      assert.equal((await t.call('GET', `${base}/report-flow/runs?status=Sleeping`)).status, 400);
      assert.equal((await t.call('GET', `${base}/report-flow/runs?skip=1`)).status, 400);
      const one = await t.call('GET', `${base}/report-flow/runs/${runName(2)}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.json, runRecord(w, runName(2), at(2), 'Failed'));
      assert.equal((await t.call('GET', `${base}/report-flow/runs/${runName(9)}`)).status, 404);
    });

    it('deletes the workflow and its runs', async () => {
      assert.equal((await t.call('DELETE', `${base}/report-flow`)).status, 204);
      assert.equal((await t.call('GET', `${base}/report-flow`)).status, 404);
      assert.deepEqual((await t.call('GET', base)).json, []);
    });
  });
}
