/**
 * @module vault/read-cache
 * The rows a secret get reads (store.ts `readSecretRows`: the secret, the version, the vault's settings — three
 * queries), kept in memory until the next vault write, for the Key Vault API's gets. Every vault write, from this
 * process or another on the same store, moves the change-feed topic `vault` in its transaction (store.ts,
 * backup.ts, rewrap.ts); the cache reads that version once per event-loop turn (as management/view.ts reads the
 * view's) and drops every entry when it moved, so a get sees every write completed before the turn it is
 * handled in. Only found rows are kept: a miss, and the time-dependent purge date of a deleted secret, are read
 * again each time. What is kept is what the store holds — the value still sealed, opened on every get — and
 * entries are shared between requests, so they must not be mutated.
 */
import type { Directory } from '../directory/directory.ts';
import { readVersions } from '../store/change-feed.ts';
import type { StoreDb } from '../store/handle.ts';
import { readSecretRows, type SecretRows, VAULT_TOPIC } from './store.ts';

/** Entries at most; names presented by callers must not grow memory without bound. */
const MAX_ENTRIES = 10_000;

export class SecretReadCache {
  readonly #db: StoreDb;
  readonly #rows = new Map<string, SecretRows>();
  /** The topic version the entries were read under. */
  #seen: string | undefined;
  /** This turn's read of the topic version. */
  #turn: Promise<string> | undefined;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** The `vault` topic's version, read once per event-loop turn; drops the entries when it moved. */
  #version(): Promise<string> {
    if (this.#turn) return this.#turn;
    const read = readVersions(this.#db).then((topics) => {
      const v = topics.get(VAULT_TOPIC) ?? '0';
      if (v !== this.#seen) {
        this.#rows.clear();
        this.#seen = v;
      }
      return v;
    });
    this.#turn = read;
    setImmediate(() => {
      if (this.#turn === read) this.#turn = undefined;
    });
    read.catch(() => {
      if (this.#turn === read) this.#turn = undefined;
    });
    return read;
  }

  /** `readSecretRows`, from memory while no vault write happened since the rows were read. */
  readonly read: typeof readSecretRows = async (db, vault, name, version, now) => {
    const v = await this.#version();
    const key = `${vault.id}\n${name.toLowerCase()}\n${version ?? ''}`;
    const hit = this.#rows.get(key);
    if (hit) return hit;
    const rows = await readSecretRows(db, vault, name, version, now);
    // A write may have moved the version while reading: keep the rows only under the version they were read at.
    if (this.#seen === v) {
      if (this.#rows.size >= MAX_ENTRIES) this.#rows.clear();
      this.#rows.set(key, rows);
    }
    return rows;
  };
}

/** One cache per store handle (the directory's): the routes of one runtime share it. */
const caches = new WeakMap<StoreDb, SecretReadCache>();

export function secretReadCacheOf(d: Directory): SecretReadCache {
  let c = caches.get(d.db);
  if (!c) {
    c = new SecretReadCache(d.db);
    caches.set(d.db, c);
  }
  return c;
}
