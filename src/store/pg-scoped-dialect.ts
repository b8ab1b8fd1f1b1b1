/**
 * @module store/pg-scoped-dialect
 * Kysely's PostgreSQL dialect, with table introspection confined to Lanyard's own schema.
 *
 * Why: the migrator asks "does the migration table exist?" through `introspection.getTables()`, and Kysely's
 * PostgreSQL introspector reads every table of every schema in the database, calling `has_schema_privilege` by
 * schema name on each. When another installation (or a test) drops its schema during that read, the name no
 * longer resolves and the start fails with `schema "…" does not exist`. Here the tables come from one join of
 * the catalogue filtered on our schema's name, with no lookups by name: nothing another schema does can fail it.
 * Columns are not listed (nothing in Lanyard reads them; the migrator needs names only).
 */
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresIntrospector,
  type SchemaMetadata,
  sql,
  type TableMetadata,
} from 'kysely';

class SchemaScopedIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #schema: string;
  readonly #all: PostgresIntrospector;

  constructor(db: Kysely<unknown>, schema: string) {
    this.#db = db;
    this.#schema = schema;
    this.#all = new PostgresIntrospector(db);
  }

  /** Schema names only (`pg_namespace`): no per-schema lookups, safe as it is. */
  getSchemas(): Promise<SchemaMetadata[]> {
    return this.#all.getSchemas();
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${this.#schema} and c.relkind in ('r', 'v', 'p')
      order by c.relname`.execute(this.#db);
    return rows.map((r) => ({ name: r.name, schema: this.#schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

export class SchemaScopedPostgresDialect extends PostgresDialect {
  readonly #schema: string;

  constructor(config: PostgresDialectConfig, schema: string) {
    super(config);
    this.#schema = schema;
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.#schema);
  }
}
