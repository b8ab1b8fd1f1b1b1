/**
 * @module manifest
 * The `lanyard.yaml` framework, which knows no plane: YAML source positions, loading against a composed
 * schema and the sections' checks, the section contract, the generic planner, apply on one transaction, and
 * formatting. The planes declare their sections; the host composes them (host/manifest) and is what
 * `lanyard plan|apply`, `lanyard up -f` and the demo call.
 */
export { applyPlan, type Transaction } from './apply.ts';
export { API_VERSION, type ComposedManifest, composeManifest } from './compose.ts';
export { formatPlan } from './format.ts';
export { loadManifestWith, MAX_MANIFEST_BYTES, type ManifestRules, parseManifestWith } from './load.ts';
export { Planner, type PlanStep } from './planner.ts';
export { duplicates, type ManifestProblem } from './problems.ts';
export type {
  BaseSection,
  DeclaredManifest,
  DeclaredTenant,
  ManifestSection,
  ResourceSection,
  StoredTenant,
  TenantPlan,
  TenantSection,
} from './section.ts';
export type { Plan, PlanAction, PlanChange, PlanKind, PlanObject, PlanOptions } from './types.ts';
