/**
 * @module vault/admin-routes
 * The vault plane's part of the admin API (`/admin/tenants/:tenant/vaults/:vault/…`), over service.ts — what
 * `lanyard vault show|set` and `lanyard vault secret …` do, as JSON: a vault's settings (read, patch), its
 * secrets' metadata (list, show, versions), a new version from a JSON body, attribute updates, delete, and the
 * deleted secrets (list, show, recover, purge). No route returns a value: values are read through the Key
 * Vault API or `lanyard vault secret show --reveal`. Every call is audited as the actor `admin`; inputs are
 * checked by the store (ERR_VAULT_BAD_PARAMETER naming the field).
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, noContent, ok, onlyFields } from '../plane/admin-kit.ts';
import type { VaultDeps } from './deps.ts';
import type { VaultCaller } from './service.ts';

const service = () => import('./service.ts');

type Body = Record<string, unknown>;

const callerOf = (deps: VaultDeps): VaultCaller => ({
  directory: deps.directory,
  audit: deps.audit,
  dataDir: deps.dataDir,
  actor: 'admin',
});

const ATTRIBUTES = ['contentType', 'tags', 'enabled', 'nbf', 'exp'] as const;

/** The attribute fields as the store takes them (it checks each; a wrong type is ERR_VAULT_BAD_PARAMETER). */
const attributesOf = (b: Body) => ({
  contentType: b.contentType as string | null | undefined,
  tags: b.tags as Record<string, string> | null | undefined,
  enabled: b.enabled as boolean | undefined,
  nbf: b.nbf as number | null | undefined,
  exp: b.exp as number | null | undefined,
});

export function vaultAdminRoutes(routes: AdminRoutes<VaultDeps>): void {
  const base = '/admin/tenants/:tenant/vaults/:vault';

  routes.add('GET', base, async ({ deps, params }) =>
    ok(await (await service()).showVault(callerOf(deps), params.tenant!, params.vault!)),
  );
  routes.add('PATCH', base, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), ['softDelete', 'retentionDays', 'purgeProtection']);
    return ok(
      await (await service()).updateVault(callerOf(deps), params.tenant!, params.vault!, {
        softDelete: b.softDelete as boolean | undefined,
        retentionDays: b.retentionDays as number | undefined,
        purgeProtection: b.purgeProtection as boolean | undefined,
      }),
    );
  });

  routes.add('GET', `${base}/secrets`, async ({ deps, params }) =>
    ok(await (await service()).listSecretInfos(callerOf(deps), params.tenant!, params.vault!)),
  );
  routes.add(
    'GET',
    `${base}/secrets/:name`,
    async ({ deps, params, query }) =>
      ok(
        await (await service()).showSecret(
          callerOf(deps),
          params.tenant!,
          params.vault!,
          params.name!,
          query.version,
        ),
      ),
    ['version'],
  );
  routes.add('PUT', `${base}/secrets/:name`, async ({ deps, params, body }) => {
    const b = onlyFields(await body<Body>(), ['value', ...ATTRIBUTES]);
    if (typeof b.value !== 'string') {
      throw new LanyardError('ERR_VALIDATION', 'The body needs `value` as a string.');
    }
    return ok(
      await (await service()).putSecret(callerOf(deps), params.tenant!, params.vault!, params.name!, {
        value: b.value,
        ...attributesOf(b),
      }),
    );
  });
  routes.add(
    'PATCH',
    `${base}/secrets/:name`,
    async ({ deps, params, query, body }) => {
      const b = onlyFields(await body<Body>(), ATTRIBUTES);
      return ok(
        await (await service()).updateSecret(
          callerOf(deps),
          params.tenant!,
          params.vault!,
          params.name!,
          query.version,
          attributesOf(b),
        ),
      );
    },
    ['version'],
  );
  routes.add('DELETE', `${base}/secrets/:name`, async ({ deps, params }) =>
    ok(await (await service()).removeSecret(callerOf(deps), params.tenant!, params.vault!, params.name!)),
  );
  routes.add('GET', `${base}/secrets/:name/versions`, async ({ deps, params }) =>
    ok(
      await (await service()).listSecretVersions(callerOf(deps), params.tenant!, params.vault!, params.name!),
    ),
  );

  routes.add('GET', `${base}/deletedsecrets`, async ({ deps, params }) =>
    ok(await (await service()).listDeletedSecrets(callerOf(deps), params.tenant!, params.vault!)),
  );
  routes.add('GET', `${base}/deletedsecrets/:name`, async ({ deps, params }) =>
    ok(
      await (await service()).showDeletedSecret(callerOf(deps), params.tenant!, params.vault!, params.name!),
    ),
  );
  routes.add('DELETE', `${base}/deletedsecrets/:name`, async ({ deps, params }) => {
    await (await service()).purgeSecret(callerOf(deps), params.tenant!, params.vault!, params.name!);
    return noContent();
  });
  routes.add('POST', `${base}/deletedsecrets/:name/recover`, async ({ deps, params }) =>
    ok(await (await service()).recoverSecret(callerOf(deps), params.tenant!, params.vault!, params.name!)),
  );
}
