/**
 * @module directory/credentials
 * What an application (or a user-assigned identity, for federation) proves itself with: client secrets
 * (generated, shown once, stored only as a keyed hash), certificates (public part only, found by
 * thumbprint), and federated identity credentials (trust an external issuer's token for a subject).
 */
import { X509Certificate } from 'node:crypto';
import { LanyardError } from '../errors/lanyard-error.ts';
import { requireAppRow } from './applications.ts';
import { bumpVersion, newId, notFound, type OpContext, type Tx } from './context.ts';
import { findUserIdentityRow } from './identities.ts';
import {
  type AddCertificateInput,
  type AddSecretInput,
  addCertificateInput,
  addSecretInput,
  type FederatedCredentialInput,
  federatedCredentialInput,
  parseInput,
} from './inputs.ts';
import type { ApplicationRow, FederatedCredentialRow } from './tables.ts';
import { requireTenantRow } from './tenant-rows.ts';
import type {
  CertificateCredential,
  ClientSecretInfo,
  FederatedCredential,
  NewClientSecret,
} from './types.ts';

const DAY_MS = 86_400_000;
export const DEFAULT_SECRET_DAYS = 180;
export const MAX_SECRET_DAYS = 730;
export const MAX_FEDERATED_CREDENTIALS = 20;
export const DEFAULT_FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';

async function ownedApp(db: Tx, tenantRef: string, appRef: string): Promise<ApplicationRow> {
  const tenant = await requireTenantRow(db, tenantRef);
  const app = await requireAppRow(db, tenant.id, appRef);
  if (app.first_party === 1) {
    throw new LanyardError(
      'ERR_READ_ONLY',
      `"${app.display_name}" is a Microsoft first-party resource; it has no credentials here.`,
    );
  }
  return app;
}

// ---- client secrets ----

export async function listClientSecrets(
  db: Tx,
  tenantRef: string,
  appRef: string,
): Promise<ClientSecretInfo[]> {
  const app = await ownedApp(db, tenantRef, appRef);
  const rows = await db
    .selectFrom('client_secrets')
    .selectAll()
    .where('app_object_id', '=', app.object_id)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    displayName: r.display_name,
    hint: r.hint,
    startDateTime: r.start_at,
    endDateTime: r.end_at,
  }));
}

export async function addClientSecret(
  ctx: OpContext,
  tenantRef: string,
  appRef: string,
  raw: AddSecretInput = {},
): Promise<NewClientSecret> {
  const input = parseInput(addSecretInput, raw, 'client secret');
  const app = await ownedApp(ctx.trx, tenantRef, appRef);
  const start = ctx.now;
  let end: Date;
  if (input.endDateTime !== undefined) {
    end = new Date(input.endDateTime);
    if (end.getTime() <= start.getTime()) {
      throw new LanyardError('ERR_VALIDATION', 'Invalid client secret: endDateTime must be in the future.');
    }
    if (end.getTime() - start.getTime() > MAX_SECRET_DAYS * DAY_MS) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Invalid client secret: a secret may live at most ${MAX_SECRET_DAYS} days.`,
        {
          hint: 'Rotate secrets instead of making them long-lived, or use a certificate or federated credential.',
        },
      );
    }
  } else {
    end = new Date(start.getTime() + (input.expiresInDays ?? DEFAULT_SECRET_DAYS) * DAY_MS);
  }
  const secretText = ctx.deps.generateSecret();
  const info: ClientSecretInfo = {
    keyId: newId(),
    displayName: input.displayName ?? '',
    hint: secretText.slice(0, 3),
    startDateTime: start.toISOString(),
    endDateTime: end.toISOString(),
  };
  await ctx.trx
    .insertInto('client_secrets')
    .values({
      key_id: info.keyId,
      app_object_id: app.object_id,
      display_name: info.displayName,
      hint: info.hint,
      secret_hash: ctx.deps.hasher.hash(secretText),
      start_at: info.startDateTime,
      end_at: info.endDateTime,
      created_at: ctx.nowIso,
    })
    .execute();
  await bumpVersion(ctx.trx);
  return { ...info, secretText };
}

export async function removeClientSecret(
  ctx: OpContext,
  tenantRef: string,
  appRef: string,
  keyId: string,
): Promise<void> {
  const app = await ownedApp(ctx.trx, tenantRef, appRef);
  const result = await ctx.trx
    .deleteFrom('client_secrets')
    .where('app_object_id', '=', app.object_id)
    .where('key_id', '=', keyId.toLowerCase())
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw notFound(
      'Client secret',
      keyId,
      `List the app's secrets with \`lanyard app secret list --app ${app.name}\`.`,
    );
  }
  await bumpVersion(ctx.trx);
}

export type SecretCheck =
  | { ok: true; keyId: string }
  | { ok: false; reason: 'no_match' | 'expired'; keyId?: string };

/** What a client-secret check needs of each of an app's secrets: no secret text, only its keyed hash. */
export interface StoredSecretHash {
  keyId: string;
  secretHash: string;
  startAt: number;
  endAt: number;
}

