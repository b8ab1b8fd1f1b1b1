/**
 * @module identity/mi-service
 * What the managed-identity endpoints do once a request is authenticated: pick the identity the workload's
 * resource carries (system-assigned, or a user-assigned one by client id, object id or resource id), and hand
 * out a token for the requested resource — from a cache per (identity, resource) until five minutes before
 * expiry, as Azure's back end does, so a burst of callers costs one signature.
 *
 * The cache is dropped whenever the directory version moves (checked at most once a second), so a role
 * assignment change takes effect for the next token in every process on the same store.
 */
import { hash } from 'node:crypto';
import type { Directory } from '../directory/directory.ts';
import type { ClientPrincipal } from '../directory/lookups.ts';
import type { ManagedIdentity } from '../directory/types.ts';
import { AadstsError } from '../issuer/aadsts.ts';
import type { TokenService } from '../issuer/token-service.ts';
import { looksLikeWorkloadSecret, type Workload, type WorkloadStore } from './workloads.ts';

/** Managed-identity tokens live about 24 hours (docs/protocols.md, "Token caching by clients"). */
export const MI_TOKEN_LIFETIME_SECONDS = 86_400;
const RENEW_BEFORE_SECONDS = 300;
const VERSION_CHECK_MS = 1_000;
const CACHE_LIMIT = 10_000;

export type IdentitySelector =
  | { by: 'system' }
  | { by: 'client_id' | 'object_id' | 'mi_res_id'; value: string };

export interface MiToken {
  accessToken: string;
  expiresOn: number;
  notBefore: number;
  /** The resource exactly as requested (echoed: MSAL caches by it). */
  resource: string;
  clientId: string;
  fromCache: boolean;
}

/** Why a token was not handed out; each endpoint words it in its own protocol. */
export class MiError extends Error {
  readonly kind: 'identity_not_found' | 'aadsts';
  readonly aadsts: AadstsError | undefined;
  constructor(kind: 'identity_not_found' | 'aadsts', message: string, aadsts?: AadstsError) {
    super(message);
    this.kind = kind;
    this.aadsts = aadsts;
  }
}

/** Azure clients send `https://vault.azure.net` or `…/.default`; both name the same resource. */
export function normaliseResource(resource: string): string {
  return resource.endsWith('/.default') ? resource.slice(0, -'/.default'.length) : resource;
}

const selectionKey = (workload: Workload, selector: IdentitySelector) =>
  `${workload.id}\n${selector.by}\n${selector.by === 'system' ? '' : selector.value.toLowerCase()}`;

interface CacheEntry {
  token: MiToken;
  renewAt: number;
}

export class ManagedIdentityService {
  readonly #directory: Directory;
  readonly #tokens: TokenService;
  readonly #cache = new Map<string, CacheEntry>();
  /** (workload, selector) → identity: resolving it reads several tables, so hits skip the store entirely. */
  readonly #selected = new Map<string, ClientPrincipal>();
  readonly #known = new Map<string, { workload: Workload; expiresMs: number }>();
  /** Mints under way per (identity, resource): concurrent misses share one signature instead of racing. */
  readonly #inflight = new Map<string, Promise<MiToken>>();
  /**
   * Bumped whenever the caches are dropped, so that a store read (a secret, a selection, a mint) begun before
   * cannot refill them with what the change just made stale.
   */
  #generation = 0;
  #version = -1;
  #versionCheckedAt = 0;
  #versionCheck: Promise<void> | undefined;

  readonly #workloads: WorkloadStore;

  constructor(directory: Directory, tokens: TokenService, workloads: WorkloadStore) {
    this.#directory = directory;
    this.#tokens = tokens;
    this.#workloads = workloads;
  }

