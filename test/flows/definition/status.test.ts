/**
 * @module test/flows/definition/status
 * The run-status rules: which actions are ready, which are skipped (and the cascade), the status each branch
 * completes with, the run's final status (a handled failure leaves it Succeeded; Terminate wins), Azure's
 * error texts; and seed 004's flow driven through them as the engine will.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../../src/flows/definition/load.ts';
import {
  ACTION_FAILED_ERROR,
  type ActionState,
  type ActionStatus,
  actionsWithin,
  branchNotTakenError,
  branchStatus,
  containerStatus,
  isSettled,
  nextStep,
  runOutcome,
  type StatusNode,
  terminalActions,
} from '../../../src/flows/definition/status.ts';
import type { RunAfterStatus } from '../../../src/flows/definition/types.ts';
import { compose, def, fixture } from './helpers.ts';

/** `node('B', { A: ['Succeeded'] })` */
function node(name: string, runAfter: Record<string, RunAfterStatus[]> = {}): StatusNode {
  return { name, runAfter: Object.entries(runAfter).map(([action, statuses]) => ({ action, statuses })) };
}

const states = (entries: Record<string, ActionState>) => new Map(Object.entries(entries));

/** Runs a container to the end as the engine would, `outcome` giving each started action's status. */
function drive(
  actions: readonly StatusNode[],
  outcome: (name: string) => ActionStatus,
): Map<string, ActionState> {
  const s = new Map<string, ActionState>();
  for (let round = 0; round < 100 && !isSettled(actions, s); round++) {
    const step = nextStep(actions, s);
    for (const skip of step.skipped) s.set(skip.action, 'Skipped');
    for (const name of step.ready) s.set(name, outcome(name));
  }
  assert.ok(isSettled(actions, s), 'the container settles');
  return s;
}

describe('nextStep', () => {
  const A = node('A');
  const B = node('B', { A: ['Succeeded'] });
  const C = node('C', { B: ['Succeeded'] });
  const D = node('D', { B: ['Skipped'] });
  const E = node('E', { A: ['Succeeded'], D: ['Succeeded'] });

  it('starts the actions with no predecessor, then those whose predecessors all finished as accepted', () => {
    assert.deepEqual(nextStep([A, B, C, D], new Map()), { ready: ['A'], skipped: [] });
    assert.deepEqual(nextStep([A, B, C, D], states({ A: 'Running' })), { ready: [], skipped: [] });
    assert.deepEqual(nextStep([A, B, C, D], states({ A: 'Succeeded' })).ready, ['B']);
    const both = nextStep(
      [A, node('X'), node('Y', { A: ['Succeeded'], X: ['Failed', 'TimedOut'] })],
      states({ A: 'Succeeded', X: 'Running' }),
    );
    assert.deepEqual(both, { ready: [], skipped: [] }, 'waits for every predecessor');
  });

  it('skips when a predecessor ended otherwise, and cascades until an action accepts Skipped', () => {
    const step = nextStep([A, B, C, D, E], states({ A: 'Failed' }));
    assert.deepEqual(step.ready, ['D']);
    assert.deepEqual(
      step.skipped.map((s) => [s.action, s.predecessor, s.expected, s.actual]),
      [
        ['B', 'A', ['Succeeded'], 'Failed'],
        ['C', 'B', ['Succeeded'], 'Skipped'],
      ],
    );
    // E waits for D, its other predecessor, before its skip is decided.
    const later = nextStep(
      [A, B, C, D, E],
      states({ A: 'Failed', B: 'Skipped', C: 'Skipped', D: 'Succeeded' }),
    );
    assert.deepEqual(later.ready, []);
    assert.deepEqual(
      later.skipped.map((s) => [s.action, s.predecessor, s.actual]),
      [['E', 'A', 'Failed']],
    );
    assert.deepEqual(step.skipped[0]!.error, {
      code: 'ActionConditionFailed',
      message:
        "The execution of template action 'B' is skipped: the 'runAfter' condition for action 'A' is not satisfied. Expected status values 'Succeeded' and actual value 'Failed'.",
    });
  });

  it('names every expected status, and treats Cancelled as matching none', () => {
    const step = nextStep([node('A'), node('H', { A: ['Failed', 'TimedOut'] })], states({ A: 'Cancelled' }));
    assert.match(
      step.skipped[0]!.error.message,
      /Expected status values 'Failed, TimedOut' and actual value 'Cancelled'\.$/,
    );
  });

  it('the error of an If branch not taken', () => {
    assert.deepEqual(branchNotTakenError('No'), {
      code: 'ActionBranchingConditionNotSatisfied',
      message:
        "The execution of template action 'No' skipped: the branching condition for this action is not satisfied.",
    });
  });
});

