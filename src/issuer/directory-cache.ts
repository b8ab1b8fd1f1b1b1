/**
 * @module issuer/directory-cache
 * The directory reads a token request needs — tenant, client, resource app, granted roles, certificates,
 * federated credentials — cached in memory and keyed by the directory version, which every directory write
 * bumps in the store (so writes by other processes on the same store count too). Without it a client-secret
 * token request read the store ten times before signing; with it, twice: the version and the secret.
 *
 * Freshness: the version is read at the first lookup of an event-loop turn and trusted until that turn's check
 * phase (setImmediate), so every request whose lookups start after a write has completed sees the write, as with
 * uncached reads. For client secrets the keyed hashes and validity windows are cached, and a secret that matched
 * one is remembered by its SHA-256 (as the identity endpoint's workload cache does), so a client presenting it
 * again skips the HMAC; the validity window is checked at the current clock on every request. A wrong secret is
 * never remembered, and every entry goes with the directory version.
 * Cached values are shared between requests and must not be mutated.
 */

import { hash } from 'node:crypto';
import { type StoredSecretHash, secretValidAt } from '../directory/credentials.ts';
import type { Directory } from '../directory/directory.ts';
import type {
  CertificateMatch,
  ClientPrincipal,
  FederatedMatch,
  GrantedRoles,
  ResourceApp,
} from '../directory/lookups.ts';
import type { Tenant } from '../directory/types.ts';

/** What client authentication reads from the directory. */
export type ClientLookups = Pick<
  Directory,
  'findClient' | 'verifyClientSecret' | 'federatedCredentialsOf' | 'certificateOf'
>;

/** Entries per map; unknown ids presented by callers must not grow memory without bound. */
const MAX_ENTRIES = 10_000;
/** Matched secrets remembered per app: an app has a few secrets, and only matching ones are kept. */
const MAX_MATCHED_SECRETS = 16;

interface AppSecrets {
  hashes: StoredSecretHash[];
  /** SHA-256 (base64url) of a presented secret that matched → the secret it matched. */
  matched: Map<string, StoredSecretHash>;
}

export class DirectoryCache implements ClientLookups {
  readonly #directory: Directory;
  #version = -1;
  #fresh = false;
  #checking: Promise<number> | undefined;
  readonly #maps = {
    tenant: new Map<string, Tenant | undefined>(),
    client: new Map<string, ClientPrincipal | undefined>(),
    resource: new Map<string, ResourceApp | undefined>(),
    roles: new Map<string, GrantedRoles>(),
    federated: new Map<string, FederatedMatch[]>(),
    certificate: new Map<string, CertificateMatch | undefined>(),
    secrets: new Map<string, AppSecrets>(),
  };

  constructor(directory: Directory) {
    this.#directory = directory;
  }

  /** The current directory version; drops every entry when it moved. */
  async #sync(): Promise<number> {
    if (this.#fresh) return this.#version;
    this.#checking ??= this.#directory
      .version()
      .then((v) => {
        if (v !== this.#version) {
          for (const m of Object.values(this.#maps)) m.clear();
          this.#version = v;
        }
        this.#fresh = true;
        setImmediate(() => {
          this.#fresh = false;
        });
        return v;
      })
      .finally(() => {
        this.#checking = undefined;
      });
    return this.#checking;
  }

  async #cached<T>(map: Map<string, T>, key: string, load: () => Promise<T>): Promise<T> {
    const version = await this.#sync();
    if (map.has(key)) return map.get(key) as T;
    const value = await load();
    // A write may have moved the version while loading: keep the value only for the version it was read under.
    if (this.#version === version) {
      if (map.size >= MAX_ENTRIES) map.clear();
      map.set(key, value);
    }
    return value;
  }

  findTenant(ref: string): Promise<Tenant | undefined> {
    return this.#cached(this.#maps.tenant, ref, () => this.#directory.findTenant(ref));
  }

  findClient: Directory['findClient'] = (tenantId, clientId) =>
    this.#cached(this.#maps.client, `${tenantId}\n${clientId.toLowerCase()}`, () =>
      this.#directory.findClient(tenantId, clientId),
    );

  findResourceApp: Directory['findResourceApp'] = (tenantId, identifier) =>
    this.#cached(this.#maps.resource, `${tenantId}\n${identifier}`, () =>
      this.#directory.findResourceApp(tenantId, identifier),
    );

  grantedRoles: Directory['grantedRoles'] = (principalId, resource) =>
    this.#cached(
      this.#maps.roles,
      `${principalId}\n${resource.servicePrincipalId}\n${resource.appObjectId}`,
      () => this.#directory.grantedRoles(principalId, resource),
    );

  federatedCredentialsOf: Directory['federatedCredentialsOf'] = (client) =>
    this.#cached(this.#maps.federated, `${client.appObjectId ?? ''}\n${client.identityId ?? ''}`, () =>
      this.#directory.federatedCredentialsOf(client),
    );

  certificateOf: Directory['certificateOf'] = (appObjectId, thumbprint) =>
    this.#cached(
      this.#maps.certificate,
      `${appObjectId}\n${thumbprint.sha1?.toUpperCase() ?? ''}\n${thumbprint.sha256?.toUpperCase() ?? ''}`,
      () => this.#directory.certificateOf(appObjectId, thumbprint),
    );

  /** See the module comment. */
  verifyClientSecret: Directory['verifyClientSecret'] = async (appObjectId, secret) => {
    const app = await this.#cached(this.#maps.secrets, appObjectId, async () => ({
      hashes: await this.#directory.clientSecretHashes(appObjectId),
      matched: new Map<string, StoredSecretHash>(),
    }));
    const digest = hash('sha256', secret, 'base64url');
    const known = app.matched.get(digest);
    if (known) {
      return secretValidAt(known, this.#directory.clock())
        ? { ok: true, keyId: known.keyId }
        : { ok: false, reason: 'expired', keyId: known.keyId };
    }
    const check = this.#directory.matchClientSecret(app.hashes, secret);
    if (check.ok && app.matched.size < MAX_MATCHED_SECRETS) {
      const matched = app.hashes.find((h) => h.keyId === check.keyId);
      if (matched) app.matched.set(digest, matched);
    }
    return check;
  };
}
