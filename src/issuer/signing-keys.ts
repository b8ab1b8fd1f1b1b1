/**
 * @module issuer/signing-keys
 * The issuer's RS256 signing keys and their rotation. As Entra does, each key comes with a self-signed
 * certificate; `kid` and `x5t` are the base64url SHA-1 thumbprint of that certificate, and JWKS carries it in
 * `x5c`. Private keys are kept only sealed under the master key and decrypted into memory.
 *
 * Rotation follows docs/security.md, "Signing-key rotation": a new key is published (in JWKS) at once but signs only after a lead time,
 * so validators that cache JWKS learn it before they see it; the key it replaces stops signing then and stays
 * published until every token it signed has expired (max token lifetime + clock skew). With no usable key at
 * all (first start), the first key signs at once.
 *
 * The keys live in the issuer's one table, `signing_keys` (issuer/tables.ts), read and written only here.
 */
import { createPrivateKey, type KeyObject, webcrypto } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import { createSelfSignedCertificate } from '../crypto/local-ca.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import type { StoreDialect } from '../store/open-store.ts';
import type { IssuerTables, SigningKeyRow } from './tables.ts';

export interface SigningKeyPolicy {
  /** Rotate automatically when the newest key is this old. Default 30 days. */
  rotationIntervalMs: number;
  /** A new key is published this long before it signs. Default 24 h. */
  leadTimeMs: number;
  /** The longest lifetime of any token we issue (managed-identity tokens: ~24 h). */
  maxTokenLifetimeMs: number;
  /** Clock skew validators allow. */
  skewMs: number;
  /** How long a process trusts its in-memory view of the keys before re-reading the store. */
  refreshMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_KEY_POLICY: SigningKeyPolicy = {
  rotationIntervalMs: 30 * DAY,
  leadTimeMs: DAY,
  maxTokenLifetimeMs: DAY + 2 * HOUR,
  skewMs: 5 * 60_000,
  refreshMs: 30_000,
};

export interface PublicJwk {
  kty: 'RSA';
  use: 'sig';
  alg: 'RS256';
  kid: string;
  x5t: string;
  'x5t#S256': string;
  n: string;
  e: string;
  x5c: string[];
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: PublicJwk;
}

export interface KeyInfo {
  kid: string;
  createdAt: string;
  publishAt: string;
  activateAt: string;
  retireAt: string | null;
  unpublishAt: string | null;
  revokedAt: string | null;
  /** What the key is doing now. */
  state: 'pending' | 'active' | 'retired' | 'unpublished' | 'revoked';
}

export interface KeyManagerOptions {
  /** The store handle; the key manager views it as the issuer's table. */
  db: StoreDb;
  dialect: StoreDialect;
  envelope: Envelope;
  policy?: Partial<SigningKeyPolicy> | undefined;
  now?: (() => Date) | undefined;
}

const aadFor = (kid: string) => `lanyard|signing-key|${kid}`;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (s: string | null) => (s === null ? Number.POSITIVE_INFINITY : Date.parse(s));

function isPublished(row: SigningKeyRow, now: number): boolean {
  return row.revoked_at === null && Date.parse(row.publish_at) <= now && now < at(row.unpublish_at);
}

function canSign(row: SigningKeyRow, now: number): boolean {
  return row.revoked_at === null && Date.parse(row.activate_at) <= now && now < at(row.retire_at);
}

/** The most recently activated key that can sign at `now` (rows are in activation order). */
function lastThatCanSign(rows: readonly SigningKeyRow[], now: number): SigningKeyRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (canSign(rows[i]!, now)) return rows[i];
  return undefined;
}

function stateOf(row: SigningKeyRow, now: number): KeyInfo['state'] {
  if (row.revoked_at !== null) return 'revoked';
  if (!isPublished(row, now)) return Date.parse(row.publish_at) > now ? 'pending' : 'unpublished';
  if (canSign(row, now)) return 'active';
  // A pending key superseded by a later immediate rotation will never sign: it is retired, not pending.
  const superseded = row.retire_at !== null && Date.parse(row.retire_at) <= Date.parse(row.activate_at);
  return Date.parse(row.activate_at) > now && !superseded ? 'pending' : 'retired';
}

