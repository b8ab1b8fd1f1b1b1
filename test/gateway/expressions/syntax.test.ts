import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileExpression,
  expressionEnd,
  formatValue,
  jwtFromParts,
  parseJwt,
} from '../../../src/gateway/expressions/index.ts';
import { sample } from './sample-context.ts';

const run = (source: string) => compileExpression(source, { line: 1, column: 1 }).evaluate(sample());

test('the scanner and the lexer agree on literals that hide brackets', () => {
  for (const [source, value] of [
    ['@($"a{("}")}b")', 'a}b'],
    ['@($@"x{{{"y"}}}""")', 'x{y}"'],
    ['@("(" + \')\' + "\\")")', '()")'],
    ['@{ /* } */ return "}"; // )\n}', '}'],
    ['@(@"c:\\dir\\")', 'c:\\dir\\'],
  ] as const) {
    assert.equal(expressionEnd(`${source} tail`, 0), source.length, source);
    assert.equal(run(source), value, source);
  }
});

test('C# parsing details: casts, nullable locals, generics against less-than, conditional vs nullable', () => {
  assert.equal(run('@{ int? n = null; return n ?? 5; }'), 5);
  assert.equal(run('@{ int? n = 3; return n.HasValue ? n.Value : 0; }'), 3);
  assert.equal(run('@((int)-1.5)'), -1);
  assert.equal(run('@((context.Response.StatusCode) - 1)'), 400, 'a parenthesised value, not a cast');
  assert.equal(run('@(context.Response.StatusCode < 500 && context.Response.StatusCode > 200)'), true);
  assert.equal(run('@(context.Variables.GetValueOrDefault<int>("count") < 4)'), true);
  assert.equal(run('@(context.Variables["x"] is string ? "s" : "o")'), 's');
  assert.equal(run('@(0x1F + 1_000)'), 1031);
  assert.equal(run('@(.5 + 1.5e1)'), 15.5);
  assert.equal(run('@(1.ToString() + 2.5.ToString())'), '12.5');
  assert.equal(run('@(true ? null : "x")'), null);
  assert.equal(
    run('@{ var l = new[] { "a" }; string r = null; foreach (string s in l) { r = s; } return r; }'),
    'a',
  );
  assert.equal(run('@(context.Request.Headers?["Accept"]?.Length)'), 2);
});

test('jwtFromParts and AsJwt: claims as text, times as DateTime, malformed tokens are null', () => {
  const jwt = jwtFromParts(
    { alg: 'HS256' },
    { n: 5, ok: true, obj: { a: 1 }, aud: 'x', exp: 100, many: ['a', 2] },
  );
  assert.deepEqual(jwt.Claims.get('n'), ['5']);
  assert.deepEqual(jwt.Claims.get('ok'), ['true']);
  assert.deepEqual(jwt.Claims.get('obj'), ['{"a":1}']);
  assert.deepEqual(jwt.Claims.get('many'), ['a', '2']);
  assert.deepEqual(jwt.Audiences, ['x']);
  assert.equal(jwt.ExpirationTime?.ms, 100_000);
  assert.equal(jwt.Subject, null);
  assert.equal(jwt.Type, null);
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  assert.equal(parseJwt(`${b64('{"alg":"none"}')}.${b64('{"sub":"a","sub":"b"}')}.`), null, 'repeated names');
  assert.equal(parseJwt(`${b64('{"alg":"none"}')}.${b64('[1]')}.`), null, 'payload not an object');
  assert.equal(
    parseJwt(`${b64('{"alg":"none"}')}.${b64('{"sub":"a"}')}.`)?.Subject,
    'a',
    'unsigned still reads',
  );
  assert.equal(parseJwt(`bearer  ${b64('{"alg":"none"}')}.${b64('{"sub":"a"}')}.x`)?.Subject, 'a');
  assert.equal(parseJwt('a.b'), null);
  assert.equal(parseJwt('x'.repeat(70_000)), null);
});

test('formatValue writes values as .NET ToString() does', () => {
  assert.equal(formatValue(true), 'True');
  assert.equal(formatValue(null), '');
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(0.1), '0.1');
  assert.equal(formatValue(1e21), '1E+21');
  assert.equal(formatValue(0.00001), '1E-05');
  assert.equal(formatValue(run('@(context.Elapsed)')), '00:00:00.2500000');
  assert.equal(formatValue(run('@(new[] { "a" })')), 'System.String[]');
});

test('evaluation is repeatable and independent per call', () => {
  const c = compileExpression(
    '@{ var n = 0; foreach (var x in new[] { 1, 2, 3 }) { n = n + x; } return n; }',
    {
      line: 1,
      column: 1,
    },
  );
  assert.equal(c.evaluate(sample()), 6);
  assert.equal(c.evaluate(sample()), 6);
  assert.equal(c.type, 'int');
  assert.ok(Object.isFrozen(c));
});
