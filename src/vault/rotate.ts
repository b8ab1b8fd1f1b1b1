/**
 * @module vault/rotate
 * Master-key rotation, online and crash-safe (`lanyard vault rotate-master-key`; docs/security.md, "Master key
 * and rotation"). With `master.key` in the data folder:
 *
 * 1. If records are still wrapped under another key than the current one, an earlier rotation stopped midway:
 *    this run finishes it rather than starting another. Otherwise a new key is made and master.key rewritten
 *    at once (atomically) with it as the current key and the old ones as retired keys, then the command waits
 *    for processes on the same folder to notice (they look at the file once a second) so they seal under it.
 * 2. Every sealed record is re-wrapped (host/sealed-records.ts), a batch per transaction; a crash leaves each
 *    record whole, under the old key or the new, and the keyring holds both.
 * 3. What a process that had not seen the new key yet sealed meanwhile is caught by counting again and
 *    re-wrapping again.
 *
 * With `LANYARD_MASTER_KEY` the command cannot change the key that every process is started with: the operator
 * does (the new key in LANYARD_MASTER_KEY, the old in LANYARD_MASTER_KEY_PREVIOUS), and the command does steps
 * 2 and 3. Retired keys stay in the keyring (they also open vault backups made before) until a later run with
 * `forgetRetired`, which makes no new key but removes them from master.key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  generateMasterKey,
  KEYRING_RECHECK_MS,
  type Keyring,
  loadKeyring,
  type MasterKeyring,
  writeKeyringFile,
} from '../crypto/master-key.ts';
import type { RewrapProgress, SealedRecords } from '../crypto/sealed-records.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { VaultDeps } from './deps.ts';

export type RotateDeps = Pick<VaultDeps, 'dataDir' | 'keyring' | 'envelope' | 'sealedRecords' | 'audit'>;

export interface RotateOptions {
  /** Records per transaction (default 100). */
  batchSize?: number | undefined;
  /** Wait this long between batches, to spare a busy database (default 0). */
  pauseMs?: number | undefined;
  /**
   * Make no new key: finish a rotation under way, then drop the retired keys from master.key (file keyring
   * only; a running process keeps the keys it has loaded until it restarts).
   */
  forgetRetired?: boolean | undefined;
  /** How long to let other processes notice a new master.key before re-wrapping (default two looks). */
  settleMs?: number | undefined;
  /** Each step, for progress output. */
  onProgress?: ((event: RotateEvent) => void) | undefined;
}

export type RotateEvent =
  | { kind: 'new-key'; keyId: string; replaces: string }
  | { kind: 'resume'; keyId: string; remaining: number }
  | { kind: 'batch'; name: string; pass: number; progress: RewrapProgress };

export interface RotatedPlace {
  name: string;
  scanned: number;
  rewrapped: number;
}

export interface RotationResult {
  /** The current master key, which everything is now wrapped under. */
  keyId: string;
  /**
   * `new-key`: this run made the key; `resume`: it finished a rotation begun earlier (or by the operator);
   * `nothing-to-do`: everything was under the current key already (a clean-up, or a rotation done by hand).
   */
  mode: 'new-key' | 'resume' | 'nothing-to-do';
  /** The key this run replaced (`new-key` only). */
  replaced?: string | undefined;
  places: RotatedPlace[];
  rewrapped: number;
  /** Retired keys left in the keyring. */
  retiredKeys: number;
  /** Whether `forgetRetired` removed them from master.key. */
  forgotRetired: boolean;
}

/** Passes over every place at most: the second and third only pick up what was sealed under the old key meanwhile. */
const MAX_PASSES = 3;

