/**
 * @module test/identity/bound-listener.test
 * The listener `lanyard run --imds` starts: bound to one workload, it answers the plain IMDS path as that
 * workload with no secret in the request (what @azure/identity 3.x sends), and nothing else — no App Service
 * path, no `/w/<secret>` path naming another workload — while every other IMDS check still holds: `Metadata:
 * true`, no proxy headers, no browser, a loopback Host, one identity of the workload's own resource, and the
 * workload's revocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type IdentityListener, startIdentityListener } from '../../src/identity/listener.ts';
import type { IssuedWorkload } from '../../src/identity/workloads.ts';
import { type IdentityEnv, openIdentityEnv, rawRequest, TENANT } from './helpers.ts';

const IMDS = '/metadata/identity/oauth2/token';
const QUERY = '?api-version=2018-02-01&resource=api%3A%2F%2Forders';

describe('IMDS listener bound to one workload (`lanyard run --imds`)', () => {
  let env: IdentityEnv;
  let workload: IssuedWorkload;
  let bound: IdentityListener;
  const request = (path: string, headers: Record<string, string> = { Metadata: 'true' }, method = 'GET') =>
    rawRequest(bound.port, { path, headers, method });

  before(async () => {
    env = await openIdentityEnv('sqlite');
    workload = await env.issue('worker');
    bound = await startIdentityListener({
      service: env.runtime.identity,
      audit: env.runtime.audit,
      port: 0,
      workloadSecret: workload.secret,
    });
  });
  after(async () => {
    await bound?.close();
    await env?.cleanup();
  });

  it('answers the plain IMDS path as its workload, with no secret sent; twice (the cached path too)', async () => {
    for (const path of [`${IMDS}${QUERY}`, `${IMDS}${QUERY}`, `${IMDS}/${QUERY}`]) {
      const reply = await request(path);
      assert.equal(reply.status, 200, `${path}: ${reply.text}`);
      const claims = await env.verify(reply.json.access_token);
      assert.equal(claims.oid, env.seed.worker.system.principalId);
      assert.equal(claims.xms_mirid, env.seed.worker.armId);
    }
    const uai = await request(`${IMDS}${QUERY}&client_id=${env.seed.uaiA.clientId}`);
    assert.equal(uai.status, 200, uai.text);
    assert.equal(uai.json.client_id, env.seed.uaiA.clientId);
  });

  it('acts as its own workload even when a request carries another workload’s secret', async () => {
    const other = await env.runtime.workloads.issue(TENANT, 'other');
    const reply = await request(`${IMDS}${QUERY}`, { Metadata: 'true', 'X-IDENTITY-HEADER': other.secret });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.client_id, env.seed.worker.system.clientId, 'the bound workload’s identity');
    const foreign = await request(`${IMDS}${QUERY}&client_id=${env.seed.uaiOther.clientId}`);
    assert.equal(foreign.status, 400, 'an identity of another resource is refused');
    assert.equal(foreign.json.error, 'invalid_request');
  });

  it('serves nothing but the plain IMDS path: App Service and /w/<secret> paths answer 404', async () => {
    const other = await env.runtime.workloads.issue(TENANT, 'other');
    for (const [path, headers] of [
      [`/msi/token?resource=api://orders&api-version=2019-08-01`, { 'X-IDENTITY-HEADER': workload.secret }],
      [`/msi/token?resource=api://orders&api-version=2019-08-01`, {}],
      [`/w/${other.secret}${IMDS}${QUERY}`, { Metadata: 'true' }],
      [`/w/${workload.secret}${IMDS}${QUERY}`, { Metadata: 'true' }],
    ] as const) {
      const reply = await request(path, headers);
      assert.equal(reply.status, 404, `${path.slice(0, 30)}: ${reply.text}`);
    }
  });

  it('still requires Metadata: true and refuses proxies, browsers and foreign Host headers', async () => {
    const cases: [Record<string, string>, number][] = [
      [{}, 400],
      [{ Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' }, 400],
      [{ Metadata: 'true', Via: '1.1 proxy' }, 400],
      [{ Metadata: 'true', Origin: 'https://evil.example' }, 403],
      [{ Metadata: 'true', Host: 'attacker.example' }, 403],
    ];
    for (const [headers, status] of cases) {
      const reply = await request(`${IMDS}${QUERY}`, headers);
      assert.equal(reply.status, status, `${JSON.stringify(headers)}: ${reply.text}`);
      assert.equal(reply.json.access_token, undefined);
    }
    const post = await request(`${IMDS}${QUERY}`, { Metadata: 'true' }, 'POST');
    assert.equal(post.status, 405);
  });

  it('refuses once its workload is revoked (the run ended, or `lanyard workload revoke`)', async () => {
    const w = await env.issue('worker');
    const listener = await startIdentityListener({
      service: env.runtime.identity,
      audit: env.runtime.audit,
      port: 0,
      workloadSecret: w.secret,
    });
    try {
      const ask = () => rawRequest(listener.port, { path: `${IMDS}${QUERY}`, headers: { Metadata: 'true' } });
      assert.equal((await ask()).status, 200);
      await env.runtime.workloads.revoke(w.id);
      const revoked = Date.now();
      let reply = await ask();
      while (reply.status === 200 && Date.now() - revoked < 3_000) {
        await new Promise((r) => setTimeout(r, 100));
        reply = await ask();
      }
      assert.equal(reply.status, 401, reply.text);
      assert.equal(reply.json.error, 'invalid_request');
    } finally {
      await listener.close();
    }
  });
});
