import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openCli } from './lanyard.ts';

interface Key {
  kid: string;
  state: string;
  activateAt: string;
  retireAt: string | null;
}

test('lanyard keys: list, rotate with a lead time, rotate --now, revoke', () => {
  const cli = openCli();
  after(() => cli.cleanup());
  // keys only reads and rotates: the data folder must exist, so make it with a tenant.
  assert.equal(cli.run('tenant', 'create', '--name', 'contoso').status, 0);
  const first = cli.json<Key[]>('keys', 'list');
  assert.equal(first.length, 1);
  assert.equal(first[0]!.state, 'active');

  const pending = cli.json<Key>('keys', 'rotate');
  assert.equal(pending.state, 'pending', 'a rotated key is published but does not sign before the lead time');
  const afterRotate = cli.json<Key[]>('keys', 'list');
  assert.equal(afterRotate.find((k) => k.kid === first[0]!.kid)?.state, 'active');
  assert.equal(afterRotate.find((k) => k.kid === first[0]!.kid)?.retireAt, pending.activateAt);

  const now = cli.json<Key>('keys', 'rotate', '--now');
  assert.equal(now.state, 'active');
  const states = new Map(cli.json<Key[]>('keys', 'list').map((k) => [k.kid, k.state]));
  assert.equal(states.get(first[0]!.kid), 'retired', 'the old key stays published until its tokens expire');

  const refused = cli.run('keys', 'revoke', 'no-such-kid', '--yes');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /ERR_NOT_FOUND/);
  assert.equal(cli.run('keys', 'revoke', now.kid).status, 2, '--yes is required');
  assert.equal(cli.run('keys', 'revoke', now.kid, '--yes').status, 0);
  const final = cli.json<Key[]>('keys', 'list');
  assert.equal(final.find((k) => k.kid === now.kid)?.state, 'revoked');
  assert.equal(final.filter((k) => k.state === 'active').length, 1, 'a replacement signs after a revocation');
});
