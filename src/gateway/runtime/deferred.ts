/**
 * @module gateway/runtime/deferred
 * Work a policy leaves for the end of the request's outbound: APIM evaluates `increment-condition` (and an
 * `increment-count` expression) of `rate-limit-by-key` and `quota-by-key` there, once the answer is known;
 * bandwidth quotas count the answer's size there; the remaining-calls headers go on the answer there. The
 * compiled pipeline runs `runDeferred` as the last step of `outbound`, and of `on-error` when the request failed
 * (policy/compile.ts); each action runs once. An action must not throw: it reports its own failures.
 */
import type { GatewayContext } from './context.ts';
import { RequestLocal } from './request-local.ts';

export type DeferredAction = (ctx: GatewayContext) => void | Promise<void>;

const pending = new RequestLocal<DeferredAction[]>();

/** Runs `action` at the end of this request's outbound (or on-error). */
export function atEndOfOutbound(ctx: GatewayContext, action: DeferredAction): void {
  const list = pending.get(ctx);
  if (list) list.push(action);
  else pending.set(ctx, [action]);
}

/** Runs the actions left for the end, in the order they were left, and forgets them. */
export async function runDeferred(ctx: GatewayContext): Promise<void> {
  const list = pending.get(ctx);
  if (!list) return;
  pending.delete(ctx);
  for (const action of list) {
    const p = action(ctx);
    if (p !== undefined) await p;
  }
}
