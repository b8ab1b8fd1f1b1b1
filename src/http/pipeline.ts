/**
 * @module http/pipeline
 * The one shape every request path takes: named, ordered steps in four phases, as API Management orders its
 * policies and oidc-provider its endpoint actions. `inbound` reads and checks the request, `backend` does the
 * work (sign a token, call the upstream), `outbound` shapes and records the answer, and `on-error` runs
 * instead of the rest as soon as any step throws. A step object may stand in several phases: the token
 * endpoint's one audit step sits in `outbound` and `on-error`, so every success and every refusal passes it
 * exactly once.
 *
 * A step may end the pipeline early with `endPipeline(ctx)` (a cached answer, APIM's `return-response`): the
 * steps left in its phase and in `backend` are skipped; `outbound` still runs.
 * The pipeline keeps the name of the step that failed, so logs and traces read as the list of steps.
 */

export type Phase = 'inbound' | 'backend' | 'outbound' | 'on-error';

export const PHASES: readonly Phase[] = ['inbound', 'backend', 'outbound', 'on-error'];

/** What the pipeline tracks of one run; every context carries it as `ctx.pipeline`. */
export interface PipelineState {
  /** The phase running now. */
  phase: Phase;
  /** The step running now (or the last one that ran). */
  step: string;
  /** Set by `endPipeline`: skip to `outbound`. */
  ended: boolean;
  /** What the failing step threw; set when `on-error` runs. */
  error: unknown;
  /** The name of the step that threw. */
  failedStep: string | undefined;
  /** The phase in which it threw. */
  failedPhase: Phase | undefined;
  /** `phase/step` of each step run, in order, when tracing is on (`newPipelineState(true)`). */
  trace: string[] | undefined;
}

export interface PipelineContext {
  readonly pipeline: PipelineState;
}

export interface Step<C extends PipelineContext> {
  /** Shown in traces, failures and docs, e.g. `authenticate-client`. */
  readonly name: string;
  run(ctx: C): void | Promise<void>;
}

export interface PipelineSpec<C extends PipelineContext> {
  readonly inbound?: readonly Step<C>[];
  readonly backend?: readonly Step<C>[];
  readonly outbound?: readonly Step<C>[];
  readonly onError?: readonly Step<C>[];
}

export interface Pipeline<C extends PipelineContext> {
  readonly name: string;
  /** The step names per phase, in order: what docs and `--trace` show. */
  describe(): Readonly<Record<Phase, readonly string[]>>;
  /**
   * Runs the steps on `ctx`. Resolves when the last step has run; rejects only when a step of `on-error`
   * throws (the caller's last resort), with that error.
   */
  run(ctx: C): Promise<void>;
}

export function newPipelineState(trace = false): PipelineState {
  return {
    phase: 'inbound',
    step: '',
    ended: false,
    error: undefined,
    failedStep: undefined,
    failedPhase: undefined,
    trace: trace ? [] : undefined,
  };
}

/** Ends the run early: the rest of the current phase and `backend` are skipped; `outbound` runs. */
export function endPipeline(ctx: PipelineContext): void {
  if (ctx.pipeline.phase === 'outbound' || ctx.pipeline.phase === 'on-error') {
    throw new TypeError(`endPipeline was called in ${ctx.pipeline.phase}; it ends inbound or backend only.`);
  }
  ctx.pipeline.ended = true;
}

export function definePipeline<C extends PipelineContext>(name: string, spec: PipelineSpec<C>): Pipeline<C> {
  const phases: Readonly<Record<Phase, readonly Step<C>[]>> = Object.freeze({
    inbound: Object.freeze([...(spec.inbound ?? [])]),
    backend: Object.freeze([...(spec.backend ?? [])]),
    outbound: Object.freeze([...(spec.outbound ?? [])]),
    'on-error': Object.freeze([...(spec.onError ?? [])]),
  });
  for (const phase of PHASES) {
    const names = new Set<string>();
    for (const step of phases[phase]) {
      if (typeof step.name !== 'string' || step.name === '' || typeof step.run !== 'function') {
        throw new TypeError(`Pipeline ${name}: every step in ${phase} needs a name and a run function.`);
      }
      if (names.has(step.name)) throw new TypeError(`Pipeline ${name}: step ${step.name} twice in ${phase}.`);
      names.add(step.name);
    }
  }

  /**
   * Runs the steps of `phase` from `i`, synchronously until one returns a promise: most steps do not wait, and
   * a promise per phase or step is a measurable share of a short request (docs/performance.md, "Gateway").
   */
  const runPhase = (phase: Phase, ctx: C, i = 0): undefined | Promise<void> => {
    const state = ctx.pipeline;
    state.phase = phase;
    const steps = phases[phase];
    for (; i < steps.length; i++) {
      if (state.ended && (phase === 'inbound' || phase === 'backend')) return;
      const step = steps[i]!;
      state.step = step.name;
      state.trace?.push(`${phase}/${step.name}`);
      const pending = step.run(ctx);
      if (pending !== undefined) {
        const next = i + 1;
        return pending.then(() => runPhase(phase, ctx, next));
      }
    }
    return;
  };

  /** inbound, backend (unless ended), outbound; undefined when all of it ran without waiting. */
  const runMain = (ctx: C): undefined | Promise<void> => {
    const state = ctx.pipeline;
    const inbound = runPhase('inbound', ctx);
    if (inbound) return inbound.then(() => afterInbound(ctx));
    return afterInbound(ctx);
    function afterInbound(c: C): undefined | Promise<void> {
      if (!state.ended) {
        const backend = runPhase('backend', c);
        if (backend) return backend.then(() => runPhase('outbound', c));
      }
      return runPhase('outbound', c);
    }
  };

  const fail = (ctx: C, err: unknown): Promise<void> => {
    const state = ctx.pipeline;
    state.error = err;
    state.failedStep = state.step;
    state.failedPhase = state.phase;
    try {
      return Promise.resolve(runPhase('on-error', ctx));
    } catch (onErrorFailed) {
      return Promise.reject(onErrorFailed);
    }
  };

  return {
    name,
    describe: () => ({
      inbound: phases.inbound.map((s) => s.name),
      backend: phases.backend.map((s) => s.name),
      outbound: phases.outbound.map((s) => s.name),
      'on-error': phases['on-error'].map((s) => s.name),
    }),
    run(ctx) {
      let pending: undefined | Promise<void>;
      try {
        pending = runMain(ctx);
      } catch (err) {
        return fail(ctx, err);
      }
      return pending ? pending.catch((err: unknown) => fail(ctx, err)) : Promise.resolve();
    },
  };
}
