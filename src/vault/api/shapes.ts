/**
 * @module vault/api/shapes
 * Key Vault's JSON for secrets (SecretBundle, SecretItem, DeletedSecretBundle/Item), built from the store's
 * records. Every id is on the origin the client addressed (`https://<vault>.vault.localhost:8443/secrets/…`):
 * the SDK parses names out of ids and refuses a nextLink on another origin. Lists never carry `value`; an
 * update's answer has none either, as Key Vault's.
 */
import type { DeletedSecretInfo, SecretInfo, SecretValue } from '../store.ts';

type Json = Record<string, unknown>;

function attributes(info: SecretInfo): Json {
  const a = info.attributes;
  return {
    enabled: a.enabled,
    ...(a.nbf === null ? {} : { nbf: a.nbf }),
    ...(a.exp === null ? {} : { exp: a.exp }),
    created: a.created,
    updated: a.updated,
    recoveryLevel: a.recoveryLevel,
    recoverableDays: a.recoverableDays,
  };
}

const secretUrl = (origin: string, name: string, version?: string) =>
  `${origin}/secrets/${name}${version === undefined ? '' : `/${version}`}`;

function common(info: SecretInfo): Json {
  return {
    attributes: attributes(info),
    ...(Object.keys(info.tags).length === 0 ? {} : { tags: info.tags }),
    ...(info.contentType === null ? {} : { contentType: info.contentType }),
  };
}

/** SecretBundle with its value (get, set). */
export function secretBundle(origin: string, s: SecretValue): Json {
  return { value: s.value, id: secretUrl(origin, s.name, s.version), ...common(s) };
}

/** SecretBundle without its value (update, recover, restore). */
export function secretMetadata(origin: string, s: SecretInfo): Json {
  return { id: secretUrl(origin, s.name, s.version), ...common(s) };
}

/** SecretItem of `GET /secrets` (the id has no version) or of `GET /secrets/{name}/versions` (it has). */
export function secretItem(origin: string, s: SecretInfo, withVersion: boolean): Json {
  return { id: secretUrl(origin, s.name, withVersion ? s.version : undefined), ...common(s) };
}

function deletedPart(origin: string, d: DeletedSecretInfo): Json {
  return {
    recoveryId: `${origin}/deletedsecrets/${d.name}`,
    deletedDate: d.deletedDate,
    ...(d.scheduledPurgeDate === null ? {} : { scheduledPurgeDate: d.scheduledPurgeDate }),
  };
}

/**
 * DeletedSecretBundle (delete, get deleted). With soft delete off the secret is gone already: Key Vault then
 * sends no `recoveryId`, which tells the SDK's delete poller it is done.
 */
export function deletedBundle(origin: string, d: DeletedSecretInfo): Json {
  const base = { id: secretUrl(origin, d.name, d.version), ...common(d) };
  return d.scheduledPurgeDate === null ? base : { ...base, ...deletedPart(origin, d) };
}

/** DeletedSecretItem of `GET /deletedsecrets`. */
export function deletedItem(origin: string, d: DeletedSecretInfo): Json {
  return { id: secretUrl(origin, d.name), ...common(d), ...deletedPart(origin, d) };
}
