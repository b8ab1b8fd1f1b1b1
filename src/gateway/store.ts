/**
 * @module gateway/store
 * Where gateways live: one row per resource of kind gateway (`gateways`, deleted with the resource), with its
 * APIs (operations inside), products, named values, backends and subscriptions (tables.ts). Reads return the
 * plain `GatewayDefinition` the front compiles (model.ts), secrets opened. Every write goes through
 * `putGateway`: the whole would-be gateway is validated (zod, names, references, URL templates), compiled with
 * `compileGateway` — so a policy document that does not load is refused with its `PolicyLoadError` and never
 * lands — and written in one transaction that also marks the `gateway` topic changed.
 *
 * Subscription keys are stored twice: as keyed hashes (crypto/secret-hash), which requests are matched on, and
 * sealed (crypto/envelope), so `showSubscriptionKeys` can give them back. Secret named values are sealed too.
 * The CLI, the manifest's apply (inside its transaction, through `directory.db`) and the plane all use these.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import { resourceNames } from '../directory/lookups.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { markChanged } from '../store/change-feed.ts';
import { type StoreDb, tablesOf } from '../store/handle.ts';
import { compileGateway } from './compile-gateway.ts';
import {
  type ApiDefinition,
  type BackendDefinition,
  DEFAULT_KEY_HEADER,
  DEFAULT_KEY_QUERY,
  type GatewayDefinition,
  HTTP_METHODS,
  type NamedValueDefinition,
  type PolicySource,
  type ProductDefinition,
  type SubscriptionDefinition,
  type SubscriptionScope,
} from './model.ts';
import { PolicyLoadError } from './policy/errors.ts';
import type { GatewayServices } from './policy/services.ts';
import { createTokenServices } from './policy/token-keys.ts';
import { compileTemplate } from './runtime/routing.ts';
import type { GatewaySubscriptionRow, GatewayTables } from './tables.ts';

type Db = StoreDb;
const tables = (db: Db) => tablesOf<GatewayTables>(db);

type Sealer = NonNullable<Directory['deps']['envelope']>;

// ---- the input every write takes ----

const NAME = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/,
    'must be 1-80 letters, digits, ".", "_" or "-", starting alnum',
  );
const DISPLAY = z.string().min(1).max(300);
const HTTP_URL = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials');
const MAX_POLICY_CHARS = 256 * 1024;
export const policySourceSchema = z.strictObject({
  xml: z.string().min(1).max(MAX_POLICY_CHARS),
  file: z.string().max(1024).optional(),
});
const KEY = z
  .string()
  .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16-256 printable ASCII characters without spaces');
const HEADER_NAME = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be an HTTP header name');
const QUERY_NAME = z.string().regex(/^[A-Za-z0-9._~-]{1,100}$/, 'must be a query parameter name');

const operationInput = z.strictObject({
  name: NAME,
  displayName: DISPLAY.optional(),
  method: z.enum([...HTTP_METHODS, '*']),
  urlTemplate: z.string().min(1).max(1000).startsWith('/', 'must start with /'),
  policy: policySourceSchema.optional(),
});

const apiInput = z.strictObject({
  name: NAME,
  displayName: DISPLAY.optional(),
  path: z
    .string()
    .max(400)
    .regex(
      /^([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/,
      'must be path segments without leading or trailing /',
    ),
  serviceUrl: HTTP_URL,
  protocols: z
    .array(z.enum(['http', 'https']))
    .min(1)
    .default(['https']),
  subscriptionRequired: z.boolean().default(true),
  subscriptionKeyHeader: HEADER_NAME.default(DEFAULT_KEY_HEADER),
  subscriptionKeyQuery: QUERY_NAME.default(DEFAULT_KEY_QUERY),
  operations: z.array(operationInput).max(1000).default([]),
  policy: policySourceSchema.optional(),
});

const productInput = z.strictObject({
  name: NAME,
  displayName: DISPLAY.optional(),
  subscriptionRequired: z.boolean().default(true),
  published: z.boolean().default(true),
  apis: z.array(NAME).default([]),
  policy: policySourceSchema.optional(),
});

const scopeInput = z.union([
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('product'), name: NAME }),
  z.strictObject({ kind: z.literal('api'), name: NAME }),
]);

const subscriptionInput = z.strictObject({
  name: NAME,
  displayName: DISPLAY.optional(),
  scope: scopeInput.default({ kind: 'all' }),
  state: z.enum(['active', 'suspended']).default('active'),
  allowTracing: z.boolean().default(false),
  /** Given: stored as is; left out: kept from the stored subscription, else generated. */
  primaryKey: KEY.optional(),
  secondaryKey: KEY.optional(),
});