describe('branch status and the run', () => {
  it('all succeeded: the run succeeds, with no error', () => {
    const actions = [node('A'), node('B', { A: ['Succeeded'] })];
    assert.deepEqual(
      runOutcome(
        actions,
        drive(actions, () => 'Succeeded'),
      ),
      { status: 'Succeeded' },
    );
  });

  it("an unhandled failure: the Skipped terminal takes its predecessor's status, so the run fails", () => {
    const actions = [node('A'), node('B', { A: ['Succeeded'] })];
    const s = drive(actions, (n) => (n === 'A' ? 'Failed' : 'Succeeded'));
    assert.equal(s.get('B'), 'Skipped');
    assert.equal(branchStatus(actions[1]!, actions, s), 'Failed');
    assert.deepEqual(runOutcome(actions, s), { status: 'Failed', error: ACTION_FAILED_ERROR });
    assert.deepEqual(ACTION_FAILED_ERROR, {
      code: 'ActionFailed',
      message: 'An action failed. No dependent actions succeeded.',
    });
  });

  it('a failure handled by a successor that runs after Failed: the run succeeds', () => {
    const actions = [node('Get'), node('Handle', { Get: ['Failed'] })];
    const s = drive(actions, (n) => (n === 'Get' ? 'Failed' : 'Succeeded'));
    assert.deepEqual(
      terminalActions(actions).map((a) => a.name),
      ['Handle'],
    );
    assert.deepEqual(runOutcome(actions, s), { status: 'Succeeded' });
  });

  it('a handler beside a success path: the skipped success branch still ends Failed', () => {
    const actions = [node('Get'), node('Handle', { Get: ['Failed'] }), node('Use', { Get: ['Succeeded'] })];
    const s = drive(actions, (n) => (n === 'Get' ? 'Failed' : 'Succeeded'));
    assert.equal(s.get('Use'), 'Skipped');
    assert.deepEqual(runOutcome(actions, s), { status: 'Failed', error: ACTION_FAILED_ERROR });
  });

  it('a handler not needed: its Skipped branch takes the Succeeded status before it', () => {
    const actions = [node('Get'), node('Handle', { Get: ['Failed'] })];
    const s = drive(actions, () => 'Succeeded');
    assert.equal(s.get('Handle'), 'Skipped');
    assert.equal(branchStatus(actions[1]!, actions, s), 'Succeeded');
    assert.deepEqual(runOutcome(actions, s), { status: 'Succeeded' });
  });

  it('recursively: a chain of Skipped actions takes the status where the chain began', () => {
    const actions = [
      node('A'),
      node('B', { A: ['Succeeded'] }),
      node('C', { B: ['Succeeded'] }),
      node('D', { C: ['Succeeded'] }),
    ];
    const s = drive(actions, (n) => (n === 'B' ? 'TimedOut' : 'Succeeded'));
    assert.deepEqual([s.get('C'), s.get('D')], ['Skipped', 'Skipped']);
    assert.equal(branchStatus(actions[3]!, actions, s), 'TimedOut');
    assert.equal(containerStatus(actions, s), 'Failed', 'TimedOut counts as failure');
  });

  it('a Skipped action with several predecessors takes the worst of them', () => {
    const actions = [node('A'), node('B'), node('J', { A: ['Succeeded'], B: ['Succeeded'] })];
    const s = states({ A: 'Succeeded', B: 'Failed', J: 'Skipped' });
    assert.equal(branchStatus(actions[2]!, actions, s), 'Failed');
  });

  it('an empty container, or one whose actions were all skipped with it, succeeds', () => {
    assert.equal(containerStatus([], new Map()), 'Succeeded');
    assert.equal(
      containerStatus(
        [node('In1'), node('In2', { In1: ['Succeeded'] })],
        states({ In1: 'Skipped', In2: 'Skipped' }),
      ),
      'Succeeded',
    );
  });

  it('Terminate wins over the branches', () => {
    const actions = [node('A'), node('B', { A: ['Succeeded'] })];
    const failed = states({ A: 'Failed', B: 'Skipped' });
    assert.deepEqual(runOutcome(actions, failed, { inputs: { runStatus: 'Succeeded' } }), {
      status: 'Succeeded',
    });
    assert.deepEqual(
      runOutcome(actions, states({ A: 'Succeeded', B: 'Succeeded' }), { inputs: { runStatus: 'Cancelled' } }),
      {
        status: 'Cancelled',
      },
    );
    assert.deepEqual(
      runOutcome(actions, states({ A: 'Succeeded', B: 'Succeeded' }), {
        inputs: {
          runStatus: 'Failed',
          runError: { code: 'NoVMs', message: 'No virtual machines to report.' },
        },
      }),
      { status: 'Failed', error: { code: 'NoVMs', message: 'No virtual machines to report.' } },
    );
  });

  it('refuses to judge a branch that has not finished', () => {
    assert.throws(() => branchStatus(node('A'), [node('A')], states({ A: 'Running' })), /has not finished/);
  });
});

describe('on a loaded definition', () => {
  it('seed 004: the flow succeeds; with Get_Creds failing, the rest is skipped and the run fails', () => {
    const { actions } = loadWorkflow(fixture('seed004.code-view.json')).definition;
    assert.deepEqual(
      runOutcome(
        actions,
        drive(actions, () => 'Succeeded'),
      ),
      { status: 'Succeeded' },
    );
    const s = drive(actions, (n) => (n === 'Get_Creds' ? 'Failed' : 'Succeeded'));
    assert.deepEqual(Object.fromEntries(s), {
      Get_Creds: 'Failed',
      Get_VM_Status: 'Skipped',
      Response: 'Skipped',
    });
    assert.deepEqual(runOutcome(actions, s), { status: 'Failed', error: ACTION_FAILED_ERROR });
  });

  it('actions nested in a container, for skipping it whole', () => {
    const { actions } = loadWorkflow(
      def({
        C: {
          type: 'If',
          expression: true,
          actions: { S: { type: 'Scope', actions: { Deep: compose(1) } } },
          else: { actions: { No: compose(2) } },
        },
      }),
    ).definition;
    assert.deepEqual(actionsWithin(actions[0]!), ['S', 'Deep', 'No']);
    assert.deepEqual(actionsWithin(actions[0]!.type === 'If' ? actions[0]!.else[0]! : actions[0]!), []);
  });
});
