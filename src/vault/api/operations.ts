/**
 * @module vault/api/operations
 * The Key Vault secrets operations, one function each, after the route group (group.ts) has found the vault
 * and the caller: each checks the caller's Azure RBAC data action on the secret's scope (the vault's, or
 * `…/vaults/{v}/secrets/{name}`; inherited from group and subscription), does the work through the store's
 * functions (writes through the write batcher, so concurrent writes share one durable commit), and answers in
 * Key Vault's shapes (shapes.ts). Refusals are KeyVaultErrors; the group audits every outcome.
 */

import type { Directory } from '../../directory/directory.ts';
import type { Caller } from '../../management/arm/auth.ts';
import type { ArmResource, ManagementView } from '../../management/view.ts';
import { backupSecret, restoreSecret } from '../backup.ts';
import type { WriteBatcher } from '../group-commit.ts';
import { checkName, versionKey } from '../inputs.ts';
import { secretReadCacheOf } from '../read-cache.ts';
import * as store from '../store.ts';
import { badParameter, KeyVaultError } from './errors.ts';
import type { VaultHost } from './hosts.ts';
import { deletedBundle, deletedItem, secretBundle, secretItem, secretMetadata } from './shapes.ts';

export const DATA_ACTIONS = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  backup: 'Microsoft.KeyVault/vaults/secrets/backup/action',
  restore: 'Microsoft.KeyVault/vaults/secrets/restore/action',
} as const;

export const MAX_RESULTS = 25;

/** One request to a vault, its caller known. */
export interface VaultCall {
  readonly directory: Directory;
  readonly writes: WriteBatcher;
  readonly view: ManagementView;
  readonly host: VaultHost;
  readonly vault: ArmResource;
  readonly ref: store.VaultRef;
  readonly caller: Caller;
  readonly apiVersion: string;
  readonly query: URLSearchParams;
  /** The secret (and version) the request is about, for the audit; set by the operation. */
  target?: string;
  /** The version a read or write touched, for the audit. */
  version?: string;
}

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

type Json = Record<string, unknown>;

// ---- authorization -------------------------------------------------------------------------------------

function secretScope(c: VaultCall, name?: string): string {
  return name === undefined ? c.vault.id : `${c.vault.id}/secrets/${name}`;
}

/** Throws Key Vault's 403 ForbiddenByRbac unless the caller holds `action` on the secret (or the vault). */
export function authorize(c: VaultCall, action: string, name?: string): void {
  const scope = secretScope(c, name);
  const d = c.view.index.check([c.caller.objectId], action, scope, { dataAction: true });
  if (d.allowed) return;
  const location = c.vault.resource?.location ?? 'eastus';
  const iss = String(c.caller.claims.iss ?? '');
  const role = d.wouldGrant[0]?.roleName;
  const fix = role
    ? `${role} on the vault (or the secret, group or subscription) would allow it: lanyard rbac assign --principal ${c.caller.objectId} --role "${role}" --scope resource:${c.vault.name}`
    : `No role assignable at ${scope} allows ${action}.`;
  throw new KeyVaultError(
    403,
    'Forbidden',
    [
      'Caller is not authorized to perform action on resource.',
      'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
      `Caller: appid=${c.caller.appId};oid=${c.caller.objectId};iss=${iss}`,
      `Action: '${action}'`,
      `Resource: '${scope.toLowerCase()}'`,
      'Assignment: (not found)',
      'DenyAssignmentId: null',
      "DecisionReason: 'DeniedWithNoValidRBAC' ",
      `Vault: ${c.vault.name};location=${location}`,
      `Lanyard: ${fix}`,
      '',
    ].join('\r\n'),
    { inner: 'ForbiddenByRbac', hint: fix },
  );
}

// ---- inputs --------------------------------------------------------------------------------------------

function name(raw: string): string {
  try {
    return checkName(raw);
  } catch {
    throw badParameter(
      `The secret name '${raw.slice(0, 130)}' is invalid: use 1-127 letters, digits and dashes.`,
      'Secret names match ^[0-9a-zA-Z-]+$ and have at most 127 characters.',
    );
  }
}

/** A version segment: empty means the latest; otherwise 32 hex digits. */
function version(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (versionKey(raw) === undefined) {
    throw badParameter(
      `The secret version '${raw.slice(0, 64)}' is invalid.`,
      'A version is the 32 hexadecimal digits at the end of a secret id.',
    );
  }
  return raw;
}

function object(body: unknown): Json {
  if (body === undefined) throw badParameter('The request body is missing.', 'Send a JSON object.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badParameter('The request body must be a JSON object.');
  }
  return body as Json;
}

interface AttributeInput {
  enabled?: boolean | undefined;
  nbf?: number | null | undefined;
  exp?: number | null | undefined;
}

function attributesOf(body: Json): AttributeInput {
  const a = body.attributes;
  if (a === undefined || a === null) return {};
  if (typeof a !== 'object' || Array.isArray(a)) throw badParameter("'attributes' must be an object.");
  const o = a as Json;
  return {
    ...(o.enabled === undefined ? {} : { enabled: o.enabled as boolean }),
    ...(o.nbf === undefined ? {} : { nbf: o.nbf as number | null }),
    ...(o.exp === undefined ? {} : { exp: o.exp as number | null }),
  };
}

function maxResults(q: URLSearchParams): number {
  const raw = q.get('maxresults');
  if (raw === null || raw === '') return MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS) {
    throw badParameter(
      `The value of maxresults must be between 1 and ${MAX_RESULTS}, not '${raw.slice(0, 20)}'.`,
    );
  }
  return n;
}

