/**
 * @module manifest/section
 * A plane's part of `lanyard.yaml`, declared in the plane's own folder (its `Plane.manifest`) and composed
 * with the others by the host (manifest/compose). A section says where its declarations sit, their schema,
 * the checks one object's schema cannot make, how to read what the store holds for a tenant, and how to plan
 * a tenant's changes. The framework knows no plane: it only walks the tenants and asks each section in turn.
 *
 * Three places:
 * - `base`: the one section that says what a tenant is (its own fields and lists, `name` first), what a
 *   resource is and which tenant key lists them, which tenants the store holds, and what becomes of a stored
 *   tenant the manifest does not name. The directory provides it (tenants, apps, identities, resources, role
 *   assignments).
 * - `tenant`: a key of each tenant, after the base's (a future `gateways:` with its APIs and products).
 * - `resource`: a key of each resource (`easyAuth:`), optionally allowed on some resources only.
 *
 * `T` is the handle a section reads and writes through: the host chooses it (its Directory, bound to apply's
 * transaction; a plane's steps use its `db` for the plane's own tables). `S` is what `read` returns for one
 * tenant and `plan` receives: the section's own business.
 */
import type { z } from 'zod';
import type { Planner } from './planner.ts';
import type { ManifestProblem } from './problems.ts';

/** A tenant the store holds: its id is what a plane's rows are keyed on; its name is the manifest's key. */
export interface StoredTenant {
  readonly id: string;
  readonly name: string;
}

/** A declared tenant as parsed: `name` and every section's key, each with its defaults filled in. */
export type DeclaredTenant = Readonly<Record<string, unknown>> & { readonly name: string };

/** A manifest as parsed by a composed schema. Each section reads its own keys (their type is its schema's). */
export interface DeclaredManifest {
  readonly apiVersion: string;
  readonly tenants: readonly DeclaredTenant[];
}

/** One declared tenant being planned. */
export interface TenantPlan<T> {
  readonly planner: Planner<T>;
  readonly declared: DeclaredTenant;
  /** Its index in `tenants`: key paths of its objects start `['tenants', index]`. */
  readonly index: number;
  /** The stored tenant of the same name (as the base's `tenants` listed it); undefined when apply will create it. */
  readonly stored: StoredTenant | undefined;
}

interface SectionParts<T, S> {
  /**
   * Problems of a schema-valid manifest that no single object's schema can see: names declared twice,
   * references to what the manifest does not declare. Pushed to `out` with their key paths.
   */
  check?(manifest: DeclaredManifest, out: ManifestProblem[]): void;
  /**
   * What the store holds of this section for one tenant (its empty state when the tenant is new). `tenant`
   * is the object the base's `tenants` listed.
   */
  read?(tx: T, tenant: StoredTenant | undefined): Promise<S>;
  /**
   * Adds the steps that bring this section of one declared tenant to the manifest: creates and updates of
   * what it declares, `planner.undeclared(…)` for what the store holds and it does not. Reads nothing: what
   * it compares with is `state`. May refuse (`planner.immutable`), or report what apply leaves to a person
   * (`planner.pending`: a secret no manifest holds), which fails nothing.
   */
  plan?(tenant: TenantPlan<T>, state: S): void;
}

/** The directory's: what a tenant and a resource are. Exactly one per composition, planned first. */
export interface BaseSection<T, S = unknown> extends SectionParts<T, S> {
  readonly place: 'base';
  /** The tenant schema (a strict object with `name`), given the resource schema with every section's key. */
  tenant(resource: z.ZodObject): z.ZodObject;
  /** One resource's schema (a strict object); resource sections add their keys after its fields. */
  readonly resource: z.ZodObject;
  /** The tenants the store holds. */
  tenants(tx: T): Promise<StoredTenant[]>;
  /** A stored tenant the manifest does not name: `planner.undeclared(…)` it (with everything in it). */
  undeclaredTenant(planner: Planner<T>, tenant: StoredTenant): void;
}

/** A key of each tenant, e.g. `gateways:`. */
export interface TenantSection<T, S = unknown> extends SectionParts<T, S> {
  readonly place: 'tenant';
  readonly key: string;
  /** The value under the key, with its default and `.describe()` (e.g. `z.array(api).default([])`). */
  readonly schema: z.ZodType;
}

/** A key of each resource, e.g. `easyAuth:`. */
export interface ResourceSection<T, S = unknown> extends SectionParts<T, S> {
  readonly place: 'resource';
  readonly key: string;
  /** The value under the key, optional, with its `.describe()`. */
  readonly schema: z.ZodType;
  /** Resources that may carry the key; any other that does is refused at the key with `message`. */
  readonly only?:
    | {
        readonly when: (resource: Readonly<Record<string, unknown>>) => boolean;
        readonly message: string;
      }
    | undefined;
}

export type ManifestSection<T, S = unknown> = BaseSection<T, S> | TenantSection<T, S> | ResourceSection<T, S>;
