/**
 * @module test/flows/definition/load
 * The loader: seed 004's flow (a button → Get-Creds with the managed identity → Get-VM-Status → Response) as
 * each export form gives it loads to one normalized definition; unsupported types are refused by name; sizes,
 * action counts and nesting are bounded; parameters resolve from `{ value }` wrappers or `defaultValue`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../../src/flows/definition/load.ts';
import type { WorkflowDefinition } from '../../../src/flows/definition/types.ts';
import { compose, def, fakeReferences, fixture, fixtureText, http, refuses, SCHEMA } from './helpers.ts';

const standardParameters = fixture('seed004.standard-parameters.json') as Record<string, unknown>;

/** Power Automate adds a `$authentication` parameter and its trigger is a Button; the rest is the same flow. */
function asLogicApp(d: WorkflowDefinition): WorkflowDefinition {
  return {
    ...d,
    parameters: d.parameters.filter((p) => p.name !== '$authentication'),
    triggers: d.triggers.map((t) => (t.type === 'Request' ? { ...t, kind: 'Http' } : t)),
  };
}

describe('loading seed 004 from every export form', () => {
  const forms = {
    definition: loadWorkflow(fixture('seed004.definition.json'), { references: fakeReferences }),
    codeView: loadWorkflow(fixture('seed004.code-view.json'), { references: fakeReferences }),
    armTemplate: loadWorkflow(fixture('seed004.arm-template.json'), { references: fakeReferences }),
    armResource: loadWorkflow(fixture('seed004.arm-resource.json'), { references: fakeReferences }),
    standard: loadWorkflow(fixture('seed004.standard-workflow.json'), {
      parameters: standardParameters,
      references: fakeReferences,
    }),
    package: loadWorkflow(fixture('seed004.power-automate-package.json'), { references: fakeReferences }),
    solution: loadWorkflow(fixture('seed004.power-automate-solution.json'), { references: fakeReferences }),
  };

  it('recognises each form and what it says about the workflow', () => {
    assert.deepEqual(
      Object.values(forms).map((f) => f.form),
      [
        'definition',
        'code-view',
        'arm-template',
        'arm-resource',
        'standard',
        'power-automate-package',
        'power-automate-solution',
      ],
    );
    assert.equal(forms.armTemplate.name, 'rg-vm-report', "the name from the template's parameter default");
    assert.deepEqual(forms.armTemplate.identity, { systemAssigned: true, userAssigned: [] });
    assert.equal(forms.armResource.name, 'rg-vm-report');
    assert.equal(forms.armResource.state, 'Enabled');
    assert.equal(forms.standard.kind, 'Stateful');
    assert.equal(forms.package.name, 'RG VM Report');
    assert.equal(forms.solution.name, undefined);
  });

  it('the Logic Apps forms give the same definition; the Power Automate forms differ only by the button', () => {
    const expected = forms.definition.definition;
    for (const key of ['codeView', 'armTemplate', 'armResource', 'standard'] as const)
      assert.deepEqual(forms[key].definition, expected, key);
    assert.deepEqual(forms.package.definition, forms.solution.definition);
    assert.deepEqual(asLogicApp(forms.package.definition), expected);
    assert.equal(
      forms.package.definition.triggers[0]!.type === 'Request' && forms.package.definition.triggers[0]!.kind,
      'Button',
    );
  });

  it('normalizes: canonical schema and type names, resolved parameters, explicit defaults', () => {
    const d = forms.definition.definition;
    assert.equal(d.schema, SCHEMA);
    assert.equal(d.contentVersion, '1.0.0.0');
    assert.deepEqual(
      d.parameters.map((p) => [p.name, p.type, p.value, p.secure]),
      [
        ['$connections', 'object', {}, false],
        ['functionsBaseUrl', 'string', 'https://rg-vm-report.localhost', false],
      ],
    );
    assert.deepEqual(
      d.actions.map((a) => [a.name, a.type, a.runAfter]),
      [
        ['Get_Creds', 'Http', []],
        ['Get_VM_Status', 'Http', [{ action: 'Get_Creds', statuses: ['Succeeded'] }]],
        ['Response', 'Response', [{ action: 'Get_VM_Status', statuses: ['Succeeded'] }]],
      ],
    );
    const [getCreds, getVmStatus, response] = d.actions;
    assert.ok(getCreds?.type === 'Http' && getVmStatus?.type === 'Http' && response?.type === 'Response');
    assert.deepEqual(getCreds.inputs.authentication, {
      type: 'ManagedServiceIdentity',
      audience: 'api://get-creds',
    });
    assert.deepEqual(getCreds.inputs.retryPolicy, {
      type: 'exponential',
      count: 4,
      interval: { text: 'PT7.5S', ms: 7500 },
      minimumInterval: { text: 'PT5S', ms: 5000 },
      maximumInterval: { text: 'PT45S', ms: 45000 },
    });
    assert.deepEqual(getVmStatus.inputs.body, {
      applicationId: "@body('Get_Creds')?['applicationId']",
      applicationSecret: "@body('Get_Creds')?['applicationSecret']",
      subscriptionId: "@body('Get_Creds')?['subscriptionId']",
    });
    assert.equal(getVmStatus.secureInputs, true);
    assert.equal(getVmStatus.secureOutputs, false);
    assert.equal(response.inputs.statusCode, 200);
    const trigger = d.triggers[0]!;
    assert.ok(trigger.type === 'Request');
    assert.equal(trigger.kind, 'Http');
    assert.equal(trigger.path, 'triggers.manual');
    assert.equal(trigger.schemaValidation, false);
  });

  it('reads JSON text strictly: a repeated action name is refused, not collapsed', () => {
    assert.deepEqual(
      loadWorkflow(fixtureText('seed004.code-view.json')).definition,
      forms.codeView.definition,
    );
    const text = JSON.stringify(def({ A: compose(1) })).replace(
      '"actions":{',
      '"actions":{"A":{"type":"Compose","inputs":0},',
    );
    refuses(() => loadWorkflow(text), 'ERR_FLOW_DEFINITION', /"A" appears twice/, { reason: 'json' });
    refuses(() => loadWorkflow('[1]'), 'ERR_FLOW_DEFINITION', /not a usable JSON object/);
  });

  it('refuses what is not an export, and a schema other than the 2016-06-01 language', () => {
    refuses(() => loadWorkflow({ hello: 'world' }), 'ERR_FLOW_DEFINITION', /not a workflow export/, {
      reason: 'form',
    });
    refuses(
      () =>
        loadWorkflow(
          def(
            {},
            { $schema: 'https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#' },
          ),
        ),
      'ERR_FLOW_DEFINITION',
      /is not the workflow definition schema/,
      { path: '$schema', reason: 'schema' },
    );
    refuses(() => loadWorkflow(def({}, { extra: 1 })), 'ERR_FLOW_DEFINITION', /unknown member 'extra'/);
  });
});

