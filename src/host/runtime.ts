/**
 * @module host/runtime
 * The composition root: the one place that opens the data folder, the master key, the store and builds the
 * planes on them. The CLI and the server both start here; nothing else constructs these.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type AuditLog, createAuditLog } from '../audit/audit-log.ts';
import { storeAuditWriter } from '../audit/audit-writer.ts';
import { sqliteWalAuditWriter } from '../audit/sqlite-wal-audit-writer.ts';
import { createEnvelope, type Envelope } from '../crypto/envelope.ts';
import { caPathFor } from '../crypto/local-ca.ts';
import { type Keyring, type MasterKey, type MasterKeyring, openKeyring } from '../crypto/master-key.ts';
import { generateClientSecret } from '../crypto/random.ts';
import type { SealedRecords } from '../crypto/sealed-records.ts';
import { createSecretHasher, deriveHashKey, type SecretHasher } from '../crypto/secret-hash.ts';
import { Directory } from '../directory/directory.ts';
import {
  describeModeChanges,
  type ModeChange,
  PRIVATE_DIR_MODE,
  secureDataDir,
} from '../files/file-modes.ts';
import { ManagedIdentityService } from '../identity/mi-service.ts';
import { WorkloadStore } from '../identity/workloads.ts';
import { ENTRA_ISSUERS, type IssuerNames } from '../issuer/claims.ts';
import { FederationVerifier } from '../issuer/federation.ts';
import { createRs256Signer, signingThreadsFromEnv } from '../issuer/rs256-signer.ts';
import { KeyManager, type SigningKeyPolicy } from '../issuer/signing-keys.ts';
import { TokenService } from '../issuer/token-service.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { loadSecretHashKey } from '../vault/sealed-keys.ts';
import { MIGRATIONS } from './planes.ts';
import { countSealedNotUnder, sealedRecordsOf } from './sealed-records.ts';

export interface RuntimeOptions {
  /** `--data-dir`; else `LANYARD_DATA_DIR`; else `./.lanyard`. */
  dataDir?: string | undefined;
  /** `--store`; else `LANYARD_STORE`; else SQLite in the data folder. */
  store?: string | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
  now?: (() => Date) | undefined;
  /** Signing-key rotation settings (tests shorten them). */
  keyPolicy?: Partial<SigningKeyPolicy> | undefined;
  /** `iss` values of issued tokens; Entra's own by default. */
  issuers?: IssuerNames | undefined;
  /** Signing threads (0: sign on the event loop); default `LANYARD_SIGNING_THREADS`, else one per spare core. */
  signingThreads?: number | undefined;
  /** Where audit events are also logged as JSON lines. */
  auditSink?: { info(obj: object, msg?: string): void } | undefined;
  /** Where the one warning about a data folder readable by others goes (default: stderr). */
  warn?: ((line: string) => void) | undefined;
}

export interface Runtime {
  readonly dataDir: string;
  readonly store: Store;
  /** The current master key when the runtime opened (`keyring` follows a rotation made since). */
  readonly masterKey: MasterKey;
  readonly keyring: MasterKeyring;
  readonly envelope: Envelope;
  /** Everything sealed under the master key (host/sealed-records.ts). */
  readonly sealedRecords: readonly SealedRecords[];
  readonly hasher: SecretHasher;
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly keys: KeyManager;
  readonly tokens: TokenService;
  readonly federation: FederationVerifier;
  readonly issuers: IssuerNames;
  readonly workloads: WorkloadStore;
  readonly identity: ManagedIdentityService;
  close(): Promise<void>;
}

export function resolveDataDir(
  dataDir: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return path.resolve(dataDir ?? env.LANYARD_DATA_DIR ?? '.lanyard');
}

export async function openRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const dataDir = resolveDataDir(options.dataDir, env);
  // Read before anything is opened: a bad value is refused with nothing left to close.
  const signingThreads = options.signingThreads ?? signingThreadsFromEnv(env);
  // The data folder is private (docs/security.md, "Data at rest"): 0700 whatever the umask, and what Lanyard
  // finds of its own there readable by others is tightened, with one warning naming it.
  if (fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE }) !== undefined) {
    fs.chmodSync(dataDir, PRIVATE_DIR_MODE);
  }
  const tightened: ModeChange[] = secureDataDir(dataDir);
  let keyring: MasterKeyring;
  let store: Store;
  try {
    keyring = openKeyring({ dataDir, env });
    store = await openStore({
      dataDir,
      location: options.store ?? env.LANYARD_STORE,
      migrations: MIGRATIONS,
      onModeChange: (change) => {
        if (!tightened.some((c) => c.path === change.path)) tightened.push(change);
      },
    });
  } finally {
    const warning = describeModeChanges(dataDir, tightened);
    if (warning) (options.warn ?? ((line: string) => process.stderr.write(line)))(warning);
  }
  const masterKey = keyring.get().current;
  const envelope = createEnvelope(keyring);
  const sealedRecords = sealedRecordsOf(dataDir, store.db);
  let hashKey: Buffer;
  try {
    hashKey = await loadSecretHashKey(
      store.db,
      envelope,
      () => legacyHashKey(keyring.get(), sealedRecords),
      options.now,
    );
  } catch (err) {
    await store.close();
    throw err;
  }
  const hasher = createSecretHasher(hashKey);
  hashKey.fill(0);
  const directory = new Directory(store.db, {
    hasher,
    generateSecret: generateClientSecret,
    envelope,
    ...(options.now ? { now: options.now } : {}),
  });
  const now = options.now ?? (() => new Date());
  const audit = createAuditLog(
    store.db,
    options.auditSink,
    now,
    store.sqliteFile ? sqliteWalAuditWriter(store.sqliteFile) : storeAuditWriter(store.db),
  );
  const keys = new KeyManager({
    db: store.db,
    dialect: store.dialect,
    envelope,
    policy: options.keyPolicy,
    now,
  });
  const issuers = options.issuers ?? ENTRA_ISSUERS;
  const signer = createRs256Signer({ threads: signingThreads });
  const tokens = new TokenService({ directory, keys, audit, signer, issuers, now });
  const federation = new FederationVerifier({ caFile: caPathFor(dataDir), now });
  const workloads = new WorkloadStore({ db: store.db, directory, hasher, now });
  const identity = new ManagedIdentityService(directory, tokens, workloads);
  return {
    dataDir,
    store,
    masterKey,
    keyring,
    envelope,
    sealedRecords,
    hasher,
    directory,
    audit,
    keys,
    tokens,
    federation,
    issuers,
    workloads,
    identity,
    close: async () => {
      await signer.close();
      await audit.close();
      await store.close();
    },
  };
}

/**
 * The hash key a store gets on its first start with a stored hash key: the one earlier versions derived from
 * the master key, so the hashes they stored keep verifying. That is the current key, unless the store is
 * upgraded in the middle of a key change (retired keys given): then the key its records are wrapped under.
 */
async function legacyHashKey(ring: Keyring, sealed: readonly SealedRecords[]): Promise<Buffer> {
  let best = ring.current;
  let fewest = Number.POSITIVE_INFINITY;
  if ((ring.previous ?? []).length > 0) {
    for (const key of [ring.current, ...(ring.previous ?? [])]) {
      const others = await countSealedNotUnder(sealed, key.id);
      if (others < fewest) [best, fewest] = [key, others];
    }
  }
  return deriveHashKey(best);
}
