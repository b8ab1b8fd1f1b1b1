/**
 * @module test/identity/run-env.test
 * The environment `lanyard run` gives a program, read back by the program itself:
 *
 * - for an app (App Service), WEBSITE_SITE_NAME and APPSETTING_WEBSITE_SITE_NAME = the resource's name, as App
 *   Service sets them (azure-cli 2.45 needs the second to speak the App Service protocol); not for another kind,
 *   not under `--imds`, and never passed through from the caller or `--env-file`;
 * - under `--imds`, AZURE_POD_IDENTITY_AUTHORITY_HOST is a bare loopback origin (no secret anywhere);
 * - REQUESTS_CA_BUNDLE = SSL_CERT_FILE = one file holding what the program trusted before (the system store, or
 *   the bundle the caller named) plus Lanyard's CA, private to the user.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { caPathFor } from '../../src/crypto/local-ca.ts';
import { tempDir } from '../helpers/stores.ts';
import { runLanyard, withRuntime } from './cli.ts';

const PRINT_ENV = "console.log('ENV ' + JSON.stringify(process.env))";
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const fingerprints = (text: string) =>
  new Set((text.match(PEM_CERT) ?? []).map((pem) => new X509Certificate(pem).fingerprint256));

describe('lanyard run: the program’s environment', () => {
  let dataDir: string;

  before(async () => {
    dataDir = tempDir('lanyard-run-env-');
    await withRuntime(dataDir, async (runtime) => {
      const d = runtime.directory;
      await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
      await d.createResource('contoso', { name: 'shop-web', kind: 'app', systemAssignedIdentity: true });
      await d.createResource('contoso', {
        name: 'nightly',
        kind: 'automation',
        systemAssignedIdentity: true,
      });
    });
  });
  after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function envOf(args: string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
    const run = await runLanyard(dataDir, ['run', ...args, '--', process.execPath, '-e', PRINT_ENV], { env });
    assert.equal(run.code, 0, run.stderr);
    const line = run.stdout.split('\n').find((l) => l.startsWith('ENV '));
    assert.ok(line, run.stdout);
    return JSON.parse(line.slice(4)) as Record<string, string>;
  }

  it('an app gets WEBSITE_SITE_NAME and APPSETTING_WEBSITE_SITE_NAME (its name), replacing the caller’s', async () => {
    const env = await envOf(['--as', 'shop-web'], {
      WEBSITE_SITE_NAME: 'from-caller',
      APPSETTING_WEBSITE_SITE_NAME: 'from-caller',
    });
    assert.equal(env.WEBSITE_SITE_NAME, 'shop-web');
    assert.equal(env.APPSETTING_WEBSITE_SITE_NAME, 'shop-web');
    assert.match(env.MSI_ENDPOINT ?? '', /^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
  });

  it('another kind gets no site name, even from the caller or --env-file', async () => {
    const envFile = path.join(dataDir, 'site.env');
    fs.writeFileSync(envFile, 'APPSETTING_WEBSITE_SITE_NAME=from-file\nGREETING=hi\n');
    const env = await envOf(['--as', 'nightly', '--env-file', envFile], { WEBSITE_SITE_NAME: 'from-caller' });
    assert.equal(env.WEBSITE_SITE_NAME, undefined);
    assert.equal(env.APPSETTING_WEBSITE_SITE_NAME, undefined);
    assert.equal(env.GREETING, 'hi', 'other --env-file variables pass');
    assert.match(env.IDENTITY_HEADER ?? '', /^[0-9a-f]{64}$/);
  });

  it('--imds: a bare loopback origin as the authority host, no secret, no site name', async () => {
    const env = await envOf(['--as', 'shop-web', '--imds']);
    assert.match(env.AZURE_POD_IDENTITY_AUTHORITY_HOST ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    for (const name of [
      'IDENTITY_HEADER',
      'MSI_SECRET',
      'WEBSITE_SITE_NAME',
      'APPSETTING_WEBSITE_SITE_NAME',
    ]) {
      assert.equal(env[name], undefined, name);
    }
    const secretLike = Object.entries(env).filter(([, v]) => /[0-9a-f]{64}/.test(v));
    assert.deepEqual(secretLike, [], 'no 64-hex value (a workload secret) in the environment');
  });

  it('REQUESTS_CA_BUNDLE and SSL_CERT_FILE: the system store plus Lanyard’s CA, in one private file', async () => {
    const env = await envOf(['--as', 'shop-web']);
    const bundle = env.REQUESTS_CA_BUNDLE!;
    assert.ok(bundle, 'REQUESTS_CA_BUNDLE is set');
    assert.equal(env.SSL_CERT_FILE, bundle);
    assert.equal(path.dirname(bundle), path.join(dataDir, 'ca'));
    assert.equal(fs.statSync(bundle).mode & 0o777, 0o600);
    const inBundle = fingerprints(fs.readFileSync(bundle, 'utf8'));
    const ca = [...fingerprints(fs.readFileSync(caPathFor(dataDir), 'utf8'))][0]!;
    assert.ok(inBundle.has(ca), 'Lanyard’s CA is in the bundle');
    const system = fingerprints(tls.getCACertificates('system').join('\n'));
    assert.ok(system.size > 0, 'this machine has a system store');
    for (const f of system) assert.ok(inBundle.has(f), 'every system CA is in the bundle');
    assert.equal(inBundle.size, system.has(ca) ? system.size : system.size + 1, 'nothing else');
    const again = await envOf(['--as', 'nightly']);
    assert.equal(again.REQUESTS_CA_BUNDLE, bundle, 'the same content, the same file');
  });

  it('a bundle the caller named is kept as the base (their own CAs stay trusted)', async () => {
    const own = path.join(dataDir, 'corporate.pem');
    const corporate = tls.rootCertificates[0]!;
    fs.writeFileSync(own, `${corporate}\n`);
    const env = await envOf(['--as', 'shop-web'], { REQUESTS_CA_BUNDLE: own });
    assert.notEqual(env.REQUESTS_CA_BUNDLE, own);
    const inBundle = fingerprints(fs.readFileSync(env.REQUESTS_CA_BUNDLE!, 'utf8'));
    const ca = [...fingerprints(fs.readFileSync(caPathFor(dataDir), 'utf8'))][0]!;
    assert.deepEqual(inBundle, new Set([new X509Certificate(corporate).fingerprint256, ca]));
  });
});
