import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

test("equals: deep equality with Azure's coercions", () => {
  assert.equal(run('@equals(true, 1)'), true, "Azure's own example");
  assert.equal(run('@equals(false, 0)'), true);
  assert.equal(run('@equals(true, 0)'), false);
  assert.equal(run("@equals('abc', 'abcd')"), false, "Azure's own example");
  assert.equal(run("@equals('abc', 'ABC')"), false, 'case-sensitive');
  assert.equal(run("@equals(null, '')"), true, 'null is "" in comparisons');
  assert.equal(run('@equals(null, null)'), true);
  assert.equal(run('@equals(1, 1.0)'), true);
  assert.equal(run("@equals(1, '1')"), false, 'no string-number coercion');
  assert.equal(run('@equals(createArray(1, 2), createArray(1, 2))'), true);
  assert.equal(run('@equals(createArray(1, 2), createArray(2, 1))'), false);
  assert.equal(run(`@equals(json('{"a":[1,{"b":null}]}'), json('{"a":[1,{"b":""}]}'))`), true);
  assert.equal(run(`@equals(json('{"a":1}'), json('{"A":1}'))`), false, 'member names compare exactly');
  assert.equal(run(`@equals(json('{"a":1}'), json('{"a":1,"b":2}'))`), false);
  assert.equal(run(`@equals(json('{}'), createArray())`.replace('createArray()', "json('[]')")), false);
});

test('not, and, or take booleans only, any number of them for and/or', () => {
  assert.equal(run('@not(false)'), true);
  assert.equal(run('@not(equals(1, 1))'), false);
  assert.equal(run('@and(true, true)'), true);
  assert.equal(run('@and(false, true)'), false);
  assert.equal(run('@and(true)'), true);
  assert.equal(run('@and(true, true, true, true, false)'), false);
  assert.equal(run('@or(false, false)'), false);
  assert.equal(run('@or(false, false, true)'), true);
  assert.equal(run('@or(equals(1, 2), equals(1, 1))'), true);
  assert.equal(
    failure("@not('true')"),
    "The template language function 'not' expects its parameter to be of type boolean. The provided value is of type 'String'. Please see https://aka.ms/logicexpressions#not for usage details.",
  );
  assert.match(
    failure('@and(true, 1)'),
    /'and' expects its second parameter to be of type boolean\. The provided value is of type 'Integer'/,
  );
  assert.match(
    failure('@or(false, false, null)'),
    /'or' expects its third parameter to be of type boolean.*'Null'/,
  );
});

test('if returns the second or third argument; its condition must be a boolean', () => {
  assert.equal(run("@if(equals(1, 1), 'yes', 'no')"), 'yes');
  assert.deepEqual(run("@if(false, 'yes', createArray(1))"), [1]);
  assert.equal(
    failure("@if('true', 1, 2)"),
    "The template language function 'if' expects its first parameter to be of type boolean. The provided value is of type 'String'. Please see https://aka.ms/logicexpressions#if for usage details.",
  );
});

test('if evaluates only the branch it returns; and and or stop as soon as the result is known', () => {
  assert.equal(run("@if(true, 1, int('x'))"), 1);
  assert.equal(run("@if(false, parameters('missing'), 2)"), 2);
  assert.equal(
    run("@if(empty(triggerBody()['empty']), 'none', first(triggerBody()['empty'])['id'])"),
    'none',
  );
  assert.equal(run("@and(false, int('x'))"), false);
  assert.equal(run("@and(false, 'not a boolean')"), false);
  assert.equal(run("@or(true, int('x'))"), true);
  assert.equal(run("@and(and(and(true, false), true), int('x'))"), false);
  assert.match(failure("@if(true, int('x'), 2)"), /'int' was invoked with a parameter that is not valid/);
  assert.match(
    failure("@if(false, 1, parameters('missing'))"),
    /The workflow parameter 'missing' is not found/,
  );
  assert.match(
    failure("@and(int('x'), false)"),
    /'int'/,
    'left to right: the first argument still runs first',
  );
  assert.match(failure("@and(true, true, int('x'))"), /'int'/);
  assert.match(failure("@or(false, false, int('x'))"), /'int'/);
  assert.match(
    failure("@if(if(true, false, true), 1, if(true, int('x'), 4))"),
    /'int'/,
    'nested: the condition picks the third argument, whose own condition picks the failing one',
  );
});

test('every other function evaluates all its arguments', () => {
  assert.match(failure("@coalesce('a', int('x'))"), /'int'/);
  assert.match(failure("@equals(1, int('x'))"), /'int'/);
});

test('coalesce: the first non-null argument; "", [] and {} are not null', () => {
  assert.equal(run('@coalesce(null, true, false)'), true);
  assert.equal(run("@coalesce(null, 'hello', 'world')"), 'hello');
  assert.equal(run('@coalesce(null, null, null)'), null);
  assert.equal(run("@coalesce('', 'x')"), '');
  assert.deepEqual(run("@coalesce(json('[]'), 'x')"), []);
  assert.deepEqual(run("@coalesce(json('{}'), 'x')"), {});
  assert.equal(run("@coalesce(triggerBody()?['address'], 'none')"), 'none');
});

test('greater, greaterOrEquals, less, lessOrEquals: numbers by value, strings ordinally', () => {
  assert.equal(run('@greater(10, 5)'), true);
  assert.equal(run("@greater('apple', 'banana')"), false);
  assert.equal(run('@greaterOrEquals(5, 5)'), true);
  assert.equal(run("@greaterOrEquals('apple', 'banana')"), false);
  assert.equal(run('@less(5, 10)'), true);
  assert.equal(run("@less('banana', 'apple')"), false);
  assert.equal(run('@lessOrEquals(10, 10)'), true);
  assert.equal(run("@lessOrEquals('apply', 'apple')"), false);
  assert.equal(run('@greater(2.5, 2)'), true);
  assert.equal(run("@less(null, 'a')"), true, 'null is ""');
  assert.match(
    failure("@greater(1, '0')"),
    /'greater' expects its second parameter to be an integer or a float/,
  );
  assert.match(
    failure('@less(true, false)'),
    /'less' expects its first parameter to be an integer, a float or a string.*'Boolean'/,
  );
});