describe('unsupported types are refused by name', () => {
  it('an action type, with its path and the supported list, even deep in a container', () => {
    const d = def({
      Outer: { type: 'Scope', actions: { Pick: { type: 'Switch', expression: '@1', cases: {} } } },
    });
    refuses(
      () => loadWorkflow(d),
      'ERR_FLOW_UNSUPPORTED',
      /^Workflow definition, actions\.Outer\.actions\.Pick: action type 'Switch' is not supported by Lanyard\. Supported: Http, Compose, ParseJson, InitializeVariable, SetVariable, IncrementVariable, AppendToArrayVariable, If, Scope, Foreach, Response, Terminate\.$/,
      { path: 'actions.Outer.actions.Pick', type: 'Switch' },
    );
  });

  it("Power Automate's connector actions and other triggers", () => {
    refuses(
      () =>
        loadWorkflow(
          def({
            Send: {
              type: 'OpenApiConnection',
              inputs: { host: { operationId: 'SendEmailV2' }, parameters: {} },
            },
          }),
        ),
      'ERR_FLOW_UNSUPPORTED',
      /action type 'OpenApiConnection'/,
    );
    refuses(
      () => loadWorkflow(def({}, { triggers: { When: { type: 'ApiConnection', inputs: {} } } })),
      'ERR_FLOW_UNSUPPORTED',
      /triggers\.When: trigger type 'ApiConnection' is not supported by Lanyard\. Supported: Request, Recurrence\./,
    );
  });

  it('options that change how a run goes: splitOn, pagination, static results', () => {
    refuses(
      () =>
        loadWorkflow(
          def({}, { triggers: { manual: { type: 'Request', kind: 'Http', splitOn: '@triggerBody()' } } }),
        ),
      'ERR_FLOW_UNSUPPORTED',
      /triggers\.manual\.splitOn: trigger member 'splitOn'/,
    );
    refuses(
      () =>
        loadWorkflow(
          def({ Get: { ...http(), runtimeConfiguration: { paginationPolicy: { minimumItemCount: 10 } } } }),
        ),
      'ERR_FLOW_UNSUPPORTED',
      /runtime configuration 'paginationPolicy'/,
    );
    refuses(
      () =>
        loadWorkflow(
          def({
            Get: {
              ...http(),
              runtimeConfiguration: { staticResult: { name: 'Get0', staticResultOptions: 'Enabled' } },
            },
          }),
        ),
      'ERR_FLOW_UNSUPPORTED',
      /staticResult/,
    );
    // A static result switched off changes nothing, so it loads.
    loadWorkflow(
      def({
        Get: {
          ...http(),
          runtimeConfiguration: { staticResult: { name: 'Get0', staticResultOptions: 'Disabled' } },
        },
      }),
    );
  });
});

