/**
 * @module vault/api/group
 * The Key Vault secrets API on the main listener, for requests whose Host is a vault
 * (`<vault>.vault.localhost`, `<vault>.vault.azure.net`; hosts.ts). In Key Vault's order: the api-version
 * (400 without one), the token — decided before any body is read, because the SDK's first request goes out
 * without body or token and must get the challenge, not a 400 — then the route, the caller's RBAC data action
 * and the operation (operations.ts). Every answer carries Key Vault's headers; every refusal Key Vault's
 * envelope; every operation on a secret, allowed or refused, is in the audit log before the answer leaves
 * (fail-closed: no value is returned unaudited).
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { Directory } from '../../directory/directory.ts';
import { type RequestContext, readJsonBody } from '../../http/http.ts';
import { logField } from '../../http/listener.ts';
import type { RouteGroup } from '../../http/route-group.ts';
import type { ArmResource, ManagementView, ViewCache } from '../../management/view.ts';
import type { WriteBatcher } from '../group-commit.ts';
import type { VaultAuthenticator } from './auth.ts';
import { badParameter, KeyVaultError, keyVaultErrorOf } from './errors.ts';
import { type VaultHost, vaultHostOf } from './hosts.ts';
import * as op from './operations.ts';

/** A set secret's value is at most 25 KB, JSON-escaped at most six times that; tags and attributes are small. */
const BODY_LIMIT = 256 * 1024;
const VAULT_TYPE = 'microsoft.keyvault/vaults';
/** api-versions as Key Vault spells them: 7.0 … 7.6, 2025-07-01, 2026-04-01 and previews. */
const API_VERSION = /^(\d{1,2}\.\d{1,2}|\d{4}-\d{2}-\d{2})(-preview(\.\d+)?)?$/;
const SERVICE_VERSION = '1.9.2721.1';

export interface VaultGroupOptions {
  readonly directory: Directory;
  readonly auth: VaultAuthenticator;
  readonly views: ViewCache;
  readonly audit: AuditLog;
  readonly writes: WriteBatcher;
}

/** Vaults by name (lower case), per view: Azure's vault names are global, so a name should be one vault. */
const byName = new WeakMap<ManagementView, Map<string, ArmResource[]>>();

function vaultsNamed(view: ManagementView, name: string): ArmResource[] {
  let map = byName.get(view);
  if (!map) {
    map = new Map();
    for (const r of view.resources.values()) {
      if (r.type.toLowerCase() !== VAULT_TYPE) continue;
      const key = r.name.toLowerCase();
      map.set(key, [...(map.get(key) ?? []), r]);
    }
    byName.set(view, map);
  }
  return map.get(name) ?? [];
}

function findVault(view: ManagementView, host: VaultHost): ArmResource {
  const found = vaultsNamed(view, host.vault);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new KeyVaultError(404, 'VaultNotFound', `The vault '${host.vault}' does not exist.`, {
      hint: `Declare a resource of kind vault named ${host.vault} (lanyard resource create --kind vault --name ${host.vault}, or resources: in lanyard.yaml).`,
    });
  }
  throw new KeyVaultError(
    409,
    'Conflict',
    `The vault name '${host.vault}' is used by ${found.length} tenants; a vault's host name must name one vault.`,
    { hint: 'Vault names are global in Azure: rename all but one of them.' },
  );
}

/** Whether the request still has body bytes that were not read (then the connection cannot be reused). */
function unreadBody(http: RequestContext): boolean {
  const h = http.req.headers;
  if (http.req.complete) return false;
  return h['transfer-encoding'] !== undefined || Number(h['content-length'] ?? 0) > 0;
}

