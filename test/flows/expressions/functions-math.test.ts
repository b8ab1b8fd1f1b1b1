import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

test('add, sub, mul: integers stay integers, a float makes a float', () => {
  assert.equal(run('@add(1, 1.5)'), 2.5);
  assert.equal(run('@add(1, 1)'), 2);
  assert.equal(run('@sub(10.3, .3)'), 10);
  assert.equal(run('@string(sub(10.3, .3))'), '10');
  assert.equal(run('@mul(1, 2)'), 2);
  assert.equal(run('@mul(1.5, 2)'), 3);
  assert.equal(run('@div(mul(1.5, 2), 2)'), 1.5, 'mul(1.5, 2) is the float 3');
  assert.equal(run('@sub(0, 0)'), 0);
});

test('div: integer division for integers, truncated toward zero; float division otherwise', () => {
  assert.equal(run('@div(10, 5)'), 2);
  assert.equal(run('@div(11, 5)'), 2);
  assert.equal(run('@div(11, 5.0)'), 2.2);
  assert.equal(run('@div(11.0, 5)'), 2.2);
  assert.equal(run('@div(-11, 5)'), -2);
  assert.equal(run('@div(-1, 5)'), 0);
});

test('mod: the remainder, with the sign of the dividend', () => {
  assert.equal(run('@mod(3, 2)'), 1);
  assert.equal(run('@mod(-5, 3)'), -2);
  assert.equal(run('@mod(5, -3)'), 2);
  assert.equal(run('@mod(5.5, 2)'), 1.5);
});

test('dividing by zero fails', () => {
  assert.equal(
    failure('@div(1, 0)'),
    "The template language function 'div' cannot divide by zero: its second parameter is 0. Please see https://aka.ms/logicexpressions#div for usage details.",
  );
  assert.match(failure('@div(1.5, 0.0)'), /cannot divide by zero/);
  assert.match(failure('@mod(1, 0)'), /'mod' cannot divide by zero/);
});

test('arguments must be numbers', () => {
  assert.equal(
    failure("@add('1', 2)"),
    "The template language function 'add' expects its first parameter to be an integer or a float. The provided value is of type 'String'. Please see https://aka.ms/logicexpressions#add for usage details.",
  );
  assert.match(
    failure('@mul(2, null)'),
    /'mul' expects its second parameter to be an integer or a float\. The provided value is of type 'Null'/,
  );
});

test('an integer result JavaScript cannot hold exactly fails instead of losing digits', () => {
  assert.equal(run('@add(9007199254740990, 1)'), 9007199254740991);
  assert.match(failure('@add(9007199254740991, 1)'), /outside the range Lanyard represents exactly/);
  assert.match(failure('@mul(9007199254740991, 2)'), /'mul' produced the integer/);
});
