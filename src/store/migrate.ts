/**
 * @module store/migrate
 * Versioned migrations, run at every start. A second start is a no-op. A database that has run a migration
 * this code does not know was written by a newer Lanyard: we refuse to start rather than guess. The
 * migrations themselves live in the planes that own the tables (`<plane>/migrations/`); the host passes them in.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { LanyardError } from '../errors/lanyard-error.ts';
export const MIGRATION_TABLE = 'lanyard_migration';
const LOCK_TABLE = 'lanyard_migration_lock';

export interface MigrateOptions {
  /** PostgreSQL schema holding Lanyard's tables; undefined on SQLite. */
  schema?: string | undefined;
}

async function appliedMigrations(db: Kysely<unknown>, schema: string | undefined): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  const exists = tables.some(
    (t) => t.name === MIGRATION_TABLE && (schema === undefined || t.schema === schema),
  );
  if (!exists) return [];
  const table = schema === undefined ? sql.table(MIGRATION_TABLE) : sql.table(`${schema}.${MIGRATION_TABLE}`);
  const result = await sql<{ name: string }>`select name from ${table} order by name`.execute(db);
  return result.rows.map((r) => r.name);
}

/** Brings the schema up to date. Returns the names of the migrations it ran (empty when already current). */
export async function migrateToLatest(
  db: Kysely<unknown>,
  migrations: Readonly<Record<string, Migration>>,
  options: MigrateOptions = {},
): Promise<string[]> {
  const known = new Set(Object.keys(migrations));
  const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };
  const applied = await appliedMigrations(db, options.schema);
  const unknown = applied.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new LanyardError(
      'ERR_STORE_SCHEMA_NEWER',
      `The database schema is newer than this Lanyard: it has run migration(s) ${unknown.join(', ')}, which this version does not know.`,
      {
        hint: 'Run the Lanyard version that last migrated this database (or newer), or point --data-dir / LANYARD_STORE at another database.',
        details: { unknownMigrations: unknown, latestKnown: [...known].at(-1) },
      },
    );
  }
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: LOCK_TABLE,
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new LanyardError(
      'ERR_STORE_MIGRATION',
      `Schema migration ${failed ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
        hint: 'Nothing was changed by the failed migration. Check the database is reachable and writable.',
      },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
