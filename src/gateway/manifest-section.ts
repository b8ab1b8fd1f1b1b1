import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { DIRECTORY_PHASE } from '../directory/manifest/plan.ts';
import type { ManifestTenant } from '../directory/manifest/schema.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { duplicates, type ManifestProblem } from '../manifest/problems.ts';
import type { DeclaredManifest, TenantPlan, TenantSection } from '../manifest/section.ts';
import { describeLocation, type KeyPath, readReferencedFile } from '../manifest/source.ts';
import type { PlanObject } from '../manifest/types.ts';
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, HTTP_METHODS, type PolicySource } from './model.ts';
import {
  deleteGateway,
  type GatewayInput,
  inputOf,
  listGateways,
  type ParsedGatewayInput,
  parseGatewayInput,
  putGateway,
  type StoredGateway,
} from './store.ts';

/** A gateway goes before the resource it sits on; it is written after the resources and role assignments. */
export const GATEWAY_PHASE = {
  deleteGateway: DIRECTORY_PHASE.deleteResource - 6,
  gateway: DIRECTORY_PHASE.roleAssignment + 6,
} as const;

const NAME = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'must be 1-80 letters, digits, ".", "_" or "-"');
const policyFields = {
  policy: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The policy document (APIM policy XML), inline. Default: none (the parent scope’s, `<base/>`).',
    ),
  policyFile: z
    .string()
    .min(1)
    .optional()
    .describe('A file holding the policy document, relative to the manifest’s folder (instead of `policy`).'),
};

const operation = z
  .strictObject({
    name: NAME.describe('The operation’s name (APIM operation id), unique in its API. Required.'),
    displayName: z.string().min(1).optional().describe('Default: the name.'),
    method: z.enum([...HTTP_METHODS, '*']).describe('The HTTP method it matches, or `*` for any. Required.'),
    urlTemplate: z
      .string()
      .min(1)
      .describe('The path after the API’s: literal segments and `{param}`s, `{*rest}` last. Required.'),
    ...policyFields,
  })
  .describe('One operation of the API.');

const api = z
  .strictObject({
    name: NAME.describe('The API’s name (APIM API id), unique in the gateway. Required.'),
    displayName: z.string().min(1).optional().describe('Default: the name.'),
    path: z
      .string()
      .describe('The path suffix on the gateway (`orders` serves `/orders/…`; `""`: the root). Required.'),
    serviceUrl: z.string().describe('The backend base URL requests go to (http or https). Required.'),
    protocols: z
      .array(z.enum(['http', 'https']))
      .optional()
      .describe('The protocols the API is offered on. Default: [https].'),
    subscriptionRequired: z
      .boolean()
      .optional()
      .describe('Whether callers need a subscription key. Default: true.'),
    subscriptionKeyParameterNames: z
      .strictObject({
        header: z
          .string()
          .optional()
          .describe(`The header carrying the key. Default: ${DEFAULT_KEY_HEADER}.`),
        query: z
          .string()
          .optional()
          .describe(`The query parameter carrying it. Default: ${DEFAULT_KEY_QUERY}.`),
      })
      .optional()
      .describe('Where callers put the subscription key. Default: APIM’s names.'),
    operations: z.array(operation).default([]).describe('Its operations. Default: none.'),
    ...policyFields,
  })
  .describe('One API of the gateway.');

const product = z
  .strictObject({
    name: NAME.describe('The product’s name (APIM product id), unique in the gateway. Required.'),
    displayName: z.string().min(1).optional().describe('Default: the name.'),
    subscriptionRequired: z
      .boolean()
      .optional()
      .describe('Whether callers need a subscription key (false: an open product). Default: true.'),
    published: z.boolean().optional().describe('An unpublished product gives no access. Default: true.'),
    apis: z.array(NAME).default([]).describe('Names of its APIs. Default: none.'),
    ...policyFields,
  })
  .describe('One product of the gateway.');

