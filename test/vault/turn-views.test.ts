/**
 * The vault's management view, checked once per event-loop turn (src/vault/turn-views.ts): calls of one turn
 * share one read of the store's versions, the next turn reads again and sees a write made meanwhile, and a
 * failed read is not kept.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Directory } from '../../src/directory/directory.ts';
import { TurnViews } from '../../src/vault/turn-views.ts';
import { openVault, type VaultFixture } from './helpers.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let f: VaultFixture;
let reads = 0;
let failNext = false;
before(async () => {
  f = await openVault('sqlite');
  const d: Directory = f.directory;
  const version = d.version.bind(d);
  d.version = () => {
    reads++;
    if (failNext) {
      failNext = false;
      return Promise.reject(new Error('the store is away'));
    }
    return version();
  };
});
after(async () => f?.cleanup());

const vaultNames = (v: Awaited<ReturnType<TurnViews['get']>>) =>
  [...v.resources.values()].filter((r) => r.type === 'Microsoft.KeyVault/vaults').map((r) => r.name);

test('calls of one turn share one read; the next turn reads again and sees a write', async () => {
  const views = new TurnViews(f.directory);
  await nextTurn();
  reads = 0;
  const a = views.get();
  const b = views.get();
  assert.equal(a, b);
  assert.deepEqual(vaultNames(await a), ['kv1']);
  assert.equal(reads, 1);
  await f.directory.createResource('contoso', { name: 'kv2', kind: 'vault' });
  await nextTurn();
  const c = await views.get();
  assert.equal(reads, 2);
  assert.deepEqual(vaultNames(c).sort(), ['kv1', 'kv2']);
});

test('a failed read is not kept: the next call reads again', async () => {
  const views = new TurnViews(f.directory);
  await nextTurn();
  reads = 0;
  failNext = true;
  await assert.rejects(views.get(), /the store is away/);
  const v = await views.get();
  assert.ok(vaultNames(v).includes('kv1'));
  assert.equal(reads, 2);
});
