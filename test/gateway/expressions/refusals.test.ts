import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  COMPILE_LIMITS,
  compileExpression,
  ExpressionEvaluationError,
  PolicyExpressionError,
} from '../../../src/gateway/expressions/index.ts';
import { sample, sampleContext } from './sample-context.ts';

const at = { file: 'apis/orders.xml', line: 12, column: 30 };

/** Compiling `source` fails with a PolicyExpressionError at `line:column` whose message matches `pattern`. */
function refused(source: string, pattern: RegExp, where?: [number, number]) {
  assert.throws(
    () => compileExpression(source, at),
    (e: unknown) => {
      assert.ok(e instanceof PolicyExpressionError, `${source}: ${String(e)}`);
      assert.equal(e.code, 'ERR_GATEWAY_POLICY_EXPRESSION');
      assert.match(e.message, pattern, source);
      assert.ok(e.message.includes('policy expression @'), 'the message quotes the expression');
      if (where) {
        assert.equal(`${e.position.line}:${e.position.column}`, where.join(':'), source);
        assert.ok(e.message.startsWith(`apis/orders.xml:${where[0]}:${where[1]}: `), e.message);
      }
      return true;
    },
  );
}

test('unsupported C# is refused at load time, at its position', () => {
  refused('@(System.IO.File.ReadAllText("x"))', /"System" is not available/, [12, 32]);
  refused('@(File.ReadAllText("x"))', /"File" is not available/);
  refused(
    '@(new WebClient().DownloadString("http://x"))',
    /creating objects with "new" is not supported/,
    [12, 32],
  );
  refused('@(new System.Net.WebClient())', /"new" is not supported/);
  refused('@(typeof(string).Name)', /"typeof" is not supported/);
  refused('@(context.Request.Method = "GET")', /assignment "=" is only allowed to a local/);
  refused('@{ context = null; return 1; }', /context cannot be assigned/);
  refused('@{ context.Variables["x"] = 1; return 1; }', /assignment "=" is only allowed to a local/);
  refused('@{ while (true) { } return 1; }', /while loops are not supported/);
  refused('@{ for (;;) { } }', /for loops are not supported/);
  refused('@{ throw null; }', /"throw" is not supported/);
  refused('@(x => x)', /lambda is only allowed as an argument/);
  refused('@(context.Request.Method.GetType())', /has no method "GetType"/);
  refused('@(default(int))', /"default" is not supported/);
  refused('@(1 << 2)', /bitwise operator "<<" is not supported/);
  refused('@(context.Request.Headers.GetValueOrDefault("a") | "b")', /bitwise operator "\|"/);
  refused('@(Activator.CreateInstance("x"))', /"Activator" is not available/);
  refused('@(context.Request.Body.As<JObject>())', /type "JObject" is not available/);
  refused('@(context.Request.Body.As<int>())', /only T = string/);
  refused('@(1L)', /long\/unsigned literals are not supported/);
  refused('@(2147483648)', /out of range for int/);
  refused('@(1.5m)', /decimal literals/);
  refused('@("bad \\q escape")', /unrecognized escape sequence \\q/);
  refused('@($"{x:N2}")', /format and alignment in interpolation holes are not supported/);
});

test('type errors are refused at load time', () => {
  refused('@(context.Request.Method == 1)', /operator "==" cannot be applied to string and int/, [12, 55]);
  refused('@("a" < "b")', /operator "<" cannot be applied to string and string/);
  refused('@(context.Request.Foo)', /IRequest has no member "Foo"/, [12, 48]);
  refused(
    '@(context.Request.Headers.GetValueOrDefault(1))',
    /no overload of IMessageHeaders.GetValueOrDefault takes \(int\)/,
  );
  refused('@(context.Variables["jwt"].Subject)', /object has no member "Subject"/);
  refused('@((int)"5")', /cannot convert string to int/);
  refused('@(context.Request.Method ? 1 : 2)', /a condition must be a bool, not string/);
  refused('@(true ? "a" : 1)', /branches of \?: have different types/);
  refused('@(!context.Request.Method)', /"!" needs a bool/);
  refused('@(context.Response.StatusCode ?? 0)', /never null/);
  refused('@(unknown)', /the name "unknown" does not exist/);
  refused('@(Convert)', /"Convert" is a type, not a value/);
  refused('@("abc".Length())', /string.Length is not a method/);
  refused('@("abc".Substring)', /string.Substring is a method/);
  refused('@(new[] { 1, 2 }.Any(n => n + 1))', /lambda must return a bool, not int/);
  refused('@(context.Request.Headers.Any(h => true))', /has no method "Any"/);
  refused('@{ var x = 1; var x = 2; return x; }', /"x" is already defined/);
  refused('@{ string s = 5; return s; }', /cannot implicitly convert int to string/);
  refused('@{ var n = null; return n; }', /cannot infer the type of "var" from null/);
});