/** The hashes and validity windows of every secret of the app (the issuer caches these by directory version). */
export async function clientSecretHashes(
  trx: OpContext['trx'],
  appObjectId: string,
): Promise<StoredSecretHash[]> {
  const rows = await trx
    .selectFrom('client_secrets')
    .select(['key_id', 'secret_hash', 'start_at', 'end_at'])
    .where('app_object_id', '=', appObjectId)
    .execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    secretHash: r.secret_hash,
    startAt: Date.parse(r.start_at),
    endAt: Date.parse(r.end_at),
  }));
}

/** Whether a secret is inside its validity window at `now`. */
export function secretValidAt(h: StoredSecretHash, now: Date): boolean {
  const t = now.getTime();
  return t >= h.startAt && t < h.endAt;
}

/** Checks a presented secret against the app's secret hashes, in constant time per candidate, at `now`. */
export function matchClientSecret(
  hashes: readonly StoredSecretHash[],
  secret: string,
  hasher: OpContext['deps']['hasher'],
  now: Date,
): SecretCheck {
  let expiredMatch: string | undefined;
  for (const h of hashes) {
    if (!hasher.verify(secret, h.secretHash)) continue;
    if (secretValidAt(h, now)) return { ok: true, keyId: h.keyId };
    expiredMatch = h.keyId;
  }
  return expiredMatch
    ? { ok: false, reason: 'expired', keyId: expiredMatch }
    : { ok: false, reason: 'no_match' };
}

/** Checks a presented secret against every secret of the app, in constant time per candidate. */
export async function verifyClientSecret(
  ctx: Pick<OpContext, 'trx' | 'deps' | 'now'>,
  appObjectId: string,
  secret: string,
): Promise<SecretCheck> {
  return matchClientSecret(await clientSecretHashes(ctx.trx, appObjectId), secret, ctx.deps.hasher, ctx.now);
}

// ---- certificates ----

function parseCertificate(text: string): X509Certificate {
  const trimmed = text.trim();
  const pem = trimmed.startsWith('-----BEGIN')
    ? trimmed
    : `-----BEGIN CERTIFICATE-----\n${trimmed.replace(/\s+/g, '')}\n-----END CERTIFICATE-----`;
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new LanyardError(
      'ERR_VALIDATION',
      'Invalid certificate: it is not a PEM or base64 DER X.509 certificate.',
      {
        cause: err,
        hint: 'Give the public certificate only (-----BEGIN CERTIFICATE----- …), never the private key.',
      },
    );
  }
}

const hexOf = (fingerprint: string): string => fingerprint.replace(/:/g, '').toUpperCase();

export async function listCertificates(
  db: Tx,
  tenantRef: string,
  appRef: string,
): Promise<CertificateCredential[]> {
  const app = await ownedApp(db, tenantRef, appRef);
  const rows = await db
    .selectFrom('certificate_credentials')
    .selectAll()
    .where('app_object_id', '=', app.object_id)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    keyId: r.key_id,
    displayName: r.display_name,
    thumbprint: r.thumbprint_sha1,
    thumbprintSha256: r.thumbprint_sha256,
    startDateTime: r.start_at,
    endDateTime: r.end_at,
  }));
}

export async function addCertificate(
  ctx: OpContext,
  tenantRef: string,
  appRef: string,
  raw: AddCertificateInput,
): Promise<CertificateCredential> {
  const input = parseInput(addCertificateInput, raw, 'certificate');
  const app = await ownedApp(ctx.trx, tenantRef, appRef);
  const cert = parseCertificate(input.certificate);
  const keyType = cert.publicKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'rsa-pss' && keyType !== 'ec') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Invalid certificate: its ${keyType} key cannot sign client assertions.`,
      {
        hint: 'Use an RSA (2048 bits or more) or EC P-256 certificate.',
      },
    );
  }
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength;
  if ((keyType === 'rsa' || keyType === 'rsa-pss') && bits !== undefined && bits < 2048) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Invalid certificate: an RSA key of ${bits} bits is too small.`,
      {
        hint: 'Entra requires RSA keys of at least 2048 bits.',
      },
    );
  }
  const end = new Date(cert.validTo);
  if (end.getTime() <= ctx.now.getTime()) {
    throw new LanyardError('ERR_VALIDATION', `Invalid certificate: it expired on ${end.toISOString()}.`);
  }
  const credential: CertificateCredential = {
    keyId: newId(),
    displayName: input.displayName ?? cert.subject.replace(/\n/g, ', '),
    thumbprint: hexOf(cert.fingerprint),
    thumbprintSha256: hexOf(cert.fingerprint256),
    startDateTime: new Date(cert.validFrom).toISOString(),
    endDateTime: end.toISOString(),
  };
  const dup = await ctx.trx
    .selectFrom('certificate_credentials')
    .select('key_id')
    .where('app_object_id', '=', app.object_id)
    .where('thumbprint_sha1', '=', credential.thumbprint)
    .executeTakeFirst();
  if (dup)
    throw new LanyardError(
      'ERR_CONFLICT',
      `App "${app.name}" already has the certificate ${credential.thumbprint}.`,
    );
  await ctx.trx
    .insertInto('certificate_credentials')
    .values({
      key_id: credential.keyId,
      app_object_id: app.object_id,
      display_name: credential.displayName,
      thumbprint_sha1: credential.thumbprint,
      thumbprint_sha256: credential.thumbprintSha256,
      certificate_pem: cert.toString(),
      start_at: credential.startDateTime,
      end_at: credential.endDateTime,
      created_at: ctx.nowIso,
    })
    .execute();
  await bumpVersion(ctx.trx);
  return credential;
}