describe('type names and shapes', () => {
  it('matches type names without case and writes them canonically', () => {
    const d = loadWorkflow(
      def(
        {
          a: { type: 'compose', inputs: 1 },
          b: { type: 'FOREACH', foreach: '@createArray(1)', actions: {}, runAfter: { a: ['succeeded'] } },
          c: {
            type: 'initializevariable',
            inputs: { variables: [{ name: 'n', type: 'integer', value: 0 }] },
          },
        },
        { triggers: { manual: { type: 'request', kind: 'button' } } },
      ),
    ).definition;
    assert.deepEqual(
      d.actions.map((a) => a.type),
      ['Compose', 'Foreach', 'InitializeVariable'],
    );
    assert.deepEqual(d.actions[1]!.runAfter, [{ action: 'a', statuses: ['Succeeded'] }]);
    assert.ok(d.actions[2]!.type === 'InitializeVariable');
    assert.equal(d.actions[2]!.inputs.type, 'Integer');
    assert.ok(d.triggers[0]!.type === 'Request');
    assert.equal(d.triggers[0]!.kind, 'Button');
  });

  it("matches fixed member names without case, as Azure's reader does; names chosen by the user keep theirs", () => {
    const d = loadWorkflow({
      $Schema: SCHEMA,
      Triggers: { manual: { Type: 'Request', Kind: 'Http' } },
      Actions: {
        First: { Type: 'Compose', Inputs: { Keep: 'As Written' } },
        Call: {
          TYPE: 'Http',
          runafter: { First: ['Succeeded'] },
          inputs: {
            Method: 'get',
            URI: 'https://api.example/x',
            Authentication: { Type: 'ManagedServiceIdentity', Audience: 'api://x' },
            RetryPolicy: { Type: 'Fixed', Count: 2, Interval: 'PT10S' },
          },
          Limit: { Timeout: 'PT1M' },
        },
      },
    }).definition;
    const [first, call] = d.actions;
    assert.ok(first?.type === 'Compose' && call?.type === 'Http');
    assert.deepEqual(first.inputs, { Keep: 'As Written' });
    assert.deepEqual(call.runAfter, [{ action: 'First', statuses: ['Succeeded'] }]);
    assert.deepEqual(call.inputs.authentication, { type: 'ManagedServiceIdentity', audience: 'api://x' });
    assert.deepEqual(call.inputs.retryPolicy, {
      type: 'fixed',
      count: 2,
      interval: { text: 'PT10S', ms: 10_000 },
    });
    assert.equal(call.timeout?.ms, 60_000);
    refuses(
      () => loadWorkflow(def({ A: { type: 'Compose', inputs: 1, Inputs: 2 } })),
      'ERR_FLOW_DEFINITION',
      /actions\.A\.inputs: the member 'inputs' is written twice, in two cases/,
    );
  });

  it('refuses unknown members and missing inputs, naming the place', () => {
    refuses(
      () => loadWorkflow(def({ Get: http({ timeout: 5 }) })),
      'ERR_FLOW_DEFINITION',
      /actions\.Get\.inputs: unknown member 'timeout'/,
      { reason: 'shape' },
    );
    refuses(
      () => loadWorkflow(def({ Parse: { type: 'ParseJson', inputs: { content: '@triggerBody()' } } })),
      'ERR_FLOW_DEFINITION',
      /actions\.Parse\.inputs\.schema: schema is required/,
    );
    refuses(
      () => loadWorkflow(def({ Get: { type: 'Http', inputs: { method: 'GET', uri: 'ftp://x/y' } } })),
      'ERR_FLOW_DEFINITION',
      /'ftp:' URIs are not callable/,
    );
    refuses(
      () => loadWorkflow(def({ 'Ends.': compose(1) })),
      'ERR_FLOW_DEFINITION',
      /must not end with "\."/,
      { reason: 'name' },
    );
    refuses(
      () => loadWorkflow(def({ Same: { type: 'Scope', actions: { same: compose(1) } } })),
      'ERR_FLOW_DEFINITION',
      /actions\.Same\.actions\.same: the name 'same' is already used by actions\.Same/,
    );
  });

  it('keeps the Response status code, refuses a redirect, and checks If conditions', () => {
    refuses(
      () => loadWorkflow(def({ R: { type: 'Response', inputs: { statusCode: 302 } } })),
      'ERR_FLOW_DEFINITION',
      /302 is not a status code a Response may send/,
    );
    const d = loadWorkflow(
      def({
        Check: {
          type: 'If',
          expression: {
            and: [{ equals: ["@triggerBody()?['x']", 1] }, { not: { contains: ['@{1}', '1'] } }],
          },
          actions: { Yes: compose(1) },
          else: { actions: { No: compose(2) } },
        },
      }),
    ).definition;
    assert.ok(d.actions[0]!.type === 'If');
    assert.deepEqual(
      [d.actions[0]!.actions[0]!.path, d.actions[0]!.else[0]!.path],
      ['actions.Check.actions.Yes', 'actions.Check.else.actions.No'],
    );
    refuses(
      () => loadWorkflow(def({ Check: { type: 'If', expression: { equal: [1, 1] }, actions: {} } })),
      'ERR_FLOW_DEFINITION',
      /actions\.Check\.expression\.equal: 'equal' is not a condition operator/,
    );
  });
});

