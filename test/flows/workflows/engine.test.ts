/**
 * @module test/flows/workflows/engine
 * The run engine on definitions loaded as Azure exports them: expressions reading the trigger and earlier
 * actions, runAfter and the run's status (a handled failure, the skipped cascade), If branches, Foreach with
 * variables, Terminate, Response, secureData in the stored record, ParseJson, outputs, the run's time limit and
 * cancel. Http actions go through a service the test writes (the Http executor has its own tests, and the
 * runtime's tests use the real one against real servers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../../src/flows/definition/load.ts';
import { type RunServices, startRun } from '../../../src/flows/workflows/engine/run.ts';
import type { HttpActionRequest, HttpActionResult } from '../../../src/flows/workflows/http-action.ts';
import type { ActionRecord, ResponseRecord, RunRecord } from '../../../src/flows/workflows/records.ts';
import { compose, def } from '../definition/helpers.ts';

const noHttp = async (): Promise<HttpActionResult> => {
  throw new Error('no Http action in this test');
};

function services(http: RunServices['http'] = noHttp, extra: Partial<RunServices> = {}): RunServices {
  return { now: Date.now, newGuid: () => crypto.randomUUID(), http, ...extra };
}

async function run(
  definition: Record<string, unknown>,
  o: {
    body?: unknown;
    http?: RunServices['http'];
    respond?: (r: ResponseRecord) => boolean;
    extra?: Partial<RunServices>;
    signal?: AbortSignal;
  } = {},
): Promise<RunRecord> {
  const loaded = loadWorkflow(definition);
  const started = startRun({
    workflow: {
      tenantId: 't',
      resourceId: 'r',
      name: 'wf',
      workflowId: '0'.repeat(32),
      version: '1'.repeat(20),
      armId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Logic/workflows/wf',
      definition: loaded.definition,
    },
    trigger: { name: 'manual', type: 'Request', outputs: { headers: {}, body: (o.body ?? {}) as never } },
    services: services(o.http, o.extra),
    ...(o.respond ? { respond: o.respond } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  assert.equal(started.first.status, 'Running');
  assert.match(started.name, /^\d{20}CU\d{2}$/);
  return started.done;
}

function action(r: RunRecord, name: string): ActionRecord {
  const a = r.actions.find((x) => x.name === name);
  assert.ok(a, `no record of ${name}: ${r.actions.map((x) => x.name).join(', ')}`);
  return a;
}

describe('workflow engine', () => {
  it('evaluates expressions over the trigger and earlier actions', async () => {
    const r = await run(
      def({
        Greet: compose("@concat('hello ', triggerBody()?['who'])"),
        Shout: compose("@{toUpper(outputs('Greet'))}!", { Greet: ['Succeeded'] }),
      }),
      { body: { who: 'flow' } },
    );
    assert.equal(r.status, 'Succeeded');
    assert.equal(action(r, 'Greet').outputs, 'hello flow');
    assert.equal(action(r, 'Shout').outputs, 'HELLO FLOW!');
    assert.equal(action(r, 'Shout').code, 'OK');
    assert.match(action(r, 'Shout').startTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.equal(r.trigger.name, 'manual');
  });

  it('skips a successor of a failed action, fails the run, and a Failed handler makes it succeed', async () => {
    const failing = def({
      Bad: compose("@int('not a number')"),
      After: compose('x', { Bad: ['Succeeded'] }),
      Then: compose('y', { After: ['Succeeded'] }),
    });
    const r = await run(failing);
    assert.equal(r.status, 'Failed');
    assert.deepEqual(r.error, {
      code: 'ActionFailed',
      message: 'An action failed. No dependent actions succeeded.',
    });
    assert.equal(action(r, 'Bad').status, 'Failed');
    assert.equal(action(r, 'Bad').code, 'InvalidTemplate');
    assert.match(
      action(r, 'Bad').error!.message,
      /Unable to process template language expressions in action 'Bad'/,
    );
    assert.equal(action(r, 'After').status, 'Skipped');
    assert.match(action(r, 'After').error!.message, /'runAfter' condition for action 'Bad' is not satisfied/);
    assert.equal(action(r, 'Then').status, 'Skipped');

    const handled = await run(
      def({
        Bad: compose("@int('not a number')"),
        Handle: compose("@actions('Bad')?['status']", { Bad: ['Failed', 'TimedOut'] }),
      }),
    );
    assert.equal(handled.status, 'Succeeded');
    assert.equal(action(handled, 'Handle').outputs, 'Failed');
  });

  it('runs the taken branch of an If and skips the other', async () => {
    const r = await run(
      def({
        Check: {
          type: 'If',
          expression: { and: [{ greater: ["@triggerBody()?['n']", 5] }, { not: { equals: ['a', 'b'] } }] },
          actions: { Big: compose('big') },
          else: { actions: { Small: compose('small') } },
          runAfter: {},
        },
      }),
      { body: { n: 9 } },
    );
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(action(r, 'Check').inputs, { expressionResult: true });
    assert.equal(action(r, 'Big').outputs, 'big');
    assert.equal(action(r, 'Small').status, 'Skipped');
    assert.equal(action(r, 'Small').error!.code, 'ActionBranchingConditionNotSatisfied');
  });

  it('runs a Foreach with variables: increments are never lost, items and repetition indexes are right', async () => {
    const r = await run(
      def({
        Count: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'count', type: 'integer', value: 0 }] },
          runAfter: {},
        },
        Seen: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'seen', type: 'Array' }] },
          runAfter: { Count: ['Succeeded'] },
        },
        Each: {
          type: 'Foreach',
          foreach: "@triggerBody()?['items']",
          actions: {
            Add: { type: 'IncrementVariable', inputs: { name: 'count', value: '@item()' }, runAfter: {} },
            Double: compose("@mul(items('Each'), 2)", { Add: ['Succeeded'] }),
          },
          runAfter: { Seen: ['Succeeded'] },
        },
        Total: compose("@variables('count')", { Each: ['Succeeded'] }),
      }),
      { body: { items: Array.from({ length: 30 }, (_, i) => i + 1) } },
    );
    assert.equal(r.status, 'Succeeded');
    assert.equal(action(r, 'Total').outputs, 465);
    const doubles = r.actions.filter((a) => a.name === 'Double');
    assert.equal(doubles.length, 30);
    const third = doubles.find((d) => d.repetitionIndexes?.[0]?.itemIndex === 2);
    assert.equal(third?.outputs, 6);
    assert.deepEqual(third?.repetitionIndexes, [{ scopeName: 'Each', itemIndex: 2 }]);
  });

  it('fails a Foreach over something that is not an array, and a variable set with the wrong type', async () => {
    const r = await run(
      def({
        Each: { type: 'Foreach', foreach: "@triggerBody()?['name']", actions: {}, runAfter: {} },
        V: {
          type: 'InitializeVariable',
          inputs: { variables: [{ name: 'n', type: 'Integer' }] },
          runAfter: {},
        },
        Set: { type: 'SetVariable', inputs: { name: 'n', value: 'text' }, runAfter: { V: ['Succeeded'] } },
      }),
      { body: { name: 'x' } },
    );
    assert.equal(r.status, 'Failed');
    assert.match(action(r, 'Each').error!.message, /is of type 'String'. The result must be a valid array/);
    assert.match(
      action(r, 'Set').error!.message,
      /The variable 'n' of type 'Integer' cannot be initialized or updated with value of type 'String'/,
    );
  });

  it('lets Terminate decide the run: its status and error, and nothing after it runs', async () => {
    const r = await run(
      def({
        Stop: {
          type: 'Terminate',
          inputs: { runStatus: 'Failed', runError: { code: 'NoVMs', message: "@concat('none in ', 'rg1')" } },
          runAfter: {},
        },
        Later: compose('never', { Stop: ['Succeeded'] }),
      }),
    );
    assert.equal(r.status, 'Failed');
    assert.deepEqual(r.error, { code: 'NoVMs', message: 'none in rg1' });
    assert.equal(
      r.actions.find((a) => a.name === 'Later'),
      undefined,
    );
  });

  it('hands the Response to the caller once; a second Response fails', async () => {
    const answers: ResponseRecord[] = [];
    const r = await run(
      def({
        Reply: {
          type: 'Response',
          kind: 'Http',
          inputs: { statusCode: 201, headers: { 'X-Thing': 1, 'Set-Cookie': 'a=b' }, body: { ok: '@true' } },
          runAfter: {},
        },
        Again: {
          type: 'Response',
          kind: 'Http',
          inputs: { statusCode: 200 },
          runAfter: { Reply: ['Succeeded'] },
        },
      }),
      {
        respond: (x) => {
          answers.push(x);
          return true;
        },
      },
    );
    assert.equal(answers.length, 1);
    assert.deepEqual(answers[0], { statusCode: 201, headers: { 'X-Thing': '1' }, body: { ok: true } });
    assert.deepEqual(r.response, answers[0]);
    assert.equal(action(r, 'Again').status, 'Failed');
    assert.equal(r.status, 'Failed');
  });

  it('keeps secured inputs and outputs out of the stored record, and masks their values downstream', async () => {
    const r = await run(
      def({
        Secret: {
          type: 'Compose',
          inputs: { password: "@triggerBody()?['password']" },
          runAfter: {},
          runtimeConfiguration: { secureData: { properties: ['outputs'] } },
        },
        Use2: compose("@concat('pw=', outputs('Secret')?['password'])", { Secret: ['Succeeded'] }),
      }),
      { body: { password: 'hunter2-very-secret' } },
    );
    const secret = action(r, 'Secret');
    assert.equal(secret.outputs, undefined);
    assert.deepEqual(secret.secured, ['outputs']);
    assert.equal(action(r, 'Use2').outputs, 'pw=***');
    assert.ok(!JSON.stringify(r.actions.filter((a) => a.name !== 'Secret')).includes('hunter2'));
  });

  it('masks a secured value in contents only: the run keeps its tenant, workflow, names and statuses', async () => {
    // Seed 004's Get-Creds answers with the tenant id (secured outputs): the run must stay its tenant's.
    const tenantId = '7db9058d-daff-4163-b923-542830604db3';
    const started = startRun({
      workflow: {
        tenantId,
        resourceId: 'resource-1',
        name: 'vm-report-flow',
        workflowId: '0'.repeat(32),
        version: '1'.repeat(20),
        armId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Logic/workflows/vm-report-flow',
        definition: loadWorkflow(
          def({
            Get_Creds: {
              type: 'Compose',
              inputs: { tenantId, workflow: 'vm-report-flow', status: 'Succeeded', name: 'Get_Creds' },
              runAfter: {},
              runtimeConfiguration: { secureData: { properties: ['outputs'] } },
            },
            Use: compose("@outputs('Get_Creds')?['tenantId']", { Get_Creds: ['Succeeded'] }),
          }),
        ).definition,
      },
      trigger: { name: 'manual', type: 'Request', outputs: { headers: {}, body: {} } },
      services: services(),
    });
    const r = await started.done;
    assert.equal(r.tenantId, tenantId);
    assert.equal(r.workflow, 'vm-report-flow');
    assert.equal(r.resourceId, 'resource-1');
    assert.equal(r.status, 'Succeeded');
    assert.deepEqual(
      r.actions.map((a) => [a.name, a.status]),
      [
        ['Get_Creds', 'Succeeded'],
        ['Use', 'Succeeded'],
      ],
    );
    assert.equal(action(r, 'Use').outputs, '***');
    assert.deepEqual(action(r, 'Get_Creds').secured, ['outputs']);
  });

  it('parses JSON content and checks it against the schema', async () => {
    const schema = {
      type: 'object',
      properties: { vms: { type: 'array', items: { type: 'string' } } },
      required: ['vms'],
    };
    const ok = await run(
      def({ Parse: { type: 'ParseJson', inputs: { content: '{"vms":["a","b"]}', schema }, runAfter: {} } }),
    );
    assert.deepEqual(action(ok, 'Parse').outputs, { body: { vms: ['a', 'b'] } });
    const bad = await run(
      def({ Parse: { type: 'ParseJson', inputs: { content: '{"vms":[1]}', schema }, runAfter: {} } }),
    );
    assert.equal(action(bad, 'Parse').code, 'ValidationFailed');
    assert.match(action(bad, 'Parse').error!.message, /vms\[0\]: expected string, got integer/);
  });

  it('evaluates the definition’s outputs when the run ends', async () => {
    const r = await run(
      def({ A: compose(41) }, { outputs: { answer: { type: 'Int', value: "@add(outputs('A'), 1)" } } }),
    );
    assert.deepEqual(r.outputs, { answer: { type: 'int', value: 42 } });
  });

  it('passes evaluated Http inputs to the Http service and records what it returns', async () => {
    const seen: HttpActionRequest[] = [];
    const r = await run(
      def({
        Call: {
          type: 'Http',
          inputs: {
            method: 'POST',
            uri: "@concat('https://api.example/', triggerBody()?['path'])",
            body: { n: "@triggerBody()?['n']" },
            authentication: { type: 'ManagedServiceIdentity', audience: 'api://thing' },
          },
          runAfter: {},
        },
        Read: compose("@body('Call')?['answer']", { Call: ['Succeeded'] }),
      }),
      {
        body: { path: 'items', n: 3 },
        http: async (req) => {
          seen.push(req);
          return {
            status: 'Succeeded',
            code: 'OK',
            inputs: { method: req.method, uri: req.uri },
            outputs: { statusCode: 200, headers: {}, body: { answer: 'eyJhbGciOi.eyJzdWIiOi.sig' } },
            retryHistory: [],
            secrets: [],
          };
        },
      },
    );
    assert.equal(seen[0]!.uri, 'https://api.example/items');
    assert.deepEqual(seen[0]!.body, { n: 3 });
    assert.equal(seen[0]!.authentication?.audience, 'api://thing');
    assert.equal(seen[0]!.workflowHeaders['x-ms-workflow-operation-name'], 'Call');
    assert.equal(seen[0]!.workflowHeaders['x-ms-workflow-run-id'], r.name);
    // A JWT-shaped text is masked in what is stored, whoever returned it.
    assert.equal(action(r, 'Read').outputs, '***');
  });

  it('stops a run past its time limit (TimedOut) and a cancelled one (Cancelled), aborting Http in flight', async () => {
    const hang: RunServices['http'] = (req, signal) =>
      new Promise((resolve) => {
        signal.addEventListener('abort', () =>
          resolve({
            status: 'Cancelled' as never,
            code: 'ActionCancelled',
            inputs: { uri: req.uri },
            retryHistory: [],
            secrets: [],
          }),
        );
      });
    const flow = def({
      Call: { type: 'Http', inputs: { method: 'GET', uri: 'https://api.example/slow' }, runAfter: {} },
      Next: compose('x', { Call: ['Succeeded'] }),
    });
    const timed = await run(flow, { http: hang, extra: { runTimeoutMs: 50 } });
    assert.equal(timed.status, 'TimedOut');
    assert.equal(action(timed, 'Call').status, 'Cancelled');
    const ac = new AbortController();
    setTimeout(() => ac.abort('stopped by a test'), 30);
    const cancelled = await run(flow, { http: hang, signal: ac.signal });
    assert.equal(cancelled.status, 'Cancelled');
    assert.equal(cancelled.error?.message, 'stopped by a test');
  });
});