export async function rotateMasterKey(
  deps: RotateDeps,
  options: RotateOptions = {},
): Promise<RotationResult> {
  const { keyring } = deps;
  const emit = options.onProgress ?? (() => {});
  if (options.forgetRetired && keyring.source !== 'file') {
    throw new LanyardError(
      'ERR_USAGE',
      '--forget-retired changes master.key, but the master key comes from LANYARD_MASTER_KEY.',
      {
        hint: 'Remove the retired keys from LANYARD_MASTER_KEY_PREVIOUS yourself, then restart the processes.',
      },
    );
  }
  const release = keyring.source === 'file' ? lockRotation(deps.dataDir) : () => {};
  let keyId = keyring.reload().current.id;
  let mode: RotationResult['mode'] = 'resume';
  let replaced: string | undefined;
  try {
    const remaining = await countOther(deps.sealedRecords, keyId);
    if (remaining > 0) {
      emit({ kind: 'resume', keyId, remaining });
    } else if (options.forgetRetired) {
      // Only the clean-up asked for: the rotation it follows is complete.
      mode = 'nothing-to-do';
    } else if (keyring.source === 'file') {
      replaced = keyId;
      keyId = installNewKey(deps.dataDir, keyring);
      mode = 'new-key';
      emit({ kind: 'new-key', keyId, replaces: replaced });
      await sleep(options.settleMs ?? 2 * KEYRING_RECHECK_MS);
    } else if ((keyring.get().previous ?? []).length === 0) {
      throw new LanyardError(
        'ERR_USAGE',
        'The master key comes from LANYARD_MASTER_KEY, which this command cannot change.',
        {
          hint:
            'Start every process with the new key in LANYARD_MASTER_KEY and the old one in ' +
            'LANYARD_MASTER_KEY_PREVIOUS, then run this command to re-wrap everything (docs/security.md, ' +
            '"Master key and rotation").',
        },
      );
    } else {
      mode = 'nothing-to-do';
    }

    const places = new Map<string, RotatedPlace>();
    if (mode !== 'nothing-to-do') {
      for (let pass = 1; ; pass++) {
        for (const records of deps.sealedRecords) {
          const done = await records.rewrap(deps.envelope, {
            batchSize: options.batchSize,
            afterBatch: async (progress) => {
              emit({ kind: 'batch', name: records.name, pass, progress });
              if (options.pauseMs) await sleep(options.pauseMs);
            },
          });
          const place = places.get(records.name) ?? { name: records.name, scanned: 0, rewrapped: 0 };
          places.set(records.name, {
            name: records.name,
            scanned: Math.max(place.scanned, done.scanned),
            rewrapped: place.rewrapped + done.rewrapped,
          });
        }
        const left = await countOther(deps.sealedRecords, keyId);
        if (left === 0) break;
        if (pass === MAX_PASSES) {
          throw new LanyardError(
            'ERR_MASTER_KEY',
            `${left} records are still wrapped under a retired master key: processes kept sealing under it ` +
              'while this command ran.',
            {
              hint: 'Check that every process on this store uses the new key (restart those that take it from LANYARD_MASTER_KEY), then run the command again.',
            },
          );
        }
      }
    }

    let forgotRetired = false;
    if (options.forgetRetired) {
      if (keyring.source !== 'file') {
        throw new LanyardError(
          'ERR_USAGE',
          '--forget-retired changes master.key, but the master key comes from LANYARD_MASTER_KEY.',
          {
            hint: 'Remove the retired keys from LANYARD_MASTER_KEY_PREVIOUS yourself, then restart the processes.',
          },
        );
      }
      writeKeyringFile(deps.dataDir, { current: fileKeyring(deps.dataDir).current });
      keyring.reload();
      forgotRetired = true;
    }
    const result: RotationResult = {
      keyId,
      mode,
      ...(replaced === undefined ? {} : { replaced }),
      places: [...places.values()],
      rewrapped: [...places.values()].reduce((n, p) => n + p.rewrapped, 0),
      retiredKeys: forgotRetired ? 0 : (fileOrEnvRetired(deps.dataDir, keyring) ?? 0),
      forgotRetired,
    };
    await deps.audit.record({
      plane: 'vault',
      action: 'master-key.rotate',
      outcome: 'success',
      actor: 'cli',
      target: keyId,
      details: {
        mode,
        ...(replaced === undefined ? {} : { replaced }),
        rewrapped: result.rewrapped,
        places: result.places,
        forgotRetired,
      },
    });
    return result;
  } catch (err) {
    await deps.audit
      .record({
        plane: 'vault',
        action: 'master-key.rotate',
        outcome: 'failure',
        actor: 'cli',
        target: keyId,
        reason: err instanceof LanyardError ? err.code : 'ERR_INTERNAL',
        details: { mode, ...(replaced === undefined ? {} : { replaced }) },
      })
      .catch(() => {});
    throw err;
  } finally {
    release();
  }
}

async function countOther(all: readonly SealedRecords[], keyId: string): Promise<number> {
  let n = 0;
  for (const records of all) n += await records.countOther(keyId);
  return n;
}

/** The keys master.key holds, without those LANYARD_MASTER_KEY_PREVIOUS adds: only those are written back. */
function fileKeyring(dataDir: string): Keyring {
  return loadKeyring({ dataDir, env: {} });
}

/**
 * Makes a new key and writes master.key with it as the current key, every key there before kept as retired.
 * Written before anything is sealed under the new key, so no record can be under a key that is not on disk.
 */
function installNewKey(dataDir: string, keyring: MasterKeyring): string {
  const before = fileKeyring(dataDir);
  const next = generateMasterKey();
  writeKeyringFile(dataDir, { current: next, previous: [before.current, ...(before.previous ?? [])] });
  if (keyring.reload().current.id !== next.id) {
    throw new LanyardError(
      'ERR_MASTER_KEY',
      `The new master key did not take: ${keyring.file} reads back another.`,
      {
        hint: 'Nothing was re-wrapped. Check that no other program rewrites master.key, then run the command again.',
      },
    );
  }
  return next.id;
}

function fileOrEnvRetired(dataDir: string, keyring: MasterKeyring): number | undefined {
  if (keyring.source === 'file') return (fileKeyring(dataDir).previous ?? []).length;
  return (keyring.get().previous ?? []).length;
}

/**
 * One rotation at a time per data folder: two would each write a new key, and the records one of them
 * re-wrapped would be under a key the other threw away. A lock left by a rotation that was killed (its process
 * is gone) is taken over.
 */
function lockRotation(dataDir: string): () => void {
  const file = path.join(dataDir, 'master.key.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let pid = Number.NaN;
    try {
      pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    } catch {
      // Gone meanwhile: try again.
    }
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new LanyardError(
        'ERR_USAGE',
        `Another master-key rotation (process ${pid}) is running on the data folder ${dataDir}.`,
        { hint: `Let it finish. If no such rotation runs, delete ${file} and run the command again.` },
      );
    }
    fs.rmSync(file, { force: true });
  }
  throw new LanyardError('ERR_USAGE', `Cannot take the rotation lock ${file}.`, {
    hint: 'Another rotation is starting at the same moment; run the command again.',
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
