/**
 * @module manifest
 * `lanyard.yaml`, the directory as code: load (with line numbers), plan, apply (one transaction), format.
 * `lanyard plan|apply` and `lanyard up -f` use exactly these.
 */
export { applyManifest } from './apply.ts';
export { formatPlan } from './format.ts';
export { loadManifest, parseManifest } from './load.ts';
export { type PlanOptions, planManifest } from './plan.ts';
export type { Manifest } from './schema.ts';
export type { Plan, PlanChange, PlanObject } from './types.ts';