test('blocks must return on every path', () => {
  refused('@{ if (true) { return 1; } }', /not all code paths return a value/);
  refused('@{ var a = 1; }', /not all code paths return a value/);
  refused('@{ return; }', /returns a value/);
  refused('@{ "x".ToString(); return 1 }', /expected ";"/);
  refused('@{ 1 + 1; return 1; }', /only a method call can stand as a statement/);
});

test('positions count the lines inside a block expression', () => {
  const source = '@{\n  var a = 1;\n  return a.Nope;\n}';
  // the @ is at 12:30; "Nope" is on the third line of the block, column 12
  refused(source, /int has no member "Nope"/, [14, 12]);
});

test('the JavaScript object behind a value is out of reach', () => {
  for (const member of [
    'constructor',
    '__proto__',
    'prototype',
    'toString',
    'valueOf',
    'length',
    'hasOwnProperty',
  ]) {
    refused(`@(context.${member})`, /has no member/);
    refused(`@(context.Request.${member})`, /has no member/);
    refused(`@("x".${member})`, /has no member/);
    refused(`@(context.Variables.${member})`, /has no member/);
    refused(`@(context.Request.Headers.${member}("a"))`, /has no method/);
  }
  refused(
    '@(context.Request.Url.Query.constructor.constructor("return process"))',
    /has no member "constructor"/,
  );
  refused(
    '@(context.Request.Url.Query.constructor.constructor("return process")())',
    /only methods of a type can be called/,
  );
  refused('@(((Jwt)context.Variables["jwt"]).constructor)', /Jwt has no member "constructor"/);
  refused(
    '@(context.Request.Headers.GetValueOrDefault("a").constructor)',
    /string has no member "constructor"/,
  );
  refused('@(string.constructor)', /string has no member "constructor"/);
  // the indexer only reads the dictionary's entries, never properties of the Map object
  assert.throws(
    () => compileExpression('@(context.Variables["constructor"])', at).evaluate(sample()),
    (e: unknown) => e instanceof ExpressionEvaluationError && /KeyNotFoundException/.test(e.message),
  );
  assert.equal(
    compileExpression('@(context.Variables.ContainsKey("__proto__"))', at).evaluate(sample()),
    false,
  );
});

test('load-time bounds: length and nesting', () => {
  const deep = `@(${'('.repeat(10_000)}1${')'.repeat(10_000)})`;
  refused(deep, /nested more than 64 levels/);
  refused(`@(${'!'.repeat(200)}true)`, /nested more than 64 levels/);
  refused(`@(1${' + 1'.repeat(200)})`, /nested more than 64 levels/);
  refused(`@("a"${'.ToString()'.repeat(100)}.Length)`, /nested more than 64 levels/);
  refused(`@{${'{'.repeat(500)}return 1;${'}'.repeat(500)}}`, /nested more than 64 levels/);
  refused(`@("${'a'.repeat(COMPILE_LIMITS.maxLength)}")`, /characters long; at most/);
  // within the bounds, nesting works
  assert.equal(compileExpression(`@(${'('.repeat(30)}1${')'.repeat(30)})`, at).evaluate(sample()), 1);
});

/** Evaluating fails with an ExpressionEvaluationError naming the .NET exception, at `line:column`. */
function fails(source: string, pattern: RegExp, ctx = sample(), where?: [number, number]) {
  const compiled = compileExpression(source, at);
  assert.throws(
    () => compiled.evaluate(ctx),
    (e: unknown) => {
      assert.ok(e instanceof ExpressionEvaluationError, `${source}: ${String(e)}`);
      assert.equal(e.code, 'ERR_GATEWAY_EXPRESSION_EVALUATION');
      assert.equal(e.status, 500);
      assert.equal(e.reason, 'ExpressionValueEvaluationFailure');
      assert.match(e.message, pattern, source);
      if (where) assert.equal(`${e.position?.line}:${e.position?.column}`, where.join(':'));
      return true;
    },
  );
}

