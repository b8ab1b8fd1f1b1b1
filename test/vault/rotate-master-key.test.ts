/**
 * `lanyard vault rotate-master-key`, on every store kind:
 * - run as its own process while a server on the same data folder keeps serving: every sealed record (vault
 *   secret versions, signing keys, the CA key, the secret-hash key, gateway named values and subscription keys,
 *   workflow access keys) ends under the new key; the server keeps issuing tokens for a client secret made
 *   before, reads records under the new key and seals under it once it has looked at master.key again; a
 *   restart reads everything; `--forget-retired` leaves master.key with the new key alone, and that is enough.
 * - killed with SIGKILL midway: master.key holds both keys, every secret opens, a rerun finishes the rotation
 *   to the same key instead of making another.
 * - with LANYARD_MASTER_KEY: no key is made; with the new key and the old in LANYARD_MASTER_KEY_PREVIOUS,
 *   everything is re-wrapped, and then the new key alone opens it all.
 * - a store from before the hash key was stored: the hashes made under the key derived from the master key
 *   keep verifying, through a rotation too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMasterKey, loadKeyring, masterKeyPath } from '../../src/crypto/master-key.ts';
import { putWorkflow, workflowAccessKeys } from '../../src/flows/workflows/store.ts';
import * as gateway from '../../src/gateway/service.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { type AnyStoreDb, tablesOf } from '../../src/store/handle.ts';
import { rotateMasterKey } from '../../src/vault/rotate.ts';
import { getSecret, resolveVault, setSecret, type VaultRef } from '../../src/vault/store.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { postForm, seedDirectory } from '../issuer/helpers.ts';
import { code } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The real CLI as its own process; `onStderr` sees the output so far and may kill it. */
function lanyard(
  dataDir: string,
  store: string,
  args: readonly string[],
  onStderr?: (text: string, kill: () => void) => void,
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, LANYARD_DATA_DIR: dataDir };
  for (const name of ['LANYARD_STORE', 'LANYARD_TENANT', 'LANYARD_MASTER_KEY', 'LANYARD_MASTER_KEY_PREVIOUS'])
    delete env[name];
  const child = spawn(process.execPath, ['bin/lanyard.js', '--store', store, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onStderr?.(stderr, () => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

interface SealedTables {
  sealed_keys: { key_sealed: string };
  signing_keys: { private_key_sealed: string };
  vault_secret_versions: { name_key: string; value_sealed: string };
  gateway_named_values: { value_sealed: string | null };
  gateway_subscriptions: { primary_key_sealed: string; secondary_key_sealed: string };
  flow_workflows: { primary_key_sealed: string; secondary_key_sealed: string };
}

/** A workflow to save (its access keys are sealed): a Request trigger answered by a Response. */
const WORKFLOW = {
  triggers: { manual: { type: 'Request', kind: 'Http' } },
  actions: { Reply: { type: 'Response', inputs: { statusCode: 200 } } },
};

const keyIdOf = (sealed: string) => sealed.split('.')[1]!;

/** The master key id of every sealed record, by place, read raw from the store and the CA key file. */
async function sealedKeyIds(runtime: Runtime): Promise<Record<string, string[]>> {
  const t = tablesOf<SealedTables>(runtime.store.db as AnyStoreDb);
  const caKey = path.join(runtime.dataDir, 'ca', 'ca.key');
  return {
    sealed_keys: (await t.selectFrom('sealed_keys').select('key_sealed').execute()).map((r) =>
      keyIdOf(r.key_sealed),
    ),
    signing_keys: (await t.selectFrom('signing_keys').select('private_key_sealed').execute()).map((r) =>
      keyIdOf(r.private_key_sealed),
    ),
    vault_secret_versions: (await t.selectFrom('vault_secret_versions').select('value_sealed').execute()).map(
      (r) => keyIdOf(r.value_sealed),
    ),
    gateway_named_values: (await t.selectFrom('gateway_named_values').select('value_sealed').execute())
      .filter((r) => r.value_sealed !== null)
      .map((r) => keyIdOf(r.value_sealed!)),
    gateway_subscriptions: (
      await t
        .selectFrom('gateway_subscriptions')
        .select(['primary_key_sealed', 'secondary_key_sealed'])
        .execute()
    ).flatMap((r) => [keyIdOf(r.primary_key_sealed), keyIdOf(r.secondary_key_sealed)]),
    flow_workflows: (
      await t.selectFrom('flow_workflows').select(['primary_key_sealed', 'secondary_key_sealed']).execute()
    ).flatMap((r) => [keyIdOf(r.primary_key_sealed), keyIdOf(r.secondary_key_sealed)]),
    'ca/ca.key': fs.existsSync(caKey) ? [keyIdOf(fs.readFileSync(caKey, 'utf8').trim())] : [],
  };
}

function assertAllUnder(ids: Record<string, string[]>, keyId: string, places: readonly string[]): void {
  for (const place of places) assert.ok((ids[place] ?? []).length > 0, `${place} holds sealed records`);
  for (const [place, list] of Object.entries(ids)) {
    assert.deepEqual(new Set(list), list.length ? new Set([keyId]) : new Set(), `${place} under ${keyId}`);
  }
}

const keyringIds = (dataDir: string) => {
  const ring = loadKeyring({ dataDir, env: {} });
  return [ring.current.id, ...(ring.previous ?? []).map((k) => k.id)];
};

async function readAll(
  runtime: Runtime,
  vault: VaultRef,
  values: ReadonlyMap<string, string>,
): Promise<void> {
  for (const [name, value] of values) {
    assert.equal((await getSecret(runtime.directory, vault, name)).value, value, name);
  }
}

for (const kind of STORE_KINDS) {
  describe(`lanyard vault rotate-master-key (${kind})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it('re-wraps everything in another process while the server keeps serving, which follows the new key', async () => {
      let server: TestServer = await startTestServer(kind);
      cleanups.push(() => server.cleanup());
      const rt = server.runtime;
      const s = await seedDirectory(rt);
      const token = async (t: TestServer) =>
        (
          await postForm(t, `/${s.tenantId}/oauth2/v2.0/token`, {
            grant_type: 'client_credentials',
            client_id: s.client.appId,
            client_secret: s.client.secret,
            scope: 'api://orders/.default',
          })
        ).status;
      assert.equal(await token(server), 200);

      await rt.directory.createResource('contoso', { name: 'kv1', kind: 'vault' });
      const vault = await resolveVault(rt.directory, 'contoso', 'kv1');
      const values = new Map<string, string>();
      for (let i = 0; i < 5; i++) {
        values.set(`s${i}`, `value-${i}`);
        await setSecret(rt.directory, vault, `s${i}`, { value: `value-${i}` });
      }
      await rt.directory.createResource('contoso', { name: 'gw1', kind: 'gateway' });
      await gateway.createGateway(rt.directory, 'contoso', 'gw1');
      const sub = await gateway.createSubscription(rt.directory, 'contoso', 'gw1', {
        name: 'sub1',
        scope: 'all',
      });
      await gateway.setNamedValue(rt.directory, 'contoso', 'gw1', 'nv1', {
        value: 'named-secret',
        secret: true,
      });
      await rt.directory.createResource('contoso', {
        name: 'wf1',
        kind: 'workflow',
        systemAssignedIdentity: true,
      });
      await putWorkflow(rt.directory, 'contoso', 'wf1', { definition: WORKFLOW }, rt.envelope);
      const workflowKeys = await workflowAccessKeys(rt.directory, rt.envelope, 'contoso', 'wf1');

      const oldId = rt.masterKey.id;
      const everywhere = Object.keys(await sealedKeyIds(rt));
      assertAllUnder(await sealedKeyIds(rt), oldId, everywhere);
      const oldKeyText = fs.readFileSync(masterKeyPath(server.dataDir), 'utf8').trim();

      // Token requests go on while another process rotates.
      let stop = false;
      const statuses: number[] = [];
      const traffic = (async () => {
        while (!stop) {
          statuses.push(await token(server));
          await sleep(50);
        }
      })();
      const run = await lanyard(server.dataDir, server.location, [
        'vault',
        'rotate-master-key',
        '-o',
        'json',
      ]);
      stop = true;
      await traffic;
      assert.equal(run.status, 0, run.stderr);
      assert.ok(statuses.length > 5 && statuses.every((st) => st === 200), statuses.join(' '));

      const result = JSON.parse(run.stdout);
      assert.equal(result.mode, 'new-key');
      assert.equal(result.replaced, oldId);
      const newId: string = result.keyId;
      assert.notEqual(newId, oldId);
      assert.match(run.stderr, new RegExp(`New master key ${newId}; ${oldId} is kept as a retired key`));
      assert.match(run.stderr, /vault_secret_versions: 5 scanned, 5 re-wrapped/);
      assert.match(run.stderr, /signing_keys: 1 scanned, 1 re-wrapped/);
      assert.match(run.stderr, /ca\/ca\.key: 1 scanned, 1 re-wrapped/);
      assert.match(run.stderr, /flow_workflows: 1 scanned, 1 re-wrapped/);
      const keyText = fs.readFileSync(masterKeyPath(server.dataDir), 'utf8');
      for (const line of keyText.split('\n').filter((l) => l && !l.startsWith('#'))) {
        assert.ok(!run.stdout.includes(line) && !run.stderr.includes(line), 'no key material is printed');
      }
      assert.ok(keyText.includes(oldKeyText));
      assert.deepEqual(keyringIds(server.dataDir), [newId, oldId]);
      assertAllUnder(await sealedKeyIds(rt), newId, everywhere);
      assert.equal(fs.existsSync(path.join(server.dataDir, 'master.key.lock')), false);

      // The running server seals under the new key: a seal looks at master.key again when a second has passed.
      await setSecret(rt.directory, vault, 'later', { value: 'sealed after' });
      values.set('later', 'sealed after');
      assertAllUnder(await sealedKeyIds(rt), newId, everywhere);
      // The client secret made before still authenticates; records re-wrapped under the new key open.
      assert.equal(await token(server), 200);
      await readAll(rt, vault, values);
      const keys = await gateway.subscriptionKeys(rt.directory, 'contoso', 'gw1', 'sub1');
      assert.equal(keys.primaryKey, sub.primaryKey);

      const [event] = await rt.audit.list({ plane: 'vault', action: 'master-key.rotate' });
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.target, newId);
      assert.equal(event?.details?.replaced, oldId);

      // A new process on the folder: tokens (signing key, hash key), secrets, gateway keys, the CA.
      server = await server.restart();
      assert.equal(await token(server), 200);
      await readAll(server.runtime, vault, values);
      assert.equal(
        (await gateway.subscriptionKeys(server.runtime.directory, 'contoso', 'gw1', 'sub1')).secondaryKey,
        sub.secondaryKey,
      );
      // Workflow access keys are the same keys: callback URLs signed before keep working.
      assert.deepEqual(
        await workflowAccessKeys(server.runtime.directory, server.runtime.envelope, 'contoso', 'wf1'),
        workflowKeys,
      );

      // The clean-up: no new key, the retired one out of master.key; the new key alone opens everything.
      const forget = await lanyard(server.dataDir, server.location, [
        'vault',
        'rotate-master-key',
        '--forget-retired',
        '-o',
        'json',
      ]);
      assert.equal(forget.status, 0, forget.stderr);
      assert.deepEqual(
        [
          JSON.parse(forget.stdout).mode,
          JSON.parse(forget.stdout).keyId,
          JSON.parse(forget.stdout).forgotRetired,
        ],
        ['nothing-to-do', newId, true],
      );
      assert.deepEqual(keyringIds(server.dataDir), [newId]);
      server = await server.restart();
      assert.equal(await token(server), 200);
      await readAll(server.runtime, vault, values);
    });

    it('killed with SIGKILL midway: every secret opens with the keyring on disk, and a rerun finishes', async () => {
      const dataDir = tempDir('lanyard-rotate-');
      const { location, drop } = testLocation(kind, dataDir);
      let rt: Runtime | undefined = await openRuntime({ dataDir, store: location, env: {} });
      cleanups.push(async () => {
        await rt?.close();
        await drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      await rt.directory.createTenant({ name: 'contoso' });
      await rt.directory.createResource('contoso', { name: 'kv1', kind: 'vault' });
      const vault = await resolveVault(rt.directory, 'contoso', 'kv1');
      const values = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        values.set(`s${i}`, `value-${i}`);
        await setSecret(rt.directory, vault, `s${i}`, { value: `value-${i}` });
      }
      const oldId = rt.masterKey.id;
      await rt.close();
      rt = undefined;

      let killedAt = 0;
      const killed = await lanyard(
        dataDir,
        location,
        ['vault', 'rotate-master-key', '--batch-size', '2', '--pause', '100'],
        (text, kill) => {
          const seen = [...text.matchAll(/vault_secret_versions: (\d+) scanned/g)].map((m) => Number(m[1]));
          const last = seen.at(-1) ?? 0;
          if (last >= 10 && killedAt === 0) {
            killedAt = last;
            kill();
          }
        },
      );
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const [newId = '', ...retired] = keyringIds(dataDir);
      assert.notEqual(newId, oldId);
      assert.deepEqual(retired, [oldId]);

      rt = await openRuntime({ dataDir, store: location, env: {} });
      const midway = (await sealedKeyIds(rt)).vault_secret_versions!;
      assert.ok(
        midway.filter((id) => id === newId).length >= killedAt,
        `${killedAt} re-wrapped before the kill`,
      );
      assert.ok(
        midway.some((id) => id === oldId),
        'some still under the old key',
      );
      await readAll(rt, vault, values);
      await rt.close();
      rt = undefined;

      // The lock the killed run left is taken over; the rotation to the same key is finished.
      assert.ok(fs.existsSync(path.join(dataDir, 'master.key.lock')));
      const rerun = await lanyard(dataDir, location, ['vault', 'rotate-master-key']);
      assert.equal(rerun.status, 0, rerun.stderr);
      assert.match(
        rerun.stderr,
        new RegExp(`Finishing the rotation to ${newId}: \\d+ records are still under other keys`),
      );
      assert.match(
        rerun.stdout,
        new RegExp(`Master key ${newId}: \\d+ records? re-wrapped, none left under another key`),
      );
      assert.deepEqual(keyringIds(dataDir), [newId, oldId]);
      rt = await openRuntime({ dataDir, store: location, env: {} });
      assertAllUnder(await sealedKeyIds(rt), newId, ['vault_secret_versions', 'sealed_keys']);
      await readAll(rt, vault, values);
    });

    it('with LANYARD_MASTER_KEY: makes no key; re-wraps to a new one given with the old in LANYARD_MASTER_KEY_PREVIOUS', async () => {
      const dataDir = tempDir('lanyard-rotate-env-');
      const { location, drop } = testLocation(kind, dataDir);
      const [k1, k2] = [generateMasterKey(), generateMasterKey()];
      const open = (env: Record<string, string>) => openRuntime({ dataDir, store: location, env });
      let rt: Runtime | undefined = await open({ LANYARD_MASTER_KEY: k1.key.toString('base64') });
      cleanups.push(async () => {
        await rt?.close();
        await drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      const d = rt.directory;
      await d.createTenant({ name: 'contoso' });
      const app = await d.createApp('contoso', { name: 'caller' });
      const { secretText } = await d.addClientSecret('contoso', 'caller', { displayName: 'before' });
      await rt.keys.ensureReady();
      await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
      const vault = await resolveVault(d, 'contoso', 'kv1');
      const values = new Map([
        ['a', 'alpha'],
        ['b', 'beta'],
      ]);
      for (const [name, value] of values) await setSecret(d, vault, name, { value });
      await assert.rejects(rotateMasterKey(rt), code('ERR_USAGE'));
      await assert.rejects(rotateMasterKey(rt, { forgetRetired: true }), code('ERR_USAGE'));
      await rt.close();

      rt = await open({
        LANYARD_MASTER_KEY: k2.key.toString('hex'),
        LANYARD_MASTER_KEY_PREVIOUS: k1.key.toString('base64'),
      });
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, secretText)).ok, true);
      await readAll(rt, vault, values);
      const result = await rotateMasterKey(rt, { batchSize: 1 });
      assert.equal(result.mode, 'resume');
      assert.equal(result.keyId, k2.id);
      assert.equal(result.rewrapped, 4, 'the hash key, one signing key, two secret versions');
      assertAllUnder(await sealedKeyIds(rt), k2.id, ['sealed_keys', 'signing_keys', 'vault_secret_versions']);
      assert.equal((await rotateMasterKey(rt)).mode, 'nothing-to-do');
      assert.equal(fs.existsSync(masterKeyPath(dataDir)), false, 'no key file is written');
      await rt.close();

      rt = await open({ LANYARD_MASTER_KEY: k2.key.toString('base64') });
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, secretText)).ok, true);
      await readAll(rt, vault, values);
      assert.ok((await rt.keys.signingKey()).kid);
    });

    it('a store from before the hash key was stored: hashes made under the derived key verify, through a rotation too', async () => {
      const dataDir = tempDir('lanyard-rotate-hash-');
      const { location, drop } = testLocation(kind, dataDir);
      const open = () => openRuntime({ dataDir, store: location, env: {} });
      let rt: Runtime | undefined = await open();
      cleanups.push(async () => {
        await rt?.close();
        await drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      await rt.directory.createTenant({ name: 'contoso' });
      const app = await rt.directory.createApp('contoso', { name: 'caller' });
      const { secretText } = await rt.directory.addClientSecret('contoso', 'caller', { displayName: 'old' });
      // As a store of an earlier version: no stored hash key, every hash keyed by the master key's derivation.
      await tablesOf<SealedTables>(rt.store.db as AnyStoreDb)
        .deleteFrom('sealed_keys')
        .execute();
      await rt.close();

      rt = await open();
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, secretText)).ok, true);
      assert.equal((await sealedKeyIds(rt)).sealed_keys!.length, 1, 'stored again at the first start');
      const result = await rotateMasterKey(rt, { settleMs: 0 });
      assert.equal(result.mode, 'new-key');
      await rt.close();

      rt = await open();
      assert.equal(rt.masterKey.id, result.keyId);
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, secretText)).ok, true);
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, `${secretText}x`)).ok, false);
    });

    it('a store from before the hash key, first opened in the middle of a key change: the hash key comes from the old key', async () => {
      const dataDir = tempDir('lanyard-rotate-hash-env-');
      const { location, drop } = testLocation(kind, dataDir);
      const [k1, k2] = [generateMasterKey(), generateMasterKey()];
      let rt: Runtime | undefined = await openRuntime({
        dataDir,
        store: location,
        env: { LANYARD_MASTER_KEY: k1.key.toString('base64') },
      });
      cleanups.push(async () => {
        await rt?.close();
        await drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      await rt.directory.createTenant({ name: 'contoso' });
      const app = await rt.directory.createApp('contoso', { name: 'caller' });
      const { secretText } = await rt.directory.addClientSecret('contoso', 'caller', { displayName: 'old' });
      await rt.keys.ensureReady();
      await tablesOf<SealedTables>(rt.store.db as AnyStoreDb)
        .deleteFrom('sealed_keys')
        .execute();
      await rt.close();

      // The new key current, the old one retired: the store's records are under the old one, so was every hash.
      rt = await openRuntime({
        dataDir,
        store: location,
        env: {
          LANYARD_MASTER_KEY: k2.key.toString('base64'),
          LANYARD_MASTER_KEY_PREVIOUS: k1.key.toString('base64'),
        },
      });
      assert.equal((await rt.directory.verifyClientSecret(app.objectId, secretText)).ok, true);
    });
  });
}