const subscription = z
  .strictObject({
    name: NAME.describe('The subscription’s name, unique in the gateway. Required.'),
    displayName: z.string().min(1).optional().describe('Default: the name.'),
    scope: z
      .string()
      .regex(/^\/(apis|apis\/[^/]+|products\/[^/]+)$/, 'must be /apis, /apis/<api> or /products/<product>')
      .default('/apis')
      .describe(
        'What the key opens, as APIM writes it: `/apis` (all), `/apis/<api>` or `/products/<product>`. Default: /apis.',
      ),
    state: z.enum(['active', 'suspended']).optional().describe('Default: active.'),
    allowTracing: z
      .boolean()
      .optional()
      .describe(
        'Whether callers with this key may ask for a trace (`Ocp-Apim-Trace: true`). Default: false.',
      ),
    primaryKey: z
      .string()
      .optional()
      .describe(
        'The primary key. Default: generated (shown by `lanyard gateway subscription keys`); never printed by plan.',
      ),
    secondaryKey: z.string().optional().describe('The secondary key. Default: generated.'),
  })
  .describe('One subscription of the gateway.');

const namedValue = z
  .strictObject({
    name: NAME.describe('The name policies use as `{{name}}`. Required.'),
    value: z.string().optional().describe('The value (this or valueFromEnv is required).'),
    valueFromEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional()
      .describe(
        'An environment variable holding the value, read at plan time (keeps secrets out of the file).',
      ),
    secret: z.boolean().optional().describe('Sealed at rest and masked in traces and plans. Default: false.'),
  })
  .describe('One named value of the gateway.');

const backend = z
  .strictObject({
    name: NAME.describe('The backend’s name (`set-backend-service backend-id`). Required.'),
    url: z.string().describe('Its base URL (http or https). Required.'),
    description: z.string().optional().describe('Default: none.'),
  })
  .describe('One backend entity of the gateway.');

const gateway = z
  .strictObject({
    resource: NAME.describe(
      'The resource of kind gateway this is (declared under the tenant’s resources). Required.',
    ),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('The port of its front at `lanyard up`. Default: 0 (a free one).'),
    ...policyFields,
    apis: z.array(api).default([]).describe('Its APIs. Default: none.'),
    products: z.array(product).default([]).describe('Its products. Default: none.'),
    subscriptions: z.array(subscription).default([]).describe('Its subscriptions. Default: none.'),
    namedValues: z.array(namedValue).default([]).describe('Its named values. Default: none.'),
    backends: z.array(backend).default([]).describe('Its backend entities. Default: none.'),
  })
  .describe('An API Management gateway: see docs/gateway.md.');

type DeclaredGateway = z.output<typeof gateway>;
type GatewayTenant = ManifestTenant & { gateways: DeclaredGateway[] };

const gatewaysOf = (t: unknown): DeclaredGateway[] => (t as GatewayTenant).gateways ?? [];

