/**
 * @module gateway/runtime/request-local
 * State a module keeps for one request (the expression view, a policy's pending headers, the counter keys
 * already counted), held on the request's own context rather than in a module-level `WeakMap`. A WeakMap keyed
 * by a short-lived object makes every garbage collection trace it as an ephemeron: with a few of them per
 * request that was a third of a policy's cost (docs/performance.md, "Gateway"). The slots live in one Map made
 * on the first write, and go with the context.
 *
 * Same calls as a WeakMap, so a module declares `const x = new RequestLocal<T>()` and keeps its own key private.
 */
import type { GatewayContext } from './context.ts';

export class RequestLocal<T> {
  get(ctx: GatewayContext): T | undefined {
    return ctx.locals?.get(this) as T | undefined;
  }

  has(ctx: GatewayContext): boolean {
    return ctx.locals?.has(this) === true;
  }

  set(ctx: GatewayContext, value: T): this {
    ctx.locals ??= new Map();
    ctx.locals.set(this, value);
    return this;
  }

  delete(ctx: GatewayContext): boolean {
    return ctx.locals?.delete(this) === true;
  }
}