describe('bounds', () => {
  it('the size of a definition', () => {
    const big = def({ A: compose('x'.repeat(2000)) });
    refuses(() => loadWorkflow(big, { maxBytes: 1000 }), 'ERR_FLOW_DEFINITION', /larger than 1000 bytes/, {
      reason: 'limit',
    });
    refuses(
      () => loadWorkflow(JSON.stringify(big), { maxBytes: 1000 }),
      'ERR_FLOW_DEFINITION',
      /larger than 1000/,
    );
  });

  it('the number of actions, nested ones counted', () => {
    const actions = { A: compose(1), S: { type: 'Scope', actions: { B: compose(2), C: compose(3) } } };
    assert.equal(loadWorkflow(def(actions), { limits: { maxActions: 4 } }).definition.actions.length, 2);
    refuses(
      () => loadWorkflow(def(actions), { limits: { maxActions: 3 } }),
      'ERR_FLOW_DEFINITION',
      /actions\.S\.actions\.C: the workflow has more than 3 actions/,
    );
  });

  it('nesting: an action may sit inside 8 containers, not 9', () => {
    const nest = (levels: number): Record<string, unknown> => {
      let inner: Record<string, unknown> = { Leaf: compose(1) };
      for (let i = levels; i >= 1; i--) inner = { [`S${i}`]: { type: 'Scope', actions: inner } };
      return inner;
    };
    loadWorkflow(def(nest(8)));
    refuses(() => loadWorkflow(def(nest(9))), 'ERR_FLOW_DEFINITION', /nest deeper than 8 containers/);
  });

  it('JSON nesting, for objects and text alike', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    refuses(() => loadWorkflow(def({ A: compose(deep) })), 'ERR_FLOW_DEFINITION', /nests deeper than 64/);
    refuses(
      () => loadWorkflow(JSON.stringify(def({ A: compose(deep) }))),
      'ERR_FLOW_DEFINITION',
      /nested too deeply/,
    );
  });
});

