/**
 * @module console/tables
 * The console plane's table, as Kysely sees it (migration `0015-console`): the read-only tokens `lanyard console
 * token` issues, kept as keyed hashes (crypto/secret-hash.ts). Only `tokens.ts` reads and writes it. Sessions
 * are not here: they live in the server's memory (sessions.ts).
 */
import type { Selectable } from 'kysely';

export interface ConsoleTokensTable {
  id: string;
  /** The token's keyed hash (`sh1$…`), by which a sign-in finds it. */
  token_hash: string;
  /** `read-only`: the only kind (the admin signs in with the admin token). */
  role: string;
  label: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** The last sign-in made with it. */
  last_used_at: string | null;
}

export interface ConsoleTables {
  console_tokens: ConsoleTokensTable;
}

export type ConsoleTokenRow = Selectable<ConsoleTokensTable>;
