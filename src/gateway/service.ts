/**
 * @module gateway/service
 * The gateway's objects one at a time, for the CLI (`lanyard gateway …`) and the admin API
 * (`/admin/tenants/:tenant/gateways/…`): list, show, create, update and delete an API, operation, product,
 * subscription, named value or backend, and set the policy at a scope. Every write reads the stored gateway as
 * its input (`inputOf`), changes the one object and writes the whole back through `putGateway`, so the same
 * checks as the manifest's apply hold (names, references, templates) and a policy that does not load is refused
 * with its `file:line:column`, nothing stored.
 *
 * What reads return is what may be shown: subscriptions without their key hashes (`keys` shows the keys, on
 * demand), secret named values without their value. Keys come back in plaintext only from `createSubscription`,
 * `subscriptionKeys` and `regenerateKey`.
 */
import type { Directory } from '../directory/directory.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { PolicySource, SubscriptionDefinition, SubscriptionScope } from './model.ts';
import { importOpenApi } from './openapi-import.ts';
import {
  getGateway,
  inputOf,
  listGateways,
  type ParsedGatewayInput,
  putGateway,
  regenerateSubscriptionKey,
  removeGateway,
  type StoredGateway,
  type SubscriptionKeys,
  showGateway,
  showSubscriptionKeys,
  createSubscription as storeCreateSubscription,
} from './store.ts';

type Input = ParsedGatewayInput;
// biome-ignore lint/suspicious/noExplicitAny: inputs are checked by putGateway's schema
type Fields = Record<string, any>;

// ---- what is shown ----

export interface GatewaySummary {
  readonly name: string;
  readonly resourceId: string;
  readonly port: number;
  readonly apis: number;
  readonly products: number;
  readonly subscriptions: number;
  readonly updatedAt: string;
}

export interface SubscriptionView {
  readonly name: string;
  readonly displayName: string;
  /** `all`, `product:<name>` or `api:<name>`. */
  readonly scope: string;
  readonly state: 'active' | 'suspended';
  readonly allowTracing: boolean;
}

export interface NamedValueView {
  readonly name: string;
  readonly secret: boolean;
  /** Left out for a secret one. */
  readonly value?: string;
}

const scopeText = (s: SubscriptionScope) => (s.kind === 'all' ? 'all' : `${s.kind}:${s.name}`);

/** `all`, `product:<name>` or `api:<name>` as a scope; anything else is refused. */
export function parseScope(text: string): SubscriptionScope {
  if (text === 'all') return { kind: 'all' };
  const m = /^(product|api):(.+)$/.exec(text);
  if (!m) {
    throw new LanyardError(
      'ERR_VALIDATION',
      `Subscription scope "${text}" is not all, product:<name> or api:<name>.`,
    );
  }
  return { kind: m[1] as 'product' | 'api', name: m[2]! };
}

export const subscriptionView = (s: SubscriptionDefinition): SubscriptionView => ({
  name: s.name,
  displayName: s.displayName,
  scope: scopeText(s.scope),
  state: s.state,
  allowTracing: s.allowTracing,
});

const namedValueView = (v: { name: string; value: string; secret: boolean }): NamedValueView =>
  v.secret ? { name: v.name, secret: true } : { name: v.name, secret: false, value: v.value };

const summaryOf = (g: StoredGateway): GatewaySummary => ({
  name: g.name,
  resourceId: g.resourceId,
  port: g.port,
  apis: g.definition.apis.length,
  products: g.definition.products.length,
  subscriptions: g.definition.subscriptions.length,
  updatedAt: g.updatedAt,
});

// ---- helpers ----

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function notFound(gateway: string, what: string, name: string): LanyardError {
  return new LanyardError('ERR_NOT_FOUND', `Gateway ${gateway} has no ${what} ${name}.`, {
    details: { kind: what, ref: name },
  });
}