function check(declared: DeclaredManifest, out: ManifestProblem[]): void {
  // Every gateway's front runs in one `lanyard up`: two cannot share a fixed port.
  const ports = declared.tenants.flatMap((tenant, t) =>
    gatewaysOf(tenant).flatMap((g, i) =>
      g.port ? [{ port: g.port, path: ['tenants', t, 'gateways', i, 'port'] as KeyPath }] : [],
    ),
  );
  duplicates(
    ports,
    (p) => String(p.port),
    (i) => ports[i]!.path,
    (p) => `port ${p.port} is used by another gateway; use another, or 0 for a free one`,
    out,
  );
  declared.tenants.forEach((tenantValue, t) => {
    const tenant = tenantValue as unknown as GatewayTenant;
    const gateways = gatewaysOf(tenant);
    const at = (...rest: (string | number)[]): KeyPath => ['tenants', t, 'gateways', ...rest];
    duplicates(
      gateways,
      (g) => g.resource.toLowerCase(),
      (i) => at(i, 'resource'),
      (g) => `gateway ${g.resource} is declared twice`,
      out,
    );
    const ref = (path: KeyPath, message: string) => out.push({ kind: 'reference', path, message });
    const schema = (path: KeyPath, message: string) => out.push({ kind: 'schema', path, message });
    const onePolicy = (
      o: { policy?: string | undefined; policyFile?: string | undefined },
      path: KeyPath,
    ) => {
      if (o.policy !== undefined && o.policyFile !== undefined)
        schema([...path, 'policyFile'], 'give policy or policyFile, not both');
    };
    gateways.forEach((g, i) => {
      const resource = tenant.resources.find((r) => r.name.toLowerCase() === g.resource.toLowerCase());
      if (!resource)
        ref(at(i, 'resource'), `resource ${g.resource} is not declared under tenants[${t}].resources`);
      else if (resource.kind !== 'gateway')
        ref(at(i, 'resource'), `resource ${g.resource} is of kind ${resource.kind}, not gateway`);
      onePolicy(g, at(i));
      const unique = <T>(items: T[], key: (x: T) => string, list: string, what: string) =>
        duplicates(
          items,
          (x) => key(x).toLowerCase(),
          (j) => at(i, list, j, 'name'),
          (x) => `${what} ${key(x)} is declared twice in gateway ${g.resource}`,
          out,
        );
      unique(g.apis, (a) => a.name, 'apis', 'API');
      unique(g.products, (p) => p.name, 'products', 'product');
      unique(g.subscriptions, (s) => s.name, 'subscriptions', 'subscription');
      unique(g.namedValues, (v) => v.name, 'namedValues', 'named value');
      unique(g.backends, (b) => b.name, 'backends', 'backend');
      const apis = new Set(g.apis.map((a) => a.name));
      const products = new Set(g.products.map((p) => p.name));
      g.apis.forEach((a, j) => {
        onePolicy(a, at(i, 'apis', j));
        duplicates(
          a.operations,
          (o) => o.name.toLowerCase(),
          (k) => at(i, 'apis', j, 'operations', k, 'name'),
          (o) => `operation ${o.name} is declared twice in API ${a.name}`,
          out,
        );
        a.operations.forEach((o, k) => {
          onePolicy(o, at(i, 'apis', j, 'operations', k));
        });
      });
      g.products.forEach((p, j) => {
        onePolicy(p, at(i, 'products', j));
        p.apis.forEach((name, k) => {
          if (!apis.has(name))
            ref(at(i, 'products', j, 'apis', k), `API ${name} is not declared in gateway ${g.resource}`);
        });
      });
      g.subscriptions.forEach((s, j) => {
        const [, kind, name] = s.scope.split('/');
        if (kind === 'apis' && name !== undefined && !apis.has(name))
          ref(at(i, 'subscriptions', j, 'scope'), `API ${name} is not declared in gateway ${g.resource}`);
        if (kind === 'products' && name !== undefined && !products.has(name))
          ref(at(i, 'subscriptions', j, 'scope'), `product ${name} is not declared in gateway ${g.resource}`);
      });
      g.namedValues.forEach((v, j) => {
        if ((v.value === undefined) === (v.valueFromEnv === undefined))
          schema(at(i, 'namedValues', j), 'give value or valueFromEnv (one of them)');
      });
    });
  });
}

/** What the store holds for one tenant. */
interface GatewayState {
  gateways: StoredGateway[];
  hasher: Directory['deps']['hasher'];
}

async function read(d: Directory, tenant: { id: string } | undefined): Promise<GatewayState> {
  if (!tenant) return { gateways: [], hasher: d.deps.hasher };
  return {
    gateways: await listGateways(d.db, d.deps.envelope, { tenantId: tenant.id }),
    hasher: d.deps.hasher,
  };
}

const MAX_POLICY_FILE_BYTES = 256 * 1024;

