import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileString,
  compileValue,
  isConstant,
  MAX_VALUE_DEPTH,
  templateValidationMessage,
} from '../../../src/flows/expressions/index.ts';
import { refusal, run } from './helpers.ts';

test('a string with no @ at position 0 and no @{ is a literal', () => {
  for (const text of ['', 'plain', ' @', 'a@b', 'mail@example.com', '@@', ' @@,,}', '{}', 'x @ {y}']) {
    const c = compileString(text);
    assert.equal(c.kind, 'literal', text);
  }
  assert.equal(run(' @'), ' @', '@ not at position 0 is literal');
  assert.equal(run('a @@ b'), 'a @@ b', '@@ not at position 0 is left alone');
});

test('a lone "@" is a literal', () => {
  assert.equal(run('@'), '@');
});

test('a string starting with @@ is the rest of it, taken literally, interpolations included', () => {
  assert.equal(run('@@'), '@');
  assert.equal(run('@@unparsed!'), '@unparsed!');
  assert.equal(run('@@{still unparsed}'), '@{still unparsed}');
  assert.equal(run("@@{'abc'}@{'def'}"), "@{'abc'}@{'def'}");
  assert.equal(run('@@,,}'), '@,,}');
});

test('a string starting with @ (not @@, not @{) is a whole-value expression of any JSON type', () => {
  assert.equal(run("@parameters('age')"), 42);
  assert.equal(run("@parameters('flag')"), true);
  assert.deepEqual(run("@parameters('items')"), [1, 2, 3]);
  assert.equal(run('@null'), null);
  assert.equal(run("@'text'"), 'text');
  assert.equal(compileString("@parameters('age')").kind, 'expression');
});

test('interpolation: @{…} anywhere, several per string, always a string', () => {
  assert.equal(run("@{parameters('age')}"), '42');
  assert.equal(run("First: @{'a'} Last: @{'b'}"), 'First: a Last: b');
  assert.equal(run("@{'h'}@{'e'}@{'l'}@{'l'}@{'o'}"), 'hello');
  assert.equal(run("foo @{'bar'} baz"), 'foo bar baz');
  assert.equal(run("@{parameters('items')}"), '[1,2,3]', 'arrays as compact JSON');
  assert.equal(run("@{triggerBody()?['address']}"), '', 'null as ""');
  assert.equal(run('@{true} and @{false}'), 'True and False');
  assert.equal(run('@{2.5} @{3.0} @{-01.0} @{3e1}'), '2.5 3 -1 30');
});

test('@@{ escapes an interpolation in the middle of a string', () => {
  assert.equal(run("My age is @@{parameters('myAge')}"), "My age is @{parameters('myAge')}");
  assert.equal(run("testing @@{'blah'} @{'thing'}"), "testing @{'blah'} thing");
  assert.equal(compileString('a @@{b}').kind, 'literal', 'only escapes: a literal');
  assert.equal(run('x@@@{y}'), 'x@@{y}');
});

test('function names are case-insensitive', () => {
  assert.equal(run("@ADD(INT('123'),INT('456'))"), 579);
  assert.equal(run("@{triggerbody()?['name']}"), 'Sophia Owen');
  assert.equal(typeof run('@utcnow()'), 'string');
});

test('an unknown function is refused when the value is compiled, naming it and its position', () => {
  const e = refusal("@concat('a', nope())");
  assert.equal(e.azureMessage, "The template function 'nope' is not defined or not valid.");
  assert.equal(e.position, 13);
  assert.equal(refusal("x @{Frobnicate('a')}").position, 4);
  assert.equal(refusal('@True()').azureMessage, "The template function 'True' is not defined or not valid.");
});

test('an argument count a function cannot take is refused at compile time', () => {
  assert.equal(
    refusal("@length('a', 'b')").azureMessage,
    "The template language function 'length' expects one parameter. It was invoked with 2.",
  );
  assert.equal(
    refusal('@utcNow(1, 2)').azureMessage,
    "The template language function 'utcNow' expects no or one parameter. It was invoked with 2.",
  );
  assert.equal(
    refusal('@substring()').azureMessage,
    "The template language function 'substring' expects two or three parameters. It was invoked with 0.",
  );
  assert.equal(
    refusal('@concat()').azureMessage,
    "The template language function 'concat' expects at least one parameter. It was invoked with 0.",
  );
  assert.equal(
    refusal('@trigger(1)').azureMessage,
    "The template language function 'trigger' expects no parameters. It was invoked with 1.",
  );
  assert.equal(
    refusal("@if(true, 'a')").azureMessage,
    "The template language function 'if' expects three parameters. It was invoked with 2.",
  );
});