function find<T extends { name: string }>(
  items: readonly T[],
  gateway: string,
  what: string,
  name: string,
): T {
  const found = items.find((i) => same(i.name, name));
  if (!found) throw notFound(gateway, what, name);
  return found;
}

function noClash(items: readonly { name: string }[], gateway: string, what: string, name: unknown): void {
  if (typeof name === 'string' && items.some((i) => same(i.name, name)))
    throw new LanyardError('ERR_CONFLICT', `Gateway ${gateway} already has ${what} ${name}.`);
}

/** Drops `undefined` fields, so a patch leaves what it does not name as it was. */
function defined(patch: Fields): Fields {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}

function noRename(patch: Fields, what: string): void {
  if (patch.name !== undefined)
    throw new LanyardError(
      'ERR_VALIDATION',
      `A ${what}'s name cannot be changed; delete it and create another.`,
    );
}

/** Reads the gateway as its input, lets `change` edit it, writes it back; returns the stored gateway. */
async function edit(
  directory: Directory,
  tenant: string,
  gateway: string,
  change: (input: Input, name: string) => void,
): Promise<StoredGateway> {
  const stored = await showGateway(directory, tenant, gateway);
  const input = inputOf(stored);
  change(input, stored.name);
  return (await putGateway(directory, tenant, gateway, input)).stored;
}

const get = async (directory: Directory, tenant: string, gateway: string) =>
  (await showGateway(directory, tenant, gateway)).definition;

// ---- gateways ----

export async function listGatewaySummaries(directory: Directory, tenant: string): Promise<GatewaySummary[]> {
  const t = await directory.getTenant(tenant);
  return (await listGateways(directory.db, directory.deps.envelope, { tenantId: t.id })).map(summaryOf);
}

export async function showGatewaySummary(
  directory: Directory,
  tenant: string,
  gateway: string,
): Promise<GatewaySummary> {
  return summaryOf(await showGateway(directory, tenant, gateway));
}

/** A gateway on a resource of kind gateway that has none yet: APIM's default global policy, no APIs. */
export async function createGateway(
  directory: Directory,
  tenant: string,
  gateway: string,
  options: { port?: number | undefined } = {},
): Promise<GatewaySummary> {
  const resource = await directory.getResource(tenant, gateway);
  const existing = (await getGateway(directory.db, directory.deps.envelope, resource.id)) !== undefined;
  if (existing) throw new LanyardError('ERR_CONFLICT', `Resource "${resource.name}" already has a gateway.`);
  const result = await putGateway(
    directory,
    tenant,
    gateway,
    options.port === undefined ? {} : { port: options.port },
  );
  return summaryOf(result.stored);
}

export async function deleteGateway(
  directory: Directory,
  tenant: string,
  gateway: string,
): Promise<GatewaySummary> {
  return summaryOf(await removeGateway(directory, tenant, gateway));
}

// ---- APIs ----

export async function listApis(directory: Directory, tenant: string, gateway: string) {
  return (await get(directory, tenant, gateway)).apis;
}

export async function showApi(directory: Directory, tenant: string, gateway: string, api: string) {
  const d = await get(directory, tenant, gateway);
  return find(d.apis, d.name, 'API', api);
}

export async function createApi(directory: Directory, tenant: string, gateway: string, fields: Fields) {
  const stored = await edit(directory, tenant, gateway, (input, name) => {
    noClash(input.apis, name, 'API', fields.name);
    input.apis.push(fields as Input['apis'][number]);
  });
  return find(stored.definition.apis, stored.name, 'API', String(fields.name));
}

export async function updateApi(
  directory: Directory,
  tenant: string,
  gateway: string,
  api: string,
  patch: Fields,
) {
  noRename(patch, 'API');
  const stored = await edit(directory, tenant, gateway, (input, name) => {
    const i = input.apis.indexOf(find(input.apis, name, 'API', api));
    input.apis[i] = { ...input.apis[i]!, ...defined(patch) };
  });
  return find(stored.definition.apis, stored.name, 'API', api);
}