async function generateKey(now: number, envelope: Envelope) {
  const keys = (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  const cert = await createSelfSignedCertificate({
    subjectCn: `Lanyard token signing ${iso(now).slice(0, 10)}`,
    keys,
    days: 730,
  });
  const kid = cert.thumbprints.sha1B64url;
  const pub = (await webcrypto.subtle.exportKey('jwk', keys.publicKey)) as { n: string; e: string };
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const jwk: PublicJwk = {
    kty: 'RSA',
    use: 'sig',
    alg: 'RS256',
    kid,
    x5t: kid,
    'x5t#S256': cert.thumbprints.sha256B64url,
    n: pub.n,
    e: pub.e,
    x5c: [cert.x5c],
  };
  const sealed = envelope.seal(pkcs8, aadFor(kid));
  pkcs8.fill(0);
  return { kid, jwk, sealed, x5c: cert.x5c, x5tS256: cert.thumbprints.sha256B64url };
}

export class KeyManager {
  readonly policy: SigningKeyPolicy;
  readonly #db: Kysely<IssuerTables>;
  readonly #dialect: StoreDialect;
  readonly #envelope: Envelope;
  readonly #now: () => Date;
  #rows: SigningKeyRow[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  /** Opened signing keys by kid (unsealed once, not per token). */
  readonly #signing = new Map<string, SigningKey>();
  #loading: Promise<void> | undefined;
  #readSeq = 0;
  #appliedSeq = 0;

  constructor(options: KeyManagerOptions) {
    this.policy = { ...DEFAULT_KEY_POLICY, ...options.policy };
    this.#db = tablesOf<IssuerTables>(options.db);
    this.#dialect = options.dialect;
    this.#envelope = options.envelope;
    this.#now = options.now ?? (() => new Date());
  }

  /** Re-reads the key table (single-flight); other nodes may have rotated. */
  async refresh(): Promise<void> {
    this.#loading ??= this.#reload().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /**
   * One read of the key table, never shared: after a write, joining a read that started before the commit
   * would return rows without the change. Reads finishing out of order never replace newer rows with older.
   */
  async #reload(): Promise<void> {
    const seq = ++this.#readSeq;
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('activate_at').execute();
    if (seq < this.#appliedSeq) return;
    this.#appliedSeq = seq;
    this.#rows = rows;
    this.#loadedAt = Date.now();
  }

  async #fresh(): Promise<SigningKeyRow[]> {
    if (Date.now() - this.#loadedAt > this.policy.refreshMs) await this.refresh();
    return this.#rows;
  }

  /** Runs `fn` in a transaction that holds the rotation lock, so two nodes never rotate at once. */
  async #locked<T>(fn: (trx: Kysely<IssuerTables>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      if (this.#dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(hashtext('lanyard:signing-keys'))`.execute(trx);
      return fn(trx);
    });
  }

  /**
   * Makes sure a key can sign now and rotates when the newest key is older than the rotation interval.
   * Called at start and periodically; cheap when nothing is due.
   */
  async ensureReady(): Promise<void> {
    const now = this.#now().getTime();
    const rows = await this.#fresh();
    const newest = rows.at(-1);
    const signing = rows.some((r) => canSign(r, now));
    const due = newest === undefined || now - Date.parse(newest.created_at) >= this.policy.rotationIntervalMs;
    if (signing && !due) return;
    await this.#locked(async (trx) => {
      const current = await trx.selectFrom('signing_keys').selectAll().orderBy('activate_at').execute();
      const t = this.#now().getTime();
      const usable = current.some((r) => canSign(r, t));
      const last = current.at(-1);
      if (!usable) await this.#insert(trx, current, t, 0);
      else if (last && t - Date.parse(last.created_at) >= this.policy.rotationIntervalMs) {
        await this.#insert(trx, current, t, this.policy.leadTimeMs);
      }
    });
    await this.#reload();
  }

  /** Publishes a new key now; it signs after the lead time (or at once with `immediate`). */
  async rotate(options: { immediate?: boolean } = {}): Promise<KeyInfo> {
    const kid = await this.#locked(async (trx) => {
      const current = await trx.selectFrom('signing_keys').selectAll().orderBy('activate_at').execute();
      return this.#insert(
        trx,
        current,
        this.#now().getTime(),
        options.immediate ? 0 : this.policy.leadTimeMs,
      );
    });
    await this.#reload();
    return this.#info(this.#rows.find((r) => r.kid === kid)!, this.#now().getTime());
  }

  async #insert(
    trx: Kysely<IssuerTables>,
    current: SigningKeyRow[],
    now: number,
    leadMs: number,
  ): Promise<string> {
    const key = await generateKey(now, this.#envelope);
    const activate = now + leadMs;
    // Every key still signing at `activate` retires then, and stays published until its last token expires.
    for (const row of current) {
      if (row.revoked_at === null && at(row.retire_at) > activate) {
        await trx
          .updateTable('signing_keys')
          .set({
            retire_at: iso(activate),
            unpublish_at: iso(activate + this.policy.maxTokenLifetimeMs + this.policy.skewMs),
          })
          .where('kid', '=', row.kid)
          .execute();
      }
    }
    await trx
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: 'RS256',
        public_jwk: JSON.stringify(key.jwk),
        x5c: key.x5c,
        x5t_s256: key.x5tS256,
        private_key_sealed: key.sealed,
        created_at: iso(now),
        publish_at: iso(now),
        activate_at: iso(activate),
        retire_at: null,
        unpublish_at: null,
        revoked_at: null,
      })
      .execute();
    return key.kid;
  }

  /** Removes a key from JWKS and from signing at once (compromise). A replacement signs immediately. */
  async revoke(kid: string): Promise<void> {
    await this.#locked(async (trx) => {
      const now = this.#now().getTime();
      await trx
        .updateTable('signing_keys')
        .set({ revoked_at: iso(now) })
        .where('kid', '=', kid)
        .execute();
      const current = await trx.selectFrom('signing_keys').selectAll().orderBy('activate_at').execute();
      if (!current.some((r) => canSign(r, now))) await this.#insert(trx, current, now, 0);
    });
    this.#signing.delete(kid);
    await this.#reload();
  }

  /** The key that signs now: the most recently activated usable key. */
  async signingKey(): Promise<SigningKey> {
    const now = this.#now().getTime();
    let row = lastThatCanSign(await this.#fresh(), now);
    if (!row) {
      await this.ensureReady();
      // The first key activates when ensureReady makes it, which may be after `now`.
      row = lastThatCanSign(this.#rows, this.#now().getTime());
    }
    if (!row) throw new Error('no signing key is usable after ensureReady');
    let key = this.#signing.get(row.kid);
    if (!key) {
      const der = this.#envelope.open(row.private_key_sealed, aadFor(row.kid));
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      der.fill(0);
      key = { kid: row.kid, privateKey, jwk: JSON.parse(row.public_jwk) as PublicJwk };
      this.#signing.set(row.kid, key);
    }
    return key;
  }

  /** Every key a validator may need now: pending, active and retired-but-not-expired keys. */
  async publishedKeys(): Promise<PublicJwk[]> {
    const now = this.#now().getTime();
    return (await this.#fresh())
      .filter((r) => isPublished(r, now))
      .map((r) => JSON.parse(r.public_jwk) as PublicJwk);
  }

  async list(): Promise<KeyInfo[]> {
    await this.#reload();
    const now = this.#now().getTime();
    return this.#rows.map((r) => this.#info(r, now));
  }

  #info(r: SigningKeyRow, now: number): KeyInfo {
    return {
      kid: r.kid,
      createdAt: r.created_at,
      publishAt: r.publish_at,
      activateAt: r.activate_at,
      retireAt: r.retire_at,
      unpublishAt: r.unpublish_at,
      revokedAt: r.revoked_at,
      state: stateOf(r, now),
    };
  }
}