export function vaultRouteGroup(o: VaultGroupOptions): RouteGroup {
  return {
    name: 'key-vault',
    byHost: true,
    matches: (ctx) => vaultHostOf(ctx.req.headers.host) !== undefined,
    async handle(http) {
      const host = vaultHostOf(http.req.headers.host)!;
      const requestId = randomUUID();
      const headers: Record<string, string> = {
        'Cache-Control': 'no-cache',
        'x-ms-request-id': requestId,
        'x-ms-keyvault-region': 'eastus',
        'x-ms-keyvault-service-version': SERVICE_VERSION,
        'x-ms-keyvault-network-info': `conn_type=Ipv4;addr=${http.req.socket.remoteAddress ?? ''};act_addr_fam=InterNetwork;`,
      };
      const clientRequestId = http.req.headers['x-ms-client-request-id'];
      if (typeof clientRequestId === 'string' && /^[\w.-]{1,100}$/.test(clientRequestId)) {
        headers['x-ms-client-request-id'] = clientRequestId;
      }
      const send = (status: number, body: unknown) => {
        const text = body === undefined ? '' : JSON.stringify(body);
        if (text) headers['Content-Type'] = 'application/json; charset=utf-8';
        headers['Content-Length'] = String(Buffer.byteLength(text));
        http.res.writeHead(status, headers);
        http.res.end(http.method === 'HEAD' ? undefined : text);
      };
      let call: op.VaultCall | undefined;
      let action = 'secret.request';
      try {
        const apiVersion = http.query.get('api-version');
        if (!apiVersion) {
          throw badParameter(
            'The request is missing the api-version query parameter.',
            'Add ?api-version=7.4 (or any later version); the SDKs send one.',
          );
        }
        if (!API_VERSION.test(apiVersion)) {
          throw badParameter(`The specified version (${apiVersion.slice(0, 40)}) is not recognized.`);
        }
        const view = await o.views.get();
        const vault = findVault(view, host);
        try {
          const caller = await o.auth.authenticate(http.req, host.resource, vault.tenantId);
          call = {
            directory: o.directory,
            writes: o.writes,
            view,
            host,
            vault,
            ref: { id: vault.resource!.id, tenantId: vault.tenantId },
            caller,
            apiVersion,
            query: http.query,
          };
        } catch (err) {
          if (err instanceof KeyVaultError && err.status === 401) {
            headers['WWW-Authenticate'] = challenge(host, vault.tenantId);
          }
          throw err;
        }
        const c = call;
        const body = () => readJsonBody(http.req, BODY_LIMIT);
        const route = routeOf(http.method, http.segments);
        action = route.action;
        const answer = await route.run(c, body);
        try {
          await audit(o, c, action, 'success', undefined);
        } catch (err) {
          // Fail closed: no value leaves, and no success is reported, unaudited.
          http.logger.error({ err }, 'the audit log could not record a vault operation');
          throw new KeyVaultError(
            503,
            'ServiceUnavailable',
            'The operation could not be recorded in the audit log, so its result is withheld. A write may have been applied; read it again once the audit log works.',
            {
              reason: 'AuditUnavailable',
              hint: 'Check the store the audit log writes to (disk space, permissions, connection).',
            },
          );
        }
        send(answer.status, answer.body);
      } catch (err) {
        const mapped = keyVaultErrorOf(err);
        if (!(mapped instanceof KeyVaultError)) http.logger.error({ err }, 'key vault request failed');
        const e =
          mapped instanceof KeyVaultError
            ? mapped
            : new KeyVaultError(500, 'InternalServerError', 'The server encountered an internal error.');
        logField(http.res, 'reason', e.reason);
        if (call && e.reason !== 'AuditUnavailable') {
          try {
            await audit(o, call, action, 'failure', e.reason);
          } catch (auditErr) {
            http.logger.error({ err: auditErr }, 'the audit log refused a vault refusal');
          }
        }
        if (e.hint) headers['x-lanyard-hint'] = e.hint.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
        for (const [k, v] of Object.entries(e.headers)) headers[k] = v;
        if (unreadBody(http)) headers.Connection = 'close';
        send(e.status, e.body());
      }
    },
  };
}

/**
 * Key Vault's challenge: the tenant (the only part the SDK reads from `authorization`) and the resource to ask
 * a token for. For `.vault.localhost` the authority is Lanyard's issuer, on this same listener
 * (`https://localhost:<port>`); for `.vault.azure.net`, Azure's (which `--azure-hosts` sends here too).
 */
function challenge(host: VaultHost, tenantId: string): string {
  const authority =
    host.resource === 'https://vault.localhost'
      ? host.origin.replace(/^https:\/\/[^.]+\.vault\.localhost/, 'https://localhost')
      : 'https://login.windows.net';
  return `Bearer authorization="${authority}/${tenantId}", resource="${host.resource}"`;
}

