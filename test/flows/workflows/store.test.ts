/**
 * Workflows and their runs at rest, on both stores: a workflow saved from any export form, replaced (a greater
 * version, the same workflow id), listed, enabled and disabled, found by its workflow id and deleted with its
 * runs (and with its resource); refused when the definition does not load, the resource is not a workflow or an
 * Http action's identity is not the resource's; its access keys sealed at rest, a regenerated key invalidating
 * what the old one signed; runs recorded, finished, listed newest first, filtered, pruned, and runs a stopped
 * Lanyard left Running ended Failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlowTables } from '../../../src/flows/tables.ts';
import { signCallback, triggerScope, verifySignature } from '../../../src/flows/workflows/callback.ts';
import {
  createRun,
  DEFAULT_RUNS_KEPT,
  deleteWorkflow,
  failOrphanedRuns,
  findWorkflowById,
  finishRun,
  getRun,
  getWorkflow,
  LANYARD_STOPPED_ERROR,
  listRuns,
  listWorkflows,
  pruneRuns,
  putWorkflow,
  regenerateAccessKey,
  setWorkflowState,
  workflowAccessKeys,
  workflowView,
} from '../../../src/flows/workflows/store.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { tablesOf } from '../../../src/store/handle.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { codeView, definition, runName, runRecord } from './saved.ts';

const code = (err: unknown) => (err as { code?: string }).code;
const refusedWith =
  (want: string, message?: RegExp, hint?: RegExp) =>
  (err: unknown): boolean => {
    assert.equal(code(err), want, (err as Error).message);
    if (message) assert.match((err as Error).message, message);
    if (hint) assert.match((err as { hint?: string }).hint ?? '', hint);
    return true;
  };

for (const kind of STORE_KINDS) {
  describe(`workflows at rest (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    const raw = () => tablesOf<FlowTables>(runtime.directory.db);
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso' });
      await d.createResource('contoso', {
        name: 'report-flow',
        kind: 'workflow',
        systemAssignedIdentity: true,
      });
      await d.createResource('contoso', { name: 'bare-flow', kind: 'workflow' });
      await d.createResource('contoso', { name: 'web', kind: 'app', systemAssignedIdentity: true });
      await d.createIdentity('contoso', { name: 'flow-caller' });
    });
    after(async () => cleanup?.());

    it('saves any export form, versions every change and keeps the workflow id', async () => {
      const d = runtime.directory;
      const text = codeView();
      const first = await putWorkflow(d, 'contoso', 'report-flow', { definition: text }, runtime.envelope);
      assert.match(first.workflowId, /^[0-9a-f]{32}$/);
      assert.match(first.version, /^\d{20}$/);
      assert.equal(first.state, 'Enabled');
      assert.equal(first.source, text);
      assert.equal(first.name, 'report-flow');
      assert.deepEqual(first.triggers, [{ name: 'manual', type: 'Request' }]);
      assert.equal(
        first.definition.parameters.find((p) => p.name === 'baseUrl')?.value,
        'https://api.localhost',
      );

      // The bare definition as an object, parameter values besides it.
      const second = await putWorkflow(
        d,
        'contoso',
        'report-flow',
        { definition: definition(), parameters: { baseUrl: { value: 'https://other.localhost' } } },
        runtime.envelope,
      );
      assert.equal(second.workflowId, first.workflowId);
      assert.equal(second.createdAt, first.createdAt);
      assert.ok(second.version > first.version, `${second.version} > ${first.version}`);
      assert.deepEqual(second.parameters, { baseUrl: { value: 'https://other.localhost' } });
      assert.equal(
        second.definition.parameters.find((p) => p.name === 'baseUrl')?.value,
        'https://other.localhost',
      );
      assert.deepEqual(JSON.parse(second.source), definition());

      const read = await getWorkflow(d, 'contoso', 'report-flow');
      assert.deepEqual(read, second);
      assert.deepEqual(
        (await listWorkflows(d, 'contoso')).map((w) => w.name),
        ['report-flow'],
      );

      const disabled = await setWorkflowState(d, 'contoso', 'report-flow', 'Disabled');
      assert.equal(disabled.state, 'Disabled');
      assert.ok(disabled.version > second.version);
      const again = await setWorkflowState(d, 'contoso', 'report-flow', 'Disabled');
      assert.equal(again.version, disabled.version, 'no change, no new version');
      // A save that does not say keeps the state; one whose export says (ARM's properties.state) sets it.
      const kept = await putWorkflow(d, 'contoso', 'report-flow', { definition: text }, runtime.envelope);
      assert.equal(kept.state, 'Disabled');
      const arm = JSON.stringify({
        type: 'Microsoft.Logic/workflows',
        name: 'report-flow',
        properties: { state: 'Enabled', definition: definition() },
      });
      assert.equal(
        (await putWorkflow(d, 'contoso', 'report-flow', { definition: arm }, runtime.envelope)).state,
        'Enabled',
      );
      const explicit = await putWorkflow(
        d,
        'contoso',
        'report-flow',
        { definition: arm, state: 'Disabled' },
        runtime.envelope,
      );
      assert.equal(explicit.state, 'Disabled');
      await setWorkflowState(d, 'contoso', 'report-flow', 'Enabled');

      // What the admin API and CLI show: no source text, no secure parameter value.
      const view = workflowView(
        await putWorkflow(d, 'contoso', 'report-flow', { definition: text }, runtime.envelope),
      );
      assert.equal('source' in view, false);
      assert.equal(view.definition.parameters.find((p) => p.name === 'apiKey')?.value, undefined);
      assert.deepEqual(view.parameters, null);
      const shown = JSON.stringify(view);
      assert.doesNotMatch(shown, /k3y-value-not-shown/);
      const withSecret = workflowView(
        await putWorkflow(
          d,
          'contoso',
          'report-flow',
          { definition: definition(), parameters: { apiKey: { value: 'k3y-value-not-shown' } } },
          runtime.envelope,
        ),
      );
      assert.deepEqual(withSecret.parameters, { apiKey: {} });
      assert.doesNotMatch(JSON.stringify(withSecret), /k3y-value-not-shown/);
    });

    it('refuses definitions that do not load, resources that are not workflows, and missing workflows', async () => {
      const d = runtime.directory;
      const put = (ref: string, def: unknown) =>
        putWorkflow(d, 'contoso', ref, { definition: def as object }, runtime.envelope);
      await assert.rejects(put('report-flow', '{"definition": '), refusedWith('ERR_FLOW_DEFINITION'));
      await assert.rejects(
        put('report-flow', { ...definition(), actions: { Bad: { type: 'Compose', inputs: '@concat(' } } }),
        refusedWith('ERR_FLOW_EXPRESSION', /actions\.Bad\.inputs/),
      );
      await assert.rejects(
        put('web', definition()),
        refusedWith('ERR_VALIDATION', /Resource "web" is of kind app/, /--kind workflow/),
      );
      await assert.rejects(
        putWorkflow(
          d,
          'contoso',
          'report-flow',
          { definition: definition(), state: 'Paused' as 'Enabled' },
          runtime.envelope,
        ),
        refusedWith('ERR_VALIDATION', /Enabled or Disabled/),
      );
      await assert.rejects(
        getWorkflow(d, 'contoso', 'bare-flow'),
        refusedWith('ERR_NOT_FOUND', /"bare-flow" has no workflow/, /lanyard workflow set/),
      );
    });

    it("checks each Http action's managed identity against the resource", async () => {
      const d = runtime.directory;
      await assert.rejects(
        putWorkflow(d, 'contoso', 'bare-flow', { definition: definition() }, runtime.envelope),
        refusedWith(
          'ERR_VALIDATION',
          /action Call \(actions\.Call\): the action uses the workflow's system-assigned identity, and resource "bare-flow" has none/,
          /`lanyard resource update bare-flow --system-identity`/,
        ),
      );
      const caller = await d.getIdentity('contoso', 'flow-caller');
      const withUser = definition({ identity: caller.resourceId });
      await assert.rejects(
        putWorkflow(d, 'contoso', 'bare-flow', { definition: withUser }, runtime.envelope),
        refusedWith(
          'ERR_VALIDATION',
          /action Call \(actions\.Call\): the user-assigned identity .*flow-caller is not attached to resource "bare-flow" \(attached: none\)/,
          /lanyard resource identity attach --resource bare-flow --identity/,
        ),
      );
      await d.attachIdentity('contoso', 'bare-flow', 'flow-caller');
      // Azure's ids are matched without case.
      const upper = definition({ identity: caller.resourceId.replace('resourceGroups', 'resourcegroups') });
      const saved = await putWorkflow(d, 'contoso', 'bare-flow', { definition: upper }, runtime.envelope);
      assert.equal(saved.name, 'bare-flow');
      await deleteWorkflow(d, 'contoso', 'bare-flow');
    });

    it('seals the access keys at rest; a regenerated key stops what the old one signed', async () => {
      const d = runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      const keys = await workflowAccessKeys(d, runtime.envelope, 'contoso', 'report-flow');
      assert.match(keys.primary, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(keys.primary, keys.secondary);
      const row = await raw()
        .selectFrom('flow_workflows')
        .selectAll()
        .where('resource_id', '=', w.resourceId)
        .executeTakeFirstOrThrow();
      for (const sealed of [row.primary_key_sealed, row.secondary_key_sealed]) {
        assert.match(sealed, /^lk1\./);
        assert.ok(!sealed.includes(keys.primary) && !sealed.includes(keys.secondary));
      }
      assert.ok(!JSON.stringify(row).includes(keys.primary));

      const sp = triggerScope('manual');
      const signed = (key: string) => ({ sp, sv: '1.0', sig: signCallback(key, w.workflowId, sp) });
      const byPrimary = signed(keys.primary);
      const bySecondary = signed(keys.secondary);
      assert.deepEqual(verifySignature(w.workflowId, byPrimary, keys, 'manual'), {
        ok: true,
        keyType: 'Primary',
      });

      await regenerateAccessKey(d, runtime.envelope, 'contoso', 'report-flow', 'Primary');
      const next = await workflowAccessKeys(d, runtime.envelope, 'contoso', 'report-flow');
      assert.notEqual(next.primary, keys.primary);
      assert.equal(next.secondary, keys.secondary);
      const old = verifySignature(w.workflowId, byPrimary, next, 'manual');
      assert.equal(old.ok, false);
      assert.equal(!old.ok && old.reason, 'wrong-signature');
      assert.deepEqual(verifySignature(w.workflowId, bySecondary, next, 'manual'), {
        ok: true,
        keyType: 'Secondary',
      });
      assert.equal(
        (await getWorkflow(d, 'contoso', 'report-flow')).version,
        w.version,
        'keys are not a version',
      );
      await assert.rejects(
        regenerateAccessKey(d, runtime.envelope, 'contoso', 'report-flow', 'Tertiary' as 'Primary'),
        refusedWith('ERR_VALIDATION', /Primary or Secondary/),
      );
    });

    it('finds a workflow by the id its callback URLs carry', async () => {
      const d = runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      assert.equal((await findWorkflowById(d, w.workflowId))?.name, 'report-flow');
      assert.equal((await findWorkflowById(d, w.workflowId.toUpperCase()))?.resourceId, w.resourceId);
      assert.equal(await findWorkflowById(d, '0'.repeat(32)), undefined);
      assert.equal(await findWorkflowById(d, "x' or 1=1"), undefined);
    });

    it('records runs, lists them newest first, prunes them and fails those a stopped Lanyard left', async () => {
      const d = runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
      for (let n = 0; n < 5; n++) await createRun(d, runRecord(w, runName(n), at(n)));
      for (let n = 0; n < 4; n++) {
        await finishRun(d, { ...runRecord(w, runName(n), at(n), n === 1 ? 'Failed' : 'Succeeded') });
      }
      const listed = await listRuns(d, 'contoso', 'report-flow');
      assert.deepEqual(
        listed.map((r) => [r.name, r.status]),
        [
          [runName(4), 'Running'],
          [runName(3), 'Succeeded'],
          [runName(2), 'Succeeded'],
          [runName(1), 'Failed'],
          [runName(0), 'Succeeded'],
        ],
      );
      assert.deepEqual(listed[1], {
        name: runName(3),
        tenantId: w.tenantId,
        resourceId: w.resourceId,
        workflow: 'report-flow',
        version: w.version,
        status: 'Succeeded',
        startTime: at(3),
        endTime: at(3),
        trigger: { name: 'manual' },
      });
      assert.deepEqual(
        (await listRuns(d, 'contoso', 'report-flow', { status: 'failed' })).map((r) => r.name),
        [runName(1)],
      );
      assert.equal((await listRuns(d, 'contoso', 'report-flow', { top: 2 })).length, 2);
      await assert.rejects(listRuns(d, 'contoso', 'report-flow', { top: 0 }), refusedWith('ERR_VALIDATION'));
      await assert.rejects(
        listRuns(d, 'contoso', 'report-flow', { status: 'Waiting' }),
        refusedWith('ERR_VALIDATION', /Running, Succeeded/),
      );
      const record = await getRun(d, 'contoso', 'report-flow', runName(3));
      assert.deepEqual(record, runRecord(w, runName(3), at(3), 'Succeeded'));
      await assert.rejects(
        getRun(d, 'contoso', 'report-flow', runName(99)),
        refusedWith('ERR_NOT_FOUND', /has no run/, /lanyard workflow runs report-flow/),
      );
      await assert.rejects(
        finishRun(d, runRecord(w, runName(99), at(9), 'Succeeded')),
        refusedWith('ERR_NOT_FOUND'),
      );

      // The newest two kept; the Running one is never pruned.
      await finishRun(d, runRecord(w, runName(4), at(4), 'Succeeded'));
      await createRun(d, runRecord(w, runName(5), at(0)));
      assert.equal(await pruneRuns(d, w.resourceId, 2), 3);
      assert.deepEqual(
        (await listRuns(d, 'contoso', 'report-flow')).map((r) => r.name),
        [runName(4), runName(3), runName(5)],
      );
      assert.equal(await pruneRuns(d), 0, `the default keeps ${DEFAULT_RUNS_KEPT}`);

      assert.equal(await failOrphanedRuns(d), 1);
      const orphan = await getRun(d, 'contoso', 'report-flow', runName(5));
      assert.equal(orphan.status, 'Failed');
      assert.deepEqual(orphan.error, LANYARD_STOPPED_ERROR);
      assert.ok(orphan.endTime);
      assert.deepEqual(
        orphan.actions.map((a) => [a.status, a.code, a.error?.code]),
        [['Failed', 'LanyardStopped', 'LanyardStopped']],
      );
      assert.equal(await failOrphanedRuns(d), 0);
    });

    it('deletes a workflow with its runs, and goes with its resource', async () => {
      const d = runtime.directory;
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      const count = async () =>
        Number(
          (
            await raw()
              .selectFrom('flow_workflow_runs')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('resource_id', '=', w.resourceId)
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.ok((await count()) > 0);
      const deleted = await deleteWorkflow(d, 'contoso', 'report-flow');
      assert.equal(deleted.workflowId, w.workflowId);
      assert.equal(await count(), 0);
      await assert.rejects(getWorkflow(d, 'contoso', 'report-flow'), refusedWith('ERR_NOT_FOUND'));

      const again = await putWorkflow(
        d,
        'contoso',
        'report-flow',
        { definition: codeView() },
        runtime.envelope,
      );
      assert.notEqual(again.workflowId, w.workflowId, 'a new workflow, a new id');
      await createRun(d, runRecord(again, runName(7), new Date().toISOString()));
      await d.deleteResource('contoso', 'report-flow');
      const left = await raw().selectFrom('flow_workflows').select('resource_id').execute();
      assert.deepEqual(left, []);
      assert.deepEqual(await raw().selectFrom('flow_workflow_runs').select('name').execute(), []);
    });
  });
}
