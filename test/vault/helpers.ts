/**
 * @module test/vault/helpers
 * A Directory with an envelope over a fresh test store, a tenant and a resource of kind vault, a settable
 * clock, and a look at the vault's raw rows.
 */
import { randomBytes } from 'node:crypto';
import { createEnvelope, type Envelope, type Keyring } from '../../src/crypto/envelope.ts';
import { type MasterKey, masterKeyFromBytes } from '../../src/crypto/master-key.ts';
import { generateClientSecret } from '../../src/crypto/random.ts';
import { createSecretHasher } from '../../src/crypto/secret-hash.ts';
import { Directory } from '../../src/directory/directory.ts';
import { tablesOf } from '../../src/store/handle.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { resolveVault, type VaultRef } from '../../src/vault/store.ts';
import type { VaultTables } from '../../src/vault/tables.ts';
import { openTestStore, type TestStore } from '../helpers/stores.ts';

export const SUB = '11111111-2222-3333-4444-555555555555';

export interface VaultFixture extends TestStore {
  directory: Directory;
  envelope: Envelope;
  masterKey: MasterKey;
  clock: { now: Date };
  vault: VaultRef;
  /** The same store through another keyring (another master key, or a rotation). */
  withKeyring(keyring: Keyring): Directory;
}

export const newMasterKey = (): MasterKey => masterKeyFromBytes(randomBytes(32));

export async function openVault(kind: StoreDialect, masterKey = newMasterKey()): Promise<VaultFixture> {
  const ts = await openTestStore(kind);
  const clock = { now: new Date('2030-01-01T00:00:00Z') };
  const make = (keyring: Keyring) =>
    new Directory(ts.store.db, {
      hasher: createSecretHasher(masterKey),
      generateSecret: generateClientSecret,
      now: () => clock.now,
      envelope: createEnvelope(keyring),
    });
  const envelope = createEnvelope({ current: masterKey });
  const directory = make({ current: masterKey });
  await directory.createTenant({ name: 'contoso', defaultSubscriptionId: SUB });
  await directory.createResource('contoso', { name: 'kv1', kind: 'vault' });
  const vault = await resolveVault(directory, 'contoso', 'kv1');
  return { ...ts, directory, envelope, masterKey, clock, vault, withKeyring: make };
}

export const vaultTables = (f: TestStore) => tablesOf<VaultTables>(f.store.db);

export const advance = (f: { clock: { now: Date } }, seconds: number): void => {
  f.clock.now = new Date(f.clock.now.getTime() + seconds * 1000);
};

/** An assert.rejects predicate for a LanyardError of `code`. */
export const code = (expected: string) => (err: unknown) => {
  if ((err as { code?: unknown }).code !== expected) {
    throw new Error(
      `expected ${expected}, got ${(err as { code?: unknown }).code}: ${(err as Error).message}`,
    );
  }
  return true;
};
