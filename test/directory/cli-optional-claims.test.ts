/**
 * @module test/directory/cli-optional-claims
 * `lanyard app create|update --optional-claim` through the real binary (SQLite): NAME and NAME:PROPERTY set
 * Entra's shape, an update replaces the list, --no-optional-claim empties it, `app show` lists them, and a
 * name Lanyard cannot emit exits non-zero with ERR_VALIDATION and the hint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Application } from '../../src/directory/types.ts';
import { type Cli, CREATE_ORDERS_APP, openCli } from '../cli/lanyard.ts';

describe('lanyard app --optional-claim', () => {
  let cli: Cli;
  before(() => {
    cli = openCli();
    cli.json('tenant', 'create', '--name', 'contoso');
  });
  after(() => cli.cleanup());

  const names = (app: Application) =>
    app.optionalClaims.accessToken.map((c) => [c.name, c.additionalProperties]);

  test('create, update, show and clear', () => {
    const app = cli.json<Application>(...CREATE_ORDERS_APP, '--optional-claim', 'idtyp');
    assert.deepEqual(app.optionalClaims.accessToken, [
      { name: 'idtyp', source: null, essential: false, additionalProperties: [] },
    ]);

    const updated = cli.json<Application>(
      'app',
      'update',
      'orders',
      '--optional-claim',
      'aud:use_guid',
      '--optional-claim',
      'idtyp',
    );
    assert.deepEqual(names(updated), [
      ['aud', ['use_guid']],
      ['idtyp', []],
    ]);
    const kept = cli.json<Application>('app', 'update', 'orders', '--display-name', 'Orders');
    assert.deepEqual(names(kept), names(updated), 'an update without the option keeps the claims');

    const shown = cli.run('app', 'show', 'orders');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^optional claims +aud:use_guid\n +idtyp$/m);

    const cleared = cli.json<Application>('app', 'update', 'orders', '--no-optional-claim');
    assert.deepEqual(cleared.optionalClaims.accessToken, []);
  });

  test('a name Lanyard cannot emit is refused with ERR_VALIDATION and the names it can', () => {
    const r = cli.run('app', 'create', '--name', 'mail', '--optional-claim', 'email', '-o', 'json');
    assert.notEqual(r.status, 0);
    const body = JSON.parse(r.stderr || r.stdout) as { error: { code: string; hint: string } };
    assert.equal(body.error.code, 'ERR_VALIDATION');
    assert.match(body.error.hint, /idtyp, aud/);
    const list = cli.json<Application[]>('app', 'list');
    assert.equal(
      list.some((a) => a.name === 'mail'),
      false,
    );
  });
});