/** Deletes an API; refused while a product or subscription names it. */
export async function deleteApi(directory: Directory, tenant: string, gateway: string, api: string) {
  let removed: Input['apis'][number] | undefined;
  await edit(directory, tenant, gateway, (input, name) => {
    removed = find(input.apis, name, 'API', api);
    const users = [
      ...input.products.filter((p) => p.apis.some((a) => same(a, api))).map((p) => `product ${p.name}`),
      ...input.subscriptions
        .filter((s) => s.scope.kind === 'api' && same(s.scope.name, api))
        .map((s) => `subscription ${s.name}`),
    ];
    if (users.length > 0)
      throw new LanyardError(
        'ERR_IN_USE',
        `API ${removed.name} of gateway ${name} is used by ${users.join(', ')}.`,
        {
          hint: 'Remove it from those products and delete those subscriptions first.',
        },
      );
    input.apis = input.apis.filter((a) => a !== removed);
  });
  return removed!;
}

/**
 * An OpenAPI or Swagger document as an API (`importOpenApi`): a new one, or the named one's operations and
 * settings replaced (its policy kept, as `az apim api import` over an existing API). Returns the warnings.
 */
export async function importApi(
  directory: Directory,
  tenant: string,
  gateway: string,
  text: string,
  options: { name: string; path: string; serviceUrl?: string | undefined; displayName?: string | undefined },
) {
  const imported = importOpenApi(text, options);
  let replaced = false;
  const stored = await edit(directory, tenant, gateway, (input) => {
    const existing = input.apis.find((a) => same(a.name, imported.api.name));
    const api = {
      ...imported.api,
      protocols: [...imported.api.protocols],
      operations: imported.api.operations.map((o) => ({ ...o, method: o.method as 'GET' })),
      ...(existing?.policy ? { policy: existing.policy } : {}),
    };
    if (existing) {
      replaced = true;
      input.apis[input.apis.indexOf(existing)] = api;
    } else input.apis.push(api);
  });
  return {
    api: find(stored.definition.apis, stored.name, 'API', imported.api.name),
    replaced,
    warnings: imported.warnings,
  };
}

// ---- operations ----

export async function listOperations(directory: Directory, tenant: string, gateway: string, api: string) {
  return (await showApi(directory, tenant, gateway, api)).operations;
}

export async function showOperation(
  directory: Directory,
  tenant: string,
  gateway: string,
  api: string,
  op: string,
) {
  const d = await get(directory, tenant, gateway);
  return find(find(d.apis, d.name, 'API', api).operations, d.name, `operation of API ${api}:`, op);
}

export async function createOperation(
  directory: Directory,
  tenant: string,
  gateway: string,
  api: string,
  fields: Fields,
) {
  await edit(directory, tenant, gateway, (input, name) => {
    const a = find(input.apis, name, 'API', api);
    noClash(a.operations, name, `API ${a.name}: operation`, fields.name);
    a.operations.push(fields as Input['apis'][number]['operations'][number]);
  });
  return showOperation(directory, tenant, gateway, api, String(fields.name));
}

export async function updateOperation(
  directory: Directory,
  tenant: string,
  gateway: string,
  api: string,
  op: string,
  patch: Fields,
) {
  noRename(patch, 'operation');
  await edit(directory, tenant, gateway, (input, name) => {
    const a = find(input.apis, name, 'API', api);
    const o = find(a.operations, name, `operation of API ${api}:`, op);
    a.operations[a.operations.indexOf(o)] = { ...o, ...defined(patch) };
  });
  return showOperation(directory, tenant, gateway, api, op);
}

export async function deleteOperation(
  directory: Directory,
  tenant: string,
  gateway: string,
  api: string,
  op: string,
) {
  let removed: unknown;
  await edit(directory, tenant, gateway, (input, name) => {
    const a = find(input.apis, name, 'API', api);
    const o = find(a.operations, name, `operation of API ${api}:`, op);
    removed = o;
    a.operations = a.operations.filter((x) => x !== o);
  });
  return removed as Input['apis'][number]['operations'][number];
}

