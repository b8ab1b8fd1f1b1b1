/**
 * @module test/vault/cli
 * The real `lanyard vault …` binary on each store: a secret set from a file (bytes kept as they are) and from
 * stdin, never from the command line; shown without and with --reveal; listed, versioned, updated, deleted,
 * recovered, purged, backed up to a 0600 file and restored; a vault's settings shown and changed (purge
 * protection then refuses a purge). Every read and write lands in the audit log as the actor `cli`, and no
 * value appears in the audit table, in any output but --reveal's, or in the SQLite files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditTables } from '../../src/audit/tables.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { DeletedSecretInfo, SecretInfo, SecretValue } from '../../src/vault/store.ts';
import { type Cli, type CliResult, openCli } from '../cli/lanyard.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FILE_VALUE = 'file-secret-Ae3x9\n';
const STDIN_VALUE = 'stdin-secret-Qk7p2';
const DASH_VALUE = 'dash-secret-Wm4r8';
const ARGV_VALUE = 'argv-secret-Zz1v6';
const VALUES = [FILE_VALUE.trim(), STDIN_VALUE, DASH_VALUE, ARGV_VALUE];
const KV = ['--vault', 'kv1'];

for (const kind of STORE_KINDS) {
  describe(`lanyard vault … (${kind})`, () => {
    let cli: Cli;
    let location: string;
    let drop: () => Promise<void>;
    /** Everything printed without --reveal: no value may be in it. */
    const printed: string[] = [];

    const run = (...args: string[]): CliResult => {
      const r = cli.run(...args);
      if (!args.includes('--reveal')) printed.push(r.stdout, r.stderr);
      return r;
    };
    const json = <T>(...args: string[]): T => {
      const r = run(...args, '-o', 'json');
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    };
    const fails = (args: string[], code: RegExp, input?: string) => {
      const r = input === undefined ? run(...args) : withStdin(input, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, code);
      return r;
    };
    /** `lanyard …args` with `input` on stdin. */
    const withStdin = (input: string, ...args: string[]): CliResult => {
      const env: NodeJS.ProcessEnv = { ...process.env, LANYARD_DATA_DIR: cli.dataDir };
      for (const name of ['LANYARD_STORE', 'LANYARD_TENANT', 'LANYARD_MASTER_KEY']) delete env[name];
      const r = spawnSync(process.execPath, ['bin/lanyard.js', '--store', location, ...args], {
        cwd: ROOT,
        env,
        input,
        encoding: 'utf8',
        timeout: 60_000,
      });
      printed.push(r.stdout, r.stderr);
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const reveal = (...args: string[]) => {
      const r = cli.run('vault', 'secret', 'show', ...KV, ...args, '--reveal', '-o', 'json');
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as SecretValue;
    };
    const file = (name: string, content: string | Buffer) => {
      const p = path.join(cli.dataDir, name);
      fs.writeFileSync(p, content);
      return p;
    };

    before(() => {
      const dataDir = tempDir('lanyard-vault-cli-');
      const loc = testLocation(kind, dataDir);
      location = loc.location;
      drop = loc.drop;
      cli = openCli({ dataDir, store: location });
      assert.equal(cli.run('tenant', 'create', '--name', 'contoso').status, 0);
      assert.equal(cli.run('resource', 'create', '--name', 'kv1', '--kind', 'vault').status, 0);
      assert.equal(cli.run('resource', 'create', '--name', 'kv2', '--kind', 'vault').status, 0);
      assert.equal(cli.run('resource', 'create', '--name', 'fn', '--kind', 'app').status, 0);
    });
    after(async () => {
      cli.cleanup();
      await drop();
    });

    it('sets a secret from a file (its bytes as they are) and from stdin, printing metadata only', () => {
      const first = json<SecretInfo & { value?: string }>(
        'vault',
        'secret',
        'set',
        ...KV,
        'app-secret',
        '--value-file',
        file('value.txt', FILE_VALUE),
        '--content-type',
        'text/plain',
        '--tag',
        'owner=flows',
      );
      assert.equal(first.name, 'app-secret');
      assert.match(first.version, /^[0-9a-f]{32}$/);
      assert.equal(first.contentType, 'text/plain');
      assert.deepEqual(first.tags, { owner: 'flows' });
      assert.equal(first.value, undefined);
      assert.equal(reveal('app-secret').value, FILE_VALUE, 'the trailing newline is kept');

      const second = withStdin(STDIN_VALUE, 'vault', 'secret', 'set', ...KV, 'app-secret', '--stdin');
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /^version +[0-9a-f]{32}$/m);
      assert.equal(reveal('app-secret').value, STDIN_VALUE);
      const third = withStdin(DASH_VALUE, 'vault', 'secret', 'set', ...KV, 'app-secret', '--value-file', '-');
      assert.equal(third.status, 0, third.stderr);
      assert.equal(reveal('app-secret').value, DASH_VALUE);
      assert.equal(reveal('app-secret', '--version-id', first.version).value, FILE_VALUE);
    });

    it('refuses a value on the command line, and a value from nowhere or from two places', () => {
      const r = fails(['vault', 'secret', 'set', ...KV, 'app-secret', '--value', ARGV_VALUE], /ERR_USAGE/);
      assert.match(r.stderr, /never taken from the command line/);
      assert.match(r.stderr, /hint: Use --value-file <file>, or pipe it on stdin with --stdin/);
      fails(['vault', 'secret', 'set', ...KV, 'app-secret'], /ERR_USAGE: Give the value with --value-file/);
      fails(
        ['vault', 'secret', 'set', ...KV, 'app-secret', '--stdin', '--value-file', file('v2', 'x')],
        /not both/,
        'y',
      );
      fails(
        [
          'vault',
          'secret',
          'set',
          ...KV,
          'app-secret',
          '--value-file',
          file('bin', Buffer.from([0xff, 0xfe, 0x00])),
        ],
        /ERR_USAGE: The value file is not UTF-8 text/,
      );
      fails(
        ['vault', 'secret', 'set', ...KV, 'app-secret', '--value-file', path.join(cli.dataDir, 'nope')],
        /ENOENT/,
      );
      fails(
        ['vault', 'secret', 'set', '--vault', 'fn', 'x', '--stdin'],
        /ERR_VALIDATION: Resource "fn" is of kind app/,
        'v',
      );
      fails(['vault', 'secret', 'set', '--vault', 'nope', 'x', '--stdin'], /ERR_NOT_FOUND/, 'v');
      assert.equal(json<SecretInfo[]>('vault', 'secret', 'versions', ...KV, 'app-secret').length, 3);
    });

    it('shows metadata without --reveal, and the value with it', () => {
      const shown = run('vault', 'secret', 'show', ...KV, 'app-secret');
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /^name +app-secret$/m);
      assert.doesNotMatch(shown.stdout, /^value/m);
      const asJson = json<Record<string, unknown>>('vault', 'secret', 'show', ...KV, 'app-secret');
      assert.equal('value' in asJson, false);
      const revealed = cli.run('vault', 'secret', 'show', ...KV, 'app-secret', '--reveal');
      assert.match(revealed.stdout, new RegExp(`^value +${DASH_VALUE}$`, 'm'));
      assert.match(revealed.stdout, /^validity +valid$/m);
    });

    it('lists, versions and updates, never printing a value', () => {
      withStdin('other', 'vault', 'secret', 'set', ...KV, 'app-id', '--stdin');
      const listed = json<SecretInfo[]>('vault', 'secret', 'list', ...KV);
      assert.deepEqual(
        listed.map((s) => s.name),
        ['app-id', 'app-secret'],
      );
      assert.ok(listed.every((s) => !('value' in s)));
      const versions = json<SecretInfo[]>('vault', 'secret', 'versions', ...KV, 'app-secret');
      assert.equal(versions.length, 3);
      const updated = json<SecretInfo>(
        'vault',
        'secret',
        'update',
        ...KV,
        'app-secret',
        '--disable',
        '--tag',
        'env=dev',
        '--expires',
        '2031-01-01T00:00:00Z',
      );
      assert.equal(updated.attributes.enabled, false);
      assert.deepEqual(updated.tags, { env: 'dev' });
      assert.equal(updated.attributes.exp, Date.parse('2031-01-01T00:00:00Z') / 1000);
      fails(['vault', 'secret', 'show', ...KV, 'app-secret', '--reveal'], /ERR_VAULT_SECRET_DISABLED/);
      const back = json<SecretInfo>(
        'vault',
        'secret',
        'update',
        ...KV,
        'app-secret',
        '--enable',
        '--expires',
        'none',
      );
      assert.equal(back.attributes.enabled, true);
      assert.equal(back.attributes.exp, null);
      fails(['vault', 'secret', 'update', ...KV, 'app-secret'], /ERR_USAGE: Nothing to change/);
      fails(
        ['vault', 'secret', 'update', ...KV, 'app-secret', '--expires', 'soon'],
        /ERR_USAGE: --expires takes an ISO 8601/,
      );
      const table = run('vault', 'secret', 'list', ...KV);
      assert.match(table.stdout, /^NAME +VERSION +ENABLED +CONTENT TYPE +EXPIRES +UPDATED$/m);
    });

    it('backs up to a 0600 file, deletes, recovers, purges and restores', () => {
      const backupFile = path.join(cli.dataDir, 'app-secret.kvbackup');
      const b = json<{ file: string }>(
        'vault',
        'secret',
        'backup',
        ...KV,
        'app-secret',
        '--file',
        backupFile,
      );
      assert.equal(b.file, backupFile);
      assert.equal(fs.statSync(backupFile).mode & 0o777, 0o600);
      for (const v of VALUES)
        assert.ok(!fs.readFileSync(backupFile, 'utf8').includes(v), 'the backup is sealed');
      fails(['vault', 'secret', 'backup', ...KV, 'app-secret', '--file', backupFile], /exists/);

      const deleted = json<DeletedSecretInfo>('vault', 'secret', 'delete', ...KV, 'app-secret');
      assert.ok(deleted.scheduledPurgeDate! > deleted.deletedDate);
      fails(['vault', 'secret', 'show', ...KV, 'app-secret'], /ERR_VAULT_SECRET_NOT_FOUND/);
      const all = run('vault', 'secret', 'list', ...KV, '--include-deleted');
      assert.match(all.stdout, /^app-secret +deleted /m);
      assert.match(all.stdout, /^app-id +active /m);
      json<SecretInfo>('vault', 'secret', 'recover', ...KV, 'app-secret');
      assert.equal(reveal('app-secret').value, DASH_VALUE);

      json('vault', 'secret', 'delete', ...KV, 'app-secret');
      assert.deepEqual(json('vault', 'secret', 'purge', ...KV, 'app-secret'), {
        name: 'app-secret',
        purged: true,
      });
      assert.deepEqual(
        json<SecretInfo[]>('vault', 'secret', 'list', ...KV, '--include-deleted').map((s) => s.name),
        ['app-id'],
      );
      const restored = json<SecretInfo>('vault', 'secret', 'restore', ...KV, '--file', backupFile);
      assert.equal(restored.name, 'app-secret');
      assert.equal(json<SecretInfo[]>('vault', 'secret', 'versions', ...KV, 'app-secret').length, 3);
      assert.equal(reveal('app-secret').value, DASH_VALUE);
      fails(['vault', 'secret', 'restore', ...KV, '--file', backupFile], /ERR_VAULT_SECRET_EXISTS/);
    });

    it("shows and changes a vault's settings; purge protection refuses a purge", () => {
      const shown = json<{ url: string; softDelete: boolean; retentionDays: number }>('vault', 'show', 'kv2');
      assert.equal(shown.url, 'https://kv2.vault.localhost:8443');
      assert.equal(shown.softDelete, true);
      assert.equal(shown.retentionDays, 90);
      const set = json<{ recoveryLevel: string; purgeProtection: boolean }>(
        'vault',
        'set',
        'kv2',
        '--retention-days',
        '30',
        '--purge-protection',
      );
      assert.equal(set.purgeProtection, true);
      assert.equal(set.recoveryLevel, 'CustomizedRecoverable');
      fails(['vault', 'set', 'kv2', '--soft-delete', 'off'], /ERR_VAULT_BAD_PARAMETER/);
      fails(['vault', 'set', 'kv2'], /ERR_USAGE: Nothing to change/);
      assert.equal(withStdin('p', 'vault', 'secret', 'set', '--vault', 'kv2', 'kept', '--stdin').status, 0);
      json('vault', 'secret', 'delete', '--vault', 'kv2', 'kept');
      fails(['vault', 'secret', 'purge', '--vault', 'kv2', 'kept'], /ERR_VAULT_PURGE_PROTECTED/);
    });

    it('audits every read and write as the cli, and no value is in the audit, the output or the files', async () => {
      const store = await openStore({ location, dataDir: cli.dataDir, migrations: MIGRATIONS });
      const rows = await tablesOf<AuditTables>(store.db)
        .selectFrom('audit_events')
        .selectAll()
        .where('plane', '=', 'vault')
        .execute()
        .finally(() => store.close());
      const dump = JSON.stringify(rows);
      for (const v of VALUES) {
        assert.ok(!dump.includes(v), `the audit table holds ${v}`);
        for (const out of printed) assert.ok(!out.includes(v), `printed without --reveal: ${out}`);
      }
      assert.ok(rows.every((r) => r.actor === 'cli'));
      const has = (action: string, outcome: string, target: RegExp, reason?: string) =>
        assert.ok(
          rows.some(
            (r) =>
              r.action === action &&
              r.outcome === outcome &&
              target.test(r.target ?? '') &&
              (reason === undefined || r.reason === reason),
          ),
          `${action} ${outcome} ${target} in ${rows.map((r) => `${r.action}:${r.outcome}:${r.target}`).join(', ')}`,
        );
      has('secret.set', 'success', /^kv1\/app-secret\/[0-9a-f]{32}$/);
      has('secret.get', 'success', /^kv1\/app-secret\/[0-9a-f]{32}$/);
      has('secret.get', 'failure', /^kv1\/app-secret$/, 'ERR_VAULT_SECRET_DISABLED');
      has('secret.show', 'success', /^kv1\/app-secret\/[0-9a-f]{32}$/);
      has('secret.show', 'failure', /^kv1\/app-secret$/, 'ERR_VAULT_SECRET_NOT_FOUND');
      has('secret.set', 'failure', /^fn\/x$/, 'ERR_VALIDATION');
      for (const action of [
        'secret.list',
        'secret.list-deleted',
        'secret.versions',
        'secret.update',
        'secret.delete',
        'secret.recover',
        'secret.purge',
        'secret.backup',
        'secret.restore',
        'vault.update',
      ]) {
        assert.ok(
          rows.some((r) => r.action === action && r.outcome === 'success'),
          `${action} is audited`,
        );
      }
      has('secret.purge', 'failure', /^kv2\/kept$/, 'ERR_VAULT_PURGE_PROTECTED');
      if (kind === 'sqlite') {
        for (const f of fs.readdirSync(cli.dataDir).filter((n) => n.startsWith('lanyard.db'))) {
          const bytes = fs.readFileSync(path.join(cli.dataDir, f));
          for (const v of VALUES) assert.equal(bytes.indexOf(v), -1, `${f} holds ${v} in clear`);
        }
      }
    });
  });
}
