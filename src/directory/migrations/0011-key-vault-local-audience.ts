/**
 * @module store/migrations/0011-key-vault-local-audience
 * Key Vault's first-party app also answers to `https://vault.localhost`: the resource a vault served at
 * `https://<vault>.vault.localhost` names in its challenge (the SDK requires the vault's host to end in the
 * challenge resource's host), so a token for it must be issuable. New tenants get it from the first-party
 * list; this adds it to the tenants made before. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

const KEY_VAULT_APP_ID = 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093';
const URI = 'https://vault.localhost';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  const apps = await db
    .selectFrom('applications')
    .select(['object_id', 'tenant_id'])
    .where('app_id', '=', KEY_VAULT_APP_ID)
    .where('first_party', '=', 1)
    .execute();
  for (const app of apps) {
    const taken = await db
      .selectFrom('identifier_uris')
      .select('uri')
      .where('tenant_id', '=', app.tenant_id)
      .where('uri_key', '=', URI)
      .executeTakeFirst();
    if (taken) continue;
    const last = await db
      .selectFrom('identifier_uris')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('app_object_id', '=', app.object_id)
      .executeTakeFirst();
    await db
      .insertInto('identifier_uris')
      .values({
        tenant_id: app.tenant_id,
        uri_key: URI,
        uri: URI,
        app_object_id: app.object_id,
        position: Number(last?.p ?? -1) + 1,
      })
      .execute();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db
    .deleteFrom('identifier_uris')
    .where('uri_key', '=', URI)
    .where(
      'app_object_id',
      'in',
      db.selectFrom('applications').select('object_id').where('app_id', '=', KEY_VAULT_APP_ID),
    )
    .execute();
}