// ---- products ----

export async function listProducts(directory: Directory, tenant: string, gateway: string) {
  return (await get(directory, tenant, gateway)).products;
}

export async function showProduct(directory: Directory, tenant: string, gateway: string, product: string) {
  const d = await get(directory, tenant, gateway);
  return find(d.products, d.name, 'product', product);
}

export async function createProduct(directory: Directory, tenant: string, gateway: string, fields: Fields) {
  await edit(directory, tenant, gateway, (input, name) => {
    noClash(input.products, name, 'product', fields.name);
    input.products.push(fields as Input['products'][number]);
  });
  return showProduct(directory, tenant, gateway, String(fields.name));
}

export async function updateProduct(
  directory: Directory,
  tenant: string,
  gateway: string,
  product: string,
  patch: Fields,
) {
  noRename(patch, 'product');
  await edit(directory, tenant, gateway, (input, name) => {
    const p = find(input.products, name, 'product', product);
    input.products[input.products.indexOf(p)] = { ...p, ...defined(patch) };
  });
  return showProduct(directory, tenant, gateway, product);
}

export async function deleteProduct(directory: Directory, tenant: string, gateway: string, product: string) {
  let removed: Input['products'][number] | undefined;
  await edit(directory, tenant, gateway, (input, name) => {
    removed = find(input.products, name, 'product', product);
    const users = input.subscriptions.filter(
      (s) => s.scope.kind === 'product' && same(s.scope.name, product),
    );
    if (users.length > 0)
      throw new LanyardError(
        'ERR_IN_USE',
        `Product ${removed.name} of gateway ${name} is the scope of subscription ${users.map((s) => s.name).join(', ')}.`,
        { hint: 'Delete those subscriptions first.' },
      );
    input.products = input.products.filter((p) => p !== removed);
  });
  return removed!;
}

/** Adds an API to a product (nothing changes when it is there already) or removes it. */
export async function productApi(
  directory: Directory,
  tenant: string,
  gateway: string,
  product: string,
  api: string,
  action: 'add' | 'remove',
) {
  await edit(directory, tenant, gateway, (input, name) => {
    const p = find(input.products, name, 'product', product);
    const a = find(input.apis, name, 'API', api);
    const has = p.apis.some((x) => same(x, a.name));
    if (action === 'add' && !has) p.apis = [...p.apis, a.name];
    if (action === 'remove') {
      if (!has)
        throw new LanyardError('ERR_NOT_FOUND', `Product ${p.name} of gateway ${name} has no API ${a.name}.`);
      p.apis = p.apis.filter((x) => !same(x, a.name));
    }
  });
  return showProduct(directory, tenant, gateway, product);
}

// ---- subscriptions ----

export async function listSubscriptions(directory: Directory, tenant: string, gateway: string) {
  return (await get(directory, tenant, gateway)).subscriptions.map(subscriptionView);
}

export async function showSubscription(directory: Directory, tenant: string, gateway: string, sub: string) {
  const d = await get(directory, tenant, gateway);
  return subscriptionView(find(d.subscriptions, d.name, 'subscription', sub));
}

/** Fields of a subscription as the CLI and admin API take them: `scope` as text or as the model's object. */
function subscriptionFields(fields: Fields): Fields {
  return typeof fields.scope === 'string' ? { ...fields, scope: parseScope(fields.scope) } : fields;
}

/** Creates a subscription; its keys (generated unless given) are in the result, the only time unasked. */
export async function createSubscription(
  directory: Directory,
  tenant: string,
  gateway: string,
  fields: Fields,
): Promise<SubscriptionView & SubscriptionKeys> {
  const keys = await storeCreateSubscription(
    directory,
    tenant,
    gateway,
    subscriptionFields(fields) as Parameters<typeof storeCreateSubscription>[3],
  );
  return { ...(await showSubscription(directory, tenant, gateway, String(fields.name))), ...keys };
}

