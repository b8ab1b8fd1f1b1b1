/**
 * @module test/flows/definition/validate
 * The rules across actions: runAfter within a container (known sibling, known status, no cycle), trigger
 * kinds, Http authentication and retry policies, timeouts, where actions may stand, variables, and expression
 * references through a lister (a regex fake here; the expression module provides the real one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs } from '../../../src/flows/definition/duration.ts';
import { loadWorkflow } from '../../../src/flows/definition/load.ts';
import type { HttpAction } from '../../../src/flows/definition/types.ts';
import { compose, def, fakeReferences, http, refuses } from './helpers.ts';

const load = (actions: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  loadWorkflow(def(actions, extra), { references: fakeReferences }).definition;

function httpInputs(extra: Record<string, unknown>): HttpAction['inputs'] {
  const a = load({ Call: http(extra) }).actions[0]!;
  assert.ok(a.type === 'Http');
  return a.inputs;
}

describe('runAfter', () => {
  it('refuses a predecessor that does not exist, with a hint when only the case differs', () => {
    refuses(
      () => load({ A: compose(1), B: compose(2, { Missing: ['Succeeded'] }) }),
      'ERR_FLOW_DEFINITION',
      /^Workflow definition, actions\.B\.runAfter: contains non-existent action 'Missing'$/,
      { path: 'actions.B.runAfter', reason: 'run-after' },
    );
    refuses(
      () => load({ Get_Creds: compose(1), B: compose(2, { get_creds: ['Succeeded'] }) }),
      'ERR_FLOW_DEFINITION',
      /did you mean 'Get_Creds'\? names are case-sensitive/,
    );
  });

  it('refuses a status other than Succeeded, Failed, Skipped, TimedOut; matches those without case', () => {
    refuses(
      () => load({ A: compose(1), B: compose(2, { A: ['Aborted'] }) }),
      'ERR_FLOW_DEFINITION',
      /actions\.B\.runAfter\.A: 'Aborted' is not a status runAfter can name; use Succeeded, Failed, Skipped, TimedOut/,
    );
    refuses(
      () => load({ A: compose(1), B: compose(2, { A: [] }) }),
      'ERR_FLOW_DEFINITION',
      /must be a non-empty array of statuses/,
    );
    const d = load({ A: compose(1), B: compose(2, { A: ['failed', 'TIMEDOUT', 'Failed'] }) });
    assert.deepEqual(d.actions[1]!.runAfter, [{ action: 'A', statuses: ['Failed', 'TimedOut'] }]);
  });

  it('names the cycle, in running order', () => {
    refuses(
      () =>
        load({
          A: compose(1, { C: ['Succeeded'] }),
          B: compose(2, { A: ['Succeeded'] }),
          C: compose(3, { B: ['Succeeded'] }),
        }),
      'ERR_FLOW_DEFINITION',
      /the actions run after each other in a cycle: A → B → C → A$/,
      { reason: 'cycle' },
    );
    refuses(() => load({ A: compose(1, { A: ['Failed'] }) }), 'ERR_FLOW_DEFINITION', /'A' runs after itself/);
    // A cycle inside a container is found too.
    refuses(
      () =>
        load({
          S: {
            type: 'Scope',
            actions: { X: compose(1, { Y: ['Succeeded'] }), Y: compose(2, { X: ['Succeeded'] }) },
          },
        }),
      'ERR_FLOW_DEFINITION',
      /actions\.S\.actions\.X\.runAfter: the actions run after each other in a cycle: X → Y → X$/,
    );
  });

  it('refuses runAfter across containers, in both directions', () => {
    refuses(
      () => load({ A: compose(1), S: { type: 'Scope', actions: { In: compose(2, { A: ['Succeeded'] }) } } }),
      'ERR_FLOW_DEFINITION',
      /actions\.S\.actions\.In\.runAfter: 'A' is in actions, not in actions\.S\.actions: runAfter names only actions of the same container/,
    );
    refuses(
      () =>
        load({
          C: {
            type: 'If',
            expression: true,
            actions: { Yes: compose(1) },
            else: { actions: { No: compose(2, { Yes: ['Succeeded'] }) } },
          },
        }),
      'ERR_FLOW_DEFINITION',
      /'Yes' is in actions\.C\.actions, not in actions\.C\.else\.actions/,
    );
    refuses(
      () =>
        load({ S: { type: 'Scope', actions: { In: compose(1) } }, After: compose(2, { In: ['Succeeded'] }) }),
      'ERR_FLOW_DEFINITION',
      /'In' is in actions\.S\.actions, not in actions/,
    );
  });
});

describe('triggers', () => {
  it('takes exactly one trigger, of a supported kind', () => {
    refuses(() => load({}, { triggers: {} }), 'ERR_FLOW_DEFINITION', /has no trigger/);
    refuses(
      () =>
        load(
          {},
          {
            triggers: {
              a: { type: 'Request', kind: 'Http' },
              b: { type: 'Recurrence', recurrence: { frequency: 'Hour', interval: 1 } },
            },
          },
        ),
      'ERR_FLOW_DEFINITION',
      /has 2 triggers; Lanyard runs workflows with at most 1/,
    );
    refuses(
      () => load({}, { triggers: { manual: { type: 'Request', kind: 'Teams' } } }),
      'ERR_FLOW_UNSUPPORTED',
      /Request trigger kind 'Teams' is not supported by Lanyard\. Supported: Http, Button, PowerApp, PowerAppV2\./,
    );
    for (const kind of ['Http', 'button', 'PowerApp', 'powerappv2', undefined]) {
      const t = load({}, { triggers: { manual: { type: 'Request', ...(kind ? { kind } : {}) } } })
        .triggers[0]!;
      assert.ok(t.type === 'Request');
      assert.equal(t.kind.toLowerCase(), (kind ?? 'http').toLowerCase());
    }
  });

  it('a Request trigger: method, relative path, schema validation', () => {
    const t = load(
      {},
      {
        triggers: {
          manual: {
            type: 'Request',
            kind: 'Http',
            inputs: { method: 'get', relativePath: '/customer/{id}', schema: { type: 'object' } },
            operationOptions: 'EnableSchemaValidation',
          },
        },
      },
    ).triggers[0]!;
    assert.ok(t.type === 'Request');
    assert.deepEqual(t.inputs, { method: 'GET', relativePath: 'customer/{id}', schema: { type: 'object' } });
    assert.equal(t.schemaValidation, true);
    refuses(
      () => load({}, { triggers: { manual: { type: 'Request', inputs: { relativePath: 'x/{id}' } } } }),
      'ERR_FLOW_DEFINITION',
      /a relativePath needs a method/,
    );
    refuses(
      () => load({}, { triggers: { manual: { type: 'Request', operationOptions: 'Sequential' } } }),
      'ERR_FLOW_DEFINITION',
      /'Sequential' does not apply to a Request/,
    );
  });

  it('a Recurrence trigger: read by the schedule module, its refusals included', () => {
    const rec = (recurrence: unknown) => ({ triggers: { Recurrence: { type: 'Recurrence', recurrence } } });
    const t = load({}, rec({ frequency: 'hour', interval: 2, startTime: '2024-03-01T08:00:00Z' }))
      .triggers[0]!;
    assert.ok(t.type === 'Recurrence');
    assert.equal(t.recurrence.frequency, 'Hour');
    assert.equal(t.recurrence.interval, 2);
    assert.equal(t.recurrence.startTime?.toISOString(), '2024-03-01T08:00:00.000Z');
    refuses(() => load({}, rec({ frequency: 'Year', interval: 1 })), 'ERR_FLOW_SCHEDULE', /Year/);
    refuses(
      () => load({}, rec({ frequency: 'Month', interval: 17 })),
      'ERR_FLOW_SCHEDULE',
      /triggers\.Recurrence\.recurrence\.interval/,
    );
    refuses(
      () =>
        load(
          {},
          {
            triggers: {
              Recurrence: { type: 'Recurrence', inputs: {}, recurrence: { frequency: 'Day', interval: 1 } },
            },
          },
        ),
      'ERR_FLOW_DEFINITION',
      /a Recurrence trigger takes no inputs/,
    );
  });
});

describe('Http authentication', () => {
  const uami =
    '/subscriptions/00000000-0000-0000-0000-000000000004/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reporter';

  it('ManagedServiceIdentity: the audience defaults to Resource Manager; identity names a user-assigned one', () => {
    assert.deepEqual(httpInputs({ authentication: { type: 'ManagedServiceIdentity' } }).authentication, {
      type: 'ManagedServiceIdentity',
      audience: 'https://management.azure.com/',
    });
    assert.deepEqual(
      httpInputs({
        authentication: {
          type: 'managedserviceidentity',
          identity: uami,
          audience: 'https://vault.azure.net',
        },
      }).authentication,
      { type: 'ManagedServiceIdentity', identity: uami, audience: 'https://vault.azure.net' },
    );
    // The localized docs' "SystemAssigned" means no user-assigned identity.
    assert.deepEqual(
      httpInputs({ authentication: { type: 'ManagedServiceIdentity', identity: 'SystemAssigned' } })
        .authentication,
      {
        type: 'ManagedServiceIdentity',
        audience: 'https://management.azure.com/',
      },
    );
    refuses(
      () => httpInputs({ authentication: { type: 'ManagedServiceIdentity', identity: 'reporter' } }),
      'ERR_FLOW_DEFINITION',
      /'reporter' is not a user-assigned identity's resource id/,
      { reason: 'authentication' },
    );
  });

  it('other authentication types are refused for now, clearly', () => {
    for (const type of ['Basic', 'ActiveDirectoryOAuth', 'ClientCertificate', 'Raw', 'ManagedIdentity']) {
      refuses(
        () => httpInputs({ authentication: { type, username: 'u', password: 'p' } }),
        'ERR_FLOW_UNSUPPORTED',
        new RegExp(
          `actions\\.Call\\.inputs\\.authentication\\.type: authentication type '${type}' is not supported by Lanyard: Http actions authenticate with the workflow's managed identity only, for now\\. Supported: ManagedServiceIdentity\\.`,
        ),
      );
    }
  });

  it("checks the identity against the workflow resource's identities when the export has them", () => {
    const resource = (identity: unknown) => ({
      type: 'Microsoft.Logic/workflows',
      name: 'wf',
      identity,
      properties: {
        definition: def({
          Call: http({ authentication: { type: 'ManagedServiceIdentity', identity: uami } }),
        }),
      },
    });
    loadWorkflow(resource({ type: 'UserAssigned', userAssignedIdentities: { [uami.toUpperCase()]: {} } }));
    refuses(
      () => loadWorkflow(resource({ type: 'SystemAssigned' })),
      'ERR_FLOW_DEFINITION',
      /is not among the workflow's user-assigned identities/,
    );
    const systemOnly = {
      type: 'Microsoft.Logic/workflows',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [uami]: {} } },
      properties: { definition: def({ Call: http({ authentication: { type: 'ManagedServiceIdentity' } }) }) },
    };
    refuses(
      () => loadWorkflow(systemOnly),
      'ERR_FLOW_DEFINITION',
      /system-assigned identity, and the workflow has none/,
    );
  });
});

describe('retry policies and timeouts', () => {
  it('normalizes none, fixed, exponential and default', () => {
    assert.deepEqual(httpInputs({ retryPolicy: { type: 'None' } }).retryPolicy, { type: 'none' });
    assert.deepEqual(
      httpInputs({ retryPolicy: { type: 'fixed', count: 3, interval: 'PT10S' } }).retryPolicy,
      {
        type: 'fixed',
        count: 3,
        interval: { text: 'PT10S', ms: 10_000 },
      },
    );
    assert.deepEqual(
      httpInputs({
        retryPolicy: { type: 'exponential', count: 4, interval: 'PT7S', maximumInterval: 'PT1H' },
      }).retryPolicy,
      {
        type: 'exponential',
        count: 4,
        interval: { text: 'PT7S', ms: 7_000 },
        minimumInterval: { text: 'PT5S', ms: 5_000 },
        maximumInterval: { text: 'PT1H', ms: 3_600_000 },
      },
    );
    assert.deepEqual(
      httpInputs({ retryPolicy: { type: 'default' } }).retryPolicy,
      httpInputs({}).retryPolicy,
      'default is the policy an absent one gets',
    );
  });

  it('refuses bad shapes, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'fixed', count: 3 }, /retryPolicy\.interval: a 'fixed' retry policy needs an interval/],
      [
        { type: 'fixed', count: 91, interval: 'PT10S' },
        /retryPolicy\.count: must be a whole number of retries from 1 to 90/,
      ],
      [
        { type: 'fixed', count: 2, interval: 'PT1S' },
        /retryPolicy\.interval: 'PT1S' is outside the allowed range PT5S to P1D/,
      ],
      [{ type: 'fixed', count: 2, interval: '10s' }, /'10s' is not an ISO 8601 duration/],
      [{ type: 'none', count: 2 }, /retryPolicy\.count: a 'none' retry policy takes no 'count'/],
      [
        { type: 'fixed', count: 2, interval: 'PT10S', maximumInterval: 'PT1M' },
        /a 'fixed' retry policy takes no 'maximumInterval'/,
      ],
      [
        { type: 'linear' },
        /'linear' is not a retry policy type; use one of none, fixed, exponential, default/,
      ],
      [
        {
          type: 'exponential',
          count: 2,
          interval: 'PT10S',
          minimumInterval: 'PT1H',
          maximumInterval: 'PT1M',
        },
        /minimumInterval PT1H is longer than maximumInterval PT1M/,
      ],
    ];
    for (const [retryPolicy, message] of bad)
      refuses(() => httpInputs({ retryPolicy }), 'ERR_FLOW_DEFINITION', message);
  });

  it('parses limit.timeout as an ISO 8601 duration', () => {
    const a = load({ Call: { ...http(), limit: { timeout: 'PT1M30S' } } }).actions[0]!;
    assert.deepEqual(a.timeout, { text: 'PT1M30S', ms: 90_000 });
    refuses(
      () => load({ Call: { ...http(), limit: { timeout: '90' } } }),
      'ERR_FLOW_DEFINITION',
      /limit\.timeout: '90' is not an ISO 8601 duration/,
    );
    refuses(
      () => load({ Call: { ...http(), limit: { timeout: 'P91D' } } }),
      'ERR_FLOW_DEFINITION',
      /at most P90D/,
    );
  });

  it('durations: parts, fractions, weeks; a bare P or PT is not one', () => {
    assert.equal(durationMs('PT7.5S'), 7_500);
    assert.equal(durationMs('P1DT2H'), 93_600_000);
    assert.equal(durationMs('P1W'), 604_800_000);
    assert.equal(durationMs('P1Y'), 365 * 86_400_000);
    assert.equal(durationMs('P1M'), 30 * 86_400_000);
    assert.equal(durationMs('PT1M'), 60_000);
    for (const bad of ['P', 'PT', 'P1DT', 'PT-1S', '1H', 'pt1h', 'P1H', ''])
      assert.equal(durationMs(bad), undefined, bad);
  });
});

describe('where actions stand, and variables', () => {
  const init = (name: string, type: string, value?: unknown) => ({
    type: 'InitializeVariable',
    inputs: { variables: [{ name, type, ...(value === undefined ? {} : { value }) }] },
  });

  it('InitializeVariable only at the top level, each variable once', () => {
    refuses(
      () => load({ S: { type: 'Scope', actions: { V: init('n', 'Integer', 0) } } }),
      'ERR_FLOW_DEFINITION',
      /actions\.S\.actions\.V: InitializeVariable stands only at the top level of a workflow, not inside Scope 'S'/,
      { reason: 'placement' },
    );
    refuses(
      () =>
        load({ A: init('n', 'Integer', 0), B: { ...init('N', 'String'), runAfter: { A: ['Succeeded'] } } }),
      'ERR_FLOW_DEFINITION',
      /the variable 'N' is already initialized by actions\.A/,
    );
    refuses(
      () => load({ A: init('n', 'Integer', 'zero') }),
      'ERR_FLOW_DEFINITION',
      /the value "zero" is not of type Integer/,
    );
  });

  it('Set, Increment and Append name an initialized variable of a type they work on', () => {
    refuses(
      () => load({ Set: { type: 'SetVariable', inputs: { name: 'x', value: 1 } } }),
      'ERR_FLOW_DEFINITION',
      /actions\.Set\.inputs\.name: the variable 'x' is never initialized: no InitializeVariable action declares it/,
    );
    refuses(
      () =>
        load({
          V: init('s', 'String', ''),
          Inc: { type: 'IncrementVariable', inputs: { name: 's' }, runAfter: { V: ['Succeeded'] } },
        }),
      'ERR_FLOW_DEFINITION',
      /'s' is a String variable; IncrementVariable works on Integer and Float variables/,
    );
    refuses(
      () =>
        load({
          V: init('n', 'Integer', 0),
          App: {
            type: 'AppendToArrayVariable',
            inputs: { name: 'n', value: 1 },
            runAfter: { V: ['Succeeded'] },
          },
        }),
      'ERR_FLOW_DEFINITION',
      /AppendToArrayVariable works on Array variables/,
    );
    load({
      V: init('list', 'array', []),
      App: {
        type: 'AppendToArrayVariable',
        inputs: { name: 'list', value: 'red' },
        runAfter: { V: ['Succeeded'] },
      },
    });
  });

  it('a Response needs a Request trigger and stands outside loops; so does Terminate', () => {
    refuses(
      () =>
        load(
          { R: { type: 'Response', inputs: {} } },
          { triggers: { Recurrence: { type: 'Recurrence', recurrence: { frequency: 'Day', interval: 1 } } } },
        ),
      'ERR_FLOW_DEFINITION',
      /a Response answers a Request trigger; this workflow has none/,
    );
    refuses(
      () =>
        load({
          Loop: {
            type: 'Foreach',
            foreach: '@createArray(1)',
            actions: { R: { type: 'Response', inputs: {} } },
          },
        }),
      'ERR_FLOW_DEFINITION',
      /a Response cannot stand inside Foreach 'Loop'/,
    );
    refuses(
      () =>
        load({
          Loop: {
            type: 'Foreach',
            foreach: '@createArray(1)',
            actions: {
              S: { type: 'Scope', actions: { T: { type: 'Terminate', inputs: { runStatus: 'Failed' } } } },
            },
          },
        }),
      'ERR_FLOW_DEFINITION',
      /actions\.Loop\.actions\.S\.actions\.T: a Terminate cannot stand inside Foreach 'Loop'/,
    );
    refuses(
      () => load({ T: { type: 'Terminate', inputs: { runStatus: 'Succeeded', runError: { code: 'x' } } } }),
      'ERR_FLOW_DEFINITION',
      /a runError goes with runStatus Failed, not Succeeded/,
    );
  });

  it('Foreach: concurrency from Sequential or repetitions, not both', () => {
    const loop = (extra: Record<string, unknown>) => ({
      type: 'Foreach',
      foreach: '@createArray(1)',
      actions: {},
      ...extra,
    });
    const concurrency = (extra: Record<string, unknown>) => {
      const a = load({ L: loop(extra) }).actions[0]!;
      assert.ok(a.type === 'Foreach');
      return a.concurrency;
    };
    assert.equal(concurrency({}), 20);
    assert.equal(concurrency({ operationOptions: 'Sequential' }), 1);
    assert.equal(concurrency({ runtimeConfiguration: { concurrency: { repetitions: 5 } } }), 5);
    refuses(
      () =>
        concurrency({
          operationOptions: 'Sequential',
          runtimeConfiguration: { concurrency: { repetitions: 5 } },
        }),
      'ERR_FLOW_DEFINITION',
      /Sequential and runtimeConfiguration\.concurrency\.repetitions cannot both be set/,
    );
  });
});

describe('expression references (through the lister)', () => {
  it('refuses an action that is not defined', () => {
    refuses(
      () => load({ A: compose("@body('Nope')") }),
      'ERR_FLOW_DEFINITION',
      /actions\.A\.inputs: the action 'Nope' referenced by inputs of action 'A' is not defined in the workflow$/,
      { reason: 'reference' },
    );
  });

  it('refuses an action not sure to have run: a parallel sibling, a successor, one inside an If beside it', () => {
    refuses(
      () => load({ A: compose(1), B: compose("@body('A')") }),
      'ERR_FLOW_DEFINITION',
      /the action 'A' referenced by inputs of action 'B' is not sure to have run by then/,
    );
    refuses(
      () => load({ A: compose("@body('B')"), B: compose(1, { A: ['Succeeded'] }) }),
      'ERR_FLOW_DEFINITION',
      /the action 'B' referenced by inputs of action 'A'/,
    );
    refuses(
      () =>
        load({
          C: { type: 'If', expression: "@equals(body('Inner'), 1)", actions: { Inner: compose(1) } },
        }),
      'ERR_FLOW_DEFINITION',
      /actions\.C\.expression: the action 'Inner' referenced by expression of action 'C'/,
    );
  });

  it('accepts ancestors through runAfter (any status), actions inside them, and ancestors of a container', () => {
    load({
      A: compose(1),
      B: compose(2, { A: ['Failed'] }),
      C: compose("@concat(body('A'), body('B'))", { B: ['Succeeded', 'Skipped'] }),
      S: {
        type: 'Scope',
        runAfter: { C: ['Succeeded'] },
        actions: { In1: compose("@body('A')"), In2: compose("@body('In1')", { In1: ['Succeeded'] }) },
      },
      After: compose("@body('In2')", { S: ['Succeeded'] }),
      Loop: {
        type: 'Foreach',
        foreach: "@body('A')",
        runAfter: { After: ['Succeeded'] },
        actions: { Each: compose("@actions('Loop')") },
      },
    });
  });

  it('checks parameters and variables', () => {
    refuses(
      () => load({ A: compose("@parameters('missing')") }),
      'ERR_FLOW_DEFINITION',
      /the workflow parameter 'missing' referenced by inputs of action 'A' is not declared/,
    );
    refuses(
      () => load({ A: compose("@variables('count')") }),
      'ERR_FLOW_DEFINITION',
      /the variable 'count' referenced by inputs of action 'A' is never initialized/,
    );
    load(
      {
        V: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'count', type: 'Integer', value: 0 }] },
        },
        A: compose("@add(variables('count'), parameters('step'))", { V: ['Succeeded'] }),
      },
      { parameters: { step: { type: 'Int', defaultValue: 1 } } },
    );
  });

  it('a trigger reads no action or variable; outputs read any action that exists', () => {
    refuses(
      () =>
        load(
          { A: compose(1) },
          {
            triggers: { manual: { type: 'Request', conditions: [{ expression: "@equals(body('A'), 1)" }] } },
          },
        ),
      'ERR_FLOW_DEFINITION',
      /triggers\.manual\.conditions: trigger 'manual' reads action 'A', but a trigger fires before any action runs/,
    );
    load({ A: compose(1), B: compose(2) }, { outputs: { result: { type: 'Object', value: "@body('B')" } } });
    refuses(
      () => load({ A: compose(1) }, { outputs: { result: { type: 'Object', value: "@body('Z')" } } }),
      'ERR_FLOW_DEFINITION',
      /outputs\.result\.value: the action 'Z' referenced by value of output 'result' is not defined/,
    );
  });

  it('with references: null, references are not checked', () => {
    loadWorkflow(def({ A: compose("@body('Nope')") }), { references: null });
  });

  it('by default, the expression module checks references and syntax, naming the place', () => {
    assert.throws(
      () => loadWorkflow(def({ A: compose("@body('Nope')") })),
      (err: unknown) =>
        (err as { code?: string }).code === 'ERR_FLOW_DEFINITION' && /Nope/.test((err as Error).message),
    );
    assert.throws(
      () => loadWorkflow(def({ A: compose("@concat('a'") })),
      (err: unknown) =>
        (err as { code?: string }).code === 'ERR_FLOW_EXPRESSION' &&
        /^actions\.A\.inputs/.test((err as Error).message),
    );
  });
});
