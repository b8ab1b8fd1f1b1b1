/**
 * The table rule, checked: each table of the store has one owner (a folder of `src/`), and only the owner's
 * files name it in a query. Another plane reads the owner's data by calling the owner's functions.
 *
 * Where ownership comes from: every exported interface whose name ends in `Tables` (`DirectoryTables` in
 * `src/directory/tables.ts`, `ChangeFeedTables` in `src/store/change-feed.ts`) declares, one key per table, the
 * tables of the folder it sits in. A table two folders declare, or one a migration creates (`createTable('…')`)
 * and no folder declares, is reported too, so a new table cannot slip past the rule by having no owner.
 *
 * What counts as naming a table in a query, in a file of `src/` outside the owner's folder (comments ignored):
 * - a table name given literally to a Kysely builder call (`selectFrom('resources')`, `'resources as r'`,
 *   `['a', 'b']`, and `insertInto`, `updateTable`, `deleteFrom`, `mergeInto`, `replaceInto`, the joins,
 *   `using`), or to `sql.table('…')`;
 * - a table name after `from`, `join`, `into`, `update` or `table` inside raw SQL text: a `sql` template, or a
 *   string given to `.prepare(…)` or `.exec(…)`;
 * - an import of another folder's `tables.ts` (its row types are how a typed query on its tables is written).
 *
 * What it does not see: a table name computed at run time or passed in a variable, and raw SQL in other
 * strings. Foreign keys in migrations (`references('resources.id')`) are schema, not queries, and are allowed:
 * a plane's rows may hang off the directory's and go with them. Tests and benches look into every table on
 * purpose and are not checked.
 *
 * `node scripts/check-tables.ts` prints each violation and exits 1; `npm test` runs it. docs/store.md states
 * the rule.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface TableViolation {
  kind: 'foreign-query' | 'foreign-import' | 'no-owner' | 'two-owners';
  message: string;
}

const BUILDER_CALLS = [
  'selectFrom',
  'insertInto',
  'replaceInto',
  'updateTable',
  'deleteFrom',
  'mergeInto',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
  'crossJoinLateral',
  'using',
];
const BUILDER = new RegExp(
  `\\b(?:${BUILDER_CALLS.join('|')}|sql\\.table)\\(\\s*(\\[[^\\]]*\\]|'[^']*'|"[^"]*")`,
  'g',
);
const LITERAL = /'([^']*)'|"([^"]*)"/g;
/** Raw SQL text: a `sql` template, or a string literal given to `.prepare(` / `.exec(`. */
const RAW_SQL =
  /\bsql`((?:[^`\\]|\\.)*)`|\.(?:prepare|exec)\(\s*(?:`((?:[^`\\]|\\.)*)`|'([^']*)'|"([^"]*)")/g;
const RAW_TABLE = /\b(?:from|join|into|update|table)\s+["`]?([a-z_][a-z0-9_]*)/gi;
const TABLES_INTERFACE = /export\s+interface\s+\w+Tables\s*\{([^}]*)\}/g;
const CREATE_TABLE = /\bcreateTable\(\s*['"]([a-z_][a-z0-9_]*)['"]/g;
const RELATIVE_IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The text with block and line comments blanked (examples in comments do not count). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Table names a `…Tables` interface in this text declares. */
export function declaredTables(text: string): string[] {
  const names: string[] = [];
  for (const m of withoutComments(text).matchAll(TABLES_INTERFACE)) {
    for (const key of m[1]!.matchAll(/^\s*([a-z_][a-z0-9_]*)\s*:/gm)) names.push(key[1]!);
  }
  return names;
}

/** Names this text uses as tables in queries (builder calls, `sql.table`, raw SQL), once each. */
export function queriedNames(text: string): Set<string> {
  const code = withoutComments(text);
  const found = new Set<string>();
  for (const m of code.matchAll(BUILDER)) {
    for (const lit of m[1]!.matchAll(LITERAL)) {
      const name = (lit[1] ?? lit[2] ?? '').trim().split(/\s+/)[0];
      if (name) found.add(name);
    }
  }
  for (const m of code.matchAll(RAW_SQL)) {
    const raw = m[1] ?? m[2] ?? m[3] ?? m[4] ?? '';
    for (const t of raw.matchAll(RAW_TABLE)) found.add(t[1]!.toLowerCase());
  }
  return found;
}

export function checkTables(srcDir: string): TableViolation[] {
  const files = sourceFiles(srcDir);
  const folderOf = (file: string) => path.relative(srcDir, file).split(path.sep)[0]!;
  const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const violations: TableViolation[] = [];

  const owner = new Map<string, string>();
  for (const [file, text] of texts) {
    for (const table of declaredTables(text)) {
      const folder = folderOf(file);
      const other = owner.get(table);
      if (other !== undefined && other !== folder) {
        violations.push({
          kind: 'two-owners',
          message: `two owners: table ${table} is declared by src/${other}/ and src/${folder}/ (${path.relative(srcDir, file)})`,
        });
      } else owner.set(table, folder);
    }
  }
  for (const [file, text] of texts) {
    for (const m of withoutComments(text).matchAll(CREATE_TABLE)) {
      if (!owner.has(m[1]!)) {
        violations.push({
          kind: 'no-owner',
          message: `no owner: ${path.relative(srcDir, file)} creates table ${m[1]}, which no …Tables interface declares`,
        });
      }
    }
  }

  for (const [file, text] of texts) {
    const folder = folderOf(file);
    const where = path.relative(srcDir, file);
    for (const name of queriedNames(text)) {
      const tableOwner = owner.get(name);
      if (tableOwner !== undefined && tableOwner !== folder) {
        violations.push({
          kind: 'foreign-query',
          message: `foreign query: ${where} names table ${name}, owned by src/${tableOwner}/ (call its functions instead)`,
        });
      }
    }
    for (const m of withoutComments(text).matchAll(RELATIVE_IMPORT)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      if (path.basename(target) !== 'tables.ts' || !target.startsWith(srcDir)) continue;
      const targetFolder = folderOf(target);
      if (targetFolder !== folder) {
        violations.push({
          kind: 'foreign-import',
          message: `foreign import: ${where} imports ${path.relative(srcDir, target)} (the tables of src/${targetFolder}/)`,
        });
      }
    }
  }
  return violations;
}

if (import.meta.main) {
  const srcDir = path.resolve(import.meta.dirname, '..', 'src');
  const violations = checkTables(srcDir);
  for (const v of violations) console.log(v.message);
  if (violations.length > 0) {
    console.log(`${violations.length} table violation(s); docs/store.md explains who owns which table.`);
    process.exitCode = 1;
  } else {
    console.log('tables: every table has one owner, and only its owner names it in a query');
  }
}
