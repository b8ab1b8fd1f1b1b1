import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actionError,
  actionInputsMessage,
  compileValue,
  createContext,
  ExpressionEvaluationError,
  evaluateValue,
} from '../../../src/flows/expressions/index.ts';
import { failure, run, sample } from './helpers.ts';

const HINT = 'Please see https://aka.ms/logicexpressions for usage details.';

test("selection: .p, ['p'], [index], chained, and [expression]", () => {
  assert.equal(run('@triggerBody().name'), 'Sophia Owen');
  assert.equal(run("@triggerBody()['name']"), 'Sophia Owen');
  assert.equal(run("@triggerBody()['tags'][1]"), 'b');
  assert.equal(run('@trigger().outputs.body.tags[0]'), 'a');
  assert.equal(run("@triggerBody()['tags'][sub(2, 1)]"), 'b');
  assert.equal(run("@body('Get_user').FullName"), 'Contoso Corporation');
});

test('member names match exactly first, then ignoring case', () => {
  assert.equal(run('@json(\'{"abCDef": 123}\').abcdef'), 123);
  assert.equal(run("@json('{\"abCDef\": 123}')['ABCDEF']"), 123);
  assert.equal(run('@json(\'{"a": 1, "A": 2}\').a'), 1);
  assert.equal(run('@json(\'{"a": 1, "A": 2}\').A'), 2);
  assert.equal(
    run('@json(\'{"aAa": 1, "AaA": 2}\').aaa'),
    1,
    'the first of several case-insensitive matches',
  );
});

test('a missing property fails, listing the available ones', () => {
  assert.equal(
    failure("@triggerBody()['nmae']"),
    `The template language expression 'triggerBody()['nmae']' cannot be evaluated because property 'nmae' doesn't exist, available properties are 'name, age, address, tags, empty'. ${HINT}`,
  );
});

test('selecting from null fails; from a string or number fails even null-safely', () => {
  assert.equal(
    failure("@triggerBody()['address']['city']"),
    `The template language expression 'triggerBody()['address']['city']' cannot be evaluated because property 'city' cannot be selected. Property selection is not supported on values of type 'Null'. ${HINT}`,
  );
  assert.equal(
    failure("@triggerBody()?['name']?['first']"),
    `The template language expression 'triggerBody()?['name']?['first']' cannot be evaluated because property 'first' cannot be selected. Property selection is not supported on values of type 'String'. ${HINT}`,
  );
  assert.match(failure("@parameters('age').x"), /values of type 'Integer'/);
  assert.match(failure('@createArray(true)[0].x'), /values of type 'Boolean'/);
  assert.match(failure('@add(1.5, 1).x'), /values of type 'Float'/);
});

test('null-safe selection: ?. and ?[ give null for a null target or a missing member', () => {
  assert.equal(run("@triggerBody()?['nmae']"), null);
  assert.equal(run('@triggerBody()?.nmae'), null);
  assert.equal(run("@triggerBody()?['address']?['city']"), null);
  assert.equal(run("@triggerBody()['address']?['city']"), null);
  assert.equal(run("@triggerBody()?['tags']?[5]"), null);
  assert.equal(run("@{triggerBody()?['nmae']}!"), '!');
  assert.match(
    failure("@triggerBody()?['nmae']['x']"),
    /type 'Null'/,
    'each ? guards its own selection only',
  );
});

test('array indexes: empty arrays, bounds, and non-integer indexes', () => {
  assert.equal(
    failure("@triggerBody()['empty'][0]"),
    `The template language expression 'triggerBody()['empty'][0]' cannot be evaluated because array index '0' cannot be selected from empty array. ${HINT}`,
  );
  assert.equal(
    failure("@triggerBody()['tags'][2]"),
    `The template language expression 'triggerBody()['tags'][2]' cannot be evaluated because array index '2' is outside bounds (0, 1) of array. ${HINT}`,
  );
  assert.match(failure("@triggerBody()['tags'][-1]"), /array index '-1' is outside bounds/);
  assert.match(
    failure("@triggerBody()['tags']['0']"),
    /property '0' cannot be selected\. Array elements can only be selected using an integer index\./,
  );
  assert.match(failure("@triggerBody()['tags'][1.0]"), /integer index/);
});