  /** Undefined (nothing to wait for) on the hot path: most requests skip even the await. */
  #syncVersion(): Promise<void> | undefined {
    if (Date.now() - this.#versionCheckedAt < VERSION_CHECK_MS) return undefined;
    this.#versionCheck ??= (async () => {
      try {
        const version = await this.#directory.version();
        if (version !== this.#version) {
          this.clear();
          this.#version = version;
        }
        this.#versionCheckedAt = Date.now();
      } finally {
        this.#versionCheck = undefined;
      }
    })();
    return this.#versionCheck;
  }

  /** Forgets every cached token (tests, and `lanyard` commands that change the directory in-process). */
  clear(): void {
    this.#cache.clear();
    this.#selected.clear();
    this.#known.clear();
    this.#inflight.clear();
    this.#generation += 1;
  }

  /**
   * The live workload holding `secret`. Verified secrets are remembered until the directory version moves
   * (revocation bumps it) or the workload expires, so a hit costs one SHA-256 and no store read. The memory
   * cache is keyed by a plain SHA-256 of the secret (256 random bits: nothing to guess), about thirty times
   * cheaper than the keyed HMAC the store needs, which a miss still computes.
   */
  async authenticate(secret: string): Promise<Workload | undefined> {
    const sync = this.#syncVersion();
    if (sync) await sync;
    if (!looksLikeWorkloadSecret(secret)) return undefined;
    const key = hash('sha256', secret.toLowerCase(), 'base64url');
    const known = this.#known.get(key);
    if (known && known.expiresMs > Date.now()) return known.workload;
    const generation = this.#generation;
    const workload = await this.#workloads.verify(secret);
    if (workload) {
      const { row: _row, ...plain } = workload;
      // Read before a revocation the version check has since seen: answer this once, but do not remember it.
      if (generation === this.#generation) {
        if (this.#known.size >= CACHE_LIMIT) this.#known.clear();
        this.#known.set(key, { workload: plain, expiresMs: Date.parse(plain.expiresAt) });
      }
      return plain;
    }
    return undefined;
  }

  /**
   * The cached token for a request, synchronously: no await, no store read. Undefined whenever something is
   * not already known (the secret, the identity it selects, the token) or the version check is due; the caller
   * then takes the full path (authenticate + token), which fills the caches. The token returned is the cache
   * entry itself (its `resource` is whichever form was asked first): callers echo their own.
   */
  peek(
    secret: string,
    selector: IdentitySelector,
    requested: string,
  ): { workload: Workload; token: MiToken } | undefined {
    const now = Date.now();
    if (now - this.#versionCheckedAt >= VERSION_CHECK_MS || !looksLikeWorkloadSecret(secret))
      return undefined;
    const known = this.#known.get(hash('sha256', secret.toLowerCase(), 'base64url'));
    if (!known || known.expiresMs <= now) return undefined;
    const client = this.#selected.get(selectionKey(known.workload, selector));
    if (!client) return undefined;
    const hit = this.#cache.get(`${client.principalId}\n${normaliseResource(requested)}`);
    if (!hit || hit.renewAt <= Math.floor(now / 1000)) return undefined;
    return { workload: known.workload, token: hit.token };
  }

  /** The identity of the workload's resource that the selector names. */
  async selectIdentity(workload: Workload, selector: IdentitySelector): Promise<ClientPrincipal> {
    const resource = await this.#directory.getResource(workload.tenantId, workload.resourceId);
    let identity: ManagedIdentity | null | undefined;
    if (selector.by === 'system') {
      identity = resource.systemAssignedIdentity;
      if (!identity) {
        throw new MiError(
          'identity_not_found',
          `Resource "${resource.name}" has no system-assigned identity. Enable it (\`lanyard resource update ${resource.name} --system-identity\`) or ask for a user-assigned one with client_id.`,
        );
      }
    } else {
      const v = selector.value.toLowerCase();
      identity = resource.userAssignedIdentities.find((i) =>
        selector.by === 'client_id'
          ? i.clientId === v
          : selector.by === 'object_id'
            ? i.principalId === v
            : i.resourceId.toLowerCase() === v,
      );
      if (!identity) {
        const attached = resource.userAssignedIdentities
          .map((i) => `${i.name} (client_id ${i.clientId})`)
          .join(', ');
        throw new MiError(
          'identity_not_found',
          `No user-assigned identity with ${selector.by} ${selector.value} is attached to resource "${resource.name}". Attached: ${attached || 'none'}.`,
        );
      }
    }
    const client = await this.#directory.findClient(workload.tenantId, identity.clientId);
    if (!client)
      throw new MiError('identity_not_found', `The identity ${identity.clientId} has no service principal.`);
    return client;
  }

  async token(
    workload: Workload,
    selector: IdentitySelector,
    requested: string,
    via: string,
  ): Promise<MiToken> {
    const sync = this.#syncVersion();
    if (sync) await sync;
    const selKey = selectionKey(workload, selector);
    let client = this.#selected.get(selKey);
    if (!client) {
      const generation = this.#generation;
      client = await this.selectIdentity(workload, selector);
      if (generation === this.#generation) {
        if (this.#selected.size >= CACHE_LIMIT) this.#selected.clear();
        this.#selected.set(selKey, client);
      }
    }
    const resource = normaliseResource(requested);
    const key = `${client.principalId}\n${resource}`;
    const now = Math.floor(Date.now() / 1000);
    const hit = this.#cache.get(key);
    if (hit && hit.renewAt > now) return { ...hit.token, resource: requested, fromCache: true };
    let pending = this.#inflight.get(key);
    if (pending) return { ...(await pending), resource: requested, fromCache: true };
    pending = this.#mint(workload, client, resource, requested, via, key);
    this.#inflight.set(key, pending);
    try {
      return await pending;
    } finally {
      if (this.#inflight.get(key) === pending) this.#inflight.delete(key);
    }
  }

  async #mint(
    workload: Workload,
    client: ClientPrincipal,
    resource: string,
    requested: string,
    via: string,
    key: string,
  ): Promise<MiToken> {
    const generation = this.#generation;
    const tenant = await this.#directory.getTenant(workload.tenantId);
    let issued: Awaited<ReturnType<TokenService['mint']>>;
    try {
      issued = await this.#tokens.mint({
        tenant,
        client,
        requestedAs: resource,
        // Entra marks managed-identity tokens as certificate-strength client authentication.
        acr: '2',
        lifetimeSeconds: MI_TOKEN_LIFETIME_SECONDS,
        via,
      });
    } catch (err) {
      if (err instanceof AadstsError) throw new MiError('aadsts', err.message, err);
      throw err;
    }
    const token: MiToken = {
      accessToken: issued.accessToken,
      expiresOn: issued.expiresOn,
      notBefore: issued.notBefore,
      resource: requested,
      clientId: client.clientId,
      fromCache: false,
    };
    if (generation === this.#generation) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, { token, renewAt: issued.expiresOn - RENEW_BEFORE_SECONDS });
    }
    return token;
  }
}
