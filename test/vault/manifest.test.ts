/**
 * The `vault:` key of lanyard.yaml, on SQLite and PostgreSQL: a vault's settings applied (with the resource
 * the same apply creates, then changed; purge protection never declared back off), a second plan empty; a
 * secret's `value:` refused at load with the command that sets one; references to undeclared or non-vault
 * resources refused; a referenced secret that is missing, deleted or of another content type reported as
 * pending with the exact command, never failing apply; secrets the manifest does not name left alone by
 * --prune.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import {
  applyManifest,
  formatPending,
  formatPlan,
  parseManifest,
  planManifest,
} from '../../src/host/manifest.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import {
  deleteSecret,
  getVaultSettings,
  listSecrets,
  resolveVault,
  setSecret,
} from '../../src/vault/store.ts';
import { assertManifestRefused } from '../helpers/manifest.ts';
import { openTestRuntime } from '../helpers/runtime.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const manifest = (vault: string, extraTenant = '') => `apiVersion: lanyard/v1
tenants:
  - name: contoso
    resources:
      - name: kv1
        kind: vault
      - name: fn1
        kind: app
    vault:
${vault}
${extraTenant}`;

const SETTINGS = (days: number, protection = false) => `      vaults:
        - vault: kv1
          retentionDays: ${days}
          purgeProtection: ${protection}
`;

const SECRETS = `      secrets:
        - vault: kv1
          name: app-secret
          contentType: text/plain
          description: the app's client secret
        - vault: KV1
          name: app-id
`;

describe('vault manifest: load', () => {
  it("refuses a secret's value, with the command that sets it", () => {
    const text = manifest(`      secrets:
        - vault: kv1
          name: app-secret
          value: hunter2-Xy7
`);
    assertManifestRefused(
      text,
      'ERR_MANIFEST_SCHEMA',
      /^lanyard\.yaml:13:\d+ tenants\[0\]\.vault\.secrets\[0\]\.value: a secret's value never sits in the manifest/,
      /`lanyard vault secret set --vault kv1 app-secret --value-file <file>`/,
    );
    assert.throws(
      () => parseManifest(text),
      (err: Error) => !err.message.includes('hunter2-Xy7'),
    );
  });

  it('refuses references to what is not a declared vault, names declared twice, and purge protection without soft delete', () => {
    assertManifestRefused(
      manifest(`      secrets:
        - { vault: fn1, name: a }
        - { vault: kv9, name: b }
`),
      'ERR_MANIFEST_REFERENCE',
      /secrets\[0\]\.vault: resource fn1 is of kind app, not vault/,
      /secrets\[1\]\.vault: resource kv9 is not declared/,
    );
    assertManifestRefused(
      manifest(`      vaults:
        - { vault: kv1 }
        - { vault: KV1 }
      secrets:
        - { vault: kv1, name: a }
        - { vault: kv1, name: A }
`),
      'ERR_MANIFEST_SCHEMA',
      /vault KV1 is declared twice/,
      /secret A of vault kv1 is declared twice/,
    );
    assertManifestRefused(
      manifest(`      vaults:
        - { vault: kv1, softDelete: false, purgeProtection: true }
`),
      'ERR_MANIFEST_SCHEMA',
      /vaults\[0\]\.softDelete: soft delete cannot be off while purge protection is on/,
    );
    assertManifestRefused(
      manifest(`      vaults:
        - { vault: kv1, retentionDays: 3 }
`),
      'ERR_MANIFEST_SCHEMA',
      /retentionDays: must be at least 7/,
    );
  });
});

for (const kind of STORE_KINDS) {
  describe(`vault manifest: plan and apply (${kind})`, () => {
    let runtime: Runtime;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ runtime, cleanup } = await openTestRuntime(kind));
    });
    after(async () => cleanup?.());

    const kv1 = () => resolveVault(runtime.directory, 'contoso', 'kv1');

    it("applies a new vault's settings with it; a second plan is empty; a change is an update", async () => {
      const d = runtime.directory;
      const first = await applyManifest(d, parseManifest(manifest(SETTINGS(7)), 'lanyard.yaml'));
      assert.ok(
        first.changes.some((c) => c.action === 'create' && c.kind === 'vault' && c.name === 'kv1'),
        formatPlan(first),
      );
      assert.equal((await getVaultSettings(d, await kv1())).retentionDays, 7);
      const again = await planManifest(d, parseManifest(manifest(SETTINGS(7)), 'lanyard.yaml'));
      assert.deepEqual(again.changes, [], formatPlan(again));

      const changed = await applyManifest(d, parseManifest(manifest(SETTINGS(30, true)), 'lanyard.yaml'));
      assert.deepEqual(
        changed.changes.map((c) => [c.action, c.kind, c.name, c.changes]),
        [['update', 'vault', 'kv1', ['retentionDays: 7 → 30', 'purgeProtection: false → true']]],
      );
      const s = await getVaultSettings(d, await kv1());
      assert.deepEqual(
        [s.retentionDays, s.purgeProtection, s.recoveryLevel],
        [30, true, 'CustomizedRecoverable'],
      );

      await assert.rejects(
        planManifest(d, parseManifest(manifest(SETTINGS(30, false)), 'lanyard.yaml')),
        (err: unknown) =>
          isLanyardError(err) &&
          err.code === 'ERR_CONFLICT' &&
          /vaults\[0\]\.purgeProtection: vault kv1 has purgeProtection true/.test(err.message) &&
          /declare purgeProtection: true/.test(err.hint ?? ''),
      );
    });

    it('reports a missing, deleted or differently typed secret as pending with its command; apply does not fail', async () => {
      const d = runtime.directory;
      const text = manifest(`${SETTINGS(30, true)}${SECRETS}`);
      const plan = await planManifest(d, parseManifest(text, 'lanyard.yaml'));
      assert.deepEqual(plan.changes, []);
      assert.deepEqual(
        plan.pending.map((p) => [p.kind, p.tenant, p.name, p.command]),
        [
          [
            'secret',
            'contoso',
            'kv1/app-secret',
            'lanyard vault secret set --vault kv1 app-secret --value-file <file> --content-type text/plain',
          ],
          [
            'secret',
            'contoso',
            'KV1/app-id',
            'lanyard vault secret set --vault KV1 app-id --value-file <file>',
          ],
        ],
      );
      assert.match(
        plan.pending[0]!.note,
        /^has no value yet \(the app's client secret\); apply never writes a value/,
      );
      assert.deepEqual(formatPending(plan.pending).slice(0, 2), [
        `warning: secret contoso/kv1/app-secret: ${plan.pending[0]!.note}`,
        '  lanyard vault secret set --vault kv1 app-secret --value-file <file> --content-type text/plain',
      ]);
      assert.doesNotMatch(formatPlan(plan), /app-secret/, 'the plan on stdout stays as it is');

      const applied = await applyManifest(d, parseManifest(text, 'lanyard.yaml'));
      assert.equal(applied.applied, true);
      assert.equal(applied.pending.length, 2);

      const vault = await kv1();
      await setSecret(d, vault, 'app-secret', { value: 's', contentType: 'application/json' });
      await setSecret(d, vault, 'App-Id', { value: 'i' });
      const typed = await planManifest(d, parseManifest(text, 'lanyard.yaml'));
      assert.deepEqual(
        typed.pending.map((p) => p.command),
        ['lanyard vault secret update --vault kv1 app-secret --content-type text/plain'],
      );
      assert.match(
        typed.pending[0]!.note,
        /has content type application\/json, the manifest says text\/plain/,
      );

      await deleteSecret(d, vault, 'app-id');
      const deleted = await planManifest(d, parseManifest(text, 'lanyard.yaml'));
      assert.deepEqual(deleted.pending.map((p) => p.command).slice(1), [
        'lanyard vault secret recover --vault KV1 app-id',
      ]);
      assert.match(deleted.pending[1]!.note, /^is deleted \(recoverable until \d{4}-/);
    });

    it('names the tenant in the command when the manifest has several; --prune leaves secrets alone', async () => {
      const d = runtime.directory;
      const text = manifest(
        `${SETTINGS(30, true)}      secrets:
        - { vault: kv1, name: db-password }
`,
        '  - name: fabrikam\n',
      );
      const plan = await planManifest(d, parseManifest(text, 'lanyard.yaml'));
      assert.deepEqual(
        plan.pending.map((p) => p.command),
        ['lanyard vault secret set --tenant contoso --vault kv1 db-password --value-file <file>'],
      );
      await applyManifest(d, parseManifest(text, 'lanyard.yaml'), { prune: true });
      const names = (await listSecrets(d, await kv1())).items.map((s) => s.name);
      assert.deepEqual(names, ['app-secret'], 'the undeclared secret app-secret is still there');
    });
  });
}