export async function removeCertificate(
  ctx: OpContext,
  tenantRef: string,
  appRef: string,
  ref: string,
): Promise<void> {
  const app = await ownedApp(ctx.trx, tenantRef, appRef);
  const result = await ctx.trx
    .deleteFrom('certificate_credentials')
    .where('app_object_id', '=', app.object_id)
    .where((eb) =>
      eb.or([eb('key_id', '=', ref.toLowerCase()), eb('thumbprint_sha1', '=', ref.toUpperCase())]),
    )
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0)
    throw notFound('Certificate', ref, `List them with \`lanyard app cert list --app ${app.name}\`.`);
  await bumpVersion(ctx.trx);
}

// ---- federated identity credentials ----

export interface FederationOwner {
  kind: 'app' | 'identity';
  name: string;
}

async function resolveOwner(db: Tx, tenantRef: string, owner: FederationOwner) {
  const tenant = await requireTenantRow(db, tenantRef);
  if (owner.kind === 'app') {
    const app = await ownedApp(db, tenant.id, owner.name);
    return { tenantId: tenant.id, appObjectId: app.object_id, identityId: null, label: app.name };
  }
  const identity = await findUserIdentityRow(db, tenant.id, owner.name);
  if (!identity)
    throw notFound(
      'Identity',
      owner.name,
      'Federated credentials belong to apps or user-assigned identities.',
    );
  return { tenantId: tenant.id, appObjectId: null, identityId: identity.id, label: identity.name };
}

function ownerQuery(db: Tx, o: { appObjectId: string | null; identityId: string | null }) {
  const q = db.selectFrom('federated_credentials').selectAll();
  return o.appObjectId
    ? q.where('app_object_id', '=', o.appObjectId)
    : q.where('identity_id', '=', o.identityId);
}

function toFederated(row: FederatedCredentialRow, owner: FederationOwner): FederatedCredential {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    subject: row.subject,
    audiences: JSON.parse(row.audiences) as string[],
    description: row.description,
    owner,
  };
}

export async function listFederatedCredentials(
  db: Tx,
  tenantRef: string,
  owner: FederationOwner,
): Promise<FederatedCredential[]> {
  const o = await resolveOwner(db, tenantRef, owner);
  const rows = await ownerQuery(db, o).orderBy('name').execute();
  return rows.map((r) => toFederated(r, { kind: owner.kind, name: o.label }));
}

export async function addFederatedCredential(
  ctx: OpContext,
  tenantRef: string,
  owner: FederationOwner,
  raw: FederatedCredentialInput,
): Promise<FederatedCredential> {
  const input = parseInput(federatedCredentialInput, raw, 'federated credential');
  const o = await resolveOwner(ctx.trx, tenantRef, owner);
  const existing = await ownerQuery(ctx.trx, o).execute();
  if (existing.length >= MAX_FEDERATED_CREDENTIALS) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `"${o.label}" already has ${MAX_FEDERATED_CREDENTIALS} federated credentials, Entra's limit.`,
    );
  }
  if (existing.some((r) => r.name === input.name)) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `"${o.label}" already has a federated credential named "${input.name}".`,
    );
  }
  const same = existing.find((r) => r.issuer === input.issuer && r.subject === input.subject);
  if (same) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `Federated credential "${same.name}" already trusts this issuer and subject.`,
      {
        hint: 'Entra allows one credential per (issuer, subject) pair on an app or identity.',
      },
    );
  }
  const row: FederatedCredentialRow = {
    id: newId(),
    tenant_id: o.tenantId,
    app_object_id: o.appObjectId,
    identity_id: o.identityId,
    name: input.name,
    issuer: input.issuer,
    subject: input.subject,
    audiences: JSON.stringify(input.audiences ?? [DEFAULT_FEDERATION_AUDIENCE]),
    description: input.description ?? '',
    created_at: ctx.nowIso,
  };
  await ctx.trx.insertInto('federated_credentials').values(row).execute();
  await bumpVersion(ctx.trx);
  return toFederated(row, { kind: owner.kind, name: o.label });
}

export async function removeFederatedCredential(
  ctx: OpContext,
  tenantRef: string,
  owner: FederationOwner,
  name: string,
): Promise<void> {
  const o = await resolveOwner(ctx.trx, tenantRef, owner);
  const row = (await ownerQuery(ctx.trx, o).execute()).find(
    (r) => r.name === name || r.id === name.toLowerCase(),
  );
  if (!row)
    throw notFound('Federated credential', name, `List them with \`lanyard ${owner.kind} federated list\`.`);
  await ctx.trx.deleteFrom('federated_credentials').where('id', '=', row.id).execute();
  await bumpVersion(ctx.trx);
}
