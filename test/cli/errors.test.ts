/**
 * How the directory commands fail, through the real binary (SQLite): the error code and a hint on stderr
 * with exit code 1 for refusals, JSON errors with `-o json`, exit code 2 for command-line mistakes, and the
 * tenant question when more than one tenant exists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Application } from '../../src/directory/types.ts';
import { type Cli, openCli } from './lanyard.ts';

describe('lanyard directory command errors (sqlite)', () => {
  let cli: Cli;
  before(() => {
    cli = openCli();
    assert.equal(cli.run('tenant', 'create', '--name', 'contoso').status, 0);
    assert.equal(cli.run('app', 'create', '--name', 'orders', '--role', 'Orders.Read').status, 0);
    assert.equal(
      cli.run('resource', 'create', '--name', 'runbooks', '--kind', 'app', '--system-identity').status,
      0,
    );
  });
  after(() => cli.cleanup());

  test('refusals exit 1 with the code and a hint, as text or as JSON', () => {
    const missing = cli.run('app', 'show', 'nope');
    assert.equal(missing.status, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^error ERR_NOT_FOUND: App "nope" was not found\.$/m);
    assert.match(missing.stderr, /^hint: .*lanyard app list/m);

    const json = cli.run('app', 'show', 'nope', '-o', 'json');
    assert.equal(json.status, 1);
    const body = JSON.parse(json.stderr) as { error: { code: string; message: string; hint?: string } };
    assert.equal(body.error.code, 'ERR_NOT_FOUND');
    assert.ok(body.error.hint);

    const badUri = cli.run('app', 'create', '--name', 'bad', '--identifier-uri', 'https://bad.example.com');
    assert.equal(badUri.status, 1);
    assert.match(
      badUri.stderr,
      /^error ERR_VALIDATION: Invalid identifier URI "https:\/\/bad\.example\.com"/m,
    );
    assert.match(badUri.stderr, /^hint: .*api:\/\/bad/m);

    const assign = [
      'role',
      'assign',
      '--principal',
      'resource:runbooks',
      '--app',
      'orders',
      '--role',
      'Orders.Read',
    ];
    assert.equal(cli.run(...assign).status, 0);
    const again = cli.run(...assign);
    assert.equal(again.status, 1);
    assert.match(
      again.stderr,
      /^error ERR_CONFLICT: "runbooks" already holds role "Orders\.Read" on app "orders"\.$/m,
    );
  });

  test('command-line mistakes exit 2 with usage', () => {
    const noName = cli.run('app', 'create', '--role', 'X');
    assert.equal(noName.status, 2);
    assert.match(noName.stderr, /required option '--name <name>' not specified/);
    assert.match(noName.stderr, /Usage: lanyard app create/);

    const neither = cli.run('role', 'unassign', '--app', 'orders');
    assert.equal(neither.status, 2);
    assert.match(neither.stderr, /name the assignment with --id, or with --principal and --app/);
  });

  test('a command-line mistake prints one line and the usage, not the whole help (exit 2)', () => {
    const noName = cli.run('tenant', 'create');
    assert.equal(noName.status, 2);
    assert.equal(noName.stdout, '');
    assert.equal(
      noName.stderr,
      [
        "error: required option '--name <name>' not specified",
        'Usage: lanyard tenant create [options]',
        'Run "lanyard tenant create --help" for the options.',
        '',
      ].join('\n'),
    );
    const unknown = cli.run('app', 'show', 'orders', '--bogus');
    assert.equal(unknown.status, 2);
    assert.equal(
      unknown.stderr,
      [
        "error: unknown option '--bogus'",
        'Usage: lanyard app show [options] <app>',
        'Run "lanyard app show --help" for the options.',
        '',
      ].join('\n'),
    );
    const noVerb = cli.run('tenant', 'frobnicate');
    assert.equal(noVerb.status, 2);
    assert.match(noVerb.stderr, /^error: unknown command 'frobnicate'$/m);
    assert.match(noVerb.stderr, /^Run "lanyard tenant --help" for the commands and options\.$/m);
    assert.doesNotMatch(noVerb.stderr, /Options:|Commands:/);
  });

  test('with two tenants a command needs --tenant or LANYARD_TENANT', () => {
    assert.equal(cli.run('tenant', 'create', '--name', 'fabrikam').status, 0);
    const which = cli.run('app', 'list');
    assert.equal(which.status, 1);
    assert.match(which.stderr, /^error ERR_USAGE: There are 2 tenants; say which one with --tenant\.$/m);
    assert.match(which.stderr, /^hint: Tenants: contoso, fabrikam\.$/m);

    assert.deepEqual(
      cli.json<Application[]>('--tenant', 'contoso', 'app', 'list').map((a) => a.name),
      ['orders'],
    );
    const byEnv = openCli({ dataDir: cli.dataDir, env: { LANYARD_TENANT: 'fabrikam' } });
    assert.deepEqual(byEnv.json('app', 'list'), []);
  });
});