const namedValueInput = z.strictObject({
  name: NAME,
  value: z.string().max(4096),
  secret: z.boolean().default(false),
});

const backendInput = z.strictObject({
  name: NAME,
  url: HTTP_URL,
  description: z.string().max(2000).optional(),
});

export const gatewayInputSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(0),
  policy: policySourceSchema.optional(),
  apis: z.array(apiInput).max(400).default([]),
  products: z.array(productInput).max(400).default([]),
  subscriptions: z.array(subscriptionInput).max(10_000).default([]),
  namedValues: z.array(namedValueInput).max(1000).default([]),
  backends: z.array(backendInput).max(400).default([]),
});

export type GatewayInput = z.input<typeof gatewayInputSchema>;
export type ParsedGatewayInput = z.output<typeof gatewayInputSchema>;

// ---- what reads return ----

export interface StoredGateway {
  readonly resourceId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly port: number;
  /** Secrets (named values) opened; subscriptions by key hash only. */
  readonly definition: GatewayDefinition;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SubscriptionKeys {
  readonly primaryKey: string;
  readonly secondaryKey: string;
}

export interface PutGatewayResult {
  readonly stored: StoredGateway;
  /**
   * The keys of each new subscription this call generated a key for, by name, in plaintext (they can be shown
   * again on demand).
   */
  readonly generatedKeys: Readonly<Record<string, SubscriptionKeys>>;
}

const aad = {
  key: (resourceId: string, name: string, which: 'primary' | 'secondary') =>
    `lanyard|gateway|${resourceId}|subscription|${name}|${which}`,
  value: (resourceId: string, name: string) => `lanyard|gateway|${resourceId}|named-value|${name}`,
};

/** A new subscription key: 32 hex characters, as APIM generates them. */
export function generateSubscriptionKey(): string {
  return randomBytes(16).toString('hex');
}

function sealerOf(directory: Directory): Sealer {
  const envelope = directory.deps.envelope;
  if (!envelope) {
    throw new LanyardError(
      'ERR_INTERNAL',
      'The gateway store needs the envelope to seal subscription keys and secret values; this directory has none.',
      { hint: 'Open the directory through the runtime (host/runtime.ts), which gives it the envelope.' },
    );
  }
  return envelope;
}

const scopeText = (s: SubscriptionScope) => (s.kind === 'all' ? 'all' : `${s.kind}:${s.name}`);
function scopeOf(text: string): SubscriptionScope {
  if (text === 'all') return { kind: 'all' };
  const [kind, ...rest] = text.split(':');
  const name = rest.join(':');
  if (kind === 'product' || kind === 'api') return { kind, name };
  throw new TypeError(`Stored subscription scope "${text}" is not one Lanyard writes.`);
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

async function readDefinition(
  db: Db,
  sealer: Sealer | undefined,
  row: { resource_id: string; tenant_id: string; policy: string | null },
  name: string,
): Promise<GatewayDefinition> {
  const t = tables(db);
  const id = row.resource_id;
  const [apis, products, values, backends, subscriptions] = await Promise.all([
    t.selectFrom('gateway_apis').selectAll().where('resource_id', '=', id).execute(),
    t.selectFrom('gateway_products').selectAll().where('resource_id', '=', id).execute(),
    t.selectFrom('gateway_named_values').selectAll().where('resource_id', '=', id).execute(),
    t.selectFrom('gateway_backends').selectAll().where('resource_id', '=', id).execute(),
    t.selectFrom('gateway_subscriptions').selectAll().where('resource_id', '=', id).execute(),
  ]);
  const namedValues = values.map((r): NamedValueDefinition => {
    const body = JSON.parse(r.body) as { name: string; value?: string; secret: boolean };
    if (!body.secret) return { name: r.name, value: body.value ?? '', secret: false };
    if (!sealer) throw new TypeError('A secret named value cannot be opened without the envelope.');
    return {
      name: r.name,
      value: sealer.open(r.value_sealed ?? '', aad.value(id, r.name)).toString('utf8'),
      secret: true,
    };
  });
  return {
    resourceId: id,
    tenantId: row.tenant_id,
    name,
    policy: row.policy === null ? undefined : (JSON.parse(row.policy) as PolicySource),
    apis: apis.map((r) => JSON.parse(r.body) as ApiDefinition).sort(byName),
    products: products.map((r) => JSON.parse(r.body) as ProductDefinition).sort(byName),
    subscriptions: subscriptions.map(subscriptionOf).sort(byName),
    namedValues: namedValues.sort(byName),
    backends: backends.map((r) => JSON.parse(r.body) as BackendDefinition).sort(byName),
  };
}

function subscriptionOf(r: GatewaySubscriptionRow): SubscriptionDefinition {
  return {
    name: r.name,
    displayName: r.display_name,
    scope: scopeOf(r.scope),
    state: r.state === 'suspended' ? 'suspended' : 'active',
    primaryKeyHash: r.primary_key_hash,
    secondaryKeyHash: r.secondary_key_hash,
    allowTracing: r.allow_tracing === 1,
  };
}

/** Every stored gateway (of one tenant when given), by resource name; secret named values opened. */
export async function listGateways(
  db: Db,
  sealer: Sealer | undefined,
  filter: { tenantId?: string } = {},
): Promise<StoredGateway[]> {
  let q = tables(db).selectFrom('gateways').selectAll();
  if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const names = await resourceNames(
    db,
    rows.map((r) => r.resource_id),
  );
  const out: StoredGateway[] = [];
  for (const row of rows) {
    const name = names.get(row.resource_id);
    if (name === undefined) continue;
    out.push({
      resourceId: row.resource_id,
      tenantId: row.tenant_id,
      name,
      port: row.port,
      definition: await readDefinition(db, sealer, row, name),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => order(a.name, b.name) || order(a.tenantId, b.tenantId));
}

export async function getGateway(
  db: Db,
  sealer: Sealer | undefined,
  resourceId: string,
): Promise<StoredGateway | undefined> {
  const row = await tables(db)
    .selectFrom('gateways')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .executeTakeFirst();
  if (!row) return undefined;
  const name = (await resourceNames(db, [resourceId])).get(resourceId);
  if (name === undefined) return undefined;
  return {
    resourceId,
    tenantId: row.tenant_id,
    name,
    port: row.port,
    definition: await readDefinition(db, sealer, row, name),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

async function gatewayResource(directory: Directory, tenant: string, resourceRef: string) {
  const resource = await directory.getResource(tenant, resourceRef);
  if (resource.kind !== 'gateway') {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Resource "${resource.name}" is of kind ${resource.kind}; a gateway is a resource of kind gateway.`,
      { hint: 'Name a resource of kind gateway (`lanyard resource create --kind gateway …`).' },
    );
  }
  return resource;
}

/** The stored gateway of a resource, or ERR_NOT_FOUND. */
export async function showGateway(
  directory: Directory,
  tenant: string,
  resourceRef: string,
): Promise<StoredGateway> {
  const resource = await directory.getResource(tenant, resourceRef);
  const stored = await getGateway(directory.db, directory.deps.envelope, resource.id);
  if (!stored) {
    throw new LanyardError('ERR_NOT_FOUND', `Resource "${resource.name}" has no gateway.`, {
      hint: "Declare it under the tenant's `gateways:` in lanyard.yaml, or create it with putGateway.",
      details: { kind: 'gateway', ref: resource.name },
    });
  }
  return stored;
}

/** The stored gateway as the input that would write it again (keys left out: they are kept). */
export function inputOf(stored: StoredGateway): ParsedGatewayInput {
  const d = stored.definition;
  return {
    port: stored.port,
    ...(d.policy ? { policy: d.policy } : {}),
    apis: d.apis.map((a) => ({
      ...a,
      protocols: [...a.protocols],
      operations: a.operations.map((o) => ({
        ...o,
        method: o.method as (typeof HTTP_METHODS)[number] | '*',
      })),
    })),
    products: d.products.map((p) => ({ ...p, apis: [...p.apis] })),
    subscriptions: d.subscriptions.map((s) => ({
      name: s.name,
      displayName: s.displayName,
      scope: s.scope,
      state: s.state,
      allowTracing: s.allowTracing,
    })),
    namedValues: d.namedValues.map((v) => ({ ...v })),
    backends: d.backends.map((b) => ({ ...b })),
  };
}

function invalid(message: string, hint?: string): LanyardError {
  return new LanyardError('ERR_VALIDATION', message, hint ? { hint } : {});
}

/** Parses an input with zod, as ERR_VALIDATION naming the first problem's path. */
export function parseGatewayInput(input: unknown, what: string): ParsedGatewayInput {
  const parsed = gatewayInputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new LanyardError('ERR_VALIDATION', `${what} is not valid: ${problems.join('; ')}.`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

function noDuplicates(what: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    const key = n.toLowerCase();
    if (seen.has(key)) throw invalid(`${what} "${n}" is declared twice.`, 'Names are compared without case.');
    seen.add(key);
  }
}

/** The checks no single object's schema makes: unique names, references, templates. */
export function checkReferences(input: ParsedGatewayInput): void {
  noDuplicates(
    'API',
    input.apis.map((a) => a.name),
  );
  noDuplicates(
    'API path',
    input.apis.map((a) => a.path),
  );
  noDuplicates(
    'Product',
    input.products.map((p) => p.name),
  );
  noDuplicates(
    'Subscription',
    input.subscriptions.map((s) => s.name),
  );
  noDuplicates(
    'Named value',
    input.namedValues.map((v) => v.name),
  );
  noDuplicates(
    'Backend',
    input.backends.map((b) => b.name),
  );
  const apis = new Set(input.apis.map((a) => a.name));
  const products = new Set(input.products.map((p) => p.name));
  for (const api of input.apis) {
    noDuplicates(
      `Operation of API ${api.name}`,
      api.operations.map((o) => o.name),
    );
    for (const op of api.operations) {
      try {
        compileTemplate(op.urlTemplate);
      } catch (err) {
        throw invalid(`API ${api.name}, operation ${op.name}: urlTemplate ${(err as Error).message}.`);
      }
    }
  }
  for (const p of input.products) {
    for (const a of p.apis) {
      if (!apis.has(a)) throw invalid(`Product ${p.name} names API "${a}", which the gateway does not have.`);
    }
  }
  for (const s of input.subscriptions) {
    if (s.scope.kind === 'product' && !products.has(s.scope.name))
      throw invalid(
        `Subscription ${s.name} is scoped to product "${s.scope.name}", which the gateway does not have.`,
      );
    if (s.scope.kind === 'api' && !apis.has(s.scope.name))
      throw invalid(
        `Subscription ${s.name} is scoped to API "${s.scope.name}", which the gateway does not have.`,
      );
    if (s.primaryKey !== undefined && s.primaryKey === s.secondaryKey)
      throw invalid(`Subscription ${s.name} has the same primary and secondary key.`);
  }
}

/**
 * Services good enough to compile with (nothing runs): the token services create their key sources lazily,
 * and the backends are the would-be gateway's own, so `set-backend-service backend-id` is checked against them.
 */
export function compileOnlyServices(definition: GatewayDefinition): GatewayServices {
  const notNow = () => Promise.reject(new Error('a policy ran while its gateway was only being checked'));
  const backends = new Map(definition.backends.map((b) => [b.name, { url: b.url }]));
  return {
    now: Date.now,
    tokens: createTokenServices(),
    managedIdentityToken: notNow,
    counters: { slidingHit: notNow, fixedHit: notNow },
    backend: { send: notNow },
    backendEntity: (id) => backends.get(id),
  };
}

/** Compiles a definition; a policy that does not load is its PolicyLoadError, anything else ERR_VALIDATION. */
export function checkCompiles(definition: GatewayDefinition): void {
  try {
    compileGateway(definition, { services: compileOnlyServices(definition) });
  } catch (err) {
    if (err instanceof PolicyLoadError || err instanceof LanyardError) throw err;
    throw invalid(`Gateway ${definition.name}: ${(err as Error).message}`);
  }
}

interface KeyMaterial {
  primary: { hash: string; sealed: string };
  secondary: { hash: string; sealed: string };
}

/**
 * Validates the input, compiles the gateway it describes and stores it, replacing what the gateway held (a
 * subscription left without keys keeps its stored ones; a new one gets two generated). One transaction.
 */
export async function putGateway(
  directory: Directory,
  tenant: string,
  resourceRef: string,
  input: unknown,
): Promise<PutGatewayResult> {
  const resource = await gatewayResource(directory, tenant, resourceRef);
  const parsed = parseGatewayInput(input, `The gateway ${resource.name}`);
  checkReferences(parsed);
  const sealer = sealerOf(directory);
  const hasher = directory.deps.hasher;
  return directory.transaction(async (d) => {
    const db = d.db;
    const t = tables(db);
    const id = resource.id;
    const oldRows = new Map(
      (await t.selectFrom('gateway_subscriptions').selectAll().where('resource_id', '=', id).execute()).map(
        (r) => [r.name, r],
      ),
    );
    const generatedKeys: Record<string, SubscriptionKeys> = {};
    const material = new Map<string, KeyMaterial>();
    for (const s of parsed.subscriptions) {
      const old = oldRows.get(s.name);
      let generated = false;
      const plain: Record<'primary' | 'secondary', string | undefined> = {
        primary: undefined,
        secondary: undefined,
      };
      const one = (which: 'primary' | 'secondary', given: string | undefined) => {
        if (given === undefined && old) {
          return which === 'primary'
            ? { hash: old.primary_key_hash, sealed: old.primary_key_sealed }
            : { hash: old.secondary_key_hash, sealed: old.secondary_key_sealed };
        }
        const key = given ?? generateSubscriptionKey();
        if (given === undefined) generated = true;
        plain[which] = key;
        return { hash: hasher.hash(key), sealed: sealer.seal(key, aad.key(id, s.name, which)) };
      };
      material.set(s.name, {
        primary: one('primary', s.primaryKey),
        secondary: one('secondary', s.secondaryKey),
      });
      if (generated && plain.primary !== undefined && plain.secondary !== undefined)
        generatedKeys[s.name] = { primaryKey: plain.primary, secondaryKey: plain.secondary };
    }
    // No key may open two subscriptions of one gateway.
    const owners = new Map<string, string>();
    for (const [name, m] of material) {
      for (const h of [m.primary.hash, m.secondary.hash]) {
        const other = owners.get(h);
        if (other !== undefined && other !== name)
          throw invalid(
            `Subscriptions ${other} and ${name} would share a key.`,
            'Give every subscription keys of its own.',
          );
        if (other === name) throw invalid(`Subscription ${name} has the same primary and secondary key.`);
        owners.set(h, name);
      }
    }

    const definition = definitionOf(resource.id, resource.tenantId, resource.name, parsed, material);
    checkCompiles(definition);

    const nowIso = (directory.deps.now?.() ?? new Date()).toISOString();
    const policy = parsed.policy ? JSON.stringify(parsed.policy) : null;
    await t
      .insertInto('gateways')
      .values({
        resource_id: id,
        tenant_id: resource.tenantId,
        port: parsed.port,
        policy,
        created_at: nowIso,
        updated_at: nowIso,
      })
      .onConflict((oc) =>
        oc.column('resource_id').doUpdateSet({ port: parsed.port, policy, updated_at: nowIso }),
      )
      .execute();
    for (const table of [
      'gateway_apis',
      'gateway_products',
      'gateway_named_values',
      'gateway_backends',
    ] as const) {
      await t.deleteFrom(table).where('resource_id', '=', id).execute();
    }
    await t.deleteFrom('gateway_subscriptions').where('resource_id', '=', id).execute();
    const insert = async (
      table: 'gateway_apis' | 'gateway_products' | 'gateway_backends',
      items: readonly { name: string }[],
    ) => {
      if (items.length > 0)
        await t
          .insertInto(table)
          .values(items.map((i) => ({ resource_id: id, name: i.name, body: JSON.stringify(i) })))
          .execute();
    };
    await insert('gateway_apis', definition.apis);
    await insert('gateway_products', definition.products);
    await insert('gateway_backends', definition.backends);
    if (definition.namedValues.length > 0) {
      await t
        .insertInto('gateway_named_values')
        .values(
          definition.namedValues.map((v) => ({
            resource_id: id,
            name: v.name,
            body: JSON.stringify(v.secret ? { name: v.name, secret: true } : v),
            value_sealed: v.secret ? sealer.seal(v.value, aad.value(id, v.name)) : null,
          })),
        )
        .execute();
    }
    for (const s of definition.subscriptions) {
      const m = material.get(s.name)!;
      await t
        .insertInto('gateway_subscriptions')
        .values({
          resource_id: id,
          name: s.name,
          display_name: s.displayName,
          scope: scopeText(s.scope),
          state: s.state,
          allow_tracing: s.allowTracing ? 1 : 0,
          primary_key_hash: m.primary.hash,
          secondary_key_hash: m.secondary.hash,
          primary_key_sealed: m.primary.sealed,
          secondary_key_sealed: m.secondary.sealed,
          created_at: oldRows.get(s.name)?.created_at ?? nowIso,
          updated_at: nowIso,
        })
        .execute();
    }
    await markChanged(db, 'gateway');
    const stored = await getGateway(db, sealer, id);
    return { stored: stored!, generatedKeys };
  });
}

/** The definition an input describes (display names defaulted to names), subscriptions by their key hashes. */
function definitionOf(
  resourceId: string,
  tenantId: string,
  name: string,
  input: ParsedGatewayInput,
  material: ReadonlyMap<string, KeyMaterial>,
): GatewayDefinition {
  return {
    resourceId,
    tenantId,
    name,
    ...(input.policy ? { policy: input.policy } : {}),
    apis: input.apis
      .map(
        (a): ApiDefinition => ({
          name: a.name,
          displayName: a.displayName ?? a.name,
          path: a.path,
          serviceUrl: a.serviceUrl,
          protocols: a.protocols,
          subscriptionRequired: a.subscriptionRequired,
          subscriptionKeyHeader: a.subscriptionKeyHeader,
          subscriptionKeyQuery: a.subscriptionKeyQuery,
          operations: a.operations.map((o) => ({
            name: o.name,
            displayName: o.displayName ?? o.name,
            method: o.method,
            urlTemplate: o.urlTemplate,
            ...(o.policy ? { policy: o.policy } : {}),
          })),
          ...(a.policy ? { policy: a.policy } : {}),
        }),
      )
      .sort(byName),
    products: input.products
      .map(
        (p): ProductDefinition => ({
          name: p.name,
          displayName: p.displayName ?? p.name,
          subscriptionRequired: p.subscriptionRequired,
          published: p.published,
          apis: p.apis,
          ...(p.policy ? { policy: p.policy } : {}),
        }),
      )
      .sort(byName),
    subscriptions: input.subscriptions
      .map((s): SubscriptionDefinition => {
        const m = material.get(s.name)!;
        return {
          name: s.name,
          displayName: s.displayName ?? s.name,
          scope: s.scope,
          state: s.state,
          primaryKeyHash: m.primary.hash,
          secondaryKeyHash: m.secondary.hash,
          allowTracing: s.allowTracing,
        };
      })
      .sort(byName),
    namedValues: input.namedValues.map((v) => ({ ...v })).sort(byName),
    backends: input.backends
      .map((b) => ({ name: b.name, url: b.url, ...(b.description ? { description: b.description } : {}) }))
      .sort(byName),
  };
}

/** Sets (or, with undefined, resets to APIM's default) the global policy; refused when it does not compile. */
export async function setGatewayPolicy(
  directory: Directory,
  tenant: string,
  resourceRef: string,
  policy: PolicySource | undefined,
): Promise<StoredGateway> {
  const stored = await showGateway(directory, tenant, resourceRef);
  const { policy: _old, ...rest } = inputOf(stored);
  return (await putGateway(directory, tenant, resourceRef, policy ? { ...rest, policy } : rest)).stored;
}

/** Adds a subscription with two generated keys (unless given); returns the keys. */
export async function createSubscription(
  directory: Directory,
  tenant: string,
  resourceRef: string,
  subscription: z.input<typeof subscriptionInput>,
): Promise<SubscriptionKeys> {
  const stored = await showGateway(directory, tenant, resourceRef);
  const input = inputOf(stored);
  if (input.subscriptions.some((s) => s.name.toLowerCase() === subscription.name.toLowerCase())) {
    throw new LanyardError(
      'ERR_CONFLICT',
      `Gateway ${stored.name} already has subscription ${subscription.name}.`,
    );
  }
  const result = await putGateway(directory, tenant, resourceRef, {
    ...input,
    subscriptions: [...input.subscriptions, subscription],
  });
  return (
    result.generatedKeys[subscription.name] ??
    (await showSubscriptionKeys(directory, tenant, resourceRef, subscription.name))
  );
}

/** Replaces a subscription's primary or secondary key with a new random one; returns it. */
export async function regenerateSubscriptionKey(
  directory: Directory,
  tenant: string,
  resourceRef: string,
  name: string,
  which: 'primary' | 'secondary',
): Promise<string> {
  const stored = await showGateway(directory, tenant, resourceRef);
  const input = inputOf(stored);
  const s = input.subscriptions.find((x) => x.name === name);
  if (!s) throw new LanyardError('ERR_NOT_FOUND', `Gateway ${stored.name} has no subscription ${name}.`);
  const key = generateSubscriptionKey();
  if (which === 'primary') s.primaryKey = key;
  else s.secondaryKey = key;
  await putGateway(directory, tenant, resourceRef, input);
  return key;
}

/** A subscription's keys, opened (the caller decides who may see them). */
export async function showSubscriptionKeys(
  directory: Directory,
  tenant: string,
  resourceRef: string,
  name: string,
): Promise<SubscriptionKeys> {
  const resource = await directory.getResource(tenant, resourceRef);
  const row = await tables(directory.db)
    .selectFrom('gateway_subscriptions')
    .selectAll()
    .where('resource_id', '=', resource.id)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new LanyardError('ERR_NOT_FOUND', `Gateway ${resource.name} has no subscription ${name}.`);
  const sealer = sealerOf(directory);
  return {
    primaryKey: sealer.open(row.primary_key_sealed, aad.key(resource.id, name, 'primary')).toString('utf8'),
    secondaryKey: sealer
      .open(row.secondary_key_sealed, aad.key(resource.id, name, 'secondary'))
      .toString('utf8'),
  };
}

/** Deletes a resource's gateway (the manifest's prune); false when it had none. */
export async function deleteGateway(db: Db, resourceId: string): Promise<boolean> {
  const t = tables(db);
  // Children first: SQLite enforces the cascade only with foreign keys on, which Lanyard turns on, but the
  // explicit deletes keep the write independent of it.
  await t.deleteFrom('gateway_subscriptions').where('resource_id', '=', resourceId).execute();
  for (const table of [
    'gateway_apis',
    'gateway_products',
    'gateway_named_values',
    'gateway_backends',
  ] as const) {
    await t.deleteFrom(table).where('resource_id', '=', resourceId).execute();
  }
  const result = await t.deleteFrom('gateways').where('resource_id', '=', resourceId).executeTakeFirst();
  const deleted = Number(result.numDeletedRows) > 0;
  if (deleted) await markChanged(db, 'gateway');
  return deleted;
}

export async function removeGateway(
  directory: Directory,
  tenant: string,
  resourceRef: string,
): Promise<StoredGateway> {
  const stored = await showGateway(directory, tenant, resourceRef);
  await directory.transaction((d) => deleteGateway(d.db, stored.resourceId));
  return stored;
}
