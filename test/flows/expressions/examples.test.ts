/**
 * Whole values as Microsoft's documentation and exported definitions write them, evaluated end to end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileValue,
  createContext,
  evaluateValue,
  listReferences,
} from '../../../src/flows/expressions/index.ts';
import { run, sample } from './helpers.ts';

test("the Workflow Definition Language's table of string values", () => {
  const ctx = sample({
    parameters: { myBirthMonth: 'January', myAge: 42, firstName: 'Sophia', lastName: 'Owen' },
  });
  const cases: [string, unknown][] = [
    ['Sophia Owen', 'Sophia Owen'],
    ['array[1]', 'array[1]'],
    ['@@', '@'],
    [' @', ' @'],
    ["@parameters('myBirthMonth')", 'January'],
    ["@{parameters('myBirthMonth')}", 'January'],
    ["@parameters('myAge')", 42],
    ["@{parameters('myAge')}", '42'],
    ["My age is @{parameters('myAge')}", 'My age is 42'],
    ["@concat('My age is ', string(parameters('myAge')))", 'My age is 42'],
    ["My age is @@{parameters('myAge')}", "My age is @{parameters('myAge')}"],
    ["@concat('Sophia', 'Owen')", 'SophiaOwen'],
    ["@concat(parameters('firstName'), parameters('lastName'))", 'SophiaOwen'],
  ];
  for (const [value, expected] of cases) assert.equal(run(value, ctx), expected, value);
});

test("a Request trigger's body in a sentence", () => {
  assert.equal(run("@{triggerBody()?['name']} is @{parameters('age')}"), 'Sophia Owen is 42');
  const anonymous = sample({ trigger: { name: 'manual', outputs: { body: {} } } });
  assert.equal(run("@{triggerBody()?['name']} is @{parameters('age')}", anonymous), ' is 42');
});

test("a Compose of two variables (Azure's action reference)", () => {
  const ctx = sample({ variables: { s: 'abcdefg', i: 1234 } });
  assert.equal(run("@{variables('s')}@{variables('i')}", ctx), 'abcdefg1234');
});

test('a Power Automate link built from workflow() tags', () => {
  const ctx = sample({
    workflow: { name: 'f-1', tags: { environmentName: 'Default-1', flowDisplayName: 'My flow' } },
  });
  assert.equal(
    run(
      "<a href=https://flow.microsoft.com/manage/environments/@{workflow()['tags']['environmentName']}/flows/@{workflow()['name']}/details>Open flow @{workflow()['tags']['flowDisplayName']}</a>",
      ctx,
    ),
    '<a href=https://flow.microsoft.com/manage/environments/Default-1/flows/f-1/details>Open flow My flow</a>',
  );
});

test("Power Automate's truncate-to-255 pattern, which relies on if evaluating one branch", () => {
  const expr =
    "@if(lessOrEquals(length(outputs('Html_to_text')?['body']),255),outputs('Html_to_text')?['body'],substring(outputs('Html_to_text')?['body'],0,255))";
  const ctx = (body: string) => createContext({ actions: { Html_to_text: { outputs: { body } } } });
  assert.equal(run(expr, ctx('short')), 'short');
  assert.equal(run(expr, ctx('x'.repeat(300))), 'x'.repeat(255));
});

test("an Http action's inputs with managed identity, as exported, compiled once and run twice", () => {
  const inputs = {
    method: 'POST',
    uri: "https://management.azure.com@{parameters('scope')}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
    headers: { 'Content-Type': 'application/json', 'x-ms-client-request-id': '@{guid()}' },
    queries: { filter: "principalId eq '@{triggerBody()?['principalId']}'" },
    body: {
      '@@odata.type': '#microsoft.graph.user',
      displayName: "@triggerBody()?['name']",
      tags: "@split(coalesce(triggerBody()?['tags'], 'none'), ',')",
      when: "@formatDateTime(utcNow(), 'yyyy-MM-dd')",
    },
    authentication: { type: 'ManagedServiceIdentity', audience: 'https://management.azure.com/' },
  };
  const compiled = compileValue(inputs);
  assert.deepEqual(
    listReferences(compiled).map((r) => `${r.kind}:${r.name ?? ''}@${r.path.join('.')}`),
    ['parameter:scope@uri', 'trigger:@queries.filter', 'trigger:@body.displayName', 'trigger:@body.tags'],
  );
  const first = evaluateValue(
    compiled,
    sample({
      parameters: { scope: '/subscriptions/s1' },
      trigger: { outputs: { body: { principalId: 'p-1', name: 'Ada', tags: 'x,y' } } },
    }),
  );
  assert.deepEqual(first, {
    method: 'POST',
    uri: 'https://management.azure.com/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01',
    headers: {
      'Content-Type': 'application/json',
      'x-ms-client-request-id': 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce',
    },
    queries: { filter: "principalId eq 'p-1'" },
    body: {
      '@odata.type': '#microsoft.graph.user',
      displayName: 'Ada',
      tags: ['x', 'y'],
      when: '2018-04-15',
    },
    authentication: { type: 'ManagedServiceIdentity', audience: 'https://management.azure.com/' },
  });
  const second = evaluateValue(
    compiled,
    sample({ parameters: { scope: '/subscriptions/s2' }, trigger: { outputs: { body: {} } } }),
  ) as { body: Record<string, unknown>; queries: unknown };
  assert.deepEqual(second.body.tags, ['none']);
  assert.equal(second.body.displayName, null);
  assert.deepEqual(second.queries, { filter: "principalId eq ''" });
});

test("a loop body reading its item and an earlier action (Azure's foreach example shape)", () => {
  const inputs = {
    uri: "@{items('For_each')?['url']}?run=@{workflow()?['run']?['name']}",
    n: "@length(body('List'))",
  };
  const ctx = sample({
    actions: { List: { outputs: { body: [{ url: 'https://a' }, { url: 'https://b' }] } } },
    loops: [{ name: 'For_each', item: { url: 'https://b' } }],
  });
  assert.deepEqual(run(inputs, ctx), { uri: 'https://b?run=08586676746934337772206998657CU22', n: 2 });
});
