/**
 * @module issuer/tables
 * The issuer's table, as Kysely sees it (migration `0002-issuer`): the signing keys, private keys sealed.
 * Only `signing-keys.ts` reads and writes it.
 */
import type { Selectable } from 'kysely';

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  x5c: string;
  x5t_s256: string;
  private_key_sealed: string;
  created_at: string;
  publish_at: string;
  activate_at: string;
  retire_at: string | null;
  unpublish_at: string | null;
  revoked_at: string | null;
}

export interface IssuerTables {
  signing_keys: SigningKeysTable;
}

export type SigningKeyRow = Selectable<SigningKeysTable>;
