/**
 * @module manifest/planner
 * The steps a plan is made of. Each section adds its own: a change (what people and `-o json` see) and the
 * call that makes it, run later with the handle `T` the host chooses (inside apply's one transaction), so an
 * object created by an earlier step is found by the later steps that name it.
 *
 * Phases order the steps: ascending, and within a phase in the order they were planned (tenant by tenant,
 * section by section). Deletions take phases below 100, in reverse dependency order (what refers to an object
 * goes before it, so the names, URIs and roles it frees can be reused); creates and updates take 100 and up,
 * dependencies first. A section places its phases relative to the phases of the planes it depends on, which
 * export them.
 */
import { LanyardError } from '../errors/lanyard-error.ts';
import { describeLocation, type KeyPath } from './source.ts';
import type { Plan, PlanAction, PlanChange, PlanObject, PlanPending } from './types.ts';

export interface PlanStep<T> {
  phase: number;
  change: PlanChange;
  /** Makes the change, through the handle apply passes (bound to its transaction). */
  run(tx: T): Promise<unknown>;
}

export class Planner<T> {
  readonly steps: PlanStep<T>[] = [];
  readonly notManaged: PlanObject[] = [];
  readonly pendingItems: PlanPending[] = [];
  /** The manifest being planned: refusals point at its lines. */
  readonly manifest: object;
  readonly prune: boolean;

  constructor(manifest: object, prune: boolean) {
    this.manifest = manifest;
    this.prune = prune;
  }

  add(
    phase: number,
    action: PlanAction,
    object: PlanObject,
    run: PlanStep<T>['run'],
    changes: string[] = [],
  ): void {
    this.steps.push({ phase, change: { action, ...object, ...(changes.length ? { changes } : {}) }, run });
  }

  /** An object the manifest does not declare: deleted with prune, else reported as not managed. */
  undeclared(phase: number, object: PlanObject, run: PlanStep<T>['run'], notes: string[] = []): void {
    if (this.prune) this.add(phase, 'delete', object, run, notes);
    else this.notManaged.push(object);
  }

  /** Something apply leaves to a person (with the command that does it): reported, never failing. */
  pending(object: PlanObject, note: string, command?: string): void {
    this.pendingItems.push({ ...object, note, ...(command === undefined ? {} : { command }) });
  }

  /** Refuses a pinned id (or other immutable field) that differs from the stored object's. */
  immutable(
    path: KeyPath,
    what: string,
    field: string,
    stored: string,
    declared: string,
    hint: string,
  ): never {
    throw new LanyardError(
      'ERR_CONFLICT',
      `${describeLocation(this.manifest, path)}: ${what} has ${field} ${stored}, but the manifest declares ${declared}. ${field} cannot change.`,
      { hint, details: { object: what, field, stored, declared } },
    );
  }

  /** The plan and the steps that carry it out, in execution order. */
  finish(): { plan: Plan; steps: PlanStep<T>[] } {
    const steps = [...this.steps].sort((a, b) => a.phase - b.phase);
    const count = (action: PlanAction) => steps.filter((s) => s.change.action === action).length;
    return {
      plan: {
        changes: steps.map((s) => s.change),
        notManaged: this.notManaged,
        pending: this.pendingItems,
        prune: this.prune,
        applied: false,
        summary: { create: count('create'), update: count('update'), delete: count('delete') },
      },
      steps,
    };
  }
}
