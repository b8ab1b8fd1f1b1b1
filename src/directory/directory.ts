/**
 * @module directory/directory
 * The directory's one entry point. Every write runs in a transaction: alone, it gets its own; inside
 * `transaction(fn)` (the manifest's apply) all writes share one, so a refusal anywhere changes nothing.
 *
 * @example
 *   const dir = new Directory(store.db, deps);
 *   await dir.transaction(async (d) => {
 *     await d.createApp('contoso', { name: 'orders', identifierUris: ['api://orders'] });
 *     await d.assignRole('contoso', { principal: 'resource:runbooks', app: 'orders' });
 *   });
 */
import { type StoreDb, tablesOf } from '../store/handle.ts';
import * as apps from './applications.ts';
import * as assignments from './assignments.ts';
import { type DirectoryDeps, directoryVersion, type OpContext, type Tx } from './context.ts';
import * as credentials from './credentials.ts';
import * as identities from './identities.ts';
import type {
  AddCertificateInput,
  AddSecretInput,
  CreateAppInput,
  CreateIdentityInput,
  CreateResourceInput,
  CreateTenantInput,
  FederatedCredentialInput,
  RoleAssignmentInput,
  UpdateAppInput,
  UpdateResourceInput,
  UpdateTenantInput,
} from './inputs.ts';
import * as lookups from './lookups.ts';
import type { DirectoryTables } from './tables.ts';
import { findTenantRow } from './tenant-rows.ts';
import * as tenants from './tenants.ts';

export class Directory {
  /** The store's handle, as the host gave it. */
  readonly #store: StoreDb;
  readonly #deps: DirectoryDeps;
  /** Set when this instance is bound to an open transaction. */
  readonly #trx: StoreDb | undefined;

  constructor(db: StoreDb, deps: DirectoryDeps, trx?: StoreDb) {
    this.#store = db;
    this.#deps = deps;
    this.#trx = trx;
  }

  get deps(): DirectoryDeps {
    return this.#deps;
  }

