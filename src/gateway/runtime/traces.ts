/**
 * @module gateway/runtime/traces
 * Traces of requests that asked for one (`Ocp-Apim-Trace: true` with a subscription allowed to trace), kept in
 * memory, newest last, at most `capacity` of them: `lanyard gateway trace <id>` and the admin API read them by
 * the id the answer carried in `Apim-Trace-Id`. A trace holds each step as the policies recorded it (tokens as
 * their claims, secret named values masked) — never a raw token or key.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayContext, TraceEntry } from './context.ts';

export interface RequestTrace {
  readonly id: string;
  readonly gateway: string;
  readonly api: string;
  readonly operation: string;
  readonly method: string;
  /** The path the caller used, without its query (which may carry a key). */
  readonly path: string;
  readonly at: string;
  /** Each policy step the pipeline ran, `phase/step`, in order. */
  readonly steps: readonly string[];
  readonly entries: readonly TraceEntry[];
  readonly status: number | undefined;
  readonly lastError: GatewayContext['lastError'];
}

export interface TraceStore {
  readonly capacity: number;
  readonly byId: Map<string, RequestTrace>;
  /** Gateways (lower-case names) whose every request is traced until the time given (epoch ms). */
  readonly tracingUntil: Map<string, number>;
}

export function createTraceStore(capacity = 200): TraceStore {
  return { capacity, byId: new Map(), tracingUntil: new Map() };
}

/** The longest `lanyard gateway trace --on` lasts: tracing every request is for debugging, not for good. */
export const MAX_TRACING_MINUTES = 24 * 60;

/** Traces every request of `gateway` for `minutes` (`lanyard gateway trace --on`); returns when it ends. */
export function startTracing(store: TraceStore, gateway: string, minutes: number, now = Date.now()): number {
  const until = now + Math.min(Math.max(minutes, 1), MAX_TRACING_MINUTES) * 60_000;
  store.tracingUntil.set(gateway.toLowerCase(), until);
  return until;
}

export function stopTracing(store: TraceStore, gateway: string): void {
  store.tracingUntil.delete(gateway.toLowerCase());
}

/** Whether every request of `gateway` is traced now. */
export function tracingOn(store: TraceStore, gateway: string, now = Date.now()): boolean {
  const until = store.tracingUntil.get(gateway.toLowerCase());
  if (until === undefined) return false;
  if (until > now) return true;
  store.tracingUntil.delete(gateway.toLowerCase());
  return false;
}

/** Records the finished request's trace; returns its id. */
export function rememberTrace(store: TraceStore, ctx: GatewayContext): string {
  const id = randomUUID();
  store.byId.set(id, {
    id,
    gateway: ctx.gateway.name,
    api: ctx.api.id,
    operation: ctx.operation.id,
    method: ctx.originalMethod,
    path: ctx.originalUrl.pathname,
    at: ctx.timestamp.toISOString(),
    steps: [...(ctx.pipeline.trace ?? [])],
    entries: [...(ctx.trace ?? [])],
    status: ctx.response?.status,
    lastError: ctx.lastError,
  });
  while (store.byId.size > store.capacity) {
    const oldest = store.byId.keys().next().value as string;
    store.byId.delete(oldest);
  }
  return id;
}

/**
 * The trace store of the gateways running on a runtime, by that runtime (the `deps` object the host hands both
 * the plane's start and its admin routes): the admin API reads a running gateway's traces here. Set when the
 * plane starts, removed when it stops; nothing when no gateway plane runs on that runtime.
 */
const RUNNING = new WeakMap<object, TraceStore>();

export function publishTraces(deps: object, store: TraceStore): () => void {
  RUNNING.set(deps, store);
  return () => {
    if (RUNNING.get(deps) === store) RUNNING.delete(deps);
  };
}

export function runningTraces(deps: object): TraceStore | undefined {
  return RUNNING.get(deps);
}