test('numbers as member names select by their text', () => {
  assert.equal(run('@json(\'{"1": "one"}\')[1]'), 'one');
});

test('whole floats stay floats inside an expression and are plain numbers outside it', () => {
  assert.equal(run('@div(11.0, 5)'), 2.2);
  assert.equal(run('@div(add(1.5, 1.5), 2)'), 1.5);
  assert.equal(run('@3.0'), 3);
  assert.deepEqual(run('@createArray(1.0, 2.5)'), [1, 2.5]);
  assert.deepEqual(run({ a: "@float('5')" }), { a: 5 });
});

test('arguments are evaluated left to right; the first failure is reported', () => {
  const order: string[] = [];
  const ctx = createContext({
    parameters: { a: 1, b: 2 },
    variables: {},
  });
  const spy = {
    ...ctx,
    parameter(name: string) {
      order.push(name);
      return ctx.parameter(name);
    },
  };
  evaluateValue(compileValue("@concat(parameters('a'), parameters('b'), parameters('a'))"), spy);
  assert.deepEqual(order, ['a', 'b', 'a']);
  assert.equal(
    failure("@concat(parameters('x'), variables('y'))"),
    "The workflow parameter 'x' is not found.",
  );
});

test('objects and arrays with expressions are built anew each time; literal parts are shared and frozen', () => {
  const compiled = compileValue({ fixed: { a: 1 }, list: ['@utcNow()', 'x'], n: "@parameters('age')" });
  const ctx = sample();
  const one = evaluateValue(compiled, ctx) as Record<string, unknown>;
  const two = evaluateValue(compiled, ctx) as Record<string, unknown>;
  assert.notEqual(one, two);
  assert.notEqual(one.list, two.list);
  assert.equal(one.fixed, two.fixed);
  assert.ok(Object.isFrozen(one.fixed));
  assert.deepEqual(one, { fixed: { a: 1 }, list: ['2018-04-15T13:00:00.0000000Z', 'x'], n: 42 });
});

test('a value nested beyond the stack fails the expression, not the process', () => {
  let deep = '1';
  for (let i = 0; i < 200_000; i++) deep = `[${deep}]`;
  const ctx = sample({ parameters: { deep: JSON.parse(deep) } });
  assert.match(failure("@equals(parameters('deep'), parameters('deep'))", ctx), /nest too deeply/);
});

test('interpolation results are bounded like concat', () => {
  const big = 'x'.repeat(60_000_000);
  const ctx = sample({ parameters: { big } });
  assert.match(failure("@{parameters('big')}@{parameters('big')}", ctx), /the limit is 104857600/);
});

test("actionInputsMessage and actionError: Azure's outer message around the inner one", () => {
  const inner = "The workflow parameter 'x' is not found.";
  assert.equal(
    actionInputsMessage('Compose', inner),
    "Unable to process template language expressions in action 'Compose' inputs at line '0' and column '0': 'The workflow parameter 'x' is not found.'.",
  );
  assert.equal(
    actionInputsMessage('Append_to_string_variable', inner, 1, 3354),
    "Unable to process template language expressions in action 'Append_to_string_variable' inputs at line '1' and column '3354': 'The workflow parameter 'x' is not found.'.",
  );
  assert.deepEqual(actionError('Compose', new ExpressionEvaluationError(inner)), {
    code: 'InvalidTemplate',
    message: actionInputsMessage('Compose', inner),
  });
  const e = new ExpressionEvaluationError(inner);
  assert.equal(e.status, 400);
  assert.deepEqual(e.toJSON().error.details, { azureCode: 'InvalidTemplate', inner });
});