export async function updateSubscription(
  directory: Directory,
  tenant: string,
  gateway: string,
  sub: string,
  patch: Fields,
) {
  noRename(patch, 'subscription');
  for (const k of ['primaryKey', 'secondaryKey'])
    if (patch[k] !== undefined)
      throw new LanyardError('ERR_VALIDATION', `${k} is not changed by an update.`, {
        hint: 'Regenerate the key instead.',
      });
  await edit(directory, tenant, gateway, (input, name) => {
    const s = find(input.subscriptions, name, 'subscription', sub);
    input.subscriptions[input.subscriptions.indexOf(s)] = { ...s, ...defined(subscriptionFields(patch)) };
  });
  return showSubscription(directory, tenant, gateway, sub);
}

export async function deleteSubscription(directory: Directory, tenant: string, gateway: string, sub: string) {
  let removed: SubscriptionView | undefined;
  await edit(directory, tenant, gateway, (input, name) => {
    const s = find(input.subscriptions, name, 'subscription', sub);
    removed = {
      name: s.name,
      displayName: s.displayName ?? s.name,
      scope: scopeText(s.scope),
      state: s.state,
      allowTracing: s.allowTracing,
    };
    input.subscriptions = input.subscriptions.filter((x) => x !== s);
  });
  return removed!;
}

export async function subscriptionKeys(directory: Directory, tenant: string, gateway: string, sub: string) {
  const d = await get(directory, tenant, gateway);
  const s = find(d.subscriptions, d.name, 'subscription', sub);
  return { name: s.name, ...(await showSubscriptionKeys(directory, tenant, gateway, s.name)) };
}

export async function regenerateKey(
  directory: Directory,
  tenant: string,
  gateway: string,
  sub: string,
  which: string,
): Promise<{ name: string; key: 'primary' | 'secondary'; value: string }> {
  if (which !== 'primary' && which !== 'secondary')
    throw new LanyardError(
      'ERR_VALIDATION',
      `The key to regenerate is primary or secondary, not "${which}".`,
    );
  const d = await get(directory, tenant, gateway);
  const s = find(d.subscriptions, d.name, 'subscription', sub);
  const value = await regenerateSubscriptionKey(directory, tenant, gateway, s.name, which);
  return { name: s.name, key: which, value };
}

// ---- named values ----

export async function listNamedValues(directory: Directory, tenant: string, gateway: string) {
  return (await get(directory, tenant, gateway)).namedValues.map(namedValueView);
}

export async function showNamedValue(directory: Directory, tenant: string, gateway: string, value: string) {
  const d = await get(directory, tenant, gateway);
  return namedValueView(find(d.namedValues, d.name, 'named value', value));
}

/** Creates or replaces a named value; the result never carries a secret one's value. */
export async function setNamedValue(
  directory: Directory,
  tenant: string,
  gateway: string,
  name: string,
  fields: { value?: unknown; secret?: unknown },
): Promise<NamedValueView & { created: boolean }> {
  let created = false;
  await edit(directory, tenant, gateway, (input) => {
    const next = { name, value: fields.value as string, secret: (fields.secret ?? false) as boolean };
    const existing = input.namedValues.find((v) => same(v.name, name));
    if (existing) input.namedValues[input.namedValues.indexOf(existing)] = { ...next, name: existing.name };
    else {
      created = true;
      input.namedValues.push(next);
    }
  });
  return { ...(await showNamedValue(directory, tenant, gateway, name)), created };
}

export async function deleteNamedValue(directory: Directory, tenant: string, gateway: string, value: string) {
  let removed: NamedValueView | undefined;
  await edit(directory, tenant, gateway, (input, name) => {
    const v = find(input.namedValues, name, 'named value', value);
    removed = namedValueView(v);
    input.namedValues = input.namedValues.filter((x) => x !== v);
  });
  return removed!;
}

