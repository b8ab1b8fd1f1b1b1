import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

const cannotConvert = (fn: string) =>
  `The template language function '${fn}' was invoked with a parameter that is not valid. The value cannot be converted to the target type.`;

test('string: null is "", booleans True/False, numbers invariant, arrays and objects compact JSON', () => {
  assert.equal(run('@string(10)'), '10');
  assert.equal(run('@string(null)'), '');
  assert.equal(run('@string(true)'), 'True');
  assert.equal(run('@string(false)'), 'False');
  assert.equal(run("@string('x')"), 'x');
  assert.equal(run('@string(-2.5)'), '-2.5');
  assert.equal(run("@string(float('5.0'))"), '5');
  assert.equal(run('@string(json(\'{ "name": "Sophie Owen" }\'))'), '{"name":"Sophie Owen"}');
  assert.equal(run("@string(createArray('a', null, true, 1.5))"), '["a",null,true,1.5]');
  assert.equal(run('@string(1e15)'), '1E+15');
  assert.equal(run('@string(123456789012345.0)'), '123456789012345');
  assert.equal(run('@string(0.0001)'), '0.0001');
  assert.equal(run('@string(0.00001)'), '1E-05');
  assert.equal(run('@string(1.5e-7)'), '1.5E-07');
  assert.equal(run('@string(div(1.0, 3))'), '0.3333333333333333');
});

test('int: integer text, with thousands separators or a zero fraction; numbers when whole', () => {
  assert.equal(run("@int('10')"), 10);
  assert.equal(run("@int('-7')"), -7);
  assert.equal(run("@int('  +1,000 ')"), 1000);
  assert.equal(run("@int('1.0')"), 1);
  assert.equal(run('@int(1.0)'), 1);
  assert.equal(run('@int(42)'), 42);
  for (const bad of [
    "'10.5'",
    "'abc'",
    "''",
    "'1,00'",
    "'  200- '",
    "'(200)'",
    '2.5',
    'null',
    'true',
    'createArray(1)',
  ]) {
    assert.equal(failure(`@int(${bad})`), cannotConvert('int'), bad);
  }
  assert.equal(failure("@int('99999999999999999999')"), cannotConvert('int'), 'beyond what is held exactly');
});

test('float: number text in invariant culture', () => {
  assert.equal(run("@float('10.333')"), 10.333);
  assert.equal(run("@float('-1e3')"), -1000);
  assert.equal(run("@float(' .5 ')"), 0.5);
  assert.equal(run('@float(3)'), 3);
  assert.equal(run("@div(float('5'), 2)"), 2.5, 'a whole float stays a float');
  for (const bad of ["'abc'", "'1,5'", "'1e999'", "'NaN'", 'null', 'false']) {
    assert.equal(failure(`@float(${bad})`), cannotConvert('float'), bad);
  }
});

test('bool: 1 and -1 are true, 0 false, "true"/"false" in any case; others cannot convert', () => {
  assert.equal(run('@bool(1)'), true);
  assert.equal(run('@bool(0)'), false);
  assert.equal(run('@bool(-1)'), true);
  assert.equal(run("@bool('true')"), true);
  assert.equal(run("@bool('false')"), false);
  assert.equal(run("@bool(' True ')"), true);
  assert.equal(run('@bool(true)'), true);
  assert.equal(run('@bool(0.0)'), false);
  for (const bad of ["'yes'", "''", 'null', 'createArray()'.replace('()', '(1)')]) {
    assert.equal(failure(`@bool(${bad})`), cannotConvert('bool'), bad);
  }
});

test('json: text to a JSON value; null is an empty object; invalid text fails', () => {
  assert.deepEqual(run("@json('[1, 2, 3]')"), [1, 2, 3]);
  assert.deepEqual(run(`@json('{"fullName": "Sophia Owen"}')`), { fullName: 'Sophia Owen' });
  assert.deepEqual(run('@json(null)'), {});
  assert.equal(run("@json('5')"), 5);
  assert.deepEqual(run(`@json('{"a": 1, "a": 2}')`), { a: 2 }, 'the last of a repeated name');
  assert.deepEqual(run("@json(json('[1]'))"), [1], 'a value already parsed passes through');
  assert.match(
    failure("@json('{oops')"),
    /^The template language function 'json' parameter is not valid JSON: /,
  );
  assert.match(
    failure("@json('{oops')"),
    /Please see https:\/\/aka\.ms\/logicexpressions#json for usage details\.$/,
  );
});

test('createArray: its arguments as an array, one or more', () => {
  assert.deepEqual(run("@createArray('h', 'e', 'l', 'l', 'o')"), ['h', 'e', 'l', 'l', 'o']);
  assert.deepEqual(run('@createArray(null)'), [null]);
  assert.deepEqual(run("@createArray(createArray(1), json('{}'))"), [[1], {}]);
});
