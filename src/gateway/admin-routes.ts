/**
 * @module gateway/admin-routes
 * The gateway's part of the admin API, under `/admin/tenants/:tenant/gateways/:gateway` (the gateway resource's
 * name or id): its APIs (and OpenAPI import), operations, products (and their APIs), subscriptions (keys only
 * in the create answer, `…/keys` and `…/regenerate`), named values (a secret one's value never in an answer),
 * backends, the policy at each scope, and the traces the running gateways kept. Thin mappings over
 * gateway/service.ts; docs/admin-api.md documents each route.
 */

import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { type AdminRoutes, created, ok } from '../plane/admin-kit.ts';
import type { GatewayDeps } from './deps.ts';
import type { PolicyScope } from './service.ts';

const service = () => import('./service.ts');

type Body = Record<string, unknown>;

function policyBody(body: Body): { xml: string; file?: string } {
  if (typeof body.xml !== 'string' || body.xml === '')
    throw new LanyardError('ERR_VALIDATION', 'The body needs `xml`: the policy document.');
  if (body.file !== undefined && typeof body.file !== 'string')
    throw new LanyardError('ERR_VALIDATION', '`file` must be a string.');
  return { xml: body.xml, ...(typeof body.file === 'string' ? { file: body.file } : {}) };
}

type Service = Awaited<ReturnType<typeof service>>;

/** The five calls of a gateway's collection of named objects (APIs, products, subscriptions, backends). */
interface Collection {
  list(d: Directory, tenant: string, gateway: string): Promise<unknown>;
  create(d: Directory, tenant: string, gateway: string, fields: Body): Promise<unknown>;
  show(d: Directory, tenant: string, gateway: string, name: string): Promise<unknown>;
  update(d: Directory, tenant: string, gateway: string, name: string, patch: Body): Promise<unknown>;
  remove(d: Directory, tenant: string, gateway: string, name: string): Promise<unknown>;
}

/** GET/POST `<gateway>/<plural>`, GET/PATCH/DELETE `<gateway>/<plural>/:<param>`, each one call on the service. */
function objectRoutes(
  r: AdminRoutes<GatewayDeps>,
  gatewayPath: string,
  plural: string,
  param: string,
  calls: (sv: Service) => Collection,
): void {
  const all = `${gatewayPath}/${plural}`;
  const one = `${all}/:${param}`;
  const use = async () => calls(await service());
  r.add('GET', all, async ({ deps, params }) =>
    ok(await (await use()).list(deps.directory, params.tenant!, params.gateway!)),
  );
  r.add('POST', all, async ({ deps, params, body }) =>
    created(await (await use()).create(deps.directory, params.tenant!, params.gateway!, await body<Body>())),
  );
  r.add('GET', one, async ({ deps, params }) =>
    ok(await (await use()).show(deps.directory, params.tenant!, params.gateway!, params[param]!)),
  );
  r.add('PATCH', one, async ({ deps, params, body }) =>
    ok(
      await (await use()).update(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params[param]!,
        await body<Body>(),
      ),
    ),
  );
  r.add('DELETE', one, async ({ deps, params }) =>
    ok(await (await use()).remove(deps.directory, params.tenant!, params.gateway!, params[param]!)),
  );
}

