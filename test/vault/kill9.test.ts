/**
 * Acknowledged vault writes survive kill -9, on every store kind. A child process (kill9-writer.ts) runs 32
 * concurrent writers through the write batcher and prints a line for each write once it is acknowledged; the
 * test SIGKILLs it after a random number of acknowledgements, mid-burst, then reopens the store as the runtime
 * does and checks that every acknowledged version is there and opens to the value written, that no secret has
 * a repeated or missing sequence number, and (SQLite) that `PRAGMA integrity_check` is ok. Several rounds on
 * one store, so each later child also starts on a store recovered after a kill.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { tablesOf } from '../../src/store/handle.ts';
import { getSecret, resolveVault, valueAad } from '../../src/vault/store.ts';
import type { VaultTables } from '../../src/vault/tables.ts';
import { STORE_KINDS, tempDir, testLocation } from '../helpers/stores.ts';
import { SUB } from './helpers.ts';
import { expectedValue } from './kill9-writer.ts';

const ROUNDS = 3;
const WRITERS = 32;
const CHILD = path.join(import.meta.dirname, 'kill9-writer.ts');

interface Ack {
  name: string;
  version: string;
  seq: number;
  run: number;
}

const open = (dataDir: string, store: string) =>
  openRuntime({ dataDir, store, env: {}, signingThreads: 0, warn: () => {} });

/** Runs the writer until `killAfter` acknowledgements, SIGKILLs it, and returns every acknowledgement read. */
function burst(dataDir: string, store: string, run: number, killAfter: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, store, String(run), String(WRITERS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      // The last piece has no newline yet: a line cut by the kill is not an acknowledgement.
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ack (\S+) ([0-9a-f]{32}) (\d+)$/.exec(line);
        if (m) acks.push({ name: m[1]!, version: m[2]!, seq: Number(m[3]), run });
        else if (line !== 'ready') reject(new Error(`unexpected line from the writer: ${line}`));
      }
      if (!killed && acks.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`the writer exited (${exitCode}) before it was killed: ${stderr}`));
      } else resolve(acks);
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`vault writes survive kill -9 (${kind})`, () => {
    const dataDir = tempDir();
    const { location, drop } = testLocation(kind, dataDir);
    before(async () => {
      const runtime = await open(dataDir, location);
      await runtime.directory.createTenant({ name: 'contoso', defaultSubscriptionId: SUB });
      await runtime.directory.createResource('contoso', { name: 'kv', kind: 'vault' });
      await runtime.close();
    });
    after(async () => {
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it(`every acknowledged write is there after a SIGKILL mid-burst (${ROUNDS} rounds)`, async () => {
      const all: Ack[] = [];
      for (let run = 1; run <= ROUNDS; run++) {
        // PostgreSQL acknowledges a few hundred a second here, SQLite a few thousand: kill within ~2 s of either.
        const killAfter = 150 + Math.floor(Math.random() * (kind === 'sqlite' ? 1200 : 500));
        const acks = await burst(dataDir, location, run, killAfter);
        assert.ok(acks.length >= killAfter, `${acks.length} acknowledgements read`);
        all.push(...acks);

        const runtime: Runtime = await open(dataDir, location);
        try {
          if (kind === 'sqlite') {
            const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(
              runtime.store.db,
            );
            assert.deepEqual(
              rows.map((r) => r.integrity_check),
              ['ok'],
            );
          }
          const vault = await resolveVault(runtime.directory, 'contoso', 'kv');
          assert.equal(new Set(all.map((a) => a.version)).size, all.length, 'no version acknowledged twice');
          const t = tablesOf<VaultTables>(runtime.store.db);
          const secrets = await t
            .selectFrom('vault_secrets')
            .select(['name_key', 'last_seq'])
            .where('resource_id', '=', vault.id)
            .execute();
          const versions = await t
            .selectFrom('vault_secret_versions')
            .select(['name_key', 'seq', 'version', 'value_sealed'])
            .where('resource_id', '=', vault.id)
            .execute();
          const byVersion = new Map(versions.map((v) => [v.version, v]));
          assert.equal(byVersion.size, versions.length, 'version ids unique');
          // Every acknowledged write of every round so far, opened from its row (one query, not one read each)…
          for (const ack of all) {
            const row = byVersion.get(ack.version);
            assert.ok(row, `${ack.name}/${ack.version} (round ${ack.run}) acknowledged but not stored`);
            assert.equal(row.name_key, ack.name);
            const value = runtime.envelope
              .open(row.value_sealed, valueAad(vault, row.name_key, row.version))
              .toString('utf8');
            assert.equal(value, expectedValue(ack.run, ack.name, ack.seq), `${ack.name}/${ack.version}`);
          }
          // …and some of this round's through the store's read path.
          for (let i = 0; i < 50; i++) {
            const ack = acks[Math.floor(Math.random() * acks.length)]!;
            const secret = await getSecret(runtime.directory, vault, ack.name, ack.version);
            assert.equal(secret.value, expectedValue(ack.run, ack.name, ack.seq));
          }
          for (const s of secrets) {
            const seqs = versions
              .filter((v) => v.name_key === s.name_key)
              .map((v) => Number(v.seq))
              .sort((a, b) => a - b);
            assert.deepEqual(
              seqs,
              Array.from({ length: Number(s.last_seq) }, (_, i) => i + 1),
              `${s.name_key}: sequence numbers 1..last_seq, each once`,
            );
          }
          const acked = new Map<string, number>();
          for (const a of all) acked.set(a.name, (acked.get(a.name) ?? 0) + 1);
          for (const [name, n] of acked) {
            const stored = versions.filter((v) => v.name_key === name).length;
            assert.ok(stored >= n, `${name}: ${stored} versions stored, ${n} acknowledged`);
          }
        } finally {
          await runtime.close();
        }
      }
    });
  });
}
