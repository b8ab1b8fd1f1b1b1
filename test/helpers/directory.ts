/**
 * @module test/helpers/directory
 * A Directory over a fresh test store of the given dialect, with the real secret hasher and a settable clock.
 */
import { randomBytes } from 'node:crypto';
import { masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { generateClientSecret } from '../../src/crypto/random.ts';
import { createSecretHasher } from '../../src/crypto/secret-hash.ts';
import { Directory } from '../../src/directory/directory.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { openTestStore, type TestStore } from './stores.ts';

export interface TestDirectory extends TestStore {
  directory: Directory;
  clock: { now: Date };
}

export async function openTestDirectory(kind: StoreDialect): Promise<TestDirectory> {
  const ts = await openTestStore(kind);
  const clock = { now: new Date() };
  const directory = new Directory(ts.store.db, {
    hasher: createSecretHasher(masterKeyFromBytes(randomBytes(32))),
    generateSecret: generateClientSecret,
    now: () => clock.now,
  });
  return { ...ts, directory, clock };
}
