/**
 * @module gateway/tables
 * The gateway plane's tables, as Kysely sees them (migration `0007-gateway`). Only `store.ts` reads and writes
 * them; resource names come from the directory.
 */
import type { Selectable } from 'kysely';

export interface GatewaysTable {
  /** A directory resource of kind gateway (the gateway is deleted with it). */
  resource_id: string;
  tenant_id: string;
  /** The front's port; 0 picks a free one at each start. */
  port: number;
  /** The global policy as JSON (`{ xml, file }`); null: APIM's default. */
  policy: string | null;
  created_at: string;
  updated_at: string;
}

/** APIs (operations inside), products, named values and backends: the definition as JSON. */
export interface GatewayChildTable {
  resource_id: string;
  name: string;
  body: string;
}

export interface GatewayNamedValuesTable extends GatewayChildTable {
  /** A secret value, sealed (`envelope`); null for a plain one, whose value is in `body`. */
  value_sealed: string | null;
}

export interface GatewaySubscriptionsTable {
  resource_id: string;
  name: string;
  display_name: string;
  /** `all`, `product:<name>` or `api:<name>`. */
  scope: string;
  state: string;
  allow_tracing: number;
  /** Keyed hashes (crypto/secret-hash), what requests are matched on. */
  primary_key_hash: string;
  secondary_key_hash: string;
  /** The keys sealed (crypto/envelope), for showing them on demand. */
  primary_key_sealed: string;
  secondary_key_sealed: string;
  created_at: string;
  updated_at: string;
}

export interface GatewayTables {
  gateways: GatewaysTable;
  gateway_apis: GatewayChildTable;
  gateway_products: GatewayChildTable;
  gateway_named_values: GatewayNamedValuesTable;
  gateway_backends: GatewayChildTable;
  gateway_subscriptions: GatewaySubscriptionsTable;
}

export type GatewayRow = Selectable<GatewaysTable>;
export type GatewaySubscriptionRow = Selectable<GatewaySubscriptionsTable>;
