import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../../src/flows/expressions/ast.ts';
import { ExpressionSyntaxError } from '../../../src/flows/expressions/errors.ts';
import { LIMITS, parseInterpolation, parseWhole } from '../../../src/flows/expressions/parser.ts';
import { FloatNumber } from '../../../src/flows/expressions/values.ts';

/** A compact picture of a node: calls as name(args), selections as target.key or target?[key]. */
function show(node: Node): string {
  switch (node.type) {
    case 'literal':
      return node.value instanceof FloatNumber ? `${node.value.value}f` : JSON.stringify(node.value);
    case 'call':
      return `${node.name}(${node.args.map(show).join(', ')})`;
    case 'access':
      return `${show(node.target)}${node.optional ? '?' : ''}[${show(node.key)}]`;
  }
}

function parseError(text: string): ExpressionSyntaxError {
  try {
    if (text.startsWith('@{')) parseInterpolation(text, 0);
    else parseWhole(text);
  } catch (e) {
    assert.ok(e instanceof ExpressionSyntaxError, String(e));
    return e;
  }
  assert.fail(`${text} parsed`);
}

test('calls, nested calls, and literals of every kind', () => {
  assert.equal(
    show(parseWhole("@concat('a', 1, 2.5, 3.0, true, false, null)").node),
    `concat("a", 1, 2.5, 3f, true, false, null)`,
  );
  assert.equal(show(parseWhole('@utcNow()').node), 'utcNow()');
  assert.equal(show(parseWhole("@add(int('1'), sub(3, 2))").node), 'add(int("1"), sub(3, 2))');
  assert.equal(show(parseWhole("@'text'").node), '"text"', 'a literal alone is an expression');
  assert.equal(show(parseWhole('@-51').node), '-51');
});

test("selections: .p, ['p'], [index], ?.p, ?['p'], [expression], chained", () => {
  assert.equal(show(parseWhole("@triggerBody()?['name']").node), 'triggerBody()?["name"]');
  assert.equal(show(parseWhole('@trigger().outputs.body').node), 'trigger()["outputs"]["body"]');
  assert.equal(show(parseWhole("@body('x')?.a.b").node), 'body("x")?["a"]["b"]');
  assert.equal(show(parseWhole("@body('x')['value'][0]?['id']").node), 'body("x")["value"][0]?["id"]');
  assert.equal(show(parseWhole("@body('x')[variables('i')]").node), 'body("x")[variables("i")]');
  assert.equal(show(parseWhole("@variables('a')['b']['c']").node), 'variables("a")["b"]["c"]');
});

test('function names keep their spelling and get a lower-case key', () => {
  const { node } = parseWhole('@TriggerBODY()');
  assert.equal(node.type, 'call');
  assert.equal(node.type === 'call' && node.name, 'TriggerBODY');
  assert.equal(node.type === 'call' && node.key, 'triggerbody');
});

test('positions: node offsets are in the whole string', () => {
  const { node, source, start, end } = parseWhole("@concat('a', body('b').c)");
  assert.equal(source, "concat('a', body('b').c)");
  assert.deepEqual([start, end], [1, 25]);
  assert.equal(node.start, 1);
  assert.equal(node.type === 'call' && node.args[1]!.start, 13);
});

test('an interpolation ends at its closing brace, which may follow a string holding a brace', () => {
  const text = "x @{concat('}', 'a')} y";
  const parsed = parseInterpolation(text, 2);
  assert.equal(parsed.source, "concat('}', 'a')");
  assert.equal(parsed.start, 4);
  assert.equal(text.slice(parsed.end), ' y');
});