  /** Runs `fn` with a directory bound to one transaction; any throw rolls every write back. */
  async transaction<T>(fn: (d: Directory) => Promise<T>): Promise<T> {
    if (this.#trx) return fn(this);
    return this.#store.transaction().execute((trx) => fn(new Directory(this.#store, this.#deps, trx)));
  }

  #write<T>(op: (ctx: OpContext) => Promise<T>): Promise<T> {
    return this.transaction((d) => {
      const now = this.#deps.now?.() ?? new Date();
      return op({
        trx: tablesOf<DirectoryTables>(d.#trx!),
        deps: this.#deps,
        now,
        nowIso: now.toISOString(),
      });
    });
  }

  /** The directory's tables, through the open transaction when there is one. */
  get #reader(): Tx {
    return tablesOf<DirectoryTables>(this.#trx ?? this.#store);
  }

  /**
   * The store handle this directory works through — the open transaction inside `transaction()` — typed with
   * no tables, so that planes whose rows hang off the directory's (Easy Auth configs) write theirs, through
   * their own view of it, in the same transaction as a manifest apply.
   */
  get db(): StoreDb {
    return this.#trx ?? this.#store;
  }

  /** A number that grows with every directory write, seen by every process on the same store. */
  version(): Promise<number> {
    return directoryVersion(this.#reader);
  }

  // tenants
  listTenants = () => tenants.listTenants(this.#reader);
  getTenant = (ref: string) => tenants.getTenant(this.#reader, ref);
  findTenant = async (ref: string) => {
    const row = await findTenantRow(this.#reader, ref);
    return row ? tenants.getTenant(this.#reader, row.id) : undefined;
  };
  createTenant = (input: CreateTenantInput) => this.#write((c) => tenants.createTenant(c, input));
  updateTenant = (ref: string, input: UpdateTenantInput) =>
    this.#write((c) => tenants.updateTenant(c, ref, input));
  deleteTenant = (ref: string) => this.#write((c) => tenants.deleteTenant(c, ref));

  // applications
  listApps = (tenant: string, options?: { includeFirstParty?: boolean }) =>
    apps.listApps(this.#reader, tenant, options);
  getApp = (tenant: string, ref: string) => apps.getApp(this.#reader, tenant, ref);
  createApp = (tenant: string, input: CreateAppInput) => this.#write((c) => apps.createApp(c, tenant, input));
  updateApp = (tenant: string, ref: string, input: UpdateAppInput) =>
    this.#write((c) => apps.updateApp(c, tenant, ref, input));
  deleteApp = (tenant: string, ref: string) => this.#write((c) => apps.deleteApp(c, tenant, ref));

  // credentials
  listClientSecrets = (tenant: string, app: string) =>
    credentials.listClientSecrets(this.#reader, tenant, app);
  addClientSecret = (tenant: string, app: string, input?: AddSecretInput) =>
    this.#write((c) => credentials.addClientSecret(c, tenant, app, input));
  removeClientSecret = (tenant: string, app: string, keyId: string) =>
    this.#write((c) => credentials.removeClientSecret(c, tenant, app, keyId));
  listCertificates = (tenant: string, app: string) => credentials.listCertificates(this.#reader, tenant, app);
  addCertificate = (tenant: string, app: string, input: AddCertificateInput) =>
    this.#write((c) => credentials.addCertificate(c, tenant, app, input));
  removeCertificate = (tenant: string, app: string, ref: string) =>
    this.#write((c) => credentials.removeCertificate(c, tenant, app, ref));
  listFederatedCredentials = (tenant: string, owner: credentials.FederationOwner) =>
    credentials.listFederatedCredentials(this.#reader, tenant, owner);
  addFederatedCredential = (
    tenant: string,
    owner: credentials.FederationOwner,
    input: FederatedCredentialInput,
  ) => this.#write((c) => credentials.addFederatedCredential(c, tenant, owner, input));
  removeFederatedCredential = (tenant: string, owner: credentials.FederationOwner, name: string) =>
    this.#write((c) => credentials.removeFederatedCredential(c, tenant, owner, name));
  /** The directory's clock (tests pass a fixed one). */
  clock = (): Date => this.#deps.now?.() ?? new Date();
  /** For the issuer's cache: the keyed hashes and validity windows of the app's secrets. */
  clientSecretHashes = (appObjectId: string) => credentials.clientSecretHashes(this.#reader, appObjectId);
  /** Checks a presented secret against hashes read with `clientSecretHashes`, at the directory's clock. */
  matchClientSecret = (hashes: readonly credentials.StoredSecretHash[], secret: string) =>
    credentials.matchClientSecret(hashes, secret, this.#deps.hasher, this.clock());
  /** For the issuer: checks a presented client secret of the app with this object id. */
  verifyClientSecret = (appObjectId: string, secret: string) =>
    credentials.verifyClientSecret(
      { trx: this.#reader, deps: this.#deps, now: this.clock() },
      appObjectId,
      secret,
    );

  // service principals and role assignments
  listServicePrincipals = (tenant: string) => assignments.listServicePrincipals(this.#reader, tenant);
  getServicePrincipal = (tenant: string, ref: string) =>
    assignments.getServicePrincipal(this.#reader, tenant, ref);
  /** The service principal `ref` names: app:<name>, identity:<name>, resource:<name> or an object id. */
  findPrincipal = (tenant: string, ref: string) => assignments.findPrincipal(this.#reader, tenant, ref);
  listRoleAssignments = (tenant: string, filter?: assignments.AssignmentFilter) =>
    assignments.listRoleAssignments(this.#reader, tenant, filter);
  assignRole = (tenant: string, input: RoleAssignmentInput) =>
    this.#write((c) => assignments.assignRole(c, tenant, input));
  unassignRole = (tenant: string, ref: string | RoleAssignmentInput) =>
    this.#write((c) => assignments.unassignRole(c, tenant, ref));

  // managed identities and resources
  listIdentities = (tenant: string, options?: { includeSystem?: boolean }) =>
    identities.listIdentities(this.#reader, tenant, options);
  getIdentity = (tenant: string, ref: string) => identities.getIdentity(this.#reader, tenant, ref);
  createIdentity = (tenant: string, input: CreateIdentityInput) =>
    this.#write((c) => identities.createIdentity(c, tenant, input));
  deleteIdentity = (tenant: string, ref: string) =>
    this.#write((c) => identities.deleteIdentity(c, tenant, ref));
  listResources = (tenant: string) => identities.listResources(this.#reader, tenant);
  getResource = (tenant: string, ref: string) => identities.getResource(this.#reader, tenant, ref);
  createResource = (tenant: string, input: CreateResourceInput) =>
    this.#write((c) => identities.createResource(c, tenant, input));
  updateResource = (tenant: string, ref: string, input: UpdateResourceInput) =>
    this.#write((c) => identities.updateResource(c, tenant, ref, input));
  deleteResource = (tenant: string, ref: string) =>
    this.#write((c) => identities.deleteResource(c, tenant, ref));
  attachIdentity = (tenant: string, resource: string, identity: string) =>
    this.#write((c) => identities.attachIdentity(c, tenant, resource, identity));
  detachIdentity = (tenant: string, resource: string, identity: string) =>
    this.#write((c) => identities.detachIdentity(c, tenant, resource, identity));

  // lookups for the token-issuing planes (tenant given as its id)
  findClient = (tenantId: string, clientId: string) => lookups.findClient(this.#reader, tenantId, clientId);
  findResourceApp = (tenantId: string, identifier: string) =>
    lookups.findResourceApp(this.#reader, tenantId, identifier);
  grantedRoles = (principalId: string, resource: lookups.ResourceApp) =>
    lookups.grantedRoles(this.#reader, principalId, resource);
  federatedCredentialsOf = (client: lookups.ClientPrincipal) =>
    lookups.federatedCredentialsOf(this.#reader, client);
  certificateOf = (
    appObjectId: string,
    thumbprint: { sha1?: string | undefined; sha256?: string | undefined },
  ) => lookups.certificateOf(this.#reader, appObjectId, thumbprint);
  /** Resource names by id, in one query (ids not found are absent). */
  resourceNames = (ids: Iterable<string>) => lookups.resourceNames(this.db, ids);
}
