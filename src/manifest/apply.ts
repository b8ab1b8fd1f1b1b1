/**
 * @module manifest/apply
 * Makes the directory match the manifest in ONE transaction: the plan is computed and carried out on the
 * same transaction, so a refusal anywhere (a role the principal may not hold, a URI another app owns, a role
 * still assigned) rolls every change back and the store is exactly as before. Applying the same manifest
 * again finds nothing to do and writes nothing.
 */
import type { Directory } from '../directory/directory.ts';
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import { computePlan, type PlanOptions } from './plan.ts';
import type { Manifest } from './schema.ts';
import type { Plan, PlanChange } from './types.ts';

/** Names the change that failed, keeping the directory's code and hint. */
function failedChange(err: unknown, change: PlanChange): unknown {
  if (!isLanyardError(err)) return err;
  const where = change.kind === 'tenant' ? change.name : `${change.tenant}/${change.name}`;
  return new LanyardError(
    err.code,
    `Could not ${change.action} ${change.kind} ${where}: ${err.message} Nothing was applied.`,
    { hint: err.hint, details: { ...err.details, change }, cause: err },
  );
}

/** Plans and applies; returns the plan that was carried out (`applied: true`). */
export async function applyManifest(
  directory: Directory,
  manifest: Manifest,
  options: PlanOptions = {},
): Promise<Plan> {
  return directory.transaction(async (d) => {
    const { plan, steps } = await computePlan(d, manifest, options);
    for (const step of steps) {
      try {
        await step.run(d);
      } catch (err) {
        throw failedChange(err, step.change);
      }
    }
    return { ...plan, applied: true };
  });
}