test("parse errors carry Azure's message, quoted, and the offending token's position", () => {
  const e = parseError('@odata.type');
  assert.equal(
    e.azureMessage,
    "Unable to parse template language expression 'odata.type': expected token 'LeftParenthesis' and actual 'Dot'.",
  );
  assert.equal(e.quoted, true);
  assert.equal(e.position, 6);
  assert.equal(
    parseError("@body 'x'").azureMessage,
    "Unable to parse template language expression 'body 'x'': expected token 'LeftParenthesis' and actual 'StringLiteral'.",
  );
  assert.equal(
    parseError('@foo bar()').azureMessage,
    "Unable to parse template language expression 'foo bar()': expected token 'LeftParenthesis' and actual 'Identifier'.",
  );
});

test('the grammar refuses what Azure refuses', () => {
  const cases: [string, string, string][] = [
    ['@concat', 'LeftParenthesis', 'EndOfData'],
    ["@concat('a','b')('c')", 'EndOfData', 'LeftParenthesis'],
    ["@'a','b'", 'EndOfData', 'Comma'],
    ["@'a'}", 'EndOfData', 'RightCurlyBracket'],
    ['@()', 'Identifier', 'LeftParenthesis'],
    ["@concat('a',)", 'Identifier', 'RightParenthesis'],
    ["@concat('a' 'b')", 'RightParenthesis', 'StringLiteral'],
    ["@body('x').", 'Identifier', 'EndOfData'],
    ["@body('x').0", 'EndOfData', 'FloatLiteral'],
    ["@body('x')?", 'LeftSquareBracket', 'EndOfData'],
    ["@body('x')['a'", 'RightSquareBracket', 'EndOfData'],
    ['@1e1.1', 'EndOfData', 'FloatLiteral'],
    ['@{}', 'Identifier', 'RightCurlyBracket'],
    ["@{'a'", 'RightCurlyBracket', 'EndOfData'],
    ["@{'a','b'}", 'RightCurlyBracket', 'Comma'],
    ['@{()}', 'Identifier', 'LeftParenthesis'],
  ];
  for (const [text, expected, actual] of cases) {
    assert.match(
      parseError(text).azureMessage,
      new RegExp(`expected token '${expected}' and actual '${actual}'\\.$`),
      text,
    );
  }
});

test('true, false and null are lower-case keywords; other spellings are names', () => {
  assert.equal(show(parseWhole('@null').node), 'null');
  assert.equal(show(parseWhole('@True()').node), 'True()');
  assert.match(parseError('@null()').azureMessage, /expected token 'EndOfData' and actual 'LeftParenthesis'/);
});

test('bounds: expression length, nesting depth and argument count', () => {
  const long = `@concat('${'x'.repeat(LIMITS.expressionLength)}')`;
  const e = parseError(long);
  assert.match(e.azureMessage, /characters long; the limit is 8192\./);
  assert.equal(e.position, 1);
  assert.doesNotThrow(() => parseWhole(`@'${'x'.repeat(LIMITS.expressionLength - 2)}'`));
  const longInterpolation = `a @{'${'x'.repeat(LIMITS.expressionLength)}'} b`;
  assert.throws(() => parseInterpolation(longInterpolation, 2), /the limit is 8192/);

  const nested = (n: number) => `@${'string('.repeat(n)}1${')'.repeat(n)}`;
  assert.doesNotThrow(() => parseWhole(nested(LIMITS.depth - 1)));
  assert.match(parseError(nested(LIMITS.depth + 1)).azureMessage, /deeper than 64 levels/);
  const brackets = `@json('{}')${"?['a']".repeat(LIMITS.depth + 1)}`;
  assert.doesNotThrow(() => parseWhole(brackets), 'a long chain of selections is not nesting');
  const nestedIndex = `@${"variables('a')[".repeat(LIMITS.depth + 1)}0${']'.repeat(LIMITS.depth + 1)}`;
  assert.match(parseError(nestedIndex).azureMessage, /deeper than 64 levels/);

  const args = (n: number) => `@createArray(${Array.from({ length: n }, () => '1').join(',')})`;
  assert.doesNotThrow(() => parseWhole(args(LIMITS.args)));
  assert.match(parseError(args(LIMITS.args + 1)).azureMessage, /more than 256 parameters/);
});