/** Turns a declared gateway into the store's input: policy files read, environment values resolved. */
function inputFromManifest(manifest: object, g: DeclaredGateway, at: KeyPath): GatewayInput {
  const policyOf = (
    o: { policy?: string | undefined; policyFile?: string | undefined },
    where: KeyPath,
  ): PolicySource | undefined => {
    if (o.policy !== undefined) return { xml: o.policy };
    if (o.policyFile === undefined) return undefined;
    return {
      xml: readReferencedFile(manifest, o.policyFile, [...where, 'policyFile'], {
        maxBytes: MAX_POLICY_FILE_BYTES,
        what: 'policy file',
      }),
      file: o.policyFile,
    };
  };
  const withPolicy = (
    o: { policy?: string | undefined; policyFile?: string | undefined },
    where: KeyPath,
  ) => {
    const p = policyOf(o, where);
    return p ? { policy: p } : {};
  };
  return {
    port: g.port ?? 0,
    ...withPolicy(g, at),
    apis: g.apis.map((a, j) => ({
      name: a.name,
      displayName: a.displayName ?? a.name,
      path: a.path,
      serviceUrl: a.serviceUrl,
      ...(a.protocols ? { protocols: a.protocols } : {}),
      ...(a.subscriptionRequired !== undefined ? { subscriptionRequired: a.subscriptionRequired } : {}),
      ...(a.subscriptionKeyParameterNames?.header
        ? { subscriptionKeyHeader: a.subscriptionKeyParameterNames.header }
        : {}),
      ...(a.subscriptionKeyParameterNames?.query
        ? { subscriptionKeyQuery: a.subscriptionKeyParameterNames.query }
        : {}),
      operations: a.operations.map((o, k) => ({
        name: o.name,
        displayName: o.displayName ?? o.name,
        method: o.method,
        urlTemplate: o.urlTemplate,
        ...withPolicy(o, [...at, 'apis', j, 'operations', k]),
      })),
      ...withPolicy(a, [...at, 'apis', j]),
    })),
    products: g.products.map((p, j) => ({
      name: p.name,
      displayName: p.displayName ?? p.name,
      ...(p.subscriptionRequired !== undefined ? { subscriptionRequired: p.subscriptionRequired } : {}),
      ...(p.published !== undefined ? { published: p.published } : {}),
      apis: p.apis,
      ...withPolicy(p, [...at, 'products', j]),
    })),
    subscriptions: g.subscriptions.map((s) => {
      const [, kind, name] = s.scope.split('/');
      return {
        name: s.name,
        displayName: s.displayName ?? s.name,
        scope:
          kind === 'apis' && name !== undefined
            ? { kind: 'api' as const, name }
            : kind === 'products' && name !== undefined
              ? { kind: 'product' as const, name }
              : { kind: 'all' as const },
        ...(s.state ? { state: s.state } : {}),
        ...(s.allowTracing !== undefined ? { allowTracing: s.allowTracing } : {}),
        ...(s.primaryKey !== undefined ? { primaryKey: s.primaryKey } : {}),
        ...(s.secondaryKey !== undefined ? { secondaryKey: s.secondaryKey } : {}),
      };
    }),
    namedValues: g.namedValues.map((v, j) => {
      let value = v.value;
      if (v.valueFromEnv !== undefined) {
        value = process.env[v.valueFromEnv];
        if (value === undefined) {
          throw new LanyardError(
            'ERR_VALIDATION',
            `${describeLocation(manifest, [...at, 'namedValues', j, 'valueFromEnv'])}: environment variable ${v.valueFromEnv} is not set.`,
            { hint: 'Set it in the environment of `lanyard plan|apply|up`.' },
          );
        }
      }
      return { name: v.name, value: value ?? '', secret: v.secret ?? false };
    }),
    backends: g.backends.map((b) => ({
      name: b.name,
      url: b.url,
      ...(b.description !== undefined ? { description: b.description } : {}),
    })),
  };
}

// ---- what would change ----

const isNamed = (v: unknown): v is { name: string } =>
  v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string';

/**
 * Leaves by path, named lists as maps by name (`apis.orders.serviceUrl`, not `apis[0].serviceUrl`); `items`
 * collects each named object's path. Empty lists are nothing.
 */
function flatten(value: unknown, at: string, leaves: Map<string, string>, items: Set<string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    if (value.every(isNamed)) {
      for (const v of value) {
        const p = `${at}.${v.name}`;
        items.add(p);
        for (const [k, x] of Object.entries(v)) if (k !== 'name') flatten(x, `${p}.${k}`, leaves, items);
      }
      return;
    }
    leaves.set(at, JSON.stringify(value));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, at ? `${at}.${k}` : k, leaves, items);
    return;
  }
  if (value !== undefined) leaves.set(at, JSON.stringify(value));
}

/** Keys are compared by hash below, never as text. */
function comparable(input: ParsedGatewayInput): unknown {
  return {
    ...input,
    subscriptions: input.subscriptions.map(({ primaryKey: _p, secondaryKey: _s, ...rest }) => rest),
  };
}

