import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PolicyExpressionError } from '../../../src/gateway/expressions/errors.ts';
import { expressionEnd } from '../../../src/gateway/expressions/scan.ts';

const cut = (text: string, start = text.indexOf('@')) => text.slice(start, expressionEnd(text, start));

test('expressionEnd: a single expression inside an attribute with raw quotes', () => {
  const xml = '<when condition="@(context.Request.Method == "POST")">';
  assert.equal(cut(xml), '@(context.Request.Method == "POST")');
  assert.equal(
    cut('<set-variable value="@(context.Variables.GetValueOrDefault<string>("x"))" />'),
    '@(context.Variables.GetValueOrDefault<string>("x"))',
  );
});

test('expressionEnd: strings and chars containing brackets and quotes do not count', () => {
  assert.equal(cut('@("a)b" + "c\\")d")x'), '@("a)b" + "c\\")d")');
  assert.equal(cut('@(@"a "")" + "}")x'), '@(@"a "")" + "}")');
  assert.equal(cut("@(s.Split(')')[0] + '\\'')x"), "@(s.Split(')')[0] + '\\'')");
  assert.equal(cut('@($"a{(x ? ")" : "}")}b)")x'), '@($"a{(x ? ")" : "}")}b)")');
  assert.equal(cut('@($"{{ not a hole )")x'), '@($"{{ not a hole )")');
});

test('expressionEnd: a block with nested braces, && and comments', () => {
  const text =
    '<value>@{\n  // a ) in a comment\n  if (a && b) { return "}"; } /* { */\n  return "x";\n}</value>';
  const body = cut(text);
  assert.ok(body.startsWith('@{') && body.endsWith('}'));
  assert.equal(text.slice(text.indexOf('@') + body.length), '</value>');
});

test('expressionEnd: unterminated expressions throw with the position of the @', () => {
  for (const [text, pattern] of [
    ['<a>\n  <b x="@(context.Request.Method == "POST"">', /2:9: .*not closed/],
    ['@("never closed)', /1:1: .*string literal is not closed/],
    ['@{ if (a) { return 1; }', /not closed/],
    ['@(a})', /"\}" where "\)" closes/],
    ["@('ab)", /char literal/],
    ['@(x /* y )', /comment is not closed/],
  ] as const) {
    assert.throws(
      () => expressionEnd(text, text.indexOf('@')),
      (e: unknown) =>
        e instanceof PolicyExpressionError &&
        e.code === 'ERR_GATEWAY_POLICY_EXPRESSION' &&
        pattern.test(e.message),
      text,
    );
  }
});

test('expressionEnd: the error carries the offset of the expression in the text', () => {
  assert.throws(
    () => expressionEnd('abc @(x', 4),
    (e: unknown) => e instanceof PolicyExpressionError && e.offset === 4,
  );
});

test('expressionEnd: positions count from the origin given', () => {
  assert.throws(
    () => expressionEnd('ab @(x', 3, { file: 'p.xml', line: 10, column: 5 }),
    (e: unknown) => e instanceof PolicyExpressionError && e.message.startsWith('p.xml:10:8:'),
  );
});

test('expressionEnd: refuses a start that is not @( or @{', () => {
  assert.throws(() => expressionEnd('@x', 0), PolicyExpressionError);
  assert.throws(() => expressionEnd('(x)', 0), PolicyExpressionError);
});
