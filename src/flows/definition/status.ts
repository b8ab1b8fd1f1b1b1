/**
 * @module flows/definition/status
 * Azure's run-status rules as pure functions the engine calls on one container (the top level, a Scope, an
 * If branch, one Foreach iteration) with the statuses its actions have so far. docs/flows.md ("Run status")
 * gives each rule with an example:
 *
 * - An action is ready when every predecessor it names has finished with a status its `runAfter` accepts;
 *   when one finished with another status it is Skipped, and its own successors then see Skipped (a cascade,
 *   unless one of them accepts Skipped).
 * - A container ends Failed when one of its branches does. A branch ends at a terminal action (one no sibling
 *   runs after); its status is that action's, except that a Skipped terminal takes its predecessors' status,
 *   recursively. Failed, TimedOut and Cancelled count as failure. So a failure handled by a successor that
 *   runs after `Failed` and succeeds leaves the run Succeeded.
 * - A Terminate action that ran decides the run's status (and error) over everything else.
 */
import type { Action, RunAfterEntry, RunAfterStatus, TerminateAction } from './types.ts';
import { childContainers } from './validate.ts';

/** What an action ends as. `Cancelled`: stopped by Terminate or by its own time limit. */
export type ActionStatus = RunAfterStatus | 'Cancelled';
/** What the engine knows of an action; absent from the map means not started. */
export type ActionState = ActionStatus | 'Running';

/** The part of an action these rules read. */
export interface StatusNode {
  readonly name: string;
  readonly runAfter: readonly RunAfterEntry[];
}

/** The error of a run that ends Failed because a branch did (Azure's words). */
export const ACTION_FAILED_ERROR = {
  code: 'ActionFailed',
  message: 'An action failed. No dependent actions succeeded.',
} as const;

/** The `code` of a skipped action's record. */
export const ACTION_SKIPPED_CODE = 'ActionSkipped';
/** The `error.code` of an action skipped because a runAfter condition failed. */
export const RUN_AFTER_NOT_SATISFIED = 'ActionConditionFailed';
/** The `error.code` of an action in an If branch not taken. */
export const BRANCH_NOT_TAKEN = 'ActionBranchingConditionNotSatisfied';

export interface Skip {
  readonly action: string;
  /** The first predecessor (in runAfter order) whose status the action does not accept. */
  readonly predecessor: string;
  readonly expected: readonly RunAfterStatus[];
  readonly actual: ActionStatus;
  /** Azure's error for the skipped action's record. */
  readonly error: { readonly code: string; readonly message: string };
}

export interface Step {
  /** Actions to start now, in the container's order. */
  readonly ready: readonly string[];
  /** Actions that will never run, in the order decided (cascades included). */
  readonly skipped: readonly Skip[];
}

function skipError(
  action: string,
  predecessor: string,
  expected: readonly RunAfterStatus[],
  actual: ActionStatus,
) {
  return {
    code: RUN_AFTER_NOT_SATISFIED,
    message: `The execution of template action '${action}' is skipped: the 'runAfter' condition for action '${predecessor}' is not satisfied. Expected status values '${expected.join(', ')}' and actual value '${actual}'.`,
  };
}

/** The error of an action in the If branch that was not taken. */
export function branchNotTakenError(action: string): { code: string; message: string } {
  return {
    code: BRANCH_NOT_TAKEN,
    message: `The execution of template action '${action}' skipped: the branching condition for this action is not satisfied.`,
  };
}

/**
 * Which actions of a container can start and which are skipped, given what has happened. Actions already
 * started or finished (present in `states`) are neither. An action waits until every predecessor has finished;
 * skipping is decided then, so the message names the first predecessor that did not match.
 *
 * Example: A Failed, B runs after A [Succeeded], C after B [Succeeded], D after B [Skipped]:
 * ready [D], skipped [B (A was Failed), C (B was Skipped)].
 */
export function nextStep(actions: readonly StatusNode[], states: ReadonlyMap<string, ActionState>): Step {
  const known = new Map(states);
  const ready: string[] = [];
  const skipped: Skip[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (const action of actions) {
      if (known.has(action.name) || ready.includes(action.name)) continue;
      let waiting = false;
      let miss: Skip | undefined;
      for (const { action: before, statuses } of action.runAfter) {
        const s = known.get(before);
        if (s === undefined || s === 'Running') {
          waiting = true;
          break;
        }
        if (miss === undefined && !(statuses as readonly string[]).includes(s))
          miss = {
            action: action.name,
            predecessor: before,
            expected: statuses,
            actual: s,
            error: skipError(action.name, before, statuses, s),
          };
      }
      if (waiting) continue;
      if (miss) {
        skipped.push(miss);
        known.set(action.name, 'Skipped');
        changed = true;
      } else ready.push(action.name);
    }
  }
  return { ready, skipped };
}