async function audit(
  o: VaultGroupOptions,
  c: op.VaultCall,
  action: string,
  outcome: 'success' | 'failure',
  reason: string | undefined,
): Promise<void> {
  await o.audit.record({
    plane: 'vault',
    action,
    outcome,
    tenantId: c.vault.tenantId,
    actor: c.caller.objectId,
    target: [c.vault.name, c.target, c.version].filter((x) => x !== undefined).join('/'),
    ...(reason === undefined ? {} : { reason }),
    details: { appId: c.caller.appId },
  });
}

interface Route {
  /** The audit action, e.g. `secret.get`. */
  readonly action: string;
  run(c: op.VaultCall, body: () => Promise<unknown>): Promise<op.Answer>;
}

const notAllowed = (method: string): Route => ({
  action: 'secret.request',
  run: async () => {
    throw new KeyVaultError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed.`);
  },
});

const notFound: Route = {
  action: 'secret.request',
  run: async () => {
    throw new KeyVaultError(404, 'NotFound', 'The requested resource was not found.', {
      hint: 'docs/vault.md lists the Key Vault paths Lanyard serves (secrets only).',
    });
  },
};

/** The operation a method and path name (paths as Key Vault and `@azure/keyvault-secrets` send them). */
export function routeOf(method: string, s: readonly string[]): Route {
  const [first, name, third, fourth] = s;
  const tail = s.length;
  if (first === 'secrets') {
    if (tail === 1 || (tail === 2 && name === '')) {
      return method === 'GET' ? { action: 'secret.list', run: (c) => op.listSecrets(c) } : notAllowed(method);
    }
    if (tail === 2 && name === 'restore' && method === 'POST') {
      return { action: 'secret.restore', run: (c, b) => op.restore(c, b) };
    }
    const n = name!;
    // `/secrets/{name}` and `/secrets/{name}/` both mean the latest version.
    if (tail === 2 || (tail === 3 && third === '')) {
      if (method === 'GET') return { action: 'secret.get', run: (c) => op.getSecret(c, n, undefined) };
      if (method === 'PUT') return { action: 'secret.set', run: (c, b) => op.setSecret(c, n, b) };
      if (method === 'DELETE') return { action: 'secret.delete', run: (c) => op.deleteSecret(c, n) };
      if (method === 'PATCH')
        return { action: 'secret.update', run: (c, b) => op.updateSecret(c, n, undefined, b) };
      return notAllowed(method);
    }
    if (tail === 3 && third === 'versions') {
      return method === 'GET'
        ? { action: 'secret.versions', run: (c) => op.listVersions(c, n) }
        : notAllowed(method);
    }
    if (tail === 3 && third === 'backup') {
      return method === 'POST'
        ? { action: 'secret.backup', run: (c) => op.backup(c, n) }
        : notAllowed(method);
    }
    if (tail === 3 || (tail === 4 && fourth === '')) {
      const v = third!;
      if (method === 'GET') return { action: 'secret.get', run: (c) => op.getSecret(c, n, v) };
      if (method === 'PATCH') return { action: 'secret.update', run: (c, b) => op.updateSecret(c, n, v, b) };
      return notAllowed(method);
    }
    return notFound;
  }
  if (first === 'deletedsecrets') {
    if (tail === 1 || (tail === 2 && name === '')) {
      return method === 'GET'
        ? { action: 'secret.list-deleted', run: (c) => op.listDeleted(c) }
        : notAllowed(method);
    }
    const n = name!;
    if (tail === 2 || (tail === 3 && third === '')) {
      if (method === 'GET') return { action: 'secret.get-deleted', run: (c) => op.getDeleted(c, n) };
      if (method === 'DELETE') return { action: 'secret.purge', run: (c) => op.purgeDeleted(c, n) };
      return notAllowed(method);
    }
    if (tail === 3 && third === 'recover') {
      return method === 'POST'
        ? { action: 'secret.recover', run: (c) => op.recoverDeleted(c, n) }
        : notAllowed(method);
    }
  }
  return notFound;
}
