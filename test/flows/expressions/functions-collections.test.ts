import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

test('length: of a string or an array only', () => {
  assert.equal(run("@length('abcd')"), 4);
  assert.equal(run('@length(createArray(0, 1, 2, 3))'), 4);
  assert.equal(run("@length('')"), 0);
  assert.equal(run("@length(json('[]'))"), 0);
  assert.equal(
    failure("@length(json('{}'))"),
    "The template language function 'length' expects its parameter to be an array or a string. The provided value is of type 'Object'. Please see https://aka.ms/logicexpressions#length for usage details.",
  );
  for (const [arg, type] of [
    ['null', 'Null'],
    ['true', 'Boolean'],
    ['99', 'Integer'],
    ['1.5', 'Float'],
  ]) {
    assert.match(failure(`@length(${arg})`), new RegExp(`of type '${type}'`), arg);
  }
});

test('empty: strings, arrays and objects; null is empty', () => {
  assert.equal(run("@empty('')"), true);
  assert.equal(run("@empty('abc')"), false);
  assert.equal(run("@empty(json('[]'))"), true);
  assert.equal(run("@empty(json('{}'))"), true);
  assert.equal(run('@empty(json(\'{"a":1}\'))'), false);
  assert.equal(run('@empty(null)'), true);
  assert.equal(run("@empty(triggerBody()?['missing'])"), true);
  assert.match(
    failure('@empty(0)'),
    /'empty' expects its parameter to be an object, an array or a string\. The provided value is of type 'Integer'/,
  );
});

test('contains: a substring, an element, or a member name, case-sensitively', () => {
  assert.equal(run("@contains('hello world', 'world')"), true);
  assert.equal(run("@contains('hello world', 'universe')"), false);
  assert.equal(run("@contains('hello world', 'WORLD')"), false);
  assert.equal(run("@contains(createArray('a', 'b'), 'b')"), true);
  assert.equal(run('@contains(createArray(1, 2), 2.0)'), true);
  assert.equal(run('@contains(createArray(createArray(1)), createArray(1))'), true);
  assert.equal(run("@contains(createArray('a'), 'A')"), false);
  assert.equal(run("@contains(json('{\"a\": 1}'), 'a')"), true);
  assert.equal(run("@contains(json('{\"a\": 1}'), 'A')"), false);
  assert.match(
    failure("@contains(null, 'a')"),
    /'contains' expects its first parameter to be a dictionary, an array or a string\. The provided value is of type 'Null'/,
  );
  assert.match(failure("@contains('abc', 1)"), /'contains' expects its second parameter to be a string/);
});

test("join: the items' text between delimiters", () => {
  assert.equal(run("@join(createArray('a', 'b', 'c'), '.')"), 'a.b.c');
  assert.equal(run("@join(createArray(1, null, true), ', ')"), '1, , True');
  assert.equal(run("@join(json('[]'), ',')"), '');
  assert.equal(
    failure("@join(body('Get_user')?['missing'], ',')"),
    "The template language function 'join' expects its first parameter to be an array. The provided value is of type 'Null'. Please see https://aka.ms/logicexpressions#join for usage details.",
  );
});

test('first and last: of a string or an array; null when empty', () => {
  assert.equal(run("@first('hello')"), 'h');
  assert.equal(run('@first(createArray(0, 1, 2))'), 0);
  assert.equal(run("@last('abcd')"), 'd');
  assert.equal(run('@last(createArray(0, 1, 2, 3))'), 3);
  assert.equal(run("@first('')"), null);
  assert.equal(run("@last(json('[]'))"), null);
  assert.match(failure("@first(json('{}'))"), /'first' expects its parameter to be an array or a string/);
});
