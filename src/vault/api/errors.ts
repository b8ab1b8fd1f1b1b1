/**
 * @module vault/api/errors
 * Key Vault's refusals: `{"error":{"code","message","innererror":{"code"}}}` with Key Vault's codes and messages
 * (docs/vault.md, "Errors"), because `@azure/keyvault-secrets` turns them into `RestError`s whose `code` and
 * `message` callers match on. Lanyard's explanation — which role would grant a refused call, why a token was
 * refused — travels in `x-lanyard-hint` and, where Key Vault's message is free text meant for people (401s and
 * ForbiddenByRbac), at the end of the message too.
 */
import { isLanyardError } from '../../errors/lanyard-error.ts';

export interface KeyVaultErrorOptions {
  readonly inner?: string | undefined;
  readonly hint?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** The stable reason the audit records (defaults to the inner code, else the code). */
  readonly reason?: string | undefined;
}

export class KeyVaultError extends Error {
  readonly status: number;
  /** Key Vault's `error.code`, e.g. `SecretNotFound`. */
  readonly code: string;
  /** Key Vault's `error.innererror.code`, e.g. `ForbiddenByRbac`. */
  readonly inner: string | undefined;
  readonly hint: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;

  constructor(status: number, code: string, message: string, options: KeyVaultErrorOptions = {}) {
    super(message);
    this.name = 'KeyVaultError';
    this.status = status;
    this.code = code;
    this.inner = options.inner;
    this.hint = options.hint;
    this.headers = options.headers ?? {};
    this.reason = options.reason ?? options.inner ?? code;
  }

  body(): { error: Record<string, unknown> } {
    return {
      error: {
        code: this.code,
        message: this.message,
        innererror: this.inner === undefined ? null : { code: this.inner },
      },
    };
  }
}

export const badParameter = (message: string, hint?: string) =>
  new KeyVaultError(400, 'BadParameter', message, { hint });

/**
 * The Key Vault error a store refusal stands for (src/vault/store.ts, inputs.ts, backup.ts; docs/vault.md maps
 * them); anything else is returned as it was.
 */
export function keyVaultErrorOf(err: unknown): unknown {
  if (err instanceof KeyVaultError || !isLanyardError(err)) return err;
  const hint = err.hint;
  switch (err.code) {
    case 'ERR_VAULT_SECRET_NOT_FOUND':
    case 'ERR_VAULT_DELETED_SECRET_NOT_FOUND':
      return new KeyVaultError(404, 'SecretNotFound', err.message, { hint });
    case 'ERR_VAULT_SECRET_DELETED':
      return new KeyVaultError(409, 'Conflict', err.message, {
        inner: 'ObjectIsDeletedButRecoverable',
        hint,
      });
    case 'ERR_VAULT_SECRET_EXISTS':
      return new KeyVaultError(409, 'Conflict', err.message, { hint });
    case 'ERR_VAULT_SECRET_DISABLED':
      return new KeyVaultError(403, 'Forbidden', err.message, { inner: 'SecretDisabled', hint });
    case 'ERR_VAULT_PURGE_PROTECTED':
      return new KeyVaultError(403, 'Forbidden', err.message, { hint, reason: 'PurgeProtected' });
    case 'ERR_VAULT_VALUE_TOO_LARGE':
    case 'ERR_REQUEST_TOO_LARGE':
      return new KeyVaultError(413, 'RequestEntityTooLarge', err.message, { hint });
    case 'ERR_VAULT_BAD_PARAMETER':
    case 'ERR_VAULT_BACKUP_INVALID':
    case 'ERR_BAD_JSON':
    case 'ERR_VALIDATION':
      return new KeyVaultError(400, 'BadParameter', err.message, { hint, reason: err.code });
    default:
      return err;
  }
}
