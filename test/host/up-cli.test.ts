/**
 * @module test/server/up-cli.test
 * The real CLI: `lanyard up --port 0` prints the URL it actually bound, serves health and the admin API with
 * the token from the data folder, and exits 0 on SIGTERM; `lanyard ca path|show` print the CA.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { tempDir } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Up {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `lanyard up` and resolves once it printed its listening line (or rejects with its output). */
function startUp(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<Up> {
  const child = spawn(process.execPath, ['bin/lanyard.js', 'up', '--identity-port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, LANYARD_DATA_DIR: dataDir, LANYARD_ADMIN_TOKEN: '', LANYARD_STORE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`lanyard up did not print its URL within 20 s\nstdout:\n${out}\nstderr:\n${err}`));
    }, 20_000);
    const onData = () => {
      const url = /listening on (https:\/\/\S+)/.exec(out)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ child, url, stdout: () => out, stderr: () => err, exit });
    };
    child.stdout!.on('data', onData);
    void exit.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`lanyard up exited with ${code} before listening\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

function cli(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, ['bin/lanyard.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, LANYARD_DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('lanyard up (real CLI)', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('listens on the port it reports, serves with the token file, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDir('lanyard-up-');
    dirs.push(dataDir);
    const up = await startUp(dataDir, ['--port', '0']);
    children.push(up.child);
    const url = new URL(up.url);
    assert.equal(url.hostname, 'localhost');
    assert.notEqual(url.port, '0');
    assert.notEqual(url.port, '');

    const tokenFile = path.join(dataDir, 'admin.token');
    const caFile = path.join(dataDir, 'ca', 'ca.pem');
    assert.ok(up.stdout().includes(`export LANYARD_ADMIN_TOKEN=$(cat ${tokenFile})`), up.stdout());
    assert.ok(up.stdout().includes(`export NODE_EXTRA_CA_CERTS=${caFile}`), up.stdout());
    assert.match(
      up.stdout().split('\n')[0]!,
      /^lanyard \d+\.\d+\.\d+ \(node v2[4-9]\.\d+\.\d+\), store: sqlite /,
    );
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    assert.ok(!up.stdout().includes(token), 'the token itself is not printed');

    const agent = new Agent({ connect: { ca: fs.readFileSync(caFile, 'utf8') } });
    try {
      const health = await request(`${up.url}/healthz`, { dispatcher: agent });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(await health.body.json(), { status: 'ok' });

      const created = await request(`${up.url}/admin/tenants`, {
        dispatcher: agent,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'contoso' }),
      });
      assert.equal(created.statusCode, 201);
      assert.equal(((await created.body.json()) as { name: string }).name, 'contoso');
      const denied = await request(`${up.url}/admin/tenants`, { dispatcher: agent });
      assert.equal(denied.statusCode, 401);
      await denied.body.dump();
    } finally {
      await agent.close();
    }

    up.child.kill('SIGTERM');
    const { code, signal } = await up.exit;
    assert.equal(signal, null, up.stderr());
    assert.equal(code, 0, up.stderr());
    const logLines = up
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; path?: string });
    assert.ok(logLines.some((l) => l.msg === 'request' && l.path === '/admin/tenants'));
    assert.ok(logLines.some((l) => l.msg === 'shutting down'));
    assert.ok(!up.stderr().includes(token), 'the token is not logged');

    // The data survived the shutdown: the store was closed cleanly.
    const listed = cli(dataDir, ['ca', 'path']);
    assert.equal(listed.status, 0, listed.stderr);
  });

  it('refuses a taken port with ERR_LISTEN and exit code 1', async () => {
    const dataDir = tempDir('lanyard-up-');
    dirs.push(dataDir);
    const first = await startUp(dataDir, ['--port', '0']);
    children.push(first.child);
    const port = new URL(first.url).port;
    const second = cli(dataDir, ['up', '--identity-port', '0', '--port', port]);
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, /ERR_LISTEN/);
    assert.match(second.stderr, new RegExp(`port ${port} is in use; pass --port`));
    first.child.kill('SIGTERM');
    assert.equal((await first.exit).code, 0);
  });

  it('applies the manifest given with -f before serving it', async () => {
    const dataDir = tempDir('lanyard-up-');
    dirs.push(dataDir);
    const manifest = path.join(dataDir, 'lanyard.yaml');
    fs.writeFileSync(
      manifest,
      'apiVersion: lanyard/v1\ntenants:\n  - name: contoso\n    apps:\n      - name: orders\n        identifierUris: [api://orders]\n',
    );
    const up = await startUp(dataDir, ['-f', manifest, '--port', '0']);
    children.push(up.child);
    assert.match(up.stdout(), /create app contoso\/orders/);
    const agent = new Agent({ connect: { ca: fs.readFileSync(path.join(dataDir, 'ca', 'ca.pem'), 'utf8') } });
    try {
      const token = fs.readFileSync(path.join(dataDir, 'admin.token'), 'utf8').trim();
      const app = await request(
        `${up.url}/admin/tenants/contoso/apps/${encodeURIComponent('api://orders')}`,
        {
          dispatcher: agent,
          headers: { authorization: `Bearer ${token}` },
        },
      );
      assert.equal(app.statusCode, 200);
      assert.equal(((await app.body.json()) as { name: string }).name, 'orders');
    } finally {
      await agent.close();
    }
    up.child.kill('SIGINT');
    assert.equal((await up.exit).code, 0, up.stderr());
  });

  it('does not serve when the manifest is refused, and says where it is wrong', () => {
    const dataDir = tempDir('lanyard-up-');
    dirs.push(dataDir);
    const manifest = path.join(dataDir, 'bad.yaml');
    fs.writeFileSync(manifest, 'apiVersion: lanyard/v1\ntenants:\n  - name: contoso\n    bogus: 1\n');
    const res = cli(dataDir, ['up', '--identity-port', '0', '-f', manifest, '--port', '0']);
    assert.equal(res.status, 1, res.stdout);
    assert.match(res.stderr, /ERR_MANIFEST_SCHEMA/);
    assert.ok(res.stderr.includes(`${manifest}:4:`), res.stderr);
    assert.doesNotMatch(res.stdout, /listening/);
  });

  it('refuses a bad --port and --prune without -f', () => {
    const dataDir = tempDir('lanyard-up-');
    dirs.push(dataDir);
    const port = cli(dataDir, ['up', '--port', 'http']);
    assert.equal(port.status, 1);
    assert.match(port.stderr, /ERR_USAGE/);
    const prune = cli(dataDir, ['up', '--prune']);
    assert.equal(prune.status, 1);
    assert.match(prune.stderr, /--prune needs a manifest/);
  });
});

describe('lanyard ca', () => {
  const dataDir = tempDir('lanyard-ca-');
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints the CA path, creating the CA, and the same path again later', () => {
    const first = cli(dataDir, ['ca', 'path']);
    assert.equal(first.status, 0, first.stderr);
    const caPath = first.stdout.trim();
    assert.equal(caPath, path.join(dataDir, 'ca', 'ca.pem'));
    assert.ok(new X509Certificate(fs.readFileSync(caPath)).ca);
    assert.equal(cli(dataDir, ['ca', 'path']).stdout.trim(), caPath);
    assert.deepEqual(JSON.parse(cli(dataDir, ['-o', 'json', 'ca', 'path']).stdout), { path: caPath });
  });

  it('shows the subject, validity and SHA-256 fingerprint of the CA', () => {
    const cert = new X509Certificate(fs.readFileSync(path.join(dataDir, 'ca', 'ca.pem')));
    const shown = cli(dataDir, ['ca', 'show']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.ok(shown.stdout.includes(cert.fingerprint256), shown.stdout);
    assert.match(shown.stdout, /subject\s+CN=Lanyard Local CA/);
    assert.match(shown.stdout, /valid until\s+\d{4}-/);
    const json = JSON.parse(cli(dataDir, ['-o', 'json', 'ca', 'show']).stdout);
    assert.equal(json.sha256Fingerprint, cert.fingerprint256);
    assert.equal(new Date(json.notAfter).getTime(), new Date(cert.validTo).getTime());
  });
});
