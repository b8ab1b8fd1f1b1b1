/**
 * Automation jobs, for real: a command started with an automation resource's identity (it asks the
 * managed-identity endpoint for a token with curl-free Node), its output as Output and Error streams with tokens
 * and the workload secret masked, and each way a job ends: Completed, Failed with the exit code, Failed for a
 * command that does not exist, Stopped past its timeout or on request (its children too), output past the limit
 * dropped and counted. The workload secret is revoked when the job ends.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type JobStatus, startJob } from '../../../src/flows/runbooks/job.ts';
import type { Runtime } from '../../../src/host/runtime.ts';
import { createLogger } from '../../../src/http/logger.ts';
import { openTestRuntime } from '../../helpers/runtime.ts';

const logger = createLogger({ level: 'silent' });
const node = process.execPath;

/** A script that gets a token for `resource` from the endpoint and prints the answer and its own secret. */
const TOKEN_SCRIPT = `
const u = new URL(process.env.IDENTITY_ENDPOINT);
u.searchParams.set('resource', process.argv[1]);
u.searchParams.set('api-version', '2019-08-01');
const r = await fetch(u, { headers: { 'X-IDENTITY-HEADER': process.env.IDENTITY_HEADER } });
console.log('status ' + r.status);
console.log(await r.text());
console.error('header ' + process.env.IDENTITY_HEADER);
`;

describe('runbook jobs', () => {
  let runtime: Runtime;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ runtime, cleanup } = await openTestRuntime('sqlite'));
    const d = runtime.directory;
    await d.createTenant({ name: 'contoso' });
    await d.createApp('contoso', { name: 'somefunction', identifierUris: ['api://somefunction'] });
    await d.createResource('contoso', { name: 'nightly', kind: 'automation', systemAssignedIdentity: true });
  });
  after(async () => cleanup?.());

  const spec = (command: string[], more: Partial<Parameters<typeof startJob>[1]> = {}) => ({
    tenant: 'contoso',
    resource: 'nightly',
    command,
    timeoutMs: 20_000,
    label: 'runbook test',
    ...more,
  });

  it('runs with the resource’s identity; tokens and the workload secret never reach the streams', async () => {
    const statuses: JobStatus[] = [];
    const job = startJob(
      runtime,
      spec([node, '--input-type=module', '-e', TOKEN_SCRIPT, 'api://somefunction']),
      {
        logger,
        onStatus: (s) => statuses.push(s),
      },
    );
    const r = await job.done;
    assert.equal(r.status, 'Completed', r.exception);
    assert.deepEqual(statuses, ['New', 'Activating', 'Running']);
    const output = r.streams.filter((s) => s.streamType === 'Output').map((s) => s.streamText);
    assert.equal(output[0], 'status 200');
    assert.match(output[1]!, /"access_token":"\*\*\*"/);
    const errors = r.streams.filter((s) => s.streamType === 'Error').map((s) => s.streamText);
    assert.deepEqual(errors, ['header ***']);
    assert.doesNotMatch(JSON.stringify(r), /eyJ[A-Za-z0-9_-]+\.eyJ/);
    const workloads = await runtime.workloads.list('contoso');
    assert.equal(
      workloads.filter((w) => w.label === 'runbook test').length,
      0,
      'the secret is revoked at the end',
    );
  });

  it('fails with the exit code, or with a clear reason when the command does not exist', async () => {
    const failed = await startJob(runtime, spec(['sh', '-c', 'echo before; exit 3']), { logger }).done;
    assert.equal(failed.status, 'Failed');
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.exception, 'The command exited with code 3.');
    assert.deepEqual(
      failed.streams.map((s) => s.streamText),
      ['before'],
    );
    const missing = await startJob(runtime, spec(['no-such-command-here']), { logger }).done;
    assert.equal(missing.status, 'Failed');
    assert.match(missing.exception ?? '', /The command no-such-command-here was not found/);
    const noIdentity = await startJob(
      runtime,
      { ...spec(['true']), resource: 'no-such-resource' },
      { logger },
    ).done;
    assert.equal(noIdentity.status, 'Failed');
    assert.match(noIdentity.exception ?? '', /could not get the identity of no-such-resource/);
  });

  it('stops a job past its timeout, and what it started too', async () => {
    const started = Date.now();
    const r = await startJob(
      runtime,
      spec(['sh', '-c', 'sleep 30 & echo child $!; wait'], { timeoutMs: 300 }),
      { logger, limits: { killGraceMs: 500 } },
    ).done;
    assert.equal(r.status, 'Stopped');
    assert.match(r.exception ?? '', /longer than its timeout/);
    assert.ok(Date.now() - started < 5_000);
    const pid = Number(/child (\d+)/.exec(r.streams[0]?.streamText ?? '')?.[1]);
    assert.ok(pid > 0);
    // The group got the signal; the orphaned sleep is reaped by init a moment later.
    // A zombie (State Z) has ended: where PID 1 does not reap orphans, it stays in the table.
    const alive = () => {
      try {
        return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(), false, 'the sleep the command started is gone too');
  });

  it('stops on request, and drops output past the limit while counting it', async () => {
    const job = startJob(runtime, spec(['sh', '-c', 'echo started; sleep 30']), {
      logger,
      onRecord: (rec) => {
        if (rec.streamText === 'started') job.stop('Stopped by lanyard runbook stop.');
      },
    });
    const stopped = await job.done;
    assert.equal(stopped.status, 'Stopped');
    assert.equal(stopped.exception, 'Stopped by lanyard runbook stop.');
    const big = await startJob(runtime, spec(['sh', '-c', 'for i in $(seq 1 200); do echo line-$i; done']), {
      logger,
      limits: { maxOutputBytes: 100 },
    }).done;
    assert.equal(big.status, 'Completed');
    assert.ok(big.streams.length > 0 && big.streams.length < 200);
    assert.ok(big.droppedBytes > 0);
  });
});
