/**
 * The vault plane's admin API over real HTTPS: a vault's settings (read, patch), a secret set from a JSON body
 * and read back as metadata only, its attributes patched, its versions listed; delete, the deleted secret
 * shown, recovered and purged; bad bodies and vaults refused with Lanyard's errors. Every call is audited as
 * `admin`, and the value is in no answer, no audit row and no log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../host/harness.ts';

const VALUE = 'admin-secret-Hq5t3';
const NEXT = 'admin-secret-Lb8w1';

describe('vault admin API', () => {
  let t: TestServer;
  /** Every answer's text: no value may be in any of them. */
  const answers: string[] = [];
  const call = async (...args: Parameters<TestServer['call']>) => {
    const r = await t.call(...args);
    answers.push(r.text);
    return r;
  };

  before(async () => {
    t = await startTestServer('sqlite');
    const d = t.runtime.directory;
    await d.createTenant({ name: 'contoso' });
    await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
    await d.createResource('contoso', { name: 'fn', kind: 'app' });
  });
  after(() => t?.cleanup());

  const base = '/admin/tenants/contoso/vaults/kv1';

  it("reads and patches a vault's settings", async () => {
    const shown = await call('GET', base);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.name, 'kv1');
    assert.match(shown.json.url, /^https:\/\/kv1\.vault\.localhost:\d+$/);
    assert.deepEqual(
      [shown.json.softDelete, shown.json.retentionDays, shown.json.purgeProtection],
      [true, 90, false],
    );
    const patched = await call('PATCH', base, { body: { retentionDays: 30 } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.recoveryLevel, 'CustomizedRecoverable+Purgeable');
    const bad = await call('PATCH', base, { body: { retentionDays: 3 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'ERR_VAULT_BAD_PARAMETER');
    assert.equal(bad.json.error.details.field, 'retentionDays');
    const unknown = await call('PATCH', base, { body: { retention: 30 } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.code, 'ERR_VALIDATION');
    const app = await call('GET', '/admin/tenants/contoso/vaults/fn');
    assert.equal(app.status, 400);
    assert.match(app.json.error.message, /of kind app/);
    assert.equal((await call('GET', '/admin/tenants/contoso/vaults/nope')).status, 404);
  });

  it('sets a secret from a JSON body and reads back metadata only', async () => {
    const set = await call('PUT', `${base}/secrets/app-secret`, {
      body: { value: VALUE, contentType: 'text/plain', tags: { owner: 'flows' } },
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.name, 'app-secret');
    assert.equal(set.json.value, undefined);
    const first = set.json.version as string;
    const next = await call('PUT', `${base}/secrets/app-secret`, { body: { value: NEXT } });
    assert.equal(next.status, 200, next.text);

    const listed = await call('GET', `${base}/secrets`);
    assert.deepEqual(
      listed.json.map((s: { name: string; version: string }) => [s.name, s.version]),
      [['app-secret', next.json.version]],
    );
    const shown = await call('GET', `${base}/secrets/app-secret?version=${first}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.json.contentType, 'text/plain');
    assert.equal('value' in shown.json, false);
    const versions = await call('GET', `${base}/secrets/app-secret/versions`);
    assert.equal(versions.json.length, 2);
    const patched = await call('PATCH', `${base}/secrets/app-secret?version=${first}`, {
      body: { enabled: false, exp: 1_900_000_000 },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.version, first);
    assert.equal(patched.json.attributes.enabled, false);
    assert.equal(patched.json.attributes.exp, 1_900_000_000);

    const noValue = await call('PUT', `${base}/secrets/other`, { body: { contentType: 'x' } });
    assert.equal(noValue.status, 400);
    assert.equal(noValue.json.error.code, 'ERR_VALIDATION');
    const typo = await call('PUT', `${base}/secrets/other`, { body: { value: 'v', contenttype: 'x' } });
    assert.equal(typo.status, 400);
    const big = await call('PUT', `${base}/secrets/other`, { body: { value: 'x'.repeat(25 * 1024 + 1) } });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'ERR_VAULT_VALUE_TOO_LARGE');
    const badName = await call('PUT', `${base}/secrets/bad_name`, { body: { value: 'v' } });
    assert.equal(badName.status, 400);
    assert.equal(badName.json.error.code, 'ERR_VAULT_BAD_PARAMETER');
    assert.equal((await call('GET', `${base}/secrets/app-secret?nope=1`)).status, 400);
  });

  it('deletes, shows the deleted secret, recovers and purges', async () => {
    const deleted = await call('DELETE', `${base}/secrets/app-secret`);
    assert.equal(deleted.status, 200, deleted.text);
    assert.ok(deleted.json.scheduledPurgeDate > deleted.json.deletedDate);
    assert.equal((await call('GET', `${base}/secrets/app-secret`)).status, 404);
    const listed = await call('GET', `${base}/deletedsecrets`);
    assert.deepEqual(
      listed.json.map((s: { name: string }) => s.name),
      ['app-secret'],
    );
    const shown = await call('GET', `${base}/deletedsecrets/app-secret`);
    assert.equal(shown.status, 200, shown.text);
    const recovered = await call('POST', `${base}/deletedsecrets/app-secret/recover`);
    assert.equal(recovered.status, 200, recovered.text);
    assert.equal((await call('GET', `${base}/secrets/app-secret`)).status, 200);

    assert.equal((await call('DELETE', `${base}/secrets/app-secret`)).status, 200);
    const purged = await call('DELETE', `${base}/deletedsecrets/app-secret`);
    assert.equal(purged.status, 204, purged.text);
    const gone = await call('GET', `${base}/deletedsecrets/app-secret`);
    assert.equal(gone.status, 404);
    assert.equal(gone.json.error.code, 'ERR_VAULT_DELETED_SECRET_NOT_FOUND');
  });

  it('audits every call as admin; no value in any answer, audit row or log line', async () => {
    const events = await t.runtime.audit.list({ plane: 'vault', limit: 500 });
    assert.ok(events.length > 10);
    assert.ok(events.every((e) => e.actor === 'admin'));
    const actions = new Set(events.map((e) => `${e.action}:${e.outcome}`));
    for (const a of [
      'vault.update:success',
      'vault.update:failure',
      'secret.set:success',
      'secret.set:failure',
      'secret.list:success',
      'secret.show:success',
      'secret.show:failure',
      'secret.versions:success',
      'secret.update:success',
      'secret.delete:success',
      'secret.list-deleted:success',
      'secret.get-deleted:success',
      'secret.recover:success',
      'secret.purge:success',
    ]) {
      assert.ok(actions.has(a), `${a} in ${[...actions].join(', ')}`);
    }
    const set = events.find((e) => e.action === 'secret.set' && e.outcome === 'success');
    assert.match(set!.target!, /^kv1\/app-secret\/[0-9a-f]{32}$/);
    const refused = events.find((e) => e.action === 'secret.set' && e.outcome === 'failure');
    assert.ok(refused?.reason?.startsWith('ERR_'));
    for (const v of [VALUE, NEXT]) {
      assert.ok(!JSON.stringify(events).includes(v), 'audit rows');
      assert.ok(!t.logs.join('\n').includes(v), 'log lines');
      assert.ok(!answers.join('\n').includes(v), 'answers');
    }
  });
});