test('run-time failures: null references, bad casts, missing keys, bad input', () => {
  fails('@(context.User.Id)', /NullReferenceException/, sample(), [12, 45]);
  fails('@(context.Subscription.Name)', /NullReferenceException/, sample({ Subscription: null }));
  fails('@(context.Request.Headers.GetValueOrDefault("X-None").Length)', /NullReferenceException/);
  fails('@(((Jwt)context.Variables["x"]).Subject)', /InvalidCastException: a string cannot be cast to Jwt/);
  fails('@((int)context.Variables["x"])', /InvalidCastException/);
  fails(
    '@(context.Variables.GetValueOrDefault<int>("x"))',
    /InvalidCastException: variable "x" holds a string/,
  );
  fails('@((int)context.Variables.GetValueOrDefault("missing"))', /NullReferenceException/);
  fails('@(context.Variables["missing"])', /KeyNotFoundException/);
  fails('@(context.Request.Headers["X-None"])', /KeyNotFoundException/);
  fails('@(context.Variables["x"] == 3)', /InvalidOperationException: cannot compare a string with a int/);
  fails('@(int.Parse("twelve"))', /FormatException/);
  fails('@(int.Parse("99999999999"))', /OverflowException/);
  fails('@(Convert.FromBase64String("***"))', /FormatException/);
  fails('@("abc".Substring(5))', /ArgumentOutOfRangeException/);
  fails('@("abc"[3])', /IndexOutOfRangeException/);
  fails('@(1 / (context.Response.StatusCode - 401))', /DivideByZeroException/);
  fails('@("abc".Replace("", "x"))', /ArgumentException/);
  fails('@(new string[] { }.First())', /InvalidOperationException: the sequence is empty/);
});

test('run-time budgets: string growth, total output and steps', () => {
  const doubling = `@{\n  var s = "${'x'.repeat(1024)}";\n${'  s = s + s;\n'.repeat(20)}  return s.Length;\n}`;
  fails(doubling, /BudgetExceeded: a string of 2097152 characters is longer than the 1048576 allowed/);
  fails('@("ab".PadLeft(2000000000))', /BudgetExceeded/);
  fails(`@("${'a'.repeat(1000)}".Replace("a", "${'b'.repeat(2000)}"))`, /BudgetExceeded/);
  const many = `@{ var s = ""; ${'s = string.Concat(s, "x"); '.repeat(100)} return s; }`;
  const ctx = { ...sample(), limits: { maxSteps: 50 } };
  fails(many, /BudgetExceeded: more than 50 evaluation steps/, ctx);
  // a loop over a long array inside a loop costs steps per turn
  const nested = `@{
    var n = 0;
    var parts = context.Request.Headers.GetValueOrDefault("X-Many", "").Split(',');
    foreach (var a in parts) { foreach (var b in parts) { if (a == b) { n = n + 1; } } }
    return n;
  }`;
  const big = sample({
    Request: {
      ...sampleContext().Request,
      Headers: new Map([['X-Many', [Array(2000).fill('v').join(',')]]]),
    },
  });
  fails(nested, /BudgetExceeded: more than 100000 evaluation steps/, big);
  const total = `@{ var s = "y".PadLeft(900000); ${Array.from({ length: 10 }, (_, i) => `var s${i} = s + "${i}";`).join(' ')} return s9; }`;
  fails(total, /BudgetExceeded: the expression produced more than 8388608 characters/);
  // the same expression within its limits
  assert.equal(compileExpression(many, at).evaluate(sample()), 'x'.repeat(100));
});

test('an expression holding a secret named value is never quoted in errors', () => {
  const secret = 'S3cr3t-value';
  assert.throws(
    () => compileExpression(`@("${secret}".Nope)`, at, { redact: true }),
    (e: unknown) =>
      e instanceof PolicyExpressionError &&
      !e.message.includes(secret) &&
      e.message.startsWith('apis/orders.xml:12:'),
  );
  assert.throws(
    () => compileExpression(`@(int.Parse("${secret}"))`, at, { redact: true }).evaluate(sample()),
    (e: unknown) =>
      e instanceof ExpressionEvaluationError &&
      !e.message.includes(secret) &&
      /FormatException/.test(e.message),
  );
  assert.throws(
    () => compileExpression(`@(int.Parse("${secret}"))`, at).evaluate(sample()),
    (e: unknown) => e instanceof ExpressionEvaluationError && e.message.includes(secret),
    'without redact the message quotes the expression',
  );
});
