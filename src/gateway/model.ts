/**
 * @module gateway/model
 * A gateway as plain data: what the store reads, the manifest declares, the CLI and admin API edit, and the
 * front compiles. Shaped like API Management's resources: APIs with operations, products grouping APIs,
 * subscriptions scoped to all APIs, a product or an API, named values, backends, and a policy document at the
 * global, product, API and operation scopes.
 */

/** A policy document as written, and where it came from (shown in load errors). */
export interface PolicySource {
  readonly xml: string;
  /** The file it was read from (manifest-relative), or a label such as `api orders`. */
  readonly file?: string | undefined;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'] as const;

export interface OperationDefinition {
  /** The operation's name (APIM's operation id), unique in its API. */
  readonly name: string;
  readonly displayName: string;
  /** An HTTP method, or `*` for any. */
  readonly method: string;
  /** `/orders/{id}`: literal segments and `{param}`s; a query part (`?x={x}`) is not matched on. */
  readonly urlTemplate: string;
  readonly policy?: PolicySource | undefined;
}

export interface ApiDefinition {
  /** The API's name (APIM's API id), unique in its gateway. */
  readonly name: string;
  readonly displayName: string;
  /** The path suffix on the gateway: `orders` serves `/orders/…`; '' serves the root. */
  readonly path: string;
  /** The backend base URL requests go to (the API's "web service URL"). */
  readonly serviceUrl: string;
  readonly protocols: readonly ('http' | 'https')[];
  readonly subscriptionRequired: boolean;
  /** Header and query parameter that carry the subscription key. */
  readonly subscriptionKeyHeader: string;
  readonly subscriptionKeyQuery: string;
  readonly operations: readonly OperationDefinition[];
  readonly policy?: PolicySource | undefined;
}

export interface ProductDefinition {
  readonly name: string;
  readonly displayName: string;
  /** Whether a caller needs a subscription key (an "open" product needs none). */
  readonly subscriptionRequired: boolean;
  /** An unpublished product gives no access. */
  readonly published: boolean;
  /** Names of its APIs. */
  readonly apis: readonly string[];
  readonly policy?: PolicySource | undefined;
}

export type SubscriptionScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'product'; readonly name: string }
  | { readonly kind: 'api'; readonly name: string };

export interface SubscriptionDefinition {
  readonly name: string;
  readonly displayName: string;
  readonly scope: SubscriptionScope;
  readonly state: 'active' | 'suspended';
  /** Keyed hashes of the primary and secondary keys, for lookup; the keys themselves are kept sealed. */
  readonly primaryKeyHash: string;
  readonly secondaryKeyHash: string;
  /** Whether requests with this key may ask for a trace (`Ocp-Apim-Trace: true`). */
  readonly allowTracing: boolean;
}

export interface NamedValueDefinition {
  readonly name: string;
  /** The value in the clear, in memory only; secret ones are sealed at rest. */
  readonly value: string;
  readonly secret: boolean;
}

export interface BackendDefinition {
  readonly name: string;
  readonly url: string;
  readonly description?: string | undefined;
}

export interface GatewayDefinition {
  /** The directory resource (kind `gateway`) this is. */
  readonly resourceId: string;
  readonly tenantId: string;
  /** The resource's name: the gateway answers as `<name>.localhost` and `<name>.azure-api.net`. */
  readonly name: string;
  readonly policy?: PolicySource | undefined;
  readonly apis: readonly ApiDefinition[];
  readonly products: readonly ProductDefinition[];
  readonly subscriptions: readonly SubscriptionDefinition[];
  readonly namedValues: readonly NamedValueDefinition[];
  readonly backends: readonly BackendDefinition[];
}

/** APIM's default subscription-key names. */
export const DEFAULT_KEY_HEADER = 'Ocp-Apim-Subscription-Key';
export const DEFAULT_KEY_QUERY = 'subscription-key';

/** The global policy a new gateway has: APIM's, which forwards every request to the backend. */
export const DEFAULT_GLOBAL_POLICY = `<policies>
  <inbound />
  <backend>
    <forward-request />
  </backend>
  <outbound />
  <on-error />
</policies>`;
