/**
 * @module test/audit/audit-log.test
 * The audit log through both writers: the store's own connection (PostgreSQL, in-memory SQLite) and the worker
 * thread that writes a SQLite file. Each `record()` resolves only once its row is committed and readable through
 * the store; concurrent events share batches; `close()` waits for what is in flight; a write that fails rejects
 * every caller of its batch, and the log line is written only for stored events; the SQLite writer's INSERT
 * is the one Kysely compiles for the table. Run on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { type AuditEvent, createAuditLog } from '../../src/audit/audit-log.ts';
import { storeAuditWriter } from '../../src/audit/audit-writer.ts';
import { compileAuditInsert, sqliteWalAuditWriter } from '../../src/audit/sqlite-wal-audit-writer.ts';
import type { AuditEventRow, AuditTables } from '../../src/audit/tables.ts';
import { MIGRATIONS } from '../../src/host/planes.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { openStore } from '../../src/store/open-store.ts';
import { openTestStore, STORE_KINDS, type TestStore, tempDir } from '../helpers/stores.ts';

const event = (i: number): AuditEvent => ({
  plane: 'issuer',
  action: 'token.issue',
  outcome: 'success',
  tenantId: 't1',
  actor: `client-${i}`,
  target: 'api://x',
  details: { n: i },
});

for (const kind of STORE_KINDS) {
  describe(`audit log (${kind}${kind === 'sqlite' ? ', own connection, WAL synced off the event loop' : ''})`, () => {
    let t: TestStore;
    before(async () => {
      t = await openTestStore(kind);
    });
    after(() => t.cleanup());

    const writerFor = () =>
      t.store.sqliteFile ? sqliteWalAuditWriter(t.store.sqliteFile) : storeAuditWriter(t.store.db);

    it('a SQLite file gets its own writer, and a resolved record is readable through the store', async () => {
      assert.equal(t.store.sqliteFile !== undefined, kind === 'sqlite');
      const lines: object[] = [];
      const log = createAuditLog(t.store.db, { info: (o) => lines.push(o) }, undefined, writerFor());
      try {
        const stored = await log.record(event(0));
        const rows = await tablesOf<AuditTables>(t.store.db)
          .selectFrom('audit_events')
          .selectAll()
          .where('id', '=', stored.id)
          .execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.actor, 'client-0');
        assert.deepEqual(JSON.parse(rows[0]!.details), { n: 0 });
        assert.equal(lines.length, 1, 'one log line for the stored event');
      } finally {
        await log.close();
      }
    });

    it('200 concurrent records: all stored, in fewer writes than events, each readable once resolved', async () => {
      let writes = 0;
      const inner = writerFor();
      const counting = {
        write: (rows: Parameters<typeof inner.write>[0]) => {
          writes++;
          return inner.write(rows);
        },
        close: () => inner.close(),
      };
      const log = createAuditLog(t.store.db, undefined, undefined, counting);
      try {
        const stored = await Promise.all(Array.from({ length: 200 }, (_, i) => log.record(event(1000 + i))));
        const ids = new Set(stored.map((s) => s.id));
        assert.equal(ids.size, 200);
        const rows = await tablesOf<AuditTables>(t.store.db)
          .selectFrom('audit_events')
          .select('id')
          .where('actor', 'like', 'client-1%')
          .execute();
        assert.equal(rows.filter((r) => ids.has(r.id)).length, 200);
        assert.ok(writes < 200 && writes >= 1, `group commit: ${writes} writes for 200 events`);
        const listed = await log.list({ tenantId: 't1', action: 'token.issue', limit: 1000 });
        assert.ok(listed.length >= 200);
      } finally {
        await log.close();
      }
    });

    it('close() waits for the events recorded before it', async () => {
      const log = createAuditLog(t.store.db, undefined, undefined, writerFor());
      const pending = Array.from({ length: 50 }, (_, i) => log.record(event(5000 + i)));
      await log.close();
      const settled = await Promise.allSettled(pending);
      assert.ok(settled.every((s) => s.status === 'fulfilled'));
      const rows = await tablesOf<AuditTables>(t.store.db)
        .selectFrom('audit_events')
        .select('id')
        .where('actor', 'like', 'client-5%')
        .execute();
      assert.equal(rows.length, 50);
    });
  });
}

describe('SQLite audit writer failures', () => {
  it('a batch that cannot be written rejects every caller, logs nothing, and the writer keeps working', async () => {
    const dir = tempDir('lanyard-audit-');
    const store = await openStore({ dataDir: dir, migrations: MIGRATIONS });
    const lines: object[] = [];
    const log = createAuditLog(
      store.db,
      { info: (o) => lines.push(o) },
      undefined,
      sqliteWalAuditWriter(store.sqliteFile!),
    );
    try {
      // A NOT NULL column left empty fails the whole batch inside the worker's transaction.
      const bad = { ...event(1), plane: null } as unknown as AuditEvent;
      const results = await Promise.allSettled([log.record(event(2)), log.record(bad)]);
      assert.ok(
        results.every((r) => r.status === 'rejected'),
        'the batch is one transaction',
      );
      assert.match(String((results[1] as PromiseRejectedResult).reason), /audit write failed: .*NOT NULL/);
      assert.equal(lines.length, 0);
      assert.equal(
        (await tablesOf<AuditTables>(store.db).selectFrom('audit_events').select('id').execute()).length,
        0,
      );
      await log.record(event(3));
      assert.equal(
        (await tablesOf<AuditTables>(store.db).selectFrom('audit_events').select('id').execute()).length,
        1,
      );
    } finally {
      await log.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an idle writer does not keep a process alive, and a pending record does until it is durable', () => {
    const dir = tempDir('lanyard-audit-');
    try {
      const script = `
        import { createAuditLog } from ${JSON.stringify(new URL('../../src/audit/audit-log.ts', import.meta.url).href)};
        import { sqliteWalAuditWriter } from ${JSON.stringify(new URL('../../src/audit/sqlite-wal-audit-writer.ts', import.meta.url).href)};
        import { openStore } from ${JSON.stringify(new URL('../../src/store/open-store.ts', import.meta.url).href)};
        import { MIGRATIONS } from ${JSON.stringify(new URL('../../src/host/planes.ts', import.meta.url).href)};
        const store = await openStore({ dataDir: ${JSON.stringify(dir)}, migrations: MIGRATIONS });
        const log = createAuditLog(store.db, undefined, undefined, sqliteWalAuditWriter(store.sqliteFile));
        await log.record({ plane: 'admin', action: 'first', outcome: 'success' });
        // Not awaited, never closed: the process must still write it before exiting on its own.
        void log.record({ plane: 'admin', action: 'last', outcome: 'success' });
      `;
      const file = path.join(dir, 'record.mjs');
      fs.writeFileSync(file, script);
      const r = spawnSync(process.execPath, [file], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const db = new DatabaseSync(path.join(dir, 'lanyard.db'));
      try {
        const actions = db.prepare('select action from audit_events order by action').all();
        assert.deepEqual(
          actions.map((a) => a.action),
          ['first', 'last'],
        );
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite audit writer statement', () => {
  it('is the INSERT Kysely compiles from a row: every column once, bound in the order it names them', () => {
    const row: AuditEventRow = {
      id: 'id-1',
      at: '2026-01-01T00:00:00.000Z',
      plane: 'issuer',
      action: 'token.issue',
      outcome: 'success',
      tenant_id: null,
      actor: 'client',
      target: null,
      reason: null,
      details: '{}',
    };
    const { sql, columns } = compileAuditInsert(row);
    assert.deepEqual([...columns].sort(), Object.keys(row).sort());
    assert.equal(
      sql,
      `insert into "audit_events" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    );
  });
});
