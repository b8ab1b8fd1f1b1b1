/**
 * @module test/store/table-ownership.test
 * The table rule (`scripts/check-tables.ts`): `src/` keeps it, and the check reports a plane naming another's
 * table in a query (builder call or raw SQL), importing another's `tables.ts`, a table with two owners, and a
 * table a migration creates that nobody declares; comments and foreign keys do not count.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkTables, queriedNames } from '../../scripts/check-tables.ts';
import { tempDir } from '../helpers/stores.ts';

const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');

const made: string[] = [];
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = tempDir('lanyard-tables-');
  made.push(dir);
  const root = path.join(dir, 'src');
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

const DIRECTORY_TABLES = `export interface DirectoryTables {\n  resources: ResourcesTable;\n  tenants: TenantsTable;\n}\n`;

describe('table ownership', () => {
  test('src/ keeps the rule', () => {
    assert.deepEqual(checkTables(SRC), []);
  });

  test('finds table names in builder calls and raw SQL, not in comments or foreign keys', () => {
    const names = queriedNames(`
      // db.selectFrom('commented')
      /* sql\`select * from commented_too\` */
      db.selectFrom('resources as r').innerJoin("tenants", 'tenants.id', 'r.tenant_id');
      db.deleteFrom(['a', 'b as bee']);
      sql\`select name from workloads where id = \${id}\`;
      raw.prepare('insert into "audit_events" (id) values (?)');
      sql.table('signing_keys');
      c.references('applications.object_id').onDelete('cascade');
    `);
    assert.deepEqual([...names].sort(), [
      'a',
      'audit_events',
      'b',
      'resources',
      'signing_keys',
      'tenants',
      'workloads',
    ]);
  });

  test('reports a foreign query, a foreign import, two owners and a table without one', () => {
    const root = tree({
      'directory/tables.ts': DIRECTORY_TABLES,
      'directory/lookups.ts': `db.selectFrom('resources').selectAll();\n`,
      'easyauth/tables.ts': `export interface EasyAuthTables {\n  easyauth_configs: T;\n  tenants: T;\n}\n`,
      'easyauth/store.ts': `import type { ResourceRow } from '../directory/tables.ts';\ndb.selectFrom('easyauth_configs').innerJoin('resources', 'resources.id', 'resource_id');\n`,
      'easyauth/migrations/0009-x.ts': `db.schema.createTable('orphans').addColumn('r', 'text', (c) => c.references('resources.id'));\n`,
    });
    const kinds = checkTables(root).map((v) => v.kind);
    assert.deepEqual(kinds.sort(), ['foreign-import', 'foreign-query', 'no-owner', 'two-owners']);
    const message = checkTables(root).find((v) => v.kind === 'foreign-query')!.message;
    assert.match(message, /easyauth\/store\.ts names table resources, owned by src\/directory\//);
  });
});
