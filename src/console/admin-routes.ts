/**
 * @module console/admin-routes
 * The console plane's part of the admin API: what the console's views need that other routes do not give, as
 * routes every script can call too (docs/admin-api.md, "Console"):
 *   GET    /admin/console/tokens            read-only tokens, metadata only            (admin only)
 *   POST   /admin/console/tokens            issue one: the token is in this answer only (admin only)
 *   DELETE /admin/console/tokens/:id        revoke one                                 (admin only)
 *   GET    /admin/tenants/:tenant/graph     who may call what (graph.ts)
 *   POST   /admin/tenants/:tenant/access    "may X call Y?" with the chain of reasons (access.ts; a question)
 *   POST   /admin/tenants/:tenant/explain   a token against a front, every check (explain.ts; a question)
 *   GET    /admin/keys                      signing keys and master-key state (keys.ts)
 *   GET    /admin/audit                     the audit trail, newest first
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, created, ok, onlyFields } from '../plane/admin-kit.ts';
import type { ConsoleDeps } from './deps.ts';
import { FRONT_KINDS, type FrontKind } from './explain.ts';
import { parseTtl } from './ttl.ts';

function optionalText(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    throw new LanyardError('ERR_VALIDATION', `\`${name}\` must be a non-empty string.`);
  }
  return v;
}

function requiredText(body: Record<string, unknown>, name: string): string {
  const v = optionalText(body, name);
  if (v === undefined)
    throw new LanyardError('ERR_VALIDATION', `The body needs \`${name}\` as a non-empty string.`);
  return v;
}

const actorOf = (via: string | undefined) => (via === 'console-session' ? 'admin (console)' : 'admin');

export function consoleAdminRoutes(r: AdminRoutes<ConsoleDeps>): void {
  r.add(
    'GET',
    '/admin/console/tokens',
    async ({ deps }) => ok(await (await import('./tokens.ts')).listReadOnlyTokens(deps)),
    [],
    {
      access: 'admin',
    },
  );
  r.add(
    'POST',
    '/admin/console/tokens',
    async ({ deps, body, caller }) => {
      const b = onlyFields(await body(), ['role', 'ttl', 'label']);
      const role = optionalText(b, 'role') ?? 'read-only';
      if (role !== 'read-only') {
        throw new LanyardError('ERR_VALIDATION', '`role` can only be read-only.', {
          hint: 'The admin signs in with the admin token; tokens are for people who only look.',
        });
      }
      const ttl = optionalText(b, 'ttl');
      const label = b.label === undefined ? undefined : requiredText(b, 'label');
      const { issueReadOnlyToken } = await import('./tokens.ts');
      return created(
        await issueReadOnlyToken(deps, {
          ttlMs: ttl === undefined ? undefined : parseTtl(ttl),
          label,
          actor: actorOf(caller?.via),
        }),
      );
    },
    [],
    { access: 'admin' },
  );
  r.add(
    'DELETE',
    '/admin/console/tokens/:id',
    async ({ deps, params, caller }) =>
      ok(await (await import('./tokens.ts')).revokeReadOnlyToken(deps, params.id!, actorOf(caller?.via))),
    [],
    { access: 'admin' },
  );

  r.add('GET', '/admin/tenants/:tenant/graph', async ({ deps, params }) =>
    ok(await (await import('./graph.ts')).cachedTenantGraph(deps.directory, params.tenant!)),
  );
  r.add(
    'POST',
    '/admin/tenants/:tenant/access',
    async ({ deps, params, body }) => {
      const b = onlyFields(await body(), ['principal', 'target', 'action', 'dataAction']);
      if (b.dataAction !== undefined && typeof b.dataAction !== 'boolean') {
        throw new LanyardError('ERR_VALIDATION', '`dataAction` must be true or false.');
      }
      const { mayCall } = await import('./access.ts');
      return ok(
        await mayCall(deps, params.tenant!, {
          principal: requiredText(b, 'principal'),
          target: requiredText(b, 'target'),
          action: optionalText(b, 'action'),
          dataAction: b.dataAction as boolean | undefined,
        }),
      );
    },
    [],
    { access: 'read' },
  );
  r.add(
    'POST',
    '/admin/tenants/:tenant/explain',
    async ({ deps, params, body }) => {
      const b = onlyFields(await body(), ['token', 'front']);
      const token = requiredText(b, 'token');
      const front = onlyFields(b.front ?? { kind: 'easyauth' }, ['kind', 'name', 'api']);
      const kind = front.kind ?? 'easyauth';
      if (typeof kind !== 'string' || !(FRONT_KINDS as readonly string[]).includes(kind)) {
        throw new LanyardError('ERR_VALIDATION', `\`front.kind\` must be one of ${FRONT_KINDS.join(', ')}.`);
      }
      const name = optionalText(front, 'name');
      const api = optionalText(front, 'api');
      if (api !== undefined && kind !== 'gateway') {
        throw new LanyardError(
          'ERR_VALIDATION',
          '`front.api` names an API of a gateway: only with kind gateway.',
        );
      }
      const { explainFor } = await import('./explain.ts');
      return ok(
        await explainFor(deps, params.tenant!, token, {
          kind: kind as FrontKind,
          name,
          ...(api === undefined ? {} : { api }),
        }),
      );
    },
    [],
    { access: 'read' },
  );

  r.add('GET', '/admin/keys', async ({ deps }) => ok(await (await import('./keys.ts')).keysView(deps)));
  r.add(
    'GET',
    '/admin/audit',
    async ({ deps, query }) => {
      const { outcome } = query;
      if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') {
        throw new LanyardError('ERR_VALIDATION', 'Query parameter "outcome" must be success or failure.');
      }
      let limit: number | undefined;
      if (query.limit !== undefined) {
        limit = Number(query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          throw new LanyardError(
            'ERR_VALIDATION',
            'Query parameter "limit" must be a whole number from 1 to 1000.',
          );
        }
      }
      let tenantId: string | undefined;
      if (query.tenant !== undefined) tenantId = (await deps.directory.getTenant(query.tenant)).id;
      return ok(
        await deps.audit.list({ plane: query.plane, action: query.action, outcome, tenantId, limit }),
      );
    },
    ['plane', 'action', 'outcome', 'tenant', 'limit'],
  );
}
