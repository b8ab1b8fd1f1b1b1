import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createSelfSignedCertificate } from '../../src/crypto/local-ca.ts';
import type { DirectoryTables } from '../../src/directory/tables.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.ts';
import { STORE_KINDS } from '../helpers/stores.ts';

const DAY = 86_400_000;

async function rsaCertificate(bits = 2048) {
  const keys = (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  return createSelfSignedCertificate({ subjectCn: 'orders-client', keys, days: 30 });
}

for (const kind of STORE_KINDS) {
  describe(`directory: credentials (${kind})`, () => {
    let t: TestDirectory;
    let appObjectId: string;
    before(async () => {
      t = await openTestDirectory(kind);
      await t.directory.createTenant({ name: 'contoso' });
      appObjectId = (await t.directory.createApp('contoso', { name: 'orders' })).objectId;
      await t.directory.createIdentity('contoso', { name: 'ci-runner' });
    });
    after(() => t.cleanup());

    test('a client secret is shown once, stored only as a keyed hash, and verified', async () => {
      const d = t.directory;
      const s = await d.addClientSecret('contoso', 'orders', { displayName: 'ci' });
      assert.match(s.secretText, /^[A-Za-z0-9]{3}8Q~[A-Za-z0-9~._-]{34}$/);
      assert.equal(s.hint, s.secretText.slice(0, 3));
      assert.equal(
        Date.parse(s.endDateTime) - Date.parse(s.startDateTime),
        180 * DAY,
        'default lifetime is 180 days',
      );
      const listed = await d.listClientSecrets('contoso', 'orders');
      assert.deepEqual(Object.keys(listed[0]!).sort(), [
        'displayName',
        'endDateTime',
        'hint',
        'keyId',
        'startDateTime',
      ]);
      const rows = await tablesOf<DirectoryTables>(t.store.db)
        .selectFrom('client_secrets')
        .selectAll()
        .execute();
      assert.ok(
        rows.every((r) => !JSON.stringify(r).includes(s.secretText)),
        'the secret text is not stored',
      );
      assert.deepEqual(await d.verifyClientSecret(appObjectId, s.secretText), { ok: true, keyId: s.keyId });
      assert.deepEqual(await d.verifyClientSecret(appObjectId, `${s.secretText}x`), {
        ok: false,
        reason: 'no_match',
      });
    });

    test('secret lifetimes are bounded and expiry is enforced', async () => {
      const d = t.directory;
      await assert.rejects(d.addClientSecret('contoso', 'orders', { expiresInDays: 731 }), {
        code: 'ERR_VALIDATION',
      });
      await assert.rejects(d.addClientSecret('contoso', 'orders', { endDateTime: '2001-01-01T00:00:00Z' }), {
        code: 'ERR_VALIDATION',
        message: /future/,
      });
      const short = await d.addClientSecret('contoso', 'orders', { expiresInDays: 1 });
      const saved = t.clock.now;
      t.clock.now = new Date(saved.getTime() + 2 * DAY);
      try {
        assert.deepEqual(await d.verifyClientSecret(appObjectId, short.secretText), {
          ok: false,
          reason: 'expired',
          keyId: short.keyId,
        });
      } finally {
        t.clock.now = saved;
      }
      await d.removeClientSecret('contoso', 'orders', short.keyId);
      assert.deepEqual(await d.verifyClientSecret(appObjectId, short.secretText), {
        ok: false,
        reason: 'no_match',
      });
      await assert.rejects(d.removeClientSecret('contoso', 'orders', short.keyId), { code: 'ERR_NOT_FOUND' });
    });

    test('certificates are registered by their public part and found by thumbprint', async () => {
      const d = t.directory;
      const cert = await rsaCertificate();
      const added = await d.addCertificate('contoso', 'orders', { certificate: cert.certPem });
      assert.equal(added.thumbprint, cert.thumbprints.sha1Hex);
      assert.equal(added.thumbprintSha256, cert.thumbprints.sha256Hex);
      await assert.rejects(d.addCertificate('contoso', 'orders', { certificate: cert.certPem }), {
        code: 'ERR_CONFLICT',
      });
      const der = await d.addCertificate('contoso', 'orders', { certificate: (await rsaCertificate()).x5c });
      assert.equal((await d.listCertificates('contoso', 'orders')).length, 2);
      await d.removeCertificate('contoso', 'orders', added.thumbprint.toLowerCase());
      await d.removeCertificate('contoso', 'orders', der.keyId);
      assert.deepEqual(await d.listCertificates('contoso', 'orders'), []);
      await assert.rejects(d.addCertificate('contoso', 'orders', { certificate: 'not a certificate' }), {
        code: 'ERR_VALIDATION',
        message: /X\.509/,
      });
      await assert.rejects(
        d.addCertificate('contoso', 'orders', { certificate: (await rsaCertificate(1024)).certPem }),
        {
          code: 'ERR_VALIDATION',
          message: /1024 bits is too small/,
        },
      );
    });

    test('federated credentials: default audience, one per issuer+subject, owned by apps or identities', async () => {
      const d = t.directory;
      const fic = await d.addFederatedCredential(
        'contoso',
        { kind: 'app', name: 'orders' },
        {
          name: 'github-main',
          issuer: 'https://token.actions.githubusercontent.com',
          subject: 'repo:contoso/orders:ref:refs/heads/main',
        },
      );
      assert.deepEqual(fic.audiences, ['api://AzureADTokenExchange']);
      await assert.rejects(
        d.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'orders' },
          {
            name: 'github-main-2',
            issuer: 'https://token.actions.githubusercontent.com',
            subject: 'repo:contoso/orders:ref:refs/heads/main',
          },
        ),
        { code: 'ERR_CONFLICT', message: /already trusts this issuer and subject/ },
      );
      await assert.rejects(
        d.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'orders' },
          { name: 'x1', issuer: 'http://insecure', subject: 's' },
        ),
        { code: 'ERR_VALIDATION', message: /https/ },
      );
      await assert.rejects(
        d.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'orders' },
          {
            name: 'x2',
            issuer: 'https://a.example',
            subject: 's',
            audiences: ['a', 'b'],
          },
        ),
        { code: 'ERR_VALIDATION', message: /exactly one audience/ },
      );
      const onIdentity = await d.addFederatedCredential(
        'contoso',
        { kind: 'identity', name: 'ci-runner' },
        {
          name: 'k8s',
          issuer: 'https://oidc.cluster.local',
          subject: 'system:serviceaccount:default:orders',
          audiences: ['api://AzureADTokenExchange'],
        },
      );
      assert.deepEqual(onIdentity.owner, { kind: 'identity', name: 'ci-runner' });
      assert.equal((await d.listFederatedCredentials('contoso', { kind: 'app', name: 'orders' })).length, 1);
      await d.removeFederatedCredential('contoso', { kind: 'identity', name: 'ci-runner' }, 'k8s');
      assert.deepEqual(
        await d.listFederatedCredentials('contoso', { kind: 'identity', name: 'ci-runner' }),
        [],
      );
    });

    test('an app holds at most 20 federated credentials', async () => {
      const d = t.directory;
      await d.createApp('contoso', { name: 'many' });
      for (let i = 0; i < 20; i++) {
        await d.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'many' },
          {
            name: `fic-${i}`,
            issuer: 'https://issuer.example',
            subject: `s${i}`,
          },
        );
      }
      await assert.rejects(
        d.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'many' },
          { name: 'fic-20', issuer: 'https://issuer.example', subject: 's20' },
        ),
        { code: 'ERR_VALIDATION', message: /limit/ },
      );
    });
  });
}