test('a literal format no run could use is refused at compile time, at the argument', () => {
  const e = refusal("@formatDateTime(utcNow(), 'yyyy gg')");
  assert.match(
    e.azureMessage,
    /^The template language function 'formatDateTime' was given the date and time format 'yyyy gg'/,
  );
  assert.equal(e.position, 26);
  assert.match(refusal("@utcNow('q')").azureMessage, /'q' is not a standard date and time format/);
  assert.match(refusal("@addDays(utcNow(), 1, 'Q')").azureMessage, /addDays/);
  assert.match(refusal("@guid('Z')").azureMessage, /'Z' is not one/);
  assert.doesNotThrow(
    () => compileValue("@formatDateTime(utcNow(), variables('fmt'))"),
    'computed formats wait for the run',
  );
});

test('compileValue walks objects and arrays; a refusal names the path of the failing string', () => {
  const e = refusal({ method: 'GET', headers: { a: 'ok', b: ['x', '@concat('] } });
  assert.deepEqual(e.path, ['headers', 'b', 1]);
  assert.match(e.message, /^workflow expression at headers\.b\[1\], position 8: Unable to parse/);
  assert.deepEqual(e.details, { expression: '@concat(', position: 8, path: ['headers', 'b', 1] });
  assert.deepEqual(refusal({ '@nope()': 1 }).path, ['@nope()'], 'member names are compiled too');
});

test('values without expressions compile to one frozen literal, a copy of the input', () => {
  const input = { a: [1, { b: 'x' }], c: null, d: ' @' };
  const c = compileValue(input);
  assert.ok(isConstant(c));
  assert.deepEqual(c.value, input);
  assert.notEqual(c.value, input, 'the definition is not frozen in place');
  assert.ok(Object.isFrozen(c.value));
  assert.ok(Object.isFrozen((c.value as { a: unknown[] }).a[1]));
  assert.ok(!Object.isFrozen(input));
  assert.equal(compileValue({ a: { b: '@x()'.slice(0, 0) } }).kind, 'literal');
});

test('member names: @@ writes a name starting with @, @ and @{ make names from expressions', () => {
  assert.deepEqual(run({ '@@odata.type': '#microsoft.graph.user' }), {
    '@odata.type': '#microsoft.graph.user',
  });
  assert.equal(compileValue({ '@@odata.type': 'x' }).kind, 'literal');
  assert.deepEqual(run({ "@parameters('customerName')": 1, "k-@{parameters('age')}": 2 }), {
    Sophia: 1,
    'k-42': 2,
  });
  assert.deepEqual(run({ "@parameters('age')": true }), { '42': true }, 'a non-string name is its text');
  assert.deepEqual(run({ a: "@parameters('age')", b: 'lit' }), { a: 42, b: 'lit' });
});

test('__proto__ as a member name is data, never a prototype', () => {
  const input = JSON.parse('{"__proto__": {"polluted": true}, "x": "@{1}"}');
  const out = run(input) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out), ['__proto__', 'x']);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const literal = compileValue(JSON.parse('{"__proto__": 1}'));
  assert.ok(isConstant(literal));
  assert.deepEqual(Object.keys(literal.value as object), ['__proto__']);
});

test('values nested deeper than the bound are refused', () => {
  let deep: unknown = 'x';
  for (let i = 0; i <= MAX_VALUE_DEPTH; i++) deep = [deep];
  assert.match(refusal(deep as never).message, /nests deeper than 128 levels/);
});

test("templateValidationMessage: Azure's save-time message, quoting parser messages and not scanner ones", () => {
  assert.equal(
    templateValidationMessage('Add_member', refusal({ '@odata.id': 'x' }), 1, 1234),
    "The template validation failed: 'The template action 'Add_member' at line '1' and column '1234' is not valid: \"Unable to parse template language expression 'odata.id': expected token 'LeftParenthesis' and actual 'Dot'.\"'.",
  );
  assert.equal(
    templateValidationMessage('A', refusal("@concat('a' ; 'b')"), 1, 7),
    "The template validation failed: 'The template action 'A' at line '1' and column '7' is not valid: the string character ';' at position '12' is not expected.'.",
  );
});
