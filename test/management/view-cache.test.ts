/**
 * The management view, checked once per event-loop turn (src/management/view.ts, ViewCache): calls of one turn
 * share one read of the store's versions, the next turn reads again and sees a write made meanwhile, a failed
 * read is not kept, and the planes that read the view share one cache per directory.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Directory } from '../../src/directory/directory.ts';
import { ViewCache } from '../../src/management/view.ts';
import { openVault, type VaultFixture } from '../vault/helpers.ts';

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

const vaultNames = (v: Awaited<ReturnType<ViewCache['get']>>) =>
  [...v.resources.values()].filter((r) => r.type === 'Microsoft.KeyVault/vaults').map((r) => r.name);

test('calls of one turn share one read; the next turn reads again and sees a write', async () => {
  const views = new ViewCache(f.directory);
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
  const views = new ViewCache(f.directory);
  await nextTurn();
  reads = 0;
  failNext = true;
  await assert.rejects(views.get(), /the store is away/);
  const v = await views.get();
  assert.ok(vaultNames(v).includes('kv1'));
  assert.equal(reads, 2);
});

test('one shared cache per directory', () => {
  assert.equal(ViewCache.shared(f.directory), ViewCache.shared(f.directory));
  assert.notEqual(ViewCache.shared(f.directory), new ViewCache(f.directory));
});