// ---- backends ----

export async function listBackends(directory: Directory, tenant: string, gateway: string) {
  return (await get(directory, tenant, gateway)).backends;
}

export async function showBackend(directory: Directory, tenant: string, gateway: string, backend: string) {
  const d = await get(directory, tenant, gateway);
  return find(d.backends, d.name, 'backend', backend);
}

export async function createBackend(directory: Directory, tenant: string, gateway: string, fields: Fields) {
  await edit(directory, tenant, gateway, (input, name) => {
    noClash(input.backends, name, 'backend', fields.name);
    input.backends.push(fields as Input['backends'][number]);
  });
  return showBackend(directory, tenant, gateway, String(fields.name));
}

export async function updateBackend(
  directory: Directory,
  tenant: string,
  gateway: string,
  backend: string,
  patch: Fields,
) {
  noRename(patch, 'backend');
  await edit(directory, tenant, gateway, (input, name) => {
    const b = find(input.backends, name, 'backend', backend);
    input.backends[input.backends.indexOf(b)] = { ...b, ...defined(patch) };
  });
  return showBackend(directory, tenant, gateway, backend);
}

export async function deleteBackend(directory: Directory, tenant: string, gateway: string, backend: string) {
  let removed: Input['backends'][number] | undefined;
  await edit(directory, tenant, gateway, (input, name) => {
    removed = find(input.backends, name, 'backend', backend);
    input.backends = input.backends.filter((b) => b !== removed);
  });
  return removed!;
}

// ---- policies ----

export type PolicyScope =
  | { readonly kind: 'global' }
  | { readonly kind: 'product'; readonly product: string }
  | { readonly kind: 'api'; readonly api: string }
  | { readonly kind: 'operation'; readonly api: string; readonly operation: string };

export interface PolicyView {
  readonly scope: string;
  /** The document as stored, or undefined when the scope has none (the global scope then runs APIM's default). */
  readonly xml: string | undefined;
  readonly file: string | undefined;
}

const scopeLabel = (s: PolicyScope) =>
  s.kind === 'global'
    ? 'global'
    : s.kind === 'product'
      ? `product ${s.product}`
      : s.kind === 'api'
        ? `api ${s.api}`
        : `api ${s.api} operation ${s.operation}`;

/** The object of `input` (or of a definition) that holds the scope's policy. */
function holder(input: Input, gateway: string, scope: PolicyScope): { policy?: PolicySource | undefined } {
  switch (scope.kind) {
    case 'global':
      return input;
    case 'product':
      return find(input.products, gateway, 'product', scope.product);
    case 'api':
      return find(input.apis, gateway, 'API', scope.api);
    case 'operation':
      return find(
        find(input.apis, gateway, 'API', scope.api).operations,
        gateway,
        `operation of API ${scope.api}:`,
        scope.operation,
      );
  }
}

export async function showPolicy(
  directory: Directory,
  tenant: string,
  gateway: string,
  scope: PolicyScope,
): Promise<PolicyView> {
  const stored = await showGateway(directory, tenant, gateway);
  const h = holder(inputOf(stored), stored.name, scope);
  return { scope: scopeLabel(scope), xml: h.policy?.xml, file: h.policy?.file };
}

/**
 * Sets (or, with undefined, removes) the policy at a scope. A document that does not load is refused with its
 * PolicyLoadError (`file:line:column`, the file being `source.file`, else the scope's label); nothing is stored.
 */
export async function setPolicy(
  directory: Directory,
  tenant: string,
  gateway: string,
  scope: PolicyScope,
  source: PolicySource | undefined,
): Promise<PolicyView> {
  const label = scopeLabel(scope);
  await edit(directory, tenant, gateway, (input, name) => {
    const h = holder(input, name, scope);
    if (source) h.policy = { xml: source.xml, file: source.file ?? label };
    else delete h.policy;
  });
  return showPolicy(directory, tenant, gateway, scope);
}
