/**
 * @module store/migrations/0006-app-optional-claims
 * The optional claims an app asks for in its access tokens (Entra's `optionalClaims.accessToken`), as a JSON
 * list on the app's row. Existing apps ask for none, which is what the issuer now emits for them: `idtyp` only
 * when asked. Frozen in time (see 0001).
 */
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('applications')
    .addColumn('access_token_claims', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: migrations are typed against no schema on purpose.
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applications').dropColumn('access_token_claims').execute();
}
