/**
 * @module manifest/compose
 * One manifest from the planes' sections: the schema (the base's tenant with every tenant section's key after
 * its own, its resources with every resource section's key), the checks (the base's, then each section's),
 * the plan (tenant by tenant, each section reading what the store holds and adding its steps) and apply (the
 * plan computed and carried out on one transaction). The host composes the registry's sections with its own
 * handle `T`; nothing here names a plane.
 */
import { z } from 'zod';
import { applyPlan, type Transaction } from './apply.ts';
import { loadManifestWith, type ManifestRules, parseManifestWith } from './load.ts';
import { Planner, type PlanStep } from './planner.ts';
import type { ManifestProblem } from './problems.ts';
import type {
  BaseSection,
  DeclaredManifest,
  ManifestSection,
  ResourceSection,
  TenantSection,
} from './section.ts';
import type { Plan, PlanOptions } from './types.ts';

export const API_VERSION = 'lanyard/v1';

export interface ComposedManifest<T> extends ManifestRules {
  /** Parses manifest text; `fileName` is what errors name. */
  parse(text: string, fileName?: string): DeclaredManifest;
  /** Reads and parses a manifest file. */
  load(file: string): Promise<DeclaredManifest>;
  /** The plan and the steps that carry it out, in execution order; reads only. */
  plan(
    tx: T,
    manifest: DeclaredManifest,
    options?: PlanOptions,
  ): Promise<{ plan: Plan; steps: PlanStep<T>[] }>;
  /** Plans and applies on one transaction; returns the plan carried out (`applied: true`). */
  apply(transaction: Transaction<T>, manifest: DeclaredManifest, options?: PlanOptions): Promise<Plan>;
}

function withDescription<S extends z.ZodType>(schema: S, description: string | undefined): S {
  return description === undefined ? schema : schema.describe(description);
}

/** Refuses a key two sections claim, or one that is already a field of the object it extends. */
function claim(taken: Set<string>, key: string, where: string): void {
  if (taken.has(key)) throw new TypeError(`Manifest key ${key} of ${where} is declared twice.`);
  taken.add(key);
}

/** Composes sections in the given order (the host passes the registry's); exactly one must be the base. */
export function composeManifest<T>(sections: readonly ManifestSection<T>[]): ComposedManifest<T> {
  const bases = sections.filter((s): s is BaseSection<T> => s.place === 'base');
  if (bases.length !== 1) {
    throw new TypeError(`A manifest needs exactly one base section; ${bases.length} were given.`);
  }
  const base = bases[0]!;
  const tenantSections = sections.filter((s): s is TenantSection<T> => s.place === 'tenant');
  const resourceSections = sections.filter((s): s is ResourceSection<T> => s.place === 'resource');
  // The base is checked and planned first: the tenant itself before anything in it.
  const ordered: readonly ManifestSection<T>[] = [base, ...sections.filter((s) => s !== base)];

  const resourceKeys = new Set(Object.keys(base.resource.shape));
  const resourceShape: Record<string, z.ZodType> = { ...(base.resource.shape as Record<string, z.ZodType>) };
  for (const s of resourceSections) {
    claim(resourceKeys, s.key, 'a resource');
    resourceShape[s.key] = s.schema;
  }
  let resource = z.strictObject(resourceShape);
  for (const s of resourceSections) {
    const { key, only } = s;
    if (!only) continue;
    resource = resource.refine((r) => (r as Record<string, unknown>)[key] === undefined || only.when(r), {
      message: only.message,
      path: [key],
    });
  }
  resource = withDescription(resource, base.resource.description);

  const baseTenant = base.tenant(resource);
  const tenantKeys = new Set(Object.keys(baseTenant.shape));
  const tenantShape: Record<string, z.ZodType> = { ...(baseTenant.shape as Record<string, z.ZodType>) };
  for (const s of tenantSections) {
    claim(tenantKeys, s.key, 'a tenant');
    tenantShape[s.key] = s.schema;
  }
  const tenant = withDescription(z.strictObject(tenantShape), baseTenant.description);

  const schema = z
    .strictObject({
      apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }).describe('Required.'),
      tenants: z.array(tenant).describe('The tenants this manifest manages (required; may be empty).'),
    })
    .describe('lanyard.yaml: the directory as code.') as unknown as z.ZodType<DeclaredManifest>;

  const check = (manifest: DeclaredManifest): ManifestProblem[] => {
    const out: ManifestProblem[] = [];
    for (const s of ordered) s.check?.(manifest, out);
    return out;
  };
  const rules: ManifestRules = { schema, check };

  const plan = async (tx: T, manifest: DeclaredManifest, options: PlanOptions = {}) => {
    const planner = new Planner<T>(manifest, options.prune ?? false);
    const stored = await base.tenants(tx);
    for (const [index, declared] of manifest.tenants.entries()) {
      const existing = stored.find((s) => s.name === declared.name);
      for (const s of ordered) {
        if (!s.plan) continue;
        const state = s.read ? await s.read(tx, existing) : undefined;
        s.plan({ planner, declared, index, stored: existing }, state);
      }
    }
    for (const s of stored) {
      if (!manifest.tenants.some((t) => t.name === s.name)) base.undeclaredTenant(planner, s);
    }
    return planner.finish();
  };

  return {
    schema,
    check,
    parse: (text, fileName) => parseManifestWith(rules, text, fileName),
    load: (file) => loadManifestWith(rules, file),
    plan,
    apply: (transaction, manifest, options) => applyPlan(transaction, (tx) => plan(tx, manifest, options)),
  };
}
