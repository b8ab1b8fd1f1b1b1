import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

test('concat: the arguments\' text, null as "", booleans True/False', () => {
  assert.equal(run("@concat('Hello', 'World')"), 'HelloWorld');
  assert.equal(run("@concat('Sophia', ' ', parameters('customerName'))"), 'Sophia Sophia');
  assert.equal(run("@concat('n=', 1, ' ', null, true, ' ', 2.5)"), 'n=1 True 2.5');
  assert.equal(run("@concat('a')"), 'a');
  assert.equal(run("@concat(createArray(1), '!')"), '[1]!');
});

test('toLower and toUpper: invariant case mapping that never changes the length', () => {
  assert.equal(run("@toLower('Hello World')"), 'hello world');
  assert.equal(run("@toUpper('Hello World')"), 'HELLO WORLD');
  assert.equal(run("@toLower('')"), '');
  assert.equal(run("@toLower('ıIiİçÇğĞ')"), 'ıiiİççğğ');
  assert.equal(run("@toUpper('straße')"), 'STRAßE');
  assert.equal(run("@toUpper('Ｚｅｎｋａｋｕ')"), 'ＺＥＮＫＡＫＵ');
  assert.equal(
    failure('@toLower(null)'),
    "The template language function 'toLower' expects its parameter to be a string. The provided value is of type 'Null'. Please see https://aka.ms/logicexpressions#toLower for usage details.",
  );
});

test('split: on a delimiter string, not a pattern; no delimiter found gives the whole string', () => {
  assert.deepEqual(run("@split('a_b_c', '_')"), ['a', 'b', 'c']);
  assert.deepEqual(run("@split('a_b_c', ' ')"), ['a_b_c']);
  assert.deepEqual(run("@split('abc,def,', ',')"), ['abc', 'def', '']);
  assert.deepEqual(run("@split(',,', ',')"), ['', '', '']);
  assert.deepEqual(run("@split('abc,def', '.')"), ['abc,def']);
  assert.deepEqual(run("@split('abcSPdef', 'SP')"), ['abc', 'def']);
  assert.deepEqual(run("@split('abc', '')"), ['abc']);
  assert.deepEqual(run("@split('', ',')"), ['']);
  assert.match(
    failure("@split('a1b', 1)"),
    /'split' expects its second parameter to be a string\. The provided value is of type 'Integer'/,
  );
});

test('substring: 0-based; a range past the end fails rather than being clamped', () => {
  assert.equal(run("@substring('hello world', 6, 5)"), 'world');
  assert.equal(run("@substring('abcdef', 0)"), 'abcdef');
  assert.equal(run("@substring('abcdef', 3)"), 'def');
  assert.equal(run("@substring('abcdef', 3, 1)"), 'd');
  assert.equal(run("@substring('abcdef', 6)"), '');
  assert.equal(run("@substring('abcdef', 2, 0)"), '');
  const outOfRange =
    "The template language function 'substring' parameters are out of range: 'start index' and 'length' must be non-negative integers and their sum must be no larger than the length of the string. Please see https://aka.ms/logicexpressions#substring for usage details.";
  for (const args of ['0, 99', '39, 99', '39, -10', '-3', '-1, 2', '7', '5, 2']) {
    assert.equal(failure(`@substring('abcdef', ${args})`), outOfRange, args);
  }
  assert.match(
    failure("@substring('abc', 1.0)"),
    /second parameter to be an integer\. The provided value is of type 'Float'/,
  );
  assert.match(
    failure("@substring('abc', '1')"),
    /second parameter to be an integer\. The provided value is of type 'String'/,
  );
});

test('replace: every occurrence, case-sensitive, not a pattern', () => {
  assert.equal(run("@replace('the old string', 'old', 'new')"), 'the new string');
  assert.equal(run("@replace('xxxxx', 'x', 'y')"), 'yyyyy');
  assert.equal(run("@replace('xxxxx', 'x', '')"), '');
  assert.equal(run("@replace('abcdef', 'z', 'o')"), 'abcdef');
  assert.equal(run("@replace('abcdef', '.', 'z')"), 'abcdef');
  assert.equal(run("@replace('Abc', 'a', 'z')"), 'Abc');
  assert.equal(run("@replace('a.b', '.', '$&$1')"), 'a$&$1b', 'no replacement patterns');
  assert.match(
    failure("@replace('xxx', '', 'y')"),
    /'replace' expects its second parameter to be a non-empty string/,
  );
});

test('startsWith, endsWith, indexOf: case-insensitive', () => {
  assert.equal(run("@startsWith('hello world', 'hello')"), true);
  assert.equal(run("@startsWith('hello world', 'greetings')"), false);
  assert.equal(run("@startsWith('Hello world', 'hELLO')"), true);
  assert.equal(run("@endsWith('hello world', 'world')"), true);
  assert.equal(run("@endsWith('hello world', 'universe')"), false);
  assert.equal(run("@endsWith('hello WORLD', 'world')"), true);
  assert.equal(run("@startsWith('abc', '')"), true);
  assert.equal(run("@indexOf('hello world', 'world')"), 6);
  assert.equal(run("@indexOf('hello WORLD', 'world')"), 6);
  assert.equal(run("@indexOf('hello', 'x')"), -1);
  assert.equal(run("@indexOf('hello', '')"), 0);
  assert.equal(run("@indexOf('İstanbul İzmir', 'izmir')"), -1, 'İ keeps its place: indexes stay true');
  assert.equal(run("@indexOf('İstanbul İzmir', 'İZMIR')"), 9);
  assert.match(failure("@startsWith(null, 'a')"), /'startsWith' expects its first parameter to be a string/);
});

test("guid: the context's GUID in format D (default), N, B, P or X", () => {
  assert.equal(run('@guid()'), 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce');
  assert.equal(run("@guid('D')"), 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce');
  assert.equal(run("@guid('N')"), 'c2ecc88d88c84096912cd6f2e2b138ce');
  assert.equal(run("@guid('B')"), '{c2ecc88d-88c8-4096-912c-d6f2e2b138ce}');
  assert.equal(run("@guid('P')"), '(c2ecc88d-88c8-4096-912c-d6f2e2b138ce)');
  assert.equal(run("@guid('x')"), '{0xc2ecc88d,0x88c8,0x4096,{0x91,0x2c,0xd6,0xf2,0xe2,0xb1,0x38,0xce}}');
  assert.match(
    failure("@guid(variables('text'))"),
    /'guid' expects its parameter to be one of the format specifiers 'N', 'D', 'B', 'P' or 'X'; 'abc' is not one\./,
  );
});
