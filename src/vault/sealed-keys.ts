/**
 * @module vault/sealed-keys
 * Keys kept in the store, sealed under the master key (migration `0012-sealed-keys`), so that a master-key
 * rotation re-wraps them instead of changing them. One for now: the secret-hash key (crypto/secret-hash),
 * which every stored client-secret, workload, gateway-key and Functions-key hash is keyed by. The vault
 * plane owns the table as it owns the master key's rotation (`lanyard vault rotate-master-key`).
 */
import type { Envelope } from '../crypto/envelope.ts';
import type { SealedColumns } from '../plane/rewrap-kit.ts';
import { type AnyStoreDb, tablesOf } from '../store/handle.ts';

export interface SealedKeysTable {
  /** What the key is for, e.g. `secret-hash`. */
  name: string;
  /** The key's bytes, sealed (crypto/envelope), AAD `lanyard|sealed-key|<name>`. */
  key_sealed: string;
  created_at: string;
}

export interface SealedKeyTables {
  sealed_keys: SealedKeysTable;
}

export const SEALED_KEYS_COLUMNS: SealedColumns = {
  table: 'sealed_keys',
  key: ['name'],
  sealed: ['key_sealed'],
};

const SECRET_HASH = 'secret-hash';
const aad = (name: string) => `lanyard|sealed-key|${name}`;

/**
 * The store's secret-hash key. On the store's first start with this table, `initial()` gives it — the key
 * earlier versions derived from the master key, so every hash already stored keeps verifying — and it is
 * stored sealed; if another process stored one first, theirs is used. After that it is only ever opened.
 */
export async function loadSecretHashKey(
  db: AnyStoreDb,
  envelope: Pick<Envelope, 'seal' | 'open'>,
  initial: () => Promise<Buffer>,
  now: () => Date = () => new Date(),
): Promise<Buffer> {
  const t = tablesOf<SealedKeyTables>(db);
  const read = () =>
    t.selectFrom('sealed_keys').select('key_sealed').where('name', '=', SECRET_HASH).executeTakeFirst();
  let row = await read();
  if (!row) {
    const key = await initial();
    try {
      await t
        .insertInto('sealed_keys')
        .values({
          name: SECRET_HASH,
          key_sealed: envelope.seal(key, aad(SECRET_HASH)),
          created_at: now().toISOString(),
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    } finally {
      key.fill(0);
    }
    row = await read();
  }
  if (!row) throw new Error('the secret-hash key was stored but cannot be read back');
  return envelope.open(row.key_sealed, aad(SECRET_HASH));
}
