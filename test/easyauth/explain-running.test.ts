/**
 * @module test/easyauth/explain-running.test
 * `lanyard explain -o json` names the upstream a running front really forwards to, and where the front
 * listens, when the serving process replaced the stored upstream (the demo starts its apps on free ports):
 * the real CLI, in its own process, against a host this test runs on the same data folder (its server.json
 * lists the fronts). Once the host has stopped it names the stored upstream again, and no front.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningFronts } from '../../src/easyauth/plane.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type RunningHost, startHost } from '../../src/host/start-host.ts';
import { createLogger } from '../../src/http/logger.ts';
import { openCli } from '../cli/lanyard.ts';

const APP_ID = 'cc334b87-fdbe-4996-aa3f-5bad192a18a6';
const STORED_UPSTREAM = 'http://127.0.0.1:7071';

const MANIFEST = `apiVersion: lanyard/v1
tenants:
  - name: contoso
    apps:
      - name: somefunction
        appId: ${APP_ID}
    resources:
      - name: runbook-automation
        kind: automation
        systemAssignedIdentity: true
      - name: somefunction
        kind: app
        easyAuth:
          upstream: ${STORED_UPSTREAM}
          identityProviders:
            azureActiveDirectory:
              registration:
                clientId: somefunction
`;

interface Verdict {
  resource: string;
  accepted: boolean;
  upstream: string;
  front?: string;
}

describe('lanyard explain: the running front’s real upstream', () => {
  const cli = openCli();
  let runtime: Runtime;
  let app: http.Server;
  let appUrl: string;
  let host: RunningHost | undefined;
  let token: string;

  before(async () => {
    const file = path.join(cli.dataDir, 'lanyard.yaml');
    fs.writeFileSync(file, MANIFEST);
    const applied = cli.run('apply', '-f', file);
    assert.equal(applied.status, 0, applied.stderr);
    app = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as net.AddressInfo).port}`;
    runtime = await openRuntime({ dataDir: cli.dataDir, env: {} });
    await runtime.keys.ensureReady();
    const tenant = await runtime.directory.getTenant('contoso');
    const workload = await runtime.workloads.issue(tenant.id, 'runbook-automation', {
      label: 'explain test',
    });
    token = (await runtime.identity.token(workload, { by: 'system' }, APP_ID, 'test')).accessToken;
  });
  after(async () => {
    await host?.close();
    await runtime?.close();
    app?.close();
    cli.cleanup();
  });

  it('names the upstream the front forwards to and its URL while it runs; the stored one after', async () => {
    host = await startHost({
      runtime,
      host: '127.0.0.1',
      port: 0,
      adminToken: `lya_${'t'.repeat(43)}`,
      logger: createLogger({ level: 'silent' }),
      settings: {
        identityPort: 0,
        easyAuthUpstream: (_tenant, name) => (name === 'somefunction' ? appUrl : undefined),
      },
    });
    const [front] = (host.planes.get('easyauth') as RunningFronts).fronts();
    assert.ok(front);

    const running = cli.json<{ verdicts: Verdict[] }>('explain', token, '--app', 'somefunction');
    assert.deepEqual(running.verdicts, [
      {
        ...running.verdicts[0],
        resource: 'somefunction',
        accepted: true,
        upstream: appUrl,
        front: front.url,
      },
    ]);
    const text = cli.run('explain', token, '--app', 'somefunction');
    assert.match(text.stdout, new RegExp(`ACCEPTED → forwarded to ${appUrl} \\(front ${front.url}\\)`));

    await host.close();
    host = undefined;
    const stopped = cli.json<{ verdicts: Verdict[] }>('explain', token, '--app', 'somefunction');
    assert.equal(stopped.verdicts[0]?.upstream, STORED_UPSTREAM);
    assert.equal(stopped.verdicts[0]?.front, undefined);
  });
});