/** True when every action of the container has finished. */
export function isSettled(actions: readonly StatusNode[], states: ReadonlyMap<string, ActionState>): boolean {
  return actions.every((a) => {
    const s = states.get(a.name);
    return s !== undefined && s !== 'Running';
  });
}

/** The actions no sibling runs after: where the container's branches end. */
export function terminalActions<T extends StatusNode>(actions: readonly T[]): T[] {
  const before = new Set(actions.flatMap((a) => a.runAfter.map((r) => r.action)));
  return actions.filter((a) => !before.has(a.name));
}

const FAILURE: ReadonlySet<string> = new Set(['Failed', 'TimedOut', 'Cancelled']);
/** Worst first: what a Skipped action with several predecessors takes. */
const RANK: readonly ActionStatus[] = ['Failed', 'TimedOut', 'Cancelled', 'Succeeded', 'Skipped'];

/**
 * The status a branch ending at `terminal` completes with: the action's own, or for a Skipped action the worst
 * of its predecessors' (recursively). A Skipped action with no predecessor (its container was skipped) stays
 * Skipped, which counts as neither success nor failure.
 *
 * Example: A Failed, B after A [Succeeded] is Skipped and terminal: the branch is Failed (A's status).
 */
export function branchStatus(
  terminal: StatusNode,
  actions: readonly StatusNode[],
  states: ReadonlyMap<string, ActionState>,
): ActionStatus {
  const byName = new Map(actions.map((a) => [a.name, a]));
  const memo = new Map<string, ActionStatus>();
  const effective = (node: StatusNode): ActionStatus => {
    const seen = memo.get(node.name);
    if (seen !== undefined) return seen;
    const s = states.get(node.name);
    if (s === undefined || s === 'Running') throw new Error(`action '${node.name}' has not finished`);
    let result: ActionStatus = s;
    if (s === 'Skipped' && node.runAfter.length > 0) {
      const from = node.runAfter.map((r) => {
        const p = byName.get(r.action);
        if (p === undefined) throw new Error(`'${r.action}' is not in the container of '${node.name}'`);
        return effective(p);
      });
      result = RANK.find((r) => from.includes(r))!;
    }
    memo.set(node.name, result);
    return result;
  };
  return effective(terminal);
}

/**
 * A finished container's status: Failed when any branch completes Failed, TimedOut or Cancelled; else
 * Succeeded (an empty container, or one whose branches were all skipped, succeeds). Used for Scope, the
 * taken branch of an If, each Foreach iteration, and the run itself.
 */
export function containerStatus(
  actions: readonly StatusNode[],
  states: ReadonlyMap<string, ActionState>,
): 'Succeeded' | 'Failed' {
  for (const terminal of terminalActions(actions)) {
    if (FAILURE.has(branchStatus(terminal, actions, states))) return 'Failed';
  }
  return 'Succeeded';
}

export interface RunOutcome {
  readonly status: 'Succeeded' | 'Failed' | 'Cancelled';
  readonly error?: { readonly code?: string; readonly message?: string };
}

/**
 * The run's final status from its top-level actions. `terminated` is the Terminate action that ran, if any:
 * its `runStatus` and `runError` win. Otherwise Failed with ACTION_FAILED_ERROR when a branch failed.
 *
 * Example: Get Failed, Handle after Get [Failed] Succeeded: the only terminal, Handle, succeeded, so the run
 * is Succeeded although an action failed.
 */
export function runOutcome(
  actions: readonly StatusNode[],
  states: ReadonlyMap<string, ActionState>,
  terminated?: Pick<TerminateAction, 'inputs'>,
): RunOutcome {
  if (terminated) {
    const { runStatus, runError } = terminated.inputs;
    return runError === undefined ? { status: runStatus } : { status: runStatus, error: runError };
  }
  return containerStatus(actions, states) === 'Failed'
    ? { status: 'Failed', error: ACTION_FAILED_ERROR }
    : { status: 'Succeeded' };
}

/** Every action nested inside `action` (all branches, all depths): what is skipped with a skipped container. */
export function actionsWithin(action: Action): string[] {
  const out: string[] = [];
  for (const child of childContainers(action)) {
    for (const inner of child.actions) out.push(inner.name, ...actionsWithin(inner));
  }
  return out;
}
