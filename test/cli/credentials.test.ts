/**
 * App credentials and updates through the real binary (SQLite): a client secret is printed once and never
 * stored in clear, certificates are found by thumbprint, federated credentials work for apps and identities,
 * and `app update` replaces lists while keeping what it is not told to change.
 */
import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { x509 } from '../../src/crypto/x509.ts';
import type {
  Application,
  CertificateCredential,
  ClientSecretInfo,
  FederatedCredential,
} from '../../src/directory/types.ts';
import { type Cli, CREATE_ORDERS_APP, openCli } from './lanyard.ts';

async function selfSignedPem(): Promise<string> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(
    { ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  );
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=orders-client',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}

describe('lanyard app credentials (sqlite)', () => {
  let cli: Cli;
  let app: Application;
  before(() => {
    cli = openCli();
    assert.equal(cli.run('tenant', 'create', '--name', 'contoso').status, 0);
    app = cli.json<Application>(...CREATE_ORDERS_APP, '--role', 'Reader:Both', '--assignment-required');
  });
  after(() => cli.cleanup());

  test('a client secret is printed once, listed by its hint, and not stored in the SQLite file', () => {
    const added = cli.run('app', 'secret', 'add', '--app', 'orders', '--display-name', 'ci', '--days', '30');
    assert.equal(added.status, 0, added.stderr);
    const secret = /^secretText\s+(\S+)$/m.exec(added.stdout)?.[1];
    assert.ok(secret, added.stdout);
    assert.equal(secret.length, 40);
    assert.match(added.stderr, /^warning: .*will not show it again/m);
    const keyId = /^keyId\s+(\S+)$/m.exec(added.stdout)?.[1];
    assert.ok(keyId);

    const table = cli.run('app', 'secret', 'list', '--app', app.appId);
    assert.equal(table.status, 0, table.stderr);
    assert.match(
      table.stdout,
      new RegExp(`^${keyId}\\s+ci\\s+${secret.slice(0, 3).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`, 'm'),
    );
    assert.ok(!table.stdout.includes(secret));
    const listed = cli.json<ClientSecretInfo[]>('app', 'secret', 'list', '--app', 'api://orders');
    assert.deepEqual(
      listed.map((s) => [s.keyId, s.hint, Object.hasOwn(s, 'secretText')]),
      [[keyId, secret.slice(0, 3), false]],
    );

    const files = ['lanyard.db', 'lanyard.db-wal']
      .map((f) => path.join(cli.dataDir, f))
      .filter(fs.existsSync);
    assert.ok(files.length > 0);
    for (const file of files) {
      assert.ok(!fs.readFileSync(file).includes(Buffer.from(secret)), `${file} holds the secret text`);
    }

    assert.equal(cli.run('app', 'secret', 'remove', '--app', 'orders', '--key-id', keyId).status, 0);
    assert.deepEqual(cli.json('app', 'secret', 'list', '--app', 'orders'), []);
  });

  test('a certificate is added from a PEM file and removed by its thumbprint', async () => {
    const pem = await selfSignedPem();
    const file = path.join(cli.dataDir, 'client.pem');
    fs.writeFileSync(file, pem);
    const thumbprint = new X509Certificate(pem).fingerprint.replaceAll(':', '');

    const cert = cli.json<CertificateCredential>('app', 'cert', 'add', '--app', 'orders', '--file', file);
    assert.equal(cert.thumbprint, thumbprint);
    const removed = cli.run(
      'app',
      'cert',
      'remove',
      '--app',
      'orders',
      '--thumbprint',
      thumbprint.toLowerCase(),
    );
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual(cli.json('app', 'cert', 'list', '--app', 'orders'), []);
  });

  test('federated credentials on an app and on a user-assigned identity', () => {
    const issuer = 'https://token.actions.githubusercontent.com';
    const onApp = cli.json<FederatedCredential>(
      'app',
      'federated',
      'add',
      '--app',
      'orders',
      '--name',
      'github-main',
      '--issuer',
      issuer,
      '--subject',
      'repo:contoso/orders:ref:refs/heads/main',
    );
    assert.deepEqual(onApp.owner, { kind: 'app', name: 'orders' });
    assert.deepEqual(onApp.audiences, ['api://AzureADTokenExchange']);

    assert.equal(cli.run('identity', 'create', '--name', 'deployer').status, 0);
    const add = cli.run(
      'identity',
      'federated',
      'add',
      '--identity',
      'deployer',
      '--name',
      'k8s-sa',
      '--issuer',
      'https://k8s.contoso.com',
      '--subject',
      'system:serviceaccount:prod:deployer',
      '--audience',
      'api://contoso-k8s',
    );
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /^owner\s+identity:deployer$/m);
    const listed = cli.json<FederatedCredential[]>('identity', 'federated', 'list', '--identity', 'deployer');
    assert.deepEqual(
      listed.map((f) => [f.name, f.audiences]),
      [['k8s-sa', ['api://contoso-k8s']]],
    );

    assert.equal(cli.run('app', 'federated', 'remove', '--app', 'orders', '--name', 'github-main').status, 0);
    assert.deepEqual(cli.json('app', 'federated', 'list', '--app', 'orders'), []);
  });

  test('app update replaces the listed things and keeps the rest', () => {
    const before = app.appRoles[0]!;
    const updated = cli.json<Application>(
      'app',
      'update',
      'orders',
      '--role',
      'Reader',
      '--role',
      'Writer:User',
      '--no-identifier-uri',
      '--no-assignment-required',
      '--token-version',
      '2',
    );
    assert.deepEqual(updated.identifierUris, []);
    assert.equal(updated.appRoleAssignmentRequired, false);
    assert.equal(updated.accessTokenAcceptedVersion, 2);
    assert.deepEqual(
      updated.appRoles.map((r) => [r.value, r.allowedMemberTypes]),
      [
        ['Reader', ['Application', 'User']],
        ['Writer', ['User']],
      ],
    );
    assert.equal(updated.appRoles[0]!.id, before.id, 'a role listed again keeps its id');
  });
});