/** Field-level differences between the stored gateway and the declared one, as plan lines; no secret shown. */
export function gatewayChanges(
  stored: StoredGateway,
  declared: ParsedGatewayInput,
  hasher: { verify(secret: string, stored: string): boolean },
): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  const ia = new Set<string>();
  const ib = new Set<string>();
  flatten(comparable(inputOf(stored)), '', a, ia);
  flatten(comparable(declared), '', b, ib);
  const secret = new Set(
    [...stored.definition.namedValues, ...declared.namedValues].filter((v) => v.secret).map((v) => v.name),
  );
  const hidden = (p: string) => {
    if (p.endsWith('policy.xml')) return true;
    const m = /^namedValues\.(.+)\.value$/.exec(p);
    return m !== null && secret.has(m[1]!);
  };
  const added = [...ib].filter((x) => !ia.has(x));
  const removed = [...ia].filter((x) => !ib.has(x));
  const inside = (p: string, list: string[]) => list.some((x) => p.startsWith(`${x}.`));
  const lines: string[] = [];
  for (const x of added) if (!inside(x, added)) lines.push(`${x}: + added`);
  for (const x of removed) if (!inside(x, removed)) lines.push(`${x}: - removed`);
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    const before = a.get(p);
    const after = b.get(p);
    if (before === after || inside(p, added) || inside(p, removed)) continue;
    lines.push(hidden(p) ? `${p}: (changed)` : `${p}: ${before ?? '(none)'} → ${after ?? '(none)'}`);
  }
  for (const s of declared.subscriptions) {
    const old = stored.definition.subscriptions.find((x) => x.name === s.name);
    if (!old) continue;
    if (s.primaryKey !== undefined && !hasher.verify(s.primaryKey, old.primaryKeyHash))
      lines.push(`subscriptions.${s.name}.primaryKey: (changed)`);
    if (s.secondaryKey !== undefined && !hasher.verify(s.secondaryKey, old.secondaryKeyHash))
      lines.push(`subscriptions.${s.name}.secondaryKey: (changed)`);
  }
  return lines.sort();
}

function plan({ planner: p, declared, index }: TenantPlan<Directory>, state: GatewayState): void {
  const t = declared as unknown as GatewayTenant;
  const declaredGateways = gatewaysOf(t);
  for (const stored of state.gateways) {
    if (declaredGateways.some((g) => g.resource.toLowerCase() === stored.name.toLowerCase())) continue;
    p.undeclared(GATEWAY_PHASE.deleteGateway, { kind: 'gateway', tenant: t.name, name: stored.name }, (d) =>
      deleteGateway(d.db, stored.resourceId),
    );
  }
  declaredGateways.forEach((g, i) => {
    const at: KeyPath = ['tenants', index, 'gateways', i];
    const object: PlanObject = { kind: 'gateway', tenant: t.name, name: g.resource };
    const input = inputFromManifest(p.manifest, g, at);
    const stored = state.gateways.find((s) => s.name.toLowerCase() === g.resource.toLowerCase());
    if (!stored) {
      p.add(GATEWAY_PHASE.gateway, 'create', object, (d) => putGateway(d, t.name, g.resource, input));
      return;
    }
    // Subscriptions made outside the manifest stay (keys and all) unless pruning.
    const extra = stored.definition.subscriptions.filter(
      (s) => !input.subscriptions?.some((x) => x.name.toLowerCase() === s.name.toLowerCase()),
    );
    if (!p.prune) {
      const kept = inputOf(stored).subscriptions.filter((s) => extra.some((e) => e.name === s.name));
      input.subscriptions = [...(input.subscriptions ?? []), ...kept];
      for (const s of extra)
        p.notManaged.push({ kind: 'gatewaySubscription', tenant: t.name, name: `${stored.name}/${s.name}` });
    }
    const parsed = parseGatewayInput(input, `${describeLocation(p.manifest, at)}: gateway ${g.resource}`);
    const changes = gatewayChanges(stored, parsed, state.hasher);
    if (changes.length > 0)
      p.add(
        GATEWAY_PHASE.gateway,
        'update',
        object,
        (d) => putGateway(d, t.name, g.resource, input),
        changes,
      );
  });
}

export const gatewayManifest: TenantSection<Directory, GatewayState> = {
  place: 'tenant',
  key: 'gateways',
  schema: z
    .array(gateway)
    .default([])
    .describe('API Management gateways of this tenant; see docs/gateway.md. Default: none.'),
  check,
  read,
  plan,
};