function skipToken(q: URLSearchParams): string | undefined {
  const raw = q.get('$skiptoken');
  if (raw === null || raw === '') return undefined;
  if (raw.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw badParameter('The $skiptoken is invalid.');
  return Buffer.from(raw, 'base64url').toString('utf8');
}

function pageOf<T>(c: VaultCall, path: string, page: store.Page<T>, limit: number, item: (x: T) => Json) {
  const nextLink =
    page.next === undefined
      ? null
      : `${c.host.origin}${path}?api-version=${encodeURIComponent(c.apiVersion)}&$skiptoken=${Buffer.from(page.next, 'utf8').toString('base64url')}&maxresults=${limit}`;
  return { value: page.items.map(item), nextLink };
}

// ---- operations ----------------------------------------------------------------------------------------

export async function setSecret(
  c: VaultCall,
  rawName: string,
  readBody: () => Promise<unknown>,
): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.set, n);
  const body = object(await readBody());
  if (typeof body.value !== 'string') {
    throw badParameter("The property 'value' is required and must be a string.");
  }
  const s = await c.writes.run((t) =>
    store.setSecret(t, c.ref, n, {
      value: body.value as string,
      contentType: body.contentType as string | null | undefined,
      tags: body.tags as Record<string, string> | null | undefined,
      ...attributesOf(body),
    }),
  );
  c.version = s.version;
  return { status: 200, body: secretBundle(c.host.origin, s) };
}

export async function getSecret(
  c: VaultCall,
  rawName: string,
  rawVersion: string | undefined,
): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  const v = version(rawVersion);
  authorize(c, DATA_ACTIONS.get, n);
  // The rows from memory until the next vault write (read-cache.ts); the value is opened every time.
  const s = await store.getSecret(c.directory, c.ref, n, v, secretReadCacheOf(c.directory).read);
  c.version = s.version;
  return { status: 200, body: secretBundle(c.host.origin, s) };
}

export async function updateSecret(
  c: VaultCall,
  rawName: string,
  rawVersion: string | undefined,
  readBody: () => Promise<unknown>,
): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  const v = version(rawVersion);
  authorize(c, DATA_ACTIONS.update, n);
  const body = object(await readBody());
  if (body.value !== undefined) {
    throw badParameter(
      "A secret's value cannot be updated; set a new version instead (PUT /secrets/{name}).",
    );
  }
  const s = await c.writes.run((t) =>
    store.updateAttributes(t, c.ref, n, v, {
      contentType: body.contentType as string | null | undefined,
      tags: body.tags as Record<string, string> | null | undefined,
      ...attributesOf(body),
    }),
  );
  c.version = s.version;
  return { status: 200, body: secretMetadata(c.host.origin, s) };
}

export async function deleteSecret(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.delete, n);
  const d = await c.writes.run((t) => store.deleteSecret(t, c.ref, n));
  c.version = d.version;
  return { status: 200, body: deletedBundle(c.host.origin, d) };
}

export async function listSecrets(c: VaultCall): Promise<Answer> {
  authorize(c, DATA_ACTIONS.readMetadata);
  const limit = maxResults(c.query);
  const page = await store.listSecrets(c.directory, c.ref, { limit, after: skipToken(c.query) });
  return {
    status: 200,
    body: pageOf(c, '/secrets', page, limit, (s) => secretItem(c.host.origin, s, false)),
  };
}

export async function listVersions(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.readMetadata, n);
  const limit = maxResults(c.query);
  const page = await store.listVersions(c.directory, c.ref, n, { limit, after: skipToken(c.query) });
  return {
    status: 200,
    body: pageOf(c, `/secrets/${n}/versions`, page, limit, (s) => secretItem(c.host.origin, s, true)),
  };
}

export async function listDeleted(c: VaultCall): Promise<Answer> {
  authorize(c, DATA_ACTIONS.readMetadata);
  const limit = maxResults(c.query);
  const page = await store.listDeleted(c.directory, c.ref, { limit, after: skipToken(c.query) });
  return {
    status: 200,
    body: pageOf(c, '/deletedsecrets', page, limit, (d) => deletedItem(c.host.origin, d)),
  };
}

export async function getDeleted(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.readMetadata, n);
  const d = await store.getDeleted(c.directory, c.ref, n);
  return { status: 200, body: deletedBundle(c.host.origin, d) };
}

export async function purgeDeleted(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.purge, n);
  await c.writes.run((t) => store.purgeDeleted(t, c.ref, n));
  return { status: 204 };
}

export async function recoverDeleted(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.recover, n);
  const s = await c.writes.run((t) => store.recoverDeleted(t, c.ref, n));
  c.version = s.version;
  return { status: 200, body: secretMetadata(c.host.origin, s) };
}

export async function backup(c: VaultCall, rawName: string): Promise<Answer> {
  const n = name(rawName);
  c.target = n;
  authorize(c, DATA_ACTIONS.backup, n);
  return { status: 200, body: { value: await backupSecret(c.directory, c.ref, n) } };
}

export async function restore(c: VaultCall, readBody: () => Promise<unknown>): Promise<Answer> {
  authorize(c, DATA_ACTIONS.restore);
  const body = object(await readBody());
  if (typeof body.value !== 'string') {
    throw badParameter("The property 'value' (the backup blob, base64url) is required.");
  }
  const s = await c.writes.run((t) => restoreSecret(t, c.ref, body.value as string));
  c.target = s.name;
  c.version = s.version;
  return { status: 200, body: secretMetadata(c.host.origin, s) };
}
