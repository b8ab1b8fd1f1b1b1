/**
 * `lanyard status` against a real `lanyard up` (free ports, SQLite): not running before it starts; running,
 * with the main URL healthy, the managed-identity endpoint and each Easy Auth front with its upstream while it
 * serves — a front configured while it runs included; not running once it stopped; a server.json left by a
 * process that is gone is reported stale. Exit code 0 only while running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Cli, openCli } from './lanyard.ts';
import { startUp, type UpProcess } from './up-process.ts';

interface Status {
  state: string;
  reason?: string;
  pid?: number;
  url?: string;
  store?: string;
  adminTokenFile?: string | null;
  caCertPath?: string;
  listeners: { kind: string; name: string; url: string; upstream?: string; state: string }[];
}

function status(cli: Cli, ...args: string[]): { code: number | null; body: Status; stdout: string } {
  const r = cli.run('status', '-o', 'json', ...args);
  assert.equal(r.stderr, '');
  return { code: r.status, body: JSON.parse(r.stdout) as Status, stdout: r.stdout };
}

describe('lanyard status', () => {
  let cli: Cli;
  let up: UpProcess | undefined;
  before(() => {
    cli = openCli();
    for (const args of [
      ['tenant', 'create', '--name', 'contoso'],
      ['app', 'create', '--name', 'web'],
      ['resource', 'create', '--name', 'web', '--kind', 'app'],
      ['resource', 'create', '--name', 'shop', '--kind', 'app'],
      ['easyauth', 'set', '--resource', 'web', '--upstream', 'http://127.0.0.1:7071', '--client-id', 'web'],
    ]) {
      const r = cli.run(...args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    }
  });
  after(async () => {
    await up?.stop();
    cli.cleanup();
  });

  it('says it is not running before up, and exits 1', () => {
    const r = status(cli);
    assert.equal(r.code, 1);
    assert.equal(r.body.state, 'not running');
    assert.deepEqual(r.body.listeners, []);
    const text = cli.run('status');
    assert.equal(text.status, 1);
    assert.match(text.stdout, /^state +not running: no server\.json/m);
  });

  it('shows what a running up serves: the main URL healthy, the endpoint, each front with its upstream', async () => {
    up = await startUp(cli.dataDir);
    const r = status(cli);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.body.state, 'running');
    assert.equal(r.body.pid, up.child.pid);
    assert.equal(r.body.url, up.url);
    assert.equal(r.body.store, `sqlite:${path.join(cli.dataDir, 'lanyard.db')}`);
    assert.equal(r.body.adminTokenFile, path.join(cli.dataDir, 'admin.token'));
    assert.equal(r.body.caCertPath, path.join(cli.dataDir, 'ca', 'ca.pem'));
    const byKind = (kind: string) => r.body.listeners.filter((l) => l.kind === kind);
    assert.deepEqual(
      byKind('main').map((l) => [l.url, l.state]),
      [[up.url, 'healthy']],
    );
    assert.match(byKind('managed-identity')[0]!.url, /^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
    assert.equal(byKind('managed-identity')[0]!.state, 'listening');
    const fronts = byKind('easyauth');
    assert.deepEqual(
      fronts.map((f) => [f.name, f.upstream, f.state]),
      [['web', 'http://127.0.0.1:7071', 'listening']],
    );
    assert.match(fronts[0]!.url, /^https:\/\/web\.localhost:\d+$/);

    // The file the status comes from is private to the user.
    assert.equal(fs.statSync(path.join(cli.dataDir, 'server.json')).mode & 0o777, 0o600);
    // Table and tsv carry the same listeners.
    const table = cli.run('status');
    assert.equal(table.status, 0);
    assert.match(
      table.stdout,
      /^easyauth +web +https:\/\/web\.localhost:\d+ +http:\/\/127\.0\.0\.1:7071 +listening$/m,
    );
    const tsv = cli.run('status', '-o', 'tsv');
    assert.match(tsv.stdout, /^main\tlanyard\thttps:\/\/localhost:\d+\t\thealthy$/m);
    assert.match(
      tsv.stdout,
      /^easyauth\tweb\thttps:\/\/web\.localhost:\d+\thttp:\/\/127\.0\.0\.1:7071\tlistening$/m,
    );
  });

  it('lists a front configured while it runs', async () => {
    const set = cli.run(
      'easyauth',
      'set',
      '--resource',
      'shop',
      '--upstream',
      'http://127.0.0.1:7072',
      '--client-id',
      'web',
    );
    assert.equal(set.status, 0, set.stderr);
    let names: string[] = [];
    for (let i = 0; i < 50 && !names.includes('shop'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      names = status(cli)
        .body.listeners.filter((l) => l.kind === 'easyauth')
        .map((l) => l.name);
    }
    assert.deepEqual(names.sort(), ['shop', 'web']);
  });

  it('says not running once up stopped', async () => {
    assert.equal(await up!.stop(), 0);
    up = undefined;
    const r = status(cli);
    assert.equal(r.code, 1);
    assert.equal(r.body.state, 'not running');
  });

  it('reports a server.json whose process is gone as stale', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']);
    assert.equal(gone.status, 0);
    fs.writeFileSync(
      path.join(cli.dataDir, 'server.json'),
      JSON.stringify({ url: 'https://localhost:1', identityEndpoint: '', pid: gone.pid, listeners: [] }),
      { mode: 0o600 },
    );
    const r = status(cli);
    assert.equal(r.code, 1);
    assert.equal(r.body.state, 'stale');
    assert.match(r.body.reason!, new RegExp(`process ${gone.pid}, which is not running`));
  });
});
