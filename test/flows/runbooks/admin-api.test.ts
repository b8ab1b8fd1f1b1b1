/**
 * The runbook routes of the admin API over real HTTPS: a runbook saved from JSON (unknown fields and bad
 * schedules refused), listed and shown; a job started in the server (202), read back with its masked streams;
 * a second start while one runs refused (409); a job still running when the server stops ends Stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../../host/harness.ts';

describe('runbooks in the admin API', () => {
  let t: TestServer;
  const base = '/admin/tenants/contoso/automation/nightly/runbooks';
  before(async () => {
    t = await startTestServer('sqlite');
    await t.runtime.directory.createTenant({ name: 'contoso' });
    await t.runtime.directory.createResource('contoso', {
      name: 'nightly',
      kind: 'automation',
      systemAssignedIdentity: true,
    });
  });
  after(async () => t?.cleanup());

  const waitFor = async (jobId: string, done: (status: string) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const r = await t.call('GET', `/admin/tenants/contoso/jobs/${jobId}`);
      if (done(r.json.status)) return r.json;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`job ${jobId} did not get there`);
  };

  it('saves, lists and shows a runbook; refuses unknown fields and bad schedules', async () => {
    const put = await t.call('PUT', `${base}/report`, {
      body: {
        command: ['sh', '-c', 'echo report; echo "secret $IDENTITY_HEADER" >&2'],
        schedule: '0 0 6 * * *',
      },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.schedule, '0 0 6 * * *');
    const list = await t.call('GET', '/admin/tenants/contoso/runbooks?account=nightly');
    assert.deepEqual(
      list.json.map((r: { name: string }) => r.name),
      ['report'],
    );
    assert.equal((await t.call('GET', `${base}/report`)).json.command[0], 'sh');
    const unknown = await t.call('PUT', `${base}/x`, { body: { command: ['true'], comand: ['typo'] } });
    assert.equal(unknown.status, 400);
    const badCron = await t.call('PUT', `${base}/x`, { body: { command: ['true'], schedule: '* * * * *' } });
    assert.equal(badCron.status, 400);
    assert.equal(badCron.json.error.code, 'ERR_FLOW_SCHEDULE');
  });

  it('starts a job in the server and records its masked streams', async () => {
    const started = await t.call('POST', `${base}/report/start`);
    assert.equal(started.status, 202, started.text);
    assert.equal(started.json.status, 'New');
    const job = await waitFor(started.json.id, (s) => s === 'Completed' || s === 'Failed');
    assert.equal(job.status, 'Completed');
    assert.deepEqual(
      job.streams.map((s: { streamType: string; streamText: string }) => `${s.streamType}: ${s.streamText}`),
      ['Output: report', 'Error: secret ***'],
    );
    const jobs = await t.call('GET', `${base}/report/jobs`);
    assert.equal(jobs.json[0].id, started.json.id);
  });

  it('refuses a second job while one runs, and stops a running job when the server stops', async () => {
    await t.call('PUT', `${base}/long`, { body: { command: ['sleep', '30'] } });
    const first = await t.call('POST', `${base}/long/start`);
    assert.equal(first.status, 202);
    await waitFor(first.json.id, (s) => s === 'Running');
    const second = await t.call('POST', `${base}/long/start`);
    assert.equal(second.status, 409);
    assert.equal(second.json.error.code, 'ERR_FLOW_JOB_RUNNING');
    t = await t.restart();
    const after = await t.call('GET', `/admin/tenants/contoso/jobs/${first.json.id}`);
    assert.equal(after.json.status, 'Stopped');
    assert.match(after.json.exception, /Lanyard stopped/);
  });
});
