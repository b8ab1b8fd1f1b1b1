/**
 * @module store/handle
 * The store's one Kysely handle, and each owner's typed view of it. The store knows no plane's tables: its
 * handle (`StoreDb`, the connection or an open transaction on it) is typed with none, so no query compiles
 * through it. A plane declares its tables in its own `tables.ts` (an interface named `…Tables`) and reads
 * and writes them through `tablesOf<ItsTables>(db)`; it reads another plane's data only by calling that
 * plane's functions, never by naming its tables (`scripts/check-tables.ts` checks `src/` for that).
 */
import type { Kysely } from 'kysely';

/** A handle typed with no tables: the host passes it to every plane, and planes pass it to each other. */
export type StoreDb = Kysely<NoTables>;

/** No table at all: `selectFrom('x')` does not compile through a handle of this type. */
export type NoTables = Record<never, never>;

/**
 * The handle under any owner's view of it, for what only passes it on or writes the store's own tables
 * (`markChanged`, the directory's version bump): a `Kysely<A>` is assignable to no `Kysely<B>` but this one.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one type every view of the handle is assignable to
export type AnyStoreDb = Kysely<any>;

/**
 * `db` seen as a handle on the tables `T`. Table types exist only for the compiler: the returned object is
 * `db` itself, so a query through the view runs on the same connection, inside the same transaction when `db`
 * is one, and per-handle caches keyed on it still hit. That is what makes the cast sound, together with one
 * rule the caller keeps: `T` names only tables the migrations create, with the column types they give them
 * (`openStore` runs every migration before it hands the handle out). Kysely's own `withTables<T>()` only adds
 * tables to a handle's type and returns a copy; this turns any view into any other, the bare one included.
 */
export function tablesOf<T>(db: AnyStoreDb): Kysely<T> {
  return db as Kysely<T>;
}
