/**
 * `workflows:` in lanyard.yaml, on both stores: a workflow created from an exported file next to the manifest
 * (with the resource the same apply creates) and from an inline definition, a second plan empty, changed
 * parameters and state an update naming them, one the manifest no longer declares reported and deleted with
 * --prune; refused at load with the line: a resource that is not a workflow, one declared twice, neither or both
 * of definition and definitionFile, an inline definition that does not load or uses an identity the resource
 * does not declare; a definition file that cannot be read or does not load refused naming the entry.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getWorkflow, listWorkflows } from '../../../src/flows/workflows/store.ts';
import { applyManifest, formatPlan, loadManifest, parseManifest } from '../../../src/host/manifest.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { assertManifestRefused } from '../../helpers/manifest.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';
import { STORE_KINDS, tempDir } from '../../helpers/stores.ts';
import { codeView, definition } from './saved.ts';

const manifest = (workflows: string) => `apiVersion: lanyard/v1
tenants:
  - name: contoso
    identities:
      - name: flow-caller
    resources:
      - name: report-flow
        kind: workflow
        systemAssignedIdentity: true
      - name: user-flow
        kind: workflow
        userAssignedIdentities: [flow-caller]
      - name: fn1
        kind: app
    workflows:
${workflows}`;

const inline = (o: Parameters<typeof definition>[0] = {}) => JSON.stringify(definition(o));

describe('workflows manifest: load', () => {
  it('refuses resources that are not workflows, workflows declared twice and entries without one definition', () => {
    assertManifestRefused(
      manifest(`      - { resource: fn1, definition: ${inline()} }
      - { resource: nope, definition: ${inline()} }
`),
      'ERR_MANIFEST_REFERENCE',
      /workflows\[0\]\.resource: resource fn1 is of kind app; a workflow belongs to a resource of kind workflow/,
      /workflows\[1\]\.resource: resource nope is not declared/,
    );
    assertManifestRefused(
      manifest(`      - { resource: report-flow, definition: ${inline()} }
      - { resource: REPORT-FLOW, definition: ${inline()} }
`),
      'ERR_MANIFEST_SCHEMA',
      /workflow REPORT-FLOW is declared twice/,
    );
    assertManifestRefused(
      manifest(`      - { resource: report-flow }
      - { resource: user-flow, definition: {}, definitionFile: flow.json }
`),
      'ERR_MANIFEST_SCHEMA',
      /workflows\[0\]: give definition or definitionFile \(one of them\)/,
      /workflows\[1\]: give definition or definitionFile/,
    );
  });

  it('loads an inline definition at load time and checks its identities against the declared resource', () => {
    assertManifestRefused(
      manifest(`      - resource: report-flow
        definition: { triggers: { manual: { type: Request, kind: Http } }, actions: { A: { type: Compose, inputs: "@concat(" } } }
`),
      'ERR_MANIFEST_SCHEMA',
      /^lanyard\.yaml:\d+:\d+ tenants\[0\]\.workflows\[0\]\.definition: actions\.A\.inputs: /,
    );
    assertManifestRefused(
      manifest(`      - resource: user-flow
        definition: ${inline()}
`),
      'ERR_MANIFEST_SCHEMA',
      /workflows\[0\]\.definition: Workflow user-flow, action Call \(actions\.Call\): the action uses the workflow's system-assigned identity, and resource "user-flow" has none\. \(Enable it \(`lanyard resource update user-flow --system-identity`\)/,
    );
    const uami =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lanyard/providers/Microsoft.ManagedIdentity/userAssignedIdentities';
    assertManifestRefused(
      manifest(`      - resource: report-flow
        definition: ${inline({ identity: `${uami}/flow-caller` })}
`),
      'ERR_MANIFEST_SCHEMA',
      /the user-assigned identity .*flow-caller is not attached to resource "report-flow"/,
    );
    const m = parseManifest(
      manifest(`      - resource: user-flow
        definition: ${inline({ identity: `${uami}/Flow-Caller` })}
        state: Disabled
`),
      'lanyard.yaml',
    );
    assert.equal(
      (m.tenants[0] as unknown as { workflows: { state: string }[] }).workflows[0]!.state,
      'Disabled',
    );
  });
});

for (const kind of STORE_KINDS) {
  describe(`workflows manifest: plan and apply (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    const dir = tempDir('lanyard-workflows-manifest-');
    const file = path.join(dir, 'lanyard.yaml');
    fs.mkdirSync(path.join(dir, 'flows'));
    const write = (text: string) => {
      fs.writeFileSync(file, text);
      return loadManifest(file);
    };
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
    });
    after(async () => {
      await cleanup?.();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates from a file and inline, leaves alone, updates, reports and prunes workflows', async () => {
      const d = runtime.directory;
      fs.writeFileSync(path.join(dir, 'flows', 'report.json'), codeView());
      const declared = (extra = '') => `      - resource: report-flow
        definitionFile: flows/report.json
${extra}      - resource: user-flow
        definition: { triggers: { manual: { type: Request, kind: Http } }, actions: {} }
`;
      const first = await applyManifest(d, await write(manifest(declared())));
      assert.deepEqual(
        first.changes.filter((c) => c.kind === 'workflow').map((c) => [c.action, c.name]),
        [
          ['create', 'report-flow'],
          ['create', 'user-flow'],
        ],
        formatPlan(first),
      );
      const w = await getWorkflow(d, 'contoso', 'report-flow');
      assert.equal(w.source, codeView());
      assert.equal(w.state, 'Enabled');
      assert.deepEqual(w.triggers, [{ name: 'manual', type: 'Request' }]);

      const again = await applyManifest(d, await write(manifest(declared())));
      assert.deepEqual(again.changes, [], formatPlan(again));

      const changed = await applyManifest(
        d,
        await write(
          manifest(
            declared(
              '        parameters: { baseUrl: { value: "https://x.localhost" } }\n        state: Disabled\n',
            ),
          ),
        ),
      );
      assert.deepEqual(
        changed.changes.map((c) => [c.action, c.kind, c.name, c.changes]),
        [['update', 'workflow', 'report-flow', ['parameters: (changed)', 'state: Enabled → Disabled']]],
      );
      const updated = await getWorkflow(d, 'contoso', 'report-flow');
      assert.equal(updated.workflowId, w.workflowId);
      assert.ok(updated.version > w.version);
      assert.equal(
        updated.definition.parameters.find((p) => p.name === 'baseUrl')?.value,
        'https://x.localhost',
      );

      fs.writeFileSync(path.join(dir, 'flows', 'report.json'), codeView({}, 'https://y.localhost'));
      const edited = await applyManifest(d, await write(manifest(declared('        state: Disabled\n'))));
      assert.deepEqual(
        edited.changes.map((c) => [c.name, c.changes]),
        [['report-flow', ['definition: (changed)', 'parameters: (changed)']]],
      );

      const without = manifest('      []\n');
      const kept = await applyManifest(d, await write(without));
      assert.equal((await listWorkflows(d, 'contoso')).length, 2, 'not deleted without --prune');
      assert.ok(
        kept.changes.every((c) => c.action !== 'delete'),
        formatPlan(kept),
      );
      const pruned = await applyManifest(d, await write(without), { prune: true });
      assert.deepEqual(
        pruned.changes.filter((c) => c.kind === 'workflow').map((c) => [c.action, c.name]),
        [
          ['delete', 'report-flow'],
          ['delete', 'user-flow'],
        ],
      );
      assert.equal((await listWorkflows(d, 'contoso')).length, 0);
      // The resources stay.
      assert.equal((await d.getResource('contoso', 'report-flow')).kind, 'workflow');
    });

    it('refuses a definition file that cannot be read or does not load, naming the entry', async () => {
      const d = runtime.directory;
      const entry = `      - resource: report-flow
        definitionFile: flows/missing.json
`;
      await assert.rejects(applyManifest(d, await write(manifest(entry))), (err: unknown) => {
        assert.equal((err as { code: string }).code, 'ERR_MANIFEST_FILE');
        assert.match(
          (err as Error).message,
          /lanyard\.yaml:\d+:\d+ tenants\[0\]\.workflows\[0\]\.definitionFile: cannot read workflow file flows\/missing\.json: no such file/,
        );
        return true;
      });
      fs.writeFileSync(
        path.join(dir, 'flows', 'bad.json'),
        '{"definition": {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": {"A": {"type": "Wait"}}}}',
      );
      await assert.rejects(
        applyManifest(d, await write(manifest(entry.replace('missing.json', 'bad.json')))),
        (err: unknown) => {
          assert.equal((err as { code: string }).code, 'ERR_FLOW_UNSUPPORTED');
          assert.match(
            (err as Error).message,
            /lanyard\.yaml:\d+:\d+ tenants\[0\]\.workflows\[0\]\.definitionFile \(flows\/bad\.json\): Workflow definition, actions\.A/,
          );
          return true;
        },
      );
      assert.equal((await listWorkflows(d, 'contoso')).length, 0);
    });
  });
}
