/**
 * @module gateway/expressions/runtime
 * The state of one evaluation: the request's context, the locals, and the budgets every step draws on. A
 * policy cannot loop except over a finite collection, but it can still multiply work (nested LINQ, string
 * doubling), so every node, loop turn, lambda call and produced element costs a step, and every produced
 * string counts against a length cap and a total.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_EVALUATION_LIMITS,
  type EvaluationLimits,
  type ExpressionContext,
  type PolicyContext,
} from './context.ts';
import { RuntimeFault } from './faults.ts';

export class Runtime {
  readonly context: PolicyContext;
  readonly slots: unknown[];
  readonly limits: EvaluationLimits;
  private readonly clock: () => number;
  private readonly guid: () => string;
  private steps = 0;
  private chars = 0;

  constructor(ctx: ExpressionContext, slotCount: number) {
    this.context = ctx.context;
    this.slots = new Array<unknown>(slotCount).fill(null);
    this.limits = { ...DEFAULT_EVALUATION_LIMITS, ...ctx.limits };
    this.clock = ctx.now ?? Date.now;
    this.guid = ctx.newGuid ?? randomUUID;
  }

  now(): number {
    return this.clock();
  }

  newGuid(): string {
    return this.guid();
  }

  /** One unit of work (or `n`); fails the evaluation past the budget. */
  step(at: number, n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new RuntimeFault('BudgetExceeded', `more than ${this.limits.maxSteps} evaluation steps`, at);
    }
  }

  /** Checks a string about to be produced (`length` before building it, where that is cheaper). */
  produce(length: number, at: number): void {
    if (length > this.limits.maxStringLength) {
      throw new RuntimeFault(
        'BudgetExceeded',
        `a string of ${length} characters is longer than the ${this.limits.maxStringLength} allowed`,
        at,
      );
    }
    this.chars += length;
    if (this.chars > this.limits.maxCharsProduced) {
      throw new RuntimeFault(
        'BudgetExceeded',
        `the expression produced more than ${this.limits.maxCharsProduced} characters`,
        at,
      );
    }
  }

  /** Checks the length of a string being built piece by piece; its total is counted once, when it is done. */
  checkLength(length: number, at: number): void {
    if (length > this.limits.maxStringLength) {
      throw new RuntimeFault(
        'BudgetExceeded',
        `a string of ${length} characters is longer than the ${this.limits.maxStringLength} allowed`,
        at,
      );
    }
  }

  /** `produce` for a string already built (small ones, whose size is bounded by their inputs). */
  text(s: string, at: number): string {
    this.produce(s.length, at);
    return s;
  }
}
