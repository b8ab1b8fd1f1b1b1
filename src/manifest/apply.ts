/**
 * @module manifest/apply
 * Makes the store match the manifest in ONE transaction: the plan is computed and carried out on the same
 * transaction, so a refusal anywhere (a role the principal may not hold, a URI another app owns, a role
 * still assigned) rolls every change back and the store is exactly as before. Applying the same manifest
 * again finds nothing to do and writes nothing. Generic over the handle `T` the steps run with; the host
 * says how to open a transaction that gives one.
 */
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import type { PlanStep } from './planner.ts';
import type { Plan, PlanChange } from './types.ts';

/** Runs `fn` with a handle bound to one transaction; any throw rolls every write back. */
export type Transaction<T> = <R>(fn: (tx: T) => Promise<R>) => Promise<R>;

/** Names the change that failed, keeping the plane's code and hint. */
function failedChange(err: unknown, change: PlanChange): unknown {
  if (!isLanyardError(err)) return err;
  const where = change.kind === 'tenant' ? change.name : `${change.tenant}/${change.name}`;
  return new LanyardError(
    err.code,
    `Could not ${change.action} ${change.kind} ${where}: ${err.message} Nothing was applied.`,
    { hint: err.hint, details: { ...err.details, change }, cause: err },
  );
}

/** Computes the plan inside one transaction and runs its steps there; returns it with `applied: true`. */
export async function applyPlan<T>(
  transaction: Transaction<T>,
  compute: (tx: T) => Promise<{ plan: Plan; steps: PlanStep<T>[] }>,
): Promise<Plan> {
  return transaction(async (tx) => {
    const { plan, steps } = await compute(tx);
    for (const step of steps) {
      try {
        await step.run(tx);
      } catch (err) {
        throw failedChange(err, step.change);
      }
    }
    return { ...plan, applied: true };
  });
}
