/**
 * `lanyard workflow …` through the real binary, on each store: a workflow saved from an exported file with an
 * ARM parameters file, listed and shown as tables and JSON (no secure value), disabled and enabled; its
 * callback URL printed and regenerated; its runs listed and one shown with its actions; refusals with their
 * hints (a resource of another kind, an action whose identity the resource lacks, a bad status); deleted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CallbackUrl } from '../../../src/flows/workflows/callback.ts';
import { createRun, getWorkflow } from '../../../src/flows/workflows/store.ts';
import { openRuntime } from '../../../src/host/runtime.ts';
import { type Cli, openCli } from '../../cli/lanyard.ts';
import { STORE_KINDS, tempDir, testLocation } from '../../helpers/stores.ts';
import { codeView, definition, runName, runRecord } from './saved.ts';

interface View {
  name: string;
  workflowId: string;
  state: string;
  version: string;
  source?: string;
}

for (const kind of STORE_KINDS) {
  describe(`lanyard workflow (${kind})`, () => {
    let cli: Cli;
    let drop: () => Promise<void>;
    let location: string;
    const files = tempDir('lanyard-workflow-files-');
    const file = (name: string, text: string) => {
      const p = path.join(files, name);
      fs.writeFileSync(p, text);
      return p;
    };
    before(() => {
      const dataDir = tempDir('lanyard-cli-');
      const loc = testLocation(kind, dataDir);
      drop = loc.drop;
      location = loc.location;
      cli = openCli({ dataDir, store: loc.location });
      cli.json('tenant', 'create', '--name', 'contoso');
      cli.json('resource', 'create', '--name', 'report-flow', '--kind', 'workflow', '--system-identity');
      cli.json('resource', 'create', '--name', 'bare-flow', '--kind', 'workflow');
      cli.json('resource', 'create', '--name', 'fn1', '--kind', 'app');
    });
    after(async () => {
      cli.cleanup();
      fs.rmSync(files, { recursive: true, force: true });
      await drop();
    });

    test('set from an exported file with ARM parameters, list, show, disable and enable', () => {
      const wf = file('workflow.json', codeView());
      const params = file(
        'parameters.json',
        JSON.stringify({
          $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
          contentVersion: '1.0.0.0',
          parameters: { apiKey: { value: 'k3y-from-parameters-file' } },
        }),
      );
      const saved = cli.json<View>(
        'workflow',
        'set',
        'report-flow',
        '--file',
        wf,
        '--parameters-file',
        params,
      );
      assert.match(saved.workflowId, /^[0-9a-f]{32}$/);
      assert.equal(saved.source, undefined);
      const plain = cli.run('workflow', 'set', 'report-flow', '--file', wf, '--parameters-file', params);
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(plain.stdout, /^Saved workflow report-flow \(version \d{20}, Enabled\)\.$/m);

      const list = cli.run('workflow', 'list');
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^NAME\s+STATE\s+TRIGGERS\s+VERSION\s+CHANGED$/m);
      assert.match(list.stdout, /^report-flow\s+Enabled\s+manual \(Request\)\s+\d{20}\s+\S+$/m);

      const show = cli.run('workflow', 'show', 'report-flow');
      assert.equal(show.status, 0, show.stderr);
      assert.match(show.stdout, new RegExp(`^WORKFLOW ID\\s+${saved.workflowId}$`, 'm'));
      assert.match(show.stdout, /^ACTIONS\s+Call \(Http\)$/m);
      const json = cli.run('workflow', 'show', 'report-flow', '-o', 'json');
      assert.doesNotMatch(json.stdout, /k3y-from-parameters-file|k3y-value-not-shown/);

      const disabled = cli.run('workflow', 'disable', 'report-flow');
      assert.match(disabled.stdout, /^Workflow report-flow is Disabled \(version \d{20}\)\.$/m);
      assert.equal(cli.json<View>('workflow', 'enable', 'report-flow').state, 'Enabled');
    });

    test('refuses a resource of another kind, an identity the resource lacks, a file that is not there', () => {
      const wf = file('plain.json', JSON.stringify(definition()));
      const app = cli.run('workflow', 'set', 'fn1', '--file', wf);
      assert.equal(app.status, 1);
      assert.match(app.stderr, /^error ERR_VALIDATION: Resource "fn1" is of kind app/m);
      assert.match(app.stderr, /^hint: .*--kind workflow/m);
      const bare = cli.run('workflow', 'set', 'bare-flow', '--file', wf);
      assert.equal(bare.status, 1);
      assert.match(
        bare.stderr,
        /action Call \(actions\.Call\): the action uses the workflow's system-assigned identity/,
      );
      assert.match(
        bare.stderr,
        /^hint: Enable it \(`lanyard resource update bare-flow --system-identity`\)/m,
      );
      const missing = cli.run('workflow', 'set', 'report-flow', '--file', path.join(files, 'nope.json'));
      assert.equal(missing.status, 1);
      assert.match(
        missing.stderr,
        /^error ERR_USAGE: Cannot read the workflow file .*nope\.json \(ENOENT\)/m,
      );
      const notFound = cli.run('workflow', 'show', 'bare-flow');
      assert.match(notFound.stderr, /^error ERR_NOT_FOUND: Resource "bare-flow" has no workflow saved\./m);
    });

    test('prints the callback URL and regenerates the key it is signed with', () => {
      const view = cli.json<View>('workflow', 'show', 'report-flow');
      const url = cli.run('workflow', 'callback-url', 'report-flow');
      assert.equal(url.status, 0, url.stderr);
      assert.match(
        url.stdout,
        new RegExp(
          `^https://localhost:8443/workflows/${view.workflowId}/triggers/manual/paths/invoke\\?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\\.0&sig=[\\w-]{43}\\n$`,
        ),
      );
      const answer = cli.json<CallbackUrl>('workflow', 'callback-url', 'report-flow', '--trigger', 'manual');
      assert.equal(answer.value, url.stdout.trim());
      assert.equal(answer.queries.sp, '/triggers/manual/run');
      const secondary = cli.json<CallbackUrl>(
        'workflow',
        'callback-url',
        'report-flow',
        '--key-type',
        'secondary',
      );
      assert.notEqual(secondary.queries.sig, answer.queries.sig);

      const regen = cli.run('workflow', 'regenerate-key', 'report-flow', '--key-type', 'Primary');
      assert.equal(regen.status, 0, regen.stderr);
      assert.match(regen.stdout, /^Regenerated the Primary access key of workflow report-flow/);
      const after = cli.json<CallbackUrl>('workflow', 'callback-url', 'report-flow');
      assert.notEqual(after.queries.sig, answer.queries.sig);
      assert.equal(
        cli.json<CallbackUrl>('workflow', 'callback-url', 'report-flow', '--key-type', 'Secondary').queries
          .sig,
        secondary.queries.sig,
      );
      const bad = cli.run('workflow', 'regenerate-key', 'report-flow', '--key-type', 'Tertiary');
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /--key-type takes Primary or Secondary/);
    });

    test('lists runs and shows one with its actions', async () => {
      const empty = cli.run('workflow', 'runs', 'report-flow');
      assert.equal(empty.status, 0, empty.stderr);
      assert.match(empty.stdout, /^RUN\s+STATUS\s+TRIGGER\s+START\s+END\s+ERROR$/m);
      // Runs are the engine's to write: recorded here through the store, as it records them.
      const runtime = await openRuntime({ dataDir: cli.dataDir, store: location, env: {} });
      try {
        const w = await getWorkflow(runtime.directory, 'contoso', 'report-flow');
        const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
        await createRun(runtime.directory, runRecord(w, runName(1), at(1), 'Succeeded'));
        await createRun(runtime.directory, {
          ...runRecord(w, runName(2), at(2), 'Failed'),
          error: { code: 'ActionFailed', message: 'An action failed. No dependent actions succeeded.' },
        });
      } finally {
        await runtime.close();
      }
      const runs = cli.run('workflow', 'runs', 'report-flow');
      const rows = runs.stdout.trimEnd().split('\n').slice(2);
      assert.equal(rows.length, 2);
      assert.match(
        rows[0]!,
        new RegExp(`^${runName(2)}\\s+Failed\\s+manual\\s+\\S+\\s+\\S+\\s+ActionFailed$`),
      );
      assert.match(rows[1]!, new RegExp(`^${runName(1)}\\s+Succeeded\\s+manual`));
      assert.deepEqual(
        cli
          .json<{ name: string }[]>('workflow', 'runs', 'report-flow', '--status', 'succeeded', '--top', '5')
          .map((r) => r.name),
        [runName(1)],
      );
      const badStatus = cli.run('workflow', 'runs', 'report-flow', '--status', 'Sleeping');
      assert.equal(badStatus.status, 1);
      assert.match(badStatus.stderr, /^error ERR_VALIDATION: status is one of Running, Succeeded/m);

      const shown = cli.run('workflow', 'run', 'show', 'report-flow', runName(2));
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /^STATUS\s+Failed$/m);
      assert.match(shown.stdout, /^ERROR\s+ActionFailed: An action failed\./m);
      assert.match(shown.stdout, /^ACTION\s+TYPE\s+ITERATION\s+STATUS\s+CODE\s+ERROR$/m);
      assert.match(shown.stdout, /^Call\s+Http\s+Succeeded\s+OK$/m);
      const record = cli.json<{ name: string; actions: unknown[] }>(
        'workflow',
        'run',
        'show',
        'report-flow',
        runName(1),
      );
      assert.equal(record.name, runName(1));
      assert.equal(record.actions.length, 1);
      const missing = cli.run('workflow', 'run', 'show', 'report-flow', runName(9));
      assert.match(missing.stderr, /^error ERR_NOT_FOUND: Workflow report-flow has no run/m);
      assert.match(missing.stderr, /^hint: List its runs with `lanyard workflow runs report-flow`\.$/m);
    });

    test('trigger runs the workflow in the foreground when no server runs, with the body given', () => {
      cli.json('resource', 'create', '--name', 'echo-flow', '--kind', 'workflow', '--system-identity');
      const flow = (actions: Record<string, unknown>) =>
        file(
          'echo.json',
          JSON.stringify({
            definition: {
              $schema:
                'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
              triggers: { manual: { type: 'Request', kind: 'Button', inputs: { schema: {} } } },
              actions,
            },
          }),
        );
      const reply = {
        Reply: {
          type: 'Response',
          kind: 'Http',
          inputs: { statusCode: 200, body: { hello: "@triggerBody()?['who']" } },
          runAfter: {},
        },
      };
      assert.equal(cli.run('workflow', 'set', 'echo-flow', '--file', flow(reply)).status, 0);
      const ran = cli.run('workflow', 'trigger', 'echo-flow', '--body', '{"who":"button"}');
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stdout, /^Run \d{20}CU\d\d: Succeeded$/m);
      assert.match(ran.stdout, /^Response 200: \{"hello":"button"\}$/m);
      const runs = cli.json<{ status: string }[]>('workflow', 'runs', 'echo-flow');
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'Succeeded');

      const stop = {
        Stop: {
          type: 'Terminate',
          inputs: { runStatus: 'Failed', runError: { code: 'Nope', message: 'no' } },
          runAfter: {},
        },
      };
      assert.equal(cli.run('workflow', 'set', 'echo-flow', '--file', flow(stop)).status, 0);
      const failed = cli.run('workflow', 'trigger', 'echo-flow');
      assert.equal(failed.status, 1);
      assert.match(failed.stdout, /: Failed — Nope: no$/m);
      const badBody = cli.run('workflow', 'trigger', 'echo-flow', '--body', '{nope');
      assert.match(badBody.stderr, /^error ERR_USAGE: The trigger body is not JSON/m);
      assert.equal(cli.run('workflow', 'delete', 'echo-flow').status, 0);
    });

    test('deletes the workflow and its runs', () => {
      const deleted = cli.run('workflow', 'delete', 'report-flow');
      assert.equal(deleted.status, 0, deleted.stderr);
      assert.match(deleted.stdout, /^Deleted workflow report-flow and its runs\.$/m);
      assert.deepEqual(cli.json('workflow', 'list'), []);
    });
  });
}
