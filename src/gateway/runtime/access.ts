/**
 * @module gateway/runtime/access
 * Subscription keys, as API Management checks them before any policy runs. The key is read from the API's
 * header (default `Ocp-Apim-Subscription-Key`), else its query parameter (`subscription-key`). A key must belong
 * to an active subscription whose scope covers the API: all APIs, the API itself, or a published product that
 * holds it (which then gives the request its product context). With no key, an open product holding the API gives
 * a product context, else an API that needs no subscription is served without one; otherwise the answer is
 * APIM's 401. A key that is sent is always checked, even where none is needed: a wrong key is a mistake to show.
 *
 * Keys are compared by keyed hash (`crypto/secret-hash.ts`): the lookup never touches a stored key.
 */
import type { CompiledApi, CompiledGateway } from '../compile-gateway.ts';
import type { ProductDefinition, SubscriptionDefinition } from '../model.ts';
import { GatewayRefusal } from './refusal.ts';

export const MISSING_KEY_MESSAGE =
  'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
export const INVALID_KEY_MESSAGE =
  'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';

export interface Access {
  readonly subscription: SubscriptionDefinition | undefined;
  /** The key as sent (for `context.Subscription.Key`), when there was one. */
  readonly key: string | undefined;
  readonly product: ProductDefinition | undefined;
}

/** The key a request carries for this API: its header first, then its query parameter. */
export function subscriptionKeyOf(
  api: CompiledApi,
  header: (name: string) => string | undefined,
  url: URL,
): string | undefined {
  const fromHeader = header(api.definition.subscriptionKeyHeader);
  if (fromHeader !== undefined) return fromHeader;
  return url.searchParams.get(api.definition.subscriptionKeyQuery) ?? undefined;
}

function invalid(hint: string): GatewayRefusal {
  return new GatewayRefusal({
    status: 401,
    source: 'authorization',
    reason: 'SubscriptionKeyInvalid',
    message: INVALID_KEY_MESSAGE,
    hint,
  });
}

export function checkAccess(
  gateway: CompiledGateway,
  api: CompiledApi,
  key: string | undefined,
  hash: (key: string) => string,
): Access {
  const def = api.definition;
  if (key !== undefined) {
    const s = key.length > 0 && key.length <= 256 ? gateway.subscriptionsByKeyHash.get(hash(key)) : undefined;
    if (!s) {
      throw invalid(`No subscription of gateway ${gateway.definition.name} has this key.`);
    }
    if (s.state !== 'active') throw invalid(`The subscription ${s.name} is ${s.state}.`);
    switch (s.scope.kind) {
      case 'all':
        return { subscription: s, key, product: undefined };
      case 'api':
        if (s.scope.name === def.name) return { subscription: s, key, product: undefined };
        throw invalid(`The subscription ${s.name} is for the API ${s.scope.name}, not ${def.name}.`);
      case 'product': {
        const name = s.scope.name;
        const product = api.products.find((p) => p.name === name);
        if (product) return { subscription: s, key, product };
        throw invalid(
          `The subscription ${s.name} is for the product ${name}, which does not hold the API ${def.name} (or is not published).`,
        );
      }
    }
  }
  const open = api.products.find((p) => !p.subscriptionRequired);
  if (open) return { subscription: undefined, key: undefined, product: open };
  if (!def.subscriptionRequired) return { subscription: undefined, key: undefined, product: undefined };
  throw new GatewayRefusal({
    status: 401,
    source: 'authorization',
    reason: 'SubscriptionKeyNotFound',
    message: MISSING_KEY_MESSAGE,
    hint: `Send the key in the ${def.subscriptionKeyHeader} header or the ${def.subscriptionKeyQuery} query parameter (lanyard gateway subscription keys --gateway ${gateway.definition.name} …).`,
  });
}
