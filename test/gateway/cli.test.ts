/**
 * @module test/gateway/cli
 * The real `lanyard gateway …` binary against a data folder of its own: a gateway on a resource of kind
 * gateway; APIs (create, update, import from an OpenAPI document with its warnings, delete refused while a
 * product names it), operations, products and their APIs, subscriptions (keys printed by create, keys and
 * regenerate only; suspend and activate), named values (a secret one from a file or stdin, never printed, never
 * from the command line), backends, and policies at each scope (a document that does not load refused with
 * its file:line:column and nothing stored). An unknown gateway is refused; -o json and -o tsv.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCli } from '../cli/lanyard.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GW = ['--gateway', 'apim'];

const OPENAPI = `openapi: 3.0.1
info: { title: Pets, version: '1' }
servers: [{ url: 'http://127.0.0.1:7071/pets-api' }]
components:
  securitySchemes:
    oauth: { type: oauth2, flows: { clientCredentials: { tokenUrl: 'https://x/token', scopes: {} } } }
paths:
  /pets:
    get: { operationId: listPets, summary: List pets }
  /pets/{id}:
    get: { operationId: getPet }
    delete: {}
`;

describe('lanyard gateway …', () => {
  const cli = openCli();
  const file = (name: string, text: string) => {
    const p = path.join(cli.dataDir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  const fails = (args: string[], code: RegExp) => {
    const r = cli.run(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, code);
    return r;
  };

  before(() => {
    assert.equal(cli.run('tenant', 'create', '--name', 'contoso').status, 0);
    assert.equal(cli.run('resource', 'create', '--name', 'apim', '--kind', 'gateway').status, 0);
    assert.equal(cli.run('resource', 'create', '--name', 'fn', '--kind', 'app').status, 0);
  });
  after(() => cli.cleanup());

  it('creates a gateway on a gateway resource only, and refuses an unknown one', () => {
    const g = cli.json<{ name: string; apis: number }>('gateway', 'create', ...GW, '--port', '0');
    assert.deepEqual([g.name, g.apis], ['apim', 0]);
    fails(['gateway', 'create', ...GW], /ERR_CONFLICT/);
    fails(['gateway', 'create', '--gateway', 'fn'], /ERR_VALIDATION: Resource "fn" is of kind app/);
    fails(['gateway', 'api', 'list', '--gateway', 'nope'], /ERR_NOT_FOUND: Resource "nope"/);
    fails(['gateway', 'api', 'list'], /ERR_USAGE: Name the gateway with --gateway/);
    assert.match(cli.run('gateway', 'list').stdout, /^apim +any +0 /m);
  });

  it('APIs and operations: create, update, import with warnings, show, list, delete', () => {
    const api = cli.json<{ path: string; serviceUrl: string }>(
      'gateway',
      'api',
      'create',
      'orders',
      ...GW,
      '--path',
      '/orders/',
      '--service-url',
      'http://127.0.0.1:7071',
    );
    assert.deepEqual([api.path, api.serviceUrl], ['orders', 'http://127.0.0.1:7071']);
    fails(
      ['gateway', 'api', 'create', 'bad', ...GW, '--path', 'x', '--service-url', 'ftp://x'],
      /ERR_VALIDATION/,
    );
    const op = cli.json<{ method: string }>(
      'gateway',
      'operation',
      'create',
      'get-order',
      ...GW,
      '--api',
      'orders',
      '--method',
      'GET',
      '--url-template',
      '/orders/{id}',
    );
    assert.equal(op.method, 'GET');
    fails(
      [
        'gateway',
        'operation',
        'create',
        'x',
        ...GW,
        '--api',
        'orders',
        '--method',
        'GET',
        '--url-template',
        '/a/{b}.{c}',
      ],
      /ERR_VALIDATION/,
    );
    const updated = cli.json<{ subscriptionRequired: boolean; path: string }>(
      'gateway',
      'api',
      'update',
      'orders',
      ...GW,
      '--subscription-required',
      'false',
    );
    assert.deepEqual([updated.subscriptionRequired, updated.path], [false, 'orders']);

    const imported = cli.run(
      'gateway',
      'api',
      'import',
      ...GW,
      '--file',
      file('pets.yaml', OPENAPI),
      '--name',
      'pets',
      '--path',
      'pets',
    );
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /^warning: .*oauth/m);
    const ops = cli.run('gateway', 'operation', 'list', ...GW, '--api', 'pets', '-o', 'tsv');
    assert.deepEqual(
      ops.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t').slice(0, 3).join(' '))
        .sort(),
      ['delete-pets-id DELETE /pets/{id}', 'getPet GET /pets/{id}', 'listPets GET /pets'],
    );
    assert.equal(
      cli.json<{ serviceUrl: string }>('gateway', 'api', 'show', 'pets', ...GW).serviceUrl,
      'http://127.0.0.1:7071/pets-api',
    );
    assert.equal(cli.run('gateway', 'operation', 'delete', 'getPet', ...GW, '--api', 'pets').status, 0);
    assert.equal(cli.json<unknown[]>('gateway', 'operation', 'list', ...GW, '--api', 'pets').length, 2);
  });

  it('products and their APIs; an API in a product is not deleted', () => {
    cli.json('gateway', 'product', 'create', 'starter', ...GW, '--published', 'true');
    const p = cli.json<{ apis: string[] }>(
      'gateway',
      'product',
      'add-api',
      'starter',
      ...GW,
      '--api',
      'pets',
    );
    assert.deepEqual(p.apis, ['pets']);
    fails(['gateway', 'product', 'add-api', 'starter', ...GW, '--api', 'nope'], /ERR_NOT_FOUND/);
    fails(['gateway', 'api', 'delete', 'pets', ...GW], /ERR_IN_USE/);
    assert.deepEqual(
      cli.json<{ apis: string[] }>('gateway', 'product', 'remove-api', 'starter', ...GW, '--api', 'pets')
        .apis,
      [],
    );
    assert.equal(cli.run('gateway', 'api', 'delete', 'pets', ...GW).status, 0);
  });

  it('subscriptions: keys printed by create, keys and regenerate only', () => {
    const created = cli.run('gateway', 'subscription', 'create', 'dev', ...GW, '--scope', 'product:starter');
    assert.equal(created.status, 0, created.stderr);
    const primary = /PRIMARY KEY +([0-9a-f]{32})/.exec(created.stdout)?.[1];
    const secondary = /SECONDARY KEY +([0-9a-f]{32})/.exec(created.stdout)?.[1];
    assert.ok(primary && secondary, created.stdout);
    fails(['gateway', 'subscription', 'create', 'x', ...GW, '--scope', 'product:none'], /ERR_VALIDATION/);
    for (const args of [
      ['gateway', 'subscription', 'list', ...GW],
      ['gateway', 'subscription', 'show', 'dev', ...GW, '-o', 'json'],
      ['gateway', 'subscription', 'suspend', 'dev', ...GW],
    ]) {
      const r = cli.run(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        !r.stdout.includes(primary) && !r.stdout.includes(secondary),
        `${args.join(' ')} shows no key`,
      );
    }
    assert.equal(
      cli.json<{ state: string }>('gateway', 'subscription', 'show', 'dev', ...GW).state,
      'suspended',
    );
    assert.equal(
      cli.json<{ state: string }>('gateway', 'subscription', 'activate', 'dev', ...GW).state,
      'active',
    );
    assert.deepEqual(cli.json('gateway', 'subscription', 'keys', 'dev', ...GW), {
      name: 'dev',
      primaryKey: primary,
      secondaryKey: secondary,
    });
    const regenerated = cli.json<{ value: string }>(
      'gateway',
      'subscription',
      'regenerate',
      'dev',
      ...GW,
      '--key',
      'secondary',
    );
    assert.notEqual(regenerated.value, secondary);
    const now = cli.json<{ primaryKey: string; secondaryKey: string }>(
      'gateway',
      'subscription',
      'keys',
      'dev',
      ...GW,
    );
    assert.deepEqual([now.primaryKey, now.secondaryKey], [primary, regenerated.value]);
    fails(['gateway', 'product', 'delete', 'starter', ...GW], /ERR_IN_USE/);
  });

  it('named values: a secret one from a file or stdin, never printed; backends', () => {
    fails(
      ['gateway', 'named-value', 'set', 'pk', ...GW, '--secret', '--value', 'on-the-command-line'],
      /ERR_USAGE/,
    );
    const set = cli.run(
      'gateway',
      'named-value',
      'set',
      'pk',
      ...GW,
      '--secret',
      '--value-file',
      file('pk.txt', 'file-secret-1\n'),
    );
    assert.equal(set.status, 0, set.stderr);
    assert.ok(!set.stdout.includes('file-secret-1'));
    const piped = spawnSync(
      process.execPath,
      ['bin/lanyard.js', 'gateway', 'named-value', 'set', 'pk2', ...GW, '--secret'],
      {
        cwd: ROOT,
        env: { ...process.env, LANYARD_DATA_DIR: cli.dataDir },
        input: 'stdin-secret-2',
        encoding: 'utf8',
      },
    );
    assert.equal(piped.status, 0, piped.stderr);
    cli.json('gateway', 'named-value', 'set', 'plain', ...GW, '--value', 'visible');
    for (const args of [
      ['gateway', 'named-value', 'list', ...GW],
      ['gateway', 'named-value', 'list', ...GW, '-o', 'json'],
      ['gateway', 'named-value', 'show', 'pk', ...GW, '-o', 'tsv'],
    ]) {
      const r = cli.run(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!/file-secret-1|stdin-secret-2/.test(r.stdout), `${args.join(' ')} shows no secret`);
    }
    assert.deepEqual(cli.json('gateway', 'named-value', 'show', 'plain', ...GW), {
      name: 'plain',
      secret: false,
      value: 'visible',
    });
    cli.json('gateway', 'backend', 'create', 'b1', ...GW, '--url', 'http://127.0.0.1:9000');
    assert.equal(
      cli.json<{ url: string }>('gateway', 'backend', 'update', 'b1', ...GW, '--description', 'x').url,
      'http://127.0.0.1:9000',
    );
    assert.equal(cli.run('gateway', 'named-value', 'delete', 'pk2', ...GW).status, 0);
    assert.equal(cli.json<unknown[]>('gateway', 'named-value', 'list', ...GW).length, 2);
  });

  it('policies: set and show at each scope; a document that does not load is refused at its position', () => {
    const good = file(
      'op.xml',
      '<policies>\n  <inbound><base /><set-header name="X-Pk" exists-action="override"><value>{{plain}}</value></set-header></inbound>\n  <backend><base /></backend>\n  <outbound><base /></outbound>\n  <on-error><base /></on-error>\n</policies>\n',
    );
    const op = ['--scope', 'operation', '--api', 'orders', '--operation', 'get-order'];
    assert.equal(cli.run('gateway', 'policy', 'set', ...GW, ...op, '--file', good).status, 0);
    assert.equal(cli.run('gateway', 'policy', 'show', ...GW, ...op).stdout, fs.readFileSync(good, 'utf8'));
    const bad = file(
      'bad.xml',
      '<policies>\n  <inbound>\n    <no-such-policy />\n  </inbound>\n</policies>\n',
    );
    for (const scope of [['--scope', 'global'], ['--scope', 'api', '--api', 'orders'], op]) {
      const r = fails(['gateway', 'policy', 'set', ...GW, ...scope, '--file', bad], /ERR_GATEWAY_POLICY/);
      assert.match(r.stderr, /bad\.xml:3:5: <no-such-policy> is not a policy/);
    }
    assert.equal(cli.run('gateway', 'policy', 'show', ...GW, ...op).stdout, fs.readFileSync(good, 'utf8'));
    assert.match(cli.run('gateway', 'policy', 'show', ...GW).stdout, /# no policy at global/);
    fails(
      ['gateway', 'policy', 'set', ...GW, '--scope', 'product', '--file', good],
      /--scope product needs --product/,
    );
    assert.equal(cli.run('gateway', 'policy', 'delete', ...GW, ...op).status, 0);
    assert.match(cli.run('gateway', 'policy', 'show', ...GW, ...op).stdout, /# no policy/);
  });

  it('deletes the gateway, keeping its resource', () => {
    assert.equal(cli.run('gateway', 'delete', ...GW).status, 0);
    fails(['gateway', 'show', ...GW], /ERR_NOT_FOUND: Resource "apim" has no gateway/);
    assert.equal(cli.run('resource', 'show', 'apim').status, 0);
  });
});
