/**
 * @module vault/cli/common
 * What the `lanyard vault …` commands share: the caller the service audits as `cli`, the secret value read
 * from a file or stdin (never from the command line, where it would stay in the shell's history and show in
 * the process list), instants and tags as typed, and how secrets and vaults print. The service (and the store
 * behind it) loads when a command runs, never when `lanyard --help` registers them.
 */
import fs from 'node:fs';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { Column } from '../../plane/cli-output.ts';
import type { VaultDeps } from '../deps.ts';
import type { VaultCaller, VaultView } from '../service.ts';
import type { DeletedSecretInfo, SecretInfo, SecretValue } from '../store.ts';

export const service = () => import('../service.ts');

export const VAULT_HELP = 'the vault: a resource of kind vault (name, id or Azure resource id)';

export const callerOf = (deps: VaultDeps): VaultCaller => ({
  directory: deps.directory,
  audit: deps.audit,
  dataDir: deps.dataDir,
  actor: 'cli',
});

const usage = (message: string, hint?: string) => new LanyardError('ERR_USAGE', message, { hint });

export interface ValueOptions {
  /** Declared only to refuse it with a hint: a value typed on the command line is already exposed. */
  value?: string;
  valueFile?: string;
  stdin?: boolean;
}

/**
 * The secret value: the bytes of `--value-file` (or of stdin, with `--stdin` or `--value-file -`) as they
 * are, read as UTF-8; nothing is stripped, so a file written by `echo` keeps its newline.
 */
export function readValue(o: ValueOptions, kit: CliKit<VaultDeps>): string {
  if (o.value !== undefined) {
    throw usage(
      'A secret value is never taken from the command line: it would stay in the shell history and show in the process list.',
      'Use --value-file <file>, or pipe it on stdin with --stdin (e.g. `openssl rand -base64 32 | lanyard vault secret set --vault V NAME --stdin`).',
    );
  }
  if (o.valueFile !== undefined && o.stdin) throw usage('Give --value-file or --stdin, not both.');
  if (o.valueFile === undefined && !o.stdin) {
    throw usage(
      'Give the value with --value-file <file> or --stdin.',
      'The value is never taken from the command line.',
    );
  }
  const fromStdin = o.stdin === true || o.valueFile === '-';
  let bytes: Buffer;
  if (fromStdin) {
    if (process.stdin.isTTY)
      process.stderr.write('Reading the secret value from stdin; end it with Ctrl-D.\n');
    bytes = fs.readFileSync(0);
  } else {
    const file = kit.userPath(o.valueFile!);
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      throw usage(`Cannot read the value file ${file} (${(err as NodeJS.ErrnoException).code}).`);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw usage(
      `The value ${fromStdin ? 'on stdin' : 'file'} is not UTF-8 text; a Key Vault secret value is a string.`,
      'Store binary data encoded, e.g. `base64 < key.bin | lanyard vault secret set … --stdin --content-type application/octet-stream+base64`.',
    );
  }
}

/** `--not-before` / `--expires`: an ISO 8601 instant as epoch seconds; `none` (update only) clears it. */
export function parseInstant(
  flag: string,
  text: string | undefined,
  clearable: boolean,
): number | null | undefined {
  if (text === undefined) return undefined;
  if (clearable && text === 'none') return null;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw usage(
      `${flag} takes an ISO 8601 date or date-time (2027-01-01T00:00:00Z), not "${text}".`,
      clearable ? `\`${flag} none\` clears it.` : undefined,
    );
  }
  return Math.floor(ms / 1000);
}

/** `--tag k=v …` as a tag object (undefined when none is given). */
export function parseTags(tags: string[] | undefined): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const t of tags) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw usage(`--tag takes name=value, not "${t}".`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

export const iso = (epoch: number | null | undefined) =>
  epoch === null || epoch === undefined ? '' : new Date(epoch * 1000).toISOString();
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([k, v]) => `${k}=${v}`);

export const VAULT_FIELDS: readonly Column<VaultView>[] = [
  { header: 'name', value: (v) => v.name },
  { header: 'url', value: (v) => v.url },
  { header: 'soft delete', value: (v) => (v.softDelete ? 'on' : 'off') },
  { header: 'retention days', value: (v) => v.retentionDays },
  { header: 'purge protection', value: (v) => (v.purgeProtection ? 'on' : 'off') },
  { header: 'recovery level', value: (v) => v.recoveryLevel },
];

export const SECRET_COLUMNS: readonly Column<SecretInfo>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'VERSION', value: (s) => s.version },
  { header: 'ENABLED', value: (s) => s.attributes.enabled },
  { header: 'CONTENT TYPE', value: (s) => s.contentType },
  { header: 'EXPIRES', value: (s) => iso(s.attributes.exp) },
  { header: 'UPDATED', value: (s) => iso(s.attributes.updated) },
];

/** A secret, active or deleted, in `list --include-deleted`. */
export type ListedSecret = SecretInfo | DeletedSecretInfo;
const isDeleted = (s: ListedSecret): s is DeletedSecretInfo => 'deletedDate' in s;

export const LISTED_COLUMNS: readonly Column<ListedSecret>[] = [
  { header: 'NAME', value: (s) => s.name },
  { header: 'STATE', value: (s) => (isDeleted(s) ? 'deleted' : 'active') },
  { header: 'VERSION', value: (s) => s.version },
  { header: 'ENABLED', value: (s) => s.attributes.enabled },
  { header: 'CONTENT TYPE', value: (s) => s.contentType },
  { header: 'EXPIRES', value: (s) => iso(s.attributes.exp) },
  { header: 'PURGE DATE', value: (s) => (isDeleted(s) ? iso(s.scheduledPurgeDate) : '') },
];

/** A version's metadata; `validity` and `value` only when the value was asked for (`--reveal`). */
export const SECRET_FIELDS: readonly Column<
  SecretInfo & Partial<SecretValue> & Partial<DeletedSecretInfo>
>[] = [
  { header: 'name', value: (s) => s.name },
  { header: 'version', value: (s) => s.version },
  { header: 'enabled', value: (s) => s.attributes.enabled },
  { header: 'content type', value: (s) => s.contentType ?? '' },
  { header: 'tags', value: (s) => tagList(s.tags) },
  { header: 'not before', value: (s) => iso(s.attributes.nbf) },
  { header: 'expires', value: (s) => iso(s.attributes.exp) },
  { header: 'created', value: (s) => iso(s.attributes.created) },
  { header: 'updated', value: (s) => iso(s.attributes.updated) },
  { header: 'recovery level', value: (s) => s.attributes.recoveryLevel },
  { header: 'deleted', value: (s) => (s.deletedDate === undefined ? undefined : iso(s.deletedDate)) },
  {
    header: 'purge date',
    value: (s) => (s.deletedDate === undefined ? undefined : iso(s.scheduledPurgeDate) || 'purged now'),
  },
  { header: 'validity', value: (s) => s.validity },
  { header: 'value', value: (s) => s.value },
];