export function gatewayAdminRoutes(r: AdminRoutes<GatewayDeps>): void {
  const T = '/admin/tenants/:tenant/gateways';
  const G = `${T}/:gateway`;
  const A = `${G}/apis/:api`;
  const O = `${A}/operations/:operation`;
  const P = `${G}/products/:product`;
  const S = `${G}/subscriptions/:subscription`;
  const V = `${G}/named-values/:namedValue`;

  // gateways
  r.add('GET', T, async ({ deps, params }) =>
    ok(await (await service()).listGatewaySummaries(deps.directory, params.tenant!)),
  );
  r.add('POST', T, async ({ deps, params, body }) => {
    const b = await body<Body>();
    if (typeof b.resource !== 'string')
      throw new LanyardError('ERR_VALIDATION', 'The body needs `resource`: a resource of kind gateway.');
    return created(
      await (await service()).createGateway(deps.directory, params.tenant!, b.resource, {
        port: b.port as number | undefined,
      }),
    );
  });
  r.add('GET', G, async ({ deps, params }) =>
    ok(await (await service()).showGatewaySummary(deps.directory, params.tenant!, params.gateway!)),
  );
  r.add('DELETE', G, async ({ deps, params }) =>
    ok(await (await service()).deleteGateway(deps.directory, params.tenant!, params.gateway!)),
  );

  // APIs
  objectRoutes(r, G, 'apis', 'api', (sv) => ({
    list: sv.listApis,
    create: sv.createApi,
    show: sv.showApi,
    update: sv.updateApi,
    remove: sv.deleteApi,
  }));
  r.add('PUT', `${A}/openapi`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    if (typeof b.document !== 'string')
      throw new LanyardError('ERR_VALIDATION', 'The body needs `document`: the OpenAPI text (JSON or YAML).');
    if (typeof b.path !== 'string') throw new LanyardError('ERR_VALIDATION', 'The body needs `path`.');
    return ok(
      await (await service()).importApi(deps.directory, params.tenant!, params.gateway!, b.document, {
        name: params.api!,
        path: b.path,
        serviceUrl: typeof b.serviceUrl === 'string' ? b.serviceUrl : undefined,
        displayName: typeof b.displayName === 'string' ? b.displayName : undefined,
      }),
    );
  });

  // operations
  r.add('GET', `${A}/operations`, async ({ deps, params }) =>
    ok(await (await service()).listOperations(deps.directory, params.tenant!, params.gateway!, params.api!)),
  );
  r.add('POST', `${A}/operations`, async ({ deps, params, body }) =>
    created(
      await (await service()).createOperation(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.api!,
        await body(),
      ),
    ),
  );
  r.add('GET', O, async ({ deps, params }) =>
    ok(
      await (await service()).showOperation(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.api!,
        params.operation!,
      ),
    ),
  );
  r.add('PATCH', O, async ({ deps, params, body }) =>
    ok(
      await (await service()).updateOperation(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.api!,
        params.operation!,
        await body(),
      ),
    ),
  );
  r.add('DELETE', O, async ({ deps, params }) =>
    ok(
      await (await service()).deleteOperation(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.api!,
        params.operation!,
      ),
    ),
  );

  // products
  objectRoutes(r, G, 'products', 'product', (sv) => ({
    list: sv.listProducts,
    create: sv.createProduct,
    show: sv.showProduct,
    update: sv.updateProduct,
    remove: sv.deleteProduct,
  }));
  for (const [method, action] of [
    ['PUT', 'add'],
    ['DELETE', 'remove'],
  ] as const) {
    r.add(method, `${P}/apis/:api`, async ({ deps, params }) =>
      ok(
        await (await service()).productApi(
          deps.directory,
          params.tenant!,
          params.gateway!,
          params.product!,
          params.api!,
          action,
        ),
      ),
    );
  }

  // subscriptions
  objectRoutes(r, G, 'subscriptions', 'subscription', (sv) => ({
    list: sv.listSubscriptions,
    create: sv.createSubscription,
    show: sv.showSubscription,
    update: sv.updateSubscription,
    remove: sv.deleteSubscription,
  }));
  r.add('POST', `${S}/keys`, async ({ deps, params }) =>
    ok(
      await (await service()).subscriptionKeys(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.subscription!,
      ),
    ),
  );
  r.add('POST', `${S}/regenerate`, async ({ deps, params, body }) => {
    const b = await body<Body>();
    return ok(
      await (await service()).regenerateKey(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.subscription!,
        String(b.key ?? ''),
      ),
    );
  });

  // named values
  r.add('GET', `${G}/named-values`, async ({ deps, params }) =>
    ok(await (await service()).listNamedValues(deps.directory, params.tenant!, params.gateway!)),
  );
  r.add('GET', V, async ({ deps, params }) =>
    ok(
      await (await service()).showNamedValue(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.namedValue!,
      ),
    ),
  );
  r.add('PUT', V, async ({ deps, params, body }) => {
    const { created: isNew, ...view } = await (await service()).setNamedValue(
      deps.directory,
      params.tenant!,
      params.gateway!,
      params.namedValue!,
      await body<Body>(),
    );
    return isNew ? created(view) : ok(view);
  });
  r.add('DELETE', V, async ({ deps, params }) =>
    ok(
      await (await service()).deleteNamedValue(
        deps.directory,
        params.tenant!,
        params.gateway!,
        params.namedValue!,
      ),
    ),
  );

  // backends
  objectRoutes(r, G, 'backends', 'backend', (sv) => ({
    list: sv.listBackends,
    create: sv.createBackend,
    show: sv.showBackend,
    update: sv.updateBackend,
    remove: sv.deleteBackend,
  }));

  // policies, at each scope
  const scopes: [string, (p: Record<string, string | undefined>) => PolicyScope][] = [
    [`${G}/policy`, () => ({ kind: 'global' })],
    [`${P}/policy`, (p) => ({ kind: 'product', product: p.product! })],
    [`${A}/policy`, (p) => ({ kind: 'api', api: p.api! })],
    [`${O}/policy`, (p) => ({ kind: 'operation', api: p.api!, operation: p.operation! })],
  ];
  for (const [pattern, scopeOf] of scopes) {
    r.add('GET', pattern, async ({ deps, params }) =>
      ok(
        await (await service()).showPolicy(deps.directory, params.tenant!, params.gateway!, scopeOf(params)),
      ),
    );
    r.add('PUT', pattern, async ({ deps, params, body }) =>
      ok(
        await (await service()).setPolicy(
          deps.directory,
          params.tenant!,
          params.gateway!,
          scopeOf(params),
          policyBody(await body<Body>()),
        ),
      ),
    );
    r.add('DELETE', pattern, async ({ deps, params }) =>
      ok(
        await (await service()).setPolicy(
          deps.directory,
          params.tenant!,
          params.gateway!,
          scopeOf(params),
          undefined,
        ),
      ),
    );
  }

  // tracing every request of a running gateway for a while (`lanyard gateway trace --on`)
  r.add('PUT', `${G}/tracing/:minutes`, async ({ deps, params }) => {
    const { showGatewaySummary } = await service();
    const gateway = await showGatewaySummary(deps.directory, params.tenant!, params.gateway!);
    const { runningTraces, startTracing, MAX_TRACING_MINUTES } = await import('./runtime/traces.ts');
    const traces = runningTraces(deps);
    const minutes = Number(params.minutes);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_TRACING_MINUTES) {
      throw new LanyardError(
        'ERR_VALIDATION',
        `Trace for 1 to ${MAX_TRACING_MINUTES} minutes, not ${params.minutes}.`,
      );
    }
    if (!traces) throw new LanyardError('ERR_NOT_FOUND', 'No gateway runs in this process.');
    const until = startTracing(traces, gateway.name, minutes);
    return ok({ gateway: gateway.name, tracingUntil: new Date(until).toISOString() });
  });
  r.add('DELETE', `${G}/tracing`, async ({ deps, params }) => {
    const { showGatewaySummary } = await service();
    const gateway = await showGatewaySummary(deps.directory, params.tenant!, params.gateway!);
    const { runningTraces, stopTracing } = await import('./runtime/traces.ts');
    const traces = runningTraces(deps);
    if (traces) stopTracing(traces, gateway.name);
    return ok({ gateway: gateway.name, tracingUntil: null });
  });

  // traces the running gateways kept (in this process's memory)
  r.add('GET', `${G}/traces/:id`, async ({ deps, params }) => {
    const { showGatewaySummary } = await service();
    const gateway = await showGatewaySummary(deps.directory, params.tenant!, params.gateway!);
    const { runningTraces } = await import('./runtime/traces.ts');
    const traces = runningTraces(deps);
    const trace = traces?.byId.get(params.id!);
    if (!trace || trace.gateway.toLowerCase() !== gateway.name.toLowerCase()) {
      throw new LanyardError('ERR_NOT_FOUND', `Gateway ${gateway.name} kept no trace ${params.id}.`, {
        hint: traces
          ? `The running gateways keep the last ${traces.capacity} traces, in memory; a restart forgets them.`
          : 'No gateway runs in this process.',
      });
    }
    return ok(trace);
  });
}
