/**
 * Workflows running in a real server, on both stores: a Request trigger called at its signed callback URL, an
 * Http action with the workflow's managed identity reaching a real backend (which sees a token for its own
 * audience, issued to the workflow's identity), the Response handed back to the caller, and the run recorded
 * with no token in it; 202 without a Response; 502 NoResponse when the run ends first; a wrong signature, a
 * disabled workflow and an audience no app answers to each refused or failed with the reason; a Recurrence
 * trigger firing on its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { STORE_KINDS } from '../../helpers/stores.ts';
import { startTestServer, type TestServer, within } from '../../host/harness.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');

interface Seen {
  authorization: string | undefined;
  path: string;
  workflowId: string | undefined;
}

function payload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

for (const kind of STORE_KINDS) {
  describe(`workflows running in the server (${kind})`, () => {
    let t: TestServer;
    let backend: http.Server;
    let backendUrl: string;
    let agent: Agent;
    const seen: Seen[] = [];
    let appId: string;
    let identityClientId: string;

    before(async () => {
      t = await startTestServer(kind);
      agent = new Agent({ connect: { ca: t.ca } });
      backend = http.createServer((req, res) => {
        seen.push({
          authorization: req.headers.authorization,
          path: req.url ?? '',
          workflowId: req.headers['x-ms-workflow-id'] as string | undefined,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ vms: ['build-agent', 'test-runner'] }));
      });
      await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
      backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
      const d = t.runtime.directory;
      await d.createTenant({ name: 'contoso' });
      const app = await d.createApp('contoso', { name: 'reporter', identifierUris: ['api://reporter'] });
      appId = app.appId;
      const wf = await d.createResource('contoso', {
        name: 'vm-flow',
        kind: 'workflow',
        systemAssignedIdentity: true,
      });
      identityClientId = wf.systemAssignedIdentity!.clientId;
    });
    after(async () => {
      await agent?.close();
      await new Promise((r) => backend?.close(r));
      await t?.cleanup();
    });

    const definition = (actions: Record<string, unknown>, triggers?: Record<string, unknown>) => ({
      definition: {
        $schema:
          'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#',
        contentVersion: '1.0.0.0',
        triggers: triggers ?? { manual: { type: 'Request', kind: 'Http', inputs: { schema: {} } } },
        actions,
      },
    });

    const callbackUrl = async (name = 'vm-flow') => {
      const r = await t.call(
        'POST',
        `/admin/tenants/contoso/workflows/${name}/triggers/manual/listCallbackUrl`,
      );
      assert.equal(r.status, 200, r.text);
      return new URL(r.json.value as string);
    };

    const post = async (url: URL, body: unknown) => {
      const res = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      return {
        status: res.statusCode,
        headers: res.headers,
        text,
        json: text ? JSON.parse(text) : undefined,
      };
    };

    it('runs the button flow: callback URL → Http with the workflow’s identity → Response; the run is recorded without the token', async () => {
      const put = await t.call('PUT', '/admin/tenants/contoso/workflows/vm-flow', {
        body: definition({
          List_VMs: {
            type: 'Http',
            inputs: {
              method: 'GET',
              uri: `${backendUrl}/api/vms`,
              queries: { rg: "@triggerBody()?['group']" },
              authentication: { type: 'ManagedServiceIdentity', audience: 'api://reporter' },
            },
            runAfter: {},
          },
          Reply: {
            type: 'Response',
            kind: 'Http',
            inputs: { statusCode: 200, body: { vms: "@body('List_VMs')?['vms']" } },
            runAfter: { List_VMs: ['Succeeded'] },
          },
        }),
      });
      assert.equal(put.status, 200, put.text);
      const url = await callbackUrl();
      const answer = await post(url, { group: 'rg1' });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, { vms: ['build-agent', 'test-runner'] });
      const runId = answer.headers['x-ms-workflow-run-id'] as string;
      assert.match(runId, /^\d{20}CU\d{2}$/);

      const call = seen.at(-1)!;
      assert.equal(call.path, '/api/vms?rg=rg1');
      const token = call.authorization!.replace(/^Bearer /, '');
      const claims = payload(token);
      // A v1 token's audience is the resource as asked for (Entra's behaviour); the app is the one it names.
      assert.equal(claims.aud, 'api://reporter');
      assert.ok(appId);
      assert.equal(claims.appid, identityClientId);

      const run = await within(5_000, async () => {
        const r = await t.call('GET', `/admin/tenants/contoso/workflows/vm-flow/runs/${runId}`);
        return r.json?.status === 'Succeeded';
      });
      assert.ok(run >= 0);
      const record = await t.call('GET', `/admin/tenants/contoso/workflows/vm-flow/runs/${runId}`);
      const text = JSON.stringify(record.json);
      assert.ok(!text.includes(token), 'the token is in the run record');
      const listVms = record.json.actions.find((a: { name: string }) => a.name === 'List_VMs');
      assert.equal(listVms.status, 'Succeeded');
      assert.equal(listVms.code, 'OK');
      assert.deepEqual(listVms.inputs.authentication, {
        type: 'ManagedServiceIdentity',
        audience: 'api://reporter',
      });
      assert.deepEqual(listVms.outputs.body, { vms: ['build-agent', 'test-runner'] });
      assert.ok(call.workflowId && /^[0-9a-f]{32}$/.test(call.workflowId));
    });

    it('fires a trigger through the admin API, waiting for the Response or not', async () => {
      const waited = await t.call(
        'POST',
        '/admin/tenants/contoso/workflows/vm-flow/triggers/manual/run?wait=true',
        {
          body: { body: { group: 'rg2' } },
        },
      );
      assert.equal(waited.status, 200, waited.text);
      assert.equal(waited.json.outcome, 'answered');
      assert.deepEqual(waited.json.response.body, { vms: ['build-agent', 'test-runner'] });
      assert.equal(seen.at(-1)!.path, '/api/vms?rg=rg2');
      const queued = await t.call('POST', '/admin/tenants/contoso/workflows/vm-flow/triggers/manual/run');
      assert.equal(queued.status, 202);
      assert.equal(queued.json.outcome, 'accepted');
      assert.equal(queued.json.run.status, 'Running');
      const unknown = await t.call('POST', '/admin/tenants/contoso/workflows/vm-flow/triggers/nope/run');
      assert.equal(unknown.status, 404);
    });

    it('lanyard workflow trigger presses the button at the callback URL of the running server', async () => {
      const before = seen.length;
      const { stdout } = await run(
        process.execPath,
        [
          'bin/lanyard.js',
          '--data-dir',
          t.dataDir,
          '--store',
          t.location,
          '--tenant',
          'contoso',
          'workflow',
          'trigger',
          'vm-flow',
          '--body',
          '{"group":"rg3"}',
        ],
        { cwd: ROOT, env: { ...process.env, LANYARD_DATA_DIR: t.dataDir } },
      );
      assert.match(stdout, /^200 — run \d{20}CU\d\d$/m);
      assert.match(stdout, /"vms":\["build-agent","test-runner"\]/);
      assert.equal(seen.length, before + 1);
      assert.equal(seen.at(-1)!.path, '/api/vms?rg=rg3');
    });

    it('refuses a wrong signature and a disabled workflow with the reason', async () => {
      const url = await callbackUrl();
      url.searchParams.set('sig', 'A'.repeat(43));
      const bad = await post(url, {});
      assert.equal(bad.status, 401);
      assert.equal(bad.json.error.code, 'DirectApiInvalidAuthorizationSignature');
      assert.match(bad.json.error.message, /lanyard workflow callback-url vm-flow/);
      url.searchParams.delete('sig');
      assert.equal((await post(url, {})).json.error.code, 'DirectApiAuthorizationRequired');
      const refused = await t.runtime.audit.list({ plane: 'flows', action: 'callback.refuse' });
      assert.deepEqual(refused.map((e) => e.reason).sort(), ['missing-signature', 'wrong-signature']);
      const ran = await t.runtime.audit.list({ plane: 'flows', action: 'workflow.run' });
      assert.ok(ran.some((e) => e.outcome === 'success' && e.target === 'workflow:vm-flow'));

      assert.equal((await t.call('POST', '/admin/tenants/contoso/workflows/vm-flow/disable')).status, 200);
      const off = await post(await callbackUrl(), {});
      assert.equal(off.status, 409);
      assert.match(off.json.error.message, /lanyard workflow enable vm-flow/);
      assert.equal((await t.call('POST', '/admin/tenants/contoso/workflows/vm-flow/enable')).status, 200);
    });

    it('answers 202 with the run id when there is no Response, and 502 NoResponse when the run ends first', async () => {
      await t.call('PUT', '/admin/tenants/contoso/workflows/vm-flow', {
        body: definition({ Note: { type: 'Compose', inputs: 'noted', runAfter: {} } }),
      });
      const accepted = await post(await callbackUrl(), {});
      assert.equal(accepted.status, 202);
      assert.equal(accepted.text, '');
      assert.match(accepted.headers['x-ms-workflow-run-id'] as string, /CU\d\d$/);

      await t.call('PUT', '/admin/tenants/contoso/workflows/vm-flow', {
        body: definition({
          Stop: {
            type: 'Terminate',
            inputs: { runStatus: 'Failed', runError: { code: 'Nope' } },
            runAfter: {},
          },
          Reply: {
            type: 'Response',
            kind: 'Http',
            inputs: { statusCode: 200 },
            runAfter: { Stop: ['Succeeded'] },
          },
        }),
      });
      const none = await post(await callbackUrl(), {});
      assert.equal(none.status, 502);
      assert.equal(none.json.error.code, 'NoResponse');
      assert.match(none.json.error.message, /ended Failed before any Response action ran/);
    });

    it('fails an Http action whose audience no app answers to, saying why', async () => {
      await t.call('PUT', '/admin/tenants/contoso/workflows/vm-flow', {
        body: definition({
          Call: {
            type: 'Http',
            inputs: {
              method: 'GET',
              uri: `${backendUrl}/x`,
              authentication: { type: 'ManagedServiceIdentity', audience: 'api://nobody' },
              retryPolicy: { type: 'none' },
            },
            runAfter: {},
          },
          Reply: {
            type: 'Response',
            kind: 'Http',
            inputs: { statusCode: 200 },
            runAfter: { Call: ['Succeeded'] },
          },
        }),
      });
      const r = await post(await callbackUrl(), {});
      assert.equal(r.status, 502);
      const runId = r.headers['x-ms-workflow-run-id'] as string;
      const record = await t.call('GET', `/admin/tenants/contoso/workflows/vm-flow/runs/${runId}`);
      const call = record.json.actions.find((a: { name: string }) => a.name === 'Call');
      assert.equal(call.status, 'Failed');
      assert.match(call.error.message, /api:\/\/nobody/);
    });

    it('fires a Recurrence trigger on its own', async () => {
      await t.runtime.directory.createResource('contoso', {
        name: 'ticker',
        kind: 'workflow',
        systemAssignedIdentity: true,
      });
      const put = await t.call('PUT', '/admin/tenants/contoso/workflows/ticker', {
        body: definition(
          { Tick: { type: 'Compose', inputs: "@trigger()?['scheduledTime']", runAfter: {} } },
          { Every_second: { type: 'Recurrence', recurrence: { frequency: 'Second', interval: 1 } } },
        ),
      });
      assert.equal(put.status, 200, put.text);
      await within(10_000, async () => {
        const r = await t.call('GET', '/admin/tenants/contoso/workflows/ticker/runs');
        return (
          Array.isArray(r.json) &&
          r.json.filter((x: { status: string }) => x.status === 'Succeeded').length >= 2
        );
      });
      const runs = (await t.call('GET', '/admin/tenants/contoso/workflows/ticker/runs')).json;
      assert.ok(runs.length >= 2, JSON.stringify(runs));
      assert.ok(runs[0].trigger.scheduledTime, 'a recurrence run records its scheduled time');
      assert.ok(runs[0].startTime >= runs[1].startTime, 'newest first');
      await t.call('POST', '/admin/tenants/contoso/workflows/ticker/disable');
    });
  });
}
