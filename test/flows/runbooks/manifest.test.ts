/**
 * `runbooks:` in lanyard.yaml, on both stores: a runbook created with the account the same apply creates, a
 * second plan empty, a change an update naming what changed; a runbook the manifest no longer declares reported
 * and deleted with --prune; a timer of a function app (kind app) saved as well; refused at load with the line: an
 * account that is neither an automation account nor a function app, a name declared twice, a bad schedule, a
 * bad command.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getRunbook, listRunbooks } from '../../../src/flows/runbooks/store.ts';
import { applyManifest, formatPlan, parseManifest, planManifest } from '../../../src/host/manifest.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { assertManifestRefused } from '../../helpers/manifest.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';
import { STORE_KINDS } from '../../helpers/stores.ts';

const manifest = (runbooks: string) => `apiVersion: lanyard/v1
tenants:
  - name: contoso
    resources:
      - name: nightly
        kind: automation
        systemAssignedIdentity: true
      - name: fn1
        kind: app
        systemAssignedIdentity: true
      - name: flow1
        kind: workflow
    runbooks:
${runbooks}`;

const REPORT = (schedule: string) => `      - account: nightly
        name: report
        command: [sh, -c, echo report]
        schedule: "${schedule}"
        timeZone: W. Europe Standard Time
`;

describe('runbooks manifest: load', () => {
  it('refuses accounts that are neither automation accounts nor function apps, names declared twice, bad schedules and commands', () => {
    assertManifestRefused(
      manifest(`      - { account: flow1, name: a, command: ['true'] }
      - { account: nope, name: b, command: ['true'] }
`),
      'ERR_MANIFEST_REFERENCE',
      /runbooks\[0\]\.account: resource flow1 is of kind workflow; runbooks belong to a resource of kind automation \(an Automation account\) or app \(a function app's timer trigger\)/,
      /runbooks\[1\]\.account: resource nope is not declared/,
    );
    assertManifestRefused(
      manifest(`      - { account: nightly, name: a, command: ['true'] }
      - { account: NIGHTLY, name: A, command: ['true'] }
`),
      'ERR_MANIFEST_SCHEMA',
      /runbook A of NIGHTLY is declared twice/,
    );
    assertManifestRefused(
      manifest(REPORT('*/5 * * * *')),
      'ERR_MANIFEST_SCHEMA',
      /^lanyard\.yaml:\d+:\d+ tenants\[0\]\.runbooks\[0\]\.schedule: schedule "\*\/5 \* \* \* \*" has 5 fields; Azure Functions timers take 6/,
    );
    assertManifestRefused(
      manifest(`      - { account: nightly, name: 1bad, command: ['true'] }
`),
      'ERR_MANIFEST_SCHEMA',
      /runbooks\[0\]\.name: The runbook name "1bad" is not valid/,
    );
  });
});

for (const kind of STORE_KINDS) {
  describe(`runbooks manifest: plan and apply (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
    });
    after(async () => cleanup?.());

    it('creates, leaves alone, updates, reports and prunes runbooks', async () => {
      const d = runtime.directory;
      const first = await applyManifest(d, parseManifest(manifest(REPORT('0 0 6 * * *')), 'lanyard.yaml'));
      assert.ok(
        first.changes.some(
          (c) => c.action === 'create' && c.kind === 'runbook' && c.name === 'nightly/report',
        ),
        formatPlan(first),
      );
      const rb = await getRunbook(d, 'contoso', 'nightly', 'report');
      assert.deepEqual(
        [rb.schedule, rb.timeZone, rb.command],
        ['0 0 6 * * *', 'W. Europe Standard Time', ['sh', '-c', 'echo report']],
      );
      const again = await planManifest(d, parseManifest(manifest(REPORT('0 0 6 * * *')), 'lanyard.yaml'));
      assert.deepEqual(again.changes, [], formatPlan(again));
      const changed = await applyManifest(d, parseManifest(manifest(REPORT('0 30 6 * * *')), 'lanyard.yaml'));
      assert.deepEqual(
        changed.changes.map((c) => [c.action, c.kind, c.name, c.changes]),
        [['update', 'runbook', 'nightly/report', ['schedule: "0 0 6 * * *" → "0 30 6 * * *"']]],
      );
      const without = manifest('      []\n');
      const kept = await applyManifest(d, parseManifest(without, 'lanyard.yaml'));
      assert.equal((await listRunbooks(d, 'contoso')).length, 1, 'not deleted without --prune');
      assert.ok(
        kept.changes.length === 0 || kept.changes.every((c) => c.action !== 'delete'),
        formatPlan(kept),
      );
      const pruned = await applyManifest(d, parseManifest(without, 'lanyard.yaml'), { prune: true });
      assert.ok(
        pruned.changes.some((c) => c.action === 'delete' && c.kind === 'runbook'),
        formatPlan(pruned),
      );
      assert.equal((await listRunbooks(d, 'contoso')).length, 0);
    });

    it('saves the timer of a function app (kind app) as a runbook of that app', async () => {
      const d = runtime.directory;
      const timer = `      - account: fn1
        name: AutoTriggerFunction
        command: [node, auto-trigger.mjs]
        schedule: "0 */1 * * * *"
`;
      const applied = await applyManifest(d, parseManifest(manifest(timer), 'lanyard.yaml'));
      assert.ok(
        applied.changes.some(
          (c) => c.action === 'create' && c.kind === 'runbook' && c.name === 'fn1/AutoTriggerFunction',
        ),
        formatPlan(applied),
      );
      const rb = await getRunbook(d, 'contoso', 'fn1', 'AutoTriggerFunction');
      assert.deepEqual([rb.resource, rb.schedule], ['fn1', '0 */1 * * * *']);
      assert.ok((await listRunbooks(d, 'contoso')).some((r) => r.resource === 'fn1'));
      await applyManifest(d, parseManifest(manifest('      []\n'), 'lanyard.yaml'), { prune: true });
    });
  });
}
