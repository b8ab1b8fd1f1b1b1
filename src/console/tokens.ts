/**
 * @module console/tokens
 * Read-only console tokens (`lanyard console token --read-only`, `POST /admin/console/tokens`): `lyr_` + 32
 * random bytes in base64url, shown once, stored only as a keyed hash (crypto/secret-hash.ts, as workload secrets
 * and client secrets are), with a lifetime (default 8 h) and a revocation time. Someone signing in to the console
 * with one gets a read-only session: every GET of the admin API and the questions asked with a body (explain,
 * "may X call Y?"), nothing that changes Lanyard. Issuing and revoking are audited (`console.token-issue`,
 * `console.token-revoke`); never the token.
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.ts';
import { generateOpaqueToken } from '../crypto/random.ts';
import type { SecretHasher } from '../crypto/secret-hash.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import type { ConsoleTables, ConsoleTokenRow } from './tables.ts';

export const READ_ONLY_TOKEN_PREFIX = 'lyr_';
/** The prefix and 32 bytes of base64url: what a token of ours can look like, checked before any hashing. */
const TOKEN_SHAPE = /^lyr_[A-Za-z0-9_-]{43}$/;
export const DEFAULT_READ_ONLY_TTL_MS = 8 * 3_600_000;
export const MAX_READ_ONLY_TTL_MS = 90 * 86_400_000;

export interface ConsoleTokenDeps {
  readonly store: { readonly db: StoreDb };
  readonly hasher: SecretHasher;
  readonly audit: AuditLog;
  /** The issuer's clock (tests move it). */
  readonly tokens: { now(): Date };
}

/** A read-only token as lists show it: never the token, nor its hash. */
export interface ConsoleToken {
  id: string;
  role: 'read-only';
  label: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** At the time of the answer. */
  state: 'active' | 'expired' | 'revoked';
}

/** The answer to issuing one: the only time the token is shown. */
export interface IssuedConsoleToken extends ConsoleToken {
  token: string;
}

const tables = (db: StoreDb) => tablesOf<ConsoleTables>(db);

function tokenOf(row: ConsoleTokenRow, now: number): ConsoleToken {
  return {
    id: row.id,
    role: 'read-only',
    label: row.label,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    state: row.revoked_at !== null ? 'revoked' : Date.parse(row.expires_at) <= now ? 'expired' : 'active',
  };
}

export async function issueReadOnlyToken(
  deps: ConsoleTokenDeps,
  options: { ttlMs?: number | undefined; label?: string | undefined; actor: string },
): Promise<IssuedConsoleToken> {
  const ttl = options.ttlMs ?? DEFAULT_READ_ONLY_TTL_MS;
  if (!Number.isFinite(ttl) || ttl < 60_000 || ttl > MAX_READ_ONLY_TTL_MS) {
    throw new LanyardError('ERR_VALIDATION', 'A read-only token lives between 1 minute and 90 days.', {
      hint: 'Pass --ttl like 30m, 8h or 7d (default 8h).',
    });
  }
  const label = options.label ?? '';
  if (label.length > 200)
    throw new LanyardError('ERR_VALIDATION', 'The label is longer than 200 characters.');
  const token = `${READ_ONLY_TOKEN_PREFIX}${generateOpaqueToken(32)}`;
  const now = deps.tokens.now();
  const row: ConsoleTokenRow = {
    id: randomUUID(),
    token_hash: deps.hasher.hash(token),
    role: 'read-only',
    label,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttl).toISOString(),
    revoked_at: null,
    last_used_at: null,
  };
  await tables(deps.store.db).insertInto('console_tokens').values(row).execute();
  await deps.audit.record({
    plane: 'console',
    action: 'console.token-issue',
    outcome: 'success',
    actor: options.actor,
    target: row.id,
    details: { role: row.role, expiresAt: row.expires_at },
  });
  return { ...tokenOf(row, now.getTime()), token };
}

/** Every read-only token, newest first; with `live`, only those a sign-in would take now. */
export async function listReadOnlyTokens(
  deps: ConsoleTokenDeps,
  options: { live?: boolean } = {},
): Promise<ConsoleToken[]> {
  const rows = await tables(deps.store.db)
    .selectFrom('console_tokens')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  const now = deps.tokens.now().getTime();
  const all = rows.map((r) => tokenOf(r, now));
  return options.live ? all.filter((t) => t.state === 'active') : all;
}

/** Revokes a token at once (sessions signed in with it end at their next request); revoking twice is fine. */
export async function revokeReadOnlyToken(
  deps: ConsoleTokenDeps,
  id: string,
  actor: string,
): Promise<ConsoleToken> {
  const db = tables(deps.store.db);
  const row = await db.selectFrom('console_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) {
    throw new LanyardError('ERR_NOT_FOUND', `No read-only console token has the id "${id}".`, {
      hint: 'See `lanyard console tokens`.',
    });
  }
  const now = deps.tokens.now();
  if (row.revoked_at === null) {
    row.revoked_at = now.toISOString();
    await db.updateTable('console_tokens').set({ revoked_at: row.revoked_at }).where('id', '=', id).execute();
    await deps.audit.record({
      plane: 'console',
      action: 'console.token-revoke',
      outcome: 'success',
      actor,
      target: id,
    });
  }
  return tokenOf(row, now.getTime());
}

/** The live token `token` is, found by its keyed hash (a digest's equality: no timing leak); its use noted. */
export async function verifyReadOnlyToken(
  deps: ConsoleTokenDeps,
  token: string,
): Promise<ConsoleToken | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const db = tables(deps.store.db);
  const row = await db
    .selectFrom('console_tokens')
    .selectAll()
    .where('token_hash', '=', deps.hasher.hash(token))
    .executeTakeFirst();
  const now = deps.tokens.now();
  if (!row || tokenOf(row, now.getTime()).state !== 'active') return undefined;
  row.last_used_at = now.toISOString();
  await db
    .updateTable('console_tokens')
    .set({ last_used_at: row.last_used_at })
    .where('id', '=', row.id)
    .execute();
  return tokenOf(row, now.getTime());
}

/** Whether the token `id` would still sign in now (a session made with it ends when it does not). */
export async function readOnlyTokenLive(deps: ConsoleTokenDeps, id: string): Promise<boolean> {
  const row = await tables(deps.store.db)
    .selectFrom('console_tokens')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined && tokenOf(row, deps.tokens.now().getTime()).state === 'active';
}
