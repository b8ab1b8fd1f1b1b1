import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CompiledExpression,
  compileString,
  compileValue,
  expressionReferences,
  listReferences,
  namesReferenced,
} from '../../../src/flows/expressions/index.ts';

test('every kind of reference, with the function as written and the name given', () => {
  const refs = listReferences(
    compileValue({
      uri: "@{body('Get_token')?['url']}/@{outputs('Step')['x']}",
      all: [
        "@actions('A')",
        "@actionBody('B')",
        "@actionOutputs('C')",
        "@result('Scope')",
        "@parameters('p')",
        "@variables('v')",
        '@triggerBody()',
        '@triggerOutputs()',
        '@trigger()',
        '@item()',
        "@items('Loop')",
        '@workflow()',
      ],
    }),
  );
  assert.deepEqual(
    refs.map((r) => [r.kind, r.function, r.name]),
    [
      ['action', 'body', 'Get_token'],
      ['action', 'outputs', 'Step'],
      ['action', 'actions', 'A'],
      ['action', 'actionBody', 'B'],
      ['action', 'actionOutputs', 'C'],
      ['action', 'result', 'Scope'],
      ['parameter', 'parameters', 'p'],
      ['variable', 'variables', 'v'],
      ['trigger', 'triggerBody', null],
      ['trigger', 'triggerOutputs', null],
      ['trigger', 'trigger', null],
      ['item', 'item', null],
      ['items', 'items', 'Loop'],
      ['workflow', 'workflow', null],
    ],
  );
});

test('each reference says where it is: the expression, its position in the string, the path', () => {
  const [first, second] = listReferences(
    compileValue({
      headers: { auth: "Bearer @{body('Get_token')?['access_token']}" },
      body: ['x', "@concat(parameters('a'), 'b')"],
    }),
  );
  assert.deepEqual(first, {
    kind: 'action',
    function: 'body',
    name: 'Get_token',
    dynamic: false,
    expression: "body('Get_token')?['access_token']",
    text: "Bearer @{body('Get_token')?['access_token']}",
    position: 9,
    path: ['headers', 'auth'],
  });
  assert.equal(second!.position, 8);
  assert.deepEqual(second!.path, ['body', 1]);
});

test('nested references are found, in argument and selector positions, in order', () => {
  const refs = listReferences(compileValue("@body('A')?[variables('key')][int(parameters('i'))]"));
  assert.deepEqual(
    refs.map((r) => r.name),
    ['A', 'key', 'i'],
  );
});

test('a computed name is marked dynamic and has no name', () => {
  const [ref] = listReferences(compileValue("@body(concat('Get_', variables('which')))"));
  assert.equal(ref!.name, null);
  assert.equal(ref!.dynamic, true);
  assert.equal(listReferences(compileValue('@triggerBody()'))[0]!.dynamic, false);
});

test('references in member names are found too', () => {
  const refs = listReferences(compileValue({ "@{variables('k')}": "@parameters('p')" }));
  assert.deepEqual(
    refs.map((r) => [r.kind, r.name, r.path]),
    [
      ['variable', 'k', ["@{variables('k')}"]],
      ['parameter', 'p', ["@{variables('k')}"]],
    ],
  );
});

test('expressionReferences on one compiled expression', () => {
  const compiled = compileString("@coalesce(body('X'), triggerBody())") as CompiledExpression;
  assert.deepEqual(
    expressionReferences(compiled, ['inputs']).map((r) => [r.function, r.name, r.path]),
    [
      ['body', 'X', ['inputs']],
      ['triggerBody', null, ['inputs']],
    ],
  );
});

test('literals and escaped strings refer to nothing', () => {
  assert.deepEqual(listReferences(compileValue({ a: "@@body('X')", b: "x @@{body('Y')}", c: 1 })), []);
});

test('namesReferenced: the names by kind, once each, for the definition validator', () => {
  assert.deepEqual(
    namesReferenced({
      a: "@body('X')",
      b: "@{outputs('X')} @{variables('v')} @{parameters('p')} @{body(variables('dyn'))}",
      c: "@result('S')",
    }),
    { actions: ['X', 'S'], variables: ['v', 'dyn'], parameters: ['p'] },
  );
  assert.throws(() => namesReferenced('@body('), { code: 'ERR_FLOW_EXPRESSION' });
});
