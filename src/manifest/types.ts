/**
 * @module manifest/types
 * What a plan is: the changes apply makes (or made) to bring the store to the manifest, addressed by the
 * stable names the manifest uses, plus the objects the manifest does not declare. JSON-ready: `lanyard plan
 * -o json` prints it as is. The kinds are named by the sections that plan them (`tenant`, `app`, `easyAuth`…).
 */

export type PlanAction = 'create' | 'update' | 'delete';

/** The kind of object a change is about, as its section names it: `tenant`, `roleAssignment`, `easyAuth`… */
export type PlanKind = string;

export interface PlanObject {
  /** `tenant` is the tenant itself: it is printed by its name alone, any other object as `<tenant>/<name>`. */
  kind: PlanKind;
  /** The tenant's name (for a tenant, its own name). */
  tenant: string;
  /**
   * The object's name in its tenant, as its section spells it. Federated credentials:
   * `app:<app>/<name>` or `identity:<identity>/<name>`. Role assignments: `<principal> → <app>/<role>`
   * (`(default)` for the default role). Easy Auth configs: the resource's name.
   */
  name: string;
}

export interface PlanChange extends PlanObject {
  action: PlanAction;
  /** Field-level changes of an update, e.g. `identifierUris: [api://a] → [api://a, api://b]`. */
  changes?: string[];
}

/** What apply cannot do and a person must (a secret's value, which no manifest holds); never a failure. */
export interface PlanPending extends PlanObject {
  /** What is missing, in words. */
  note: string;
  /** The command that does it, as it can be typed. */
  command?: string | undefined;
}

export interface Plan {
  /** The changes, in the order apply performs them: deletions (dependents first), then creates and updates. */
  changes: PlanChange[];
  /**
   * Objects in the store, in tenants the manifest manages (or whole tenants it does not name), that the
   * manifest does not declare. Shown so drift is visible; deleted only with `prune` (then they are changes).
   * Microsoft's first-party apps are never listed.
   */
  notManaged: PlanObject[];
  /** Left to a person: reported by plan and apply alike, never carried out and never failing either. */
  pending: PlanPending[];
  prune: boolean;
  /** True when returned by applyManifest: the changes were made. */
  applied: boolean;
  summary: { create: number; update: number; delete: number };
}

export interface PlanOptions {
  /** Delete what the manifest does not declare (first-party apps excepted). Default: false. */
  prune?: boolean | undefined;
}