describe('parameters', () => {
  const declared = {
    env: { type: 'String', defaultValue: 'test', allowedValues: ['test', 'prod'] },
    key: { type: 'SecureString', defaultValue: 's3cret' },
  };

  it('a value wrapper overrides the default; secure types are marked', () => {
    const loaded = loadWorkflow({
      definition: def({}, { parameters: declared }),
      parameters: { env: { value: 'prod' } },
    });
    assert.deepEqual(loaded.definition.parameters, [
      { name: 'env', type: 'string', value: 'prod', secure: false, allowedValues: ['test', 'prod'] },
      { name: 'key', type: 'securestring', value: 's3cret', secure: true },
    ]);
  });

  it('refuses a missing value, a wrong type, a value not allowed, and a value for nothing declared', () => {
    refuses(
      () => loadWorkflow(def({}, { parameters: { n: { type: 'int' } } })),
      'ERR_FLOW_DEFINITION',
      /parameters\.n: 'n' has no value/,
      { reason: 'parameter' },
    );
    refuses(
      () =>
        loadWorkflow({
          definition: def({}, { parameters: { n: { type: 'Int' } } }),
          parameters: { n: { value: '5' } },
        }),
      'ERR_FLOW_DEFINITION',
      /parameters\.n: the value of 'n' is not of type int/,
    );
    refuses(
      () =>
        loadWorkflow({
          definition: def({}, { parameters: declared }),
          parameters: { env: { value: 'dev' } },
        }),
      'ERR_FLOW_DEFINITION',
      /not one of its allowedValues/,
    );
    refuses(
      () =>
        loadWorkflow({ definition: def({}, { parameters: declared }), parameters: { other: { value: 1 } } }),
      'ERR_FLOW_DEFINITION',
      /a value is given for 'other', which the definition does not declare/,
    );
    refuses(
      () => loadWorkflow({ definition: def({}, { parameters: declared }), parameters: { env: 'prod' } }),
      'ERR_FLOW_DEFINITION',
      /a parameter value is written \{ "value": … \}/,
    );
  });
});

describe('ARM templates', () => {
  const template = (definition: unknown, parameters: unknown = {}) => ({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    resources: [
      { type: 'Microsoft.Web/connections', name: 'office365', properties: {} },
      { type: 'Microsoft.Logic/workflows', name: 'wf', properties: { definition, parameters } },
    ],
  });

  it('refuses ARM expressions a deployment would evaluate, and unescapes [[', () => {
    refuses(
      () => loadWorkflow(template(def({ Get: http({ uri: "[concat('https://', parameters('host'))]" }) }))),
      'ERR_FLOW_DEFINITION',
      /actions\.Get\.inputs\.uri: .* is an ARM template expression/,
      { reason: 'arm-expression' },
    );
    const d = loadWorkflow(template(def({ A: compose('[[literal]') }))).definition;
    assert.ok(d.actions[0]!.type === 'Compose');
    assert.equal(d.actions[0]!.inputs, '[literal]');
  });

  it('picks the workflow resource, and asks which when there are several', () => {
    assert.equal(loadWorkflow(template(def({}))).name, 'wf');
    const two = template(def({}));
    two.resources.push({
      type: 'Microsoft.Logic/workflows',
      name: 'wf2',
      properties: { definition: def({}), parameters: {} },
    });
    refuses(() => loadWorkflow(two), 'ERR_FLOW_DEFINITION', /holds 2 workflows \(wf, wf2\)/);
    assert.equal(loadWorkflow(two, { resourceName: 'wf2' }).name, 'wf2');
  });
});
