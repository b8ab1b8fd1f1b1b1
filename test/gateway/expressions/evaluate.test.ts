import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileExpression,
  DateTimeValue,
  formatValue,
  isExpression,
  Jwt,
} from '../../../src/gateway/expressions/index.ts';
import { NOW, sample, sampleContext, token } from './sample-context.ts';

const at = { file: 'policy.xml', line: 3, column: 10 };
const run = (source: string, ctx = sample()) => compileExpression(source, at).evaluate(ctx);
const typeOf = (source: string) => compileExpression(source, at).type;

test('the documented auth expressions evaluate against a request', () => {
  assert.equal(
    run('@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject)'),
    'user-1',
  );
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Claims["group"].Contains("finance"))'), true);
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Claims["group"].Contains("Finance"))'), false);
  assert.equal(run('@(context.Request.Method == "POST")'), true);
  assert.equal(run('@(context.Request.Method == "post")'), false, '== on strings is ordinal');
  assert.equal(run('@(context.Variables.GetValueOrDefault<string>("x", "d"))'), 'value-of-x');
  assert.equal(run('@(context.Variables.GetValueOrDefault<string>("missing", "d"))'), 'd');
  assert.equal(run('@(context.Variables.GetValueOrDefault<string>("missing"))'), null);
  assert.equal(run('@(context.Variables.GetValueOrDefault<int>("missing"))'), 0);
  assert.equal(
    run('@(context.Variables.GetValueOrDefault("missing", "d"))'),
    'd',
    'T inferred from the default',
  );
  assert.equal(run('@(context.Request.Url.Query.GetValueOrDefault("api-version", ""))'), '2024-01-01');
  assert.equal(run('@(context.Request.OriginalUrl.Host)'), 'api.contoso.com');
  assert.equal(run('@(context.Request.IpAddress)'), '203.0.113.9');
  assert.equal(run('@(context.Subscription.Id)'), 'sub-1');
  assert.equal(run('@(context.Product.Name)'), 'Starter');
  assert.equal(run('@(context.Response.StatusCode == 401)'), true);
  assert.equal(run('@(context.Deployment.Region)'), 'West Europe');
  assert.equal(run('@(context.User?.Id)'), null);
  assert.equal(
    run('@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)'),
    120,
  );
});

test('a block with locals, if/else and return', () => {
  const source = `@{
    var accept = context.Request.Headers.GetValueOrDefault("accept");
    string kind;
    if (accept.Contains("json") && !accept.Contains("xml")) {
      kind = "json";
    } else if (accept == null) {
      return "none";
    } else {
      kind = "other";
    }
    return kind + ":" + accept.Split(',').Length;
  }`;
  assert.equal(run(source), 'json:2');
  assert.equal(typeOf(source), 'string');
});

test('the documented TryGetValue block (out into a declared local)', () => {
  const source = `@{
    string[] value;
    if (context.Request.Headers.TryGetValue("X-Payload", out value))
    {
      if (value != null && value.Length > 0)
      {
        return Encoding.UTF8.GetString(Convert.FromBase64String(value[0]));
      }
    }
    return null;
  }`;
  const ctx = sample();
  assert.equal(compileExpression(source, at).evaluate(ctx), null);
  const withHeader = sample({
    Request: {
      ...sampleContext().Request,
      Headers: new Map([['x-payload', [Buffer.from('héllo').toString('base64')]]]),
    },
  });
  assert.equal(compileExpression(source, at).evaluate(withHeader), 'héllo');
  assert.equal(typeOf(source), 'string');
});

test('AsJwt and TryParseJwt read a token without verifying it; null when it is not one', () => {
  const t = token({ sub: 'someone', aud: 'a', exp: 1 });
  const ctx = sample({
    Request: { ...sampleContext().Request, Headers: new Map([['Authorization', [t]]]) },
  });
  assert.equal(
    run('@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt().Subject)', ctx),
    'someone',
  );
  assert.equal(run('@("not a token".AsJwt() == null)'), true);
  assert.equal(run('@("a.b.c".AsJwt())'), null);
  const block = `@{
    Jwt jwt;
    if (context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseJwt(out jwt)) {
      return jwt.Issuer + "|" + string.Join(",", jwt.Audiences) + "|" + jwt.Algorithm;
    }
    return "no";
  }`;
  assert.equal(run(block), 'https://login.microsoftonline.com/tenant/v2.0|api://orders,orders|RS256');
  assert.equal(run('@("x".TryParseJwt(out var j) ? "yes" : "no")'), 'no');
});

test('the Jwt object: claims joined by GetValueOrDefault, arrays by the indexer, times as DateTime', () => {
  const jwt = run('@((Jwt)context.Variables["jwt"])');
  assert.ok(jwt instanceof Jwt);
  assert.equal(
    run('@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("group", "none"))'),
    'finance,ops',
  );
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("nothing", "none"))'), 'none');
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Claims["group"].Length)'), 2);
  assert.equal(
    run('@(((Jwt)context.Variables["jwt"]).Claims["scp"][0].Split(\' \').Contains("write"))'),
    true,
  );
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).ExpirationTime > DateTime.UtcNow)'), true);
  assert.equal(
    run('@(((Jwt)context.Variables["jwt"]).ExpirationTime.Value.ToString("o"))'),
    '2026-12-05T02:30:00.0000000Z',
  );
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).NotBefore.HasValue)'), false);
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Id)'), 'id-1');
  assert.equal(run('@(((Jwt)context.Variables["jwt"]).Type)'), 'JWT');
  assert.equal(run('@((context.Variables["jwt"] as Jwt)?.Subject)'), 'user-1');
  assert.equal(run('@((context.Variables["x"] as Jwt)?.Subject)'), null);
  assert.equal(run('@(context.Variables["jwt"] is Jwt)'), true);
});

test('headers are case-insensitive; query parameters and claims are not', () => {
  assert.equal(run('@(context.Request.Headers.GetValueOrDefault("ACCEPT"))'), 'application/json,text/plain');
  assert.equal(run('@(context.Request.Headers.ContainsKey("x-forwarded-for"))'), true);
  assert.equal(run('@(context.Request.Headers["accept"][1])'), 'text/plain');
  assert.equal(run('@(context.Request.Url.Query.ContainsKey("API-VERSION"))'), false);
  assert.equal(run('@(context.Request.Url.Query.GetValueOrDefault("tag"))'), 'a,b');
  assert.equal(run('@(context.Request.MatchedParameters["id"])'), '42');
  assert.equal(run('@(context.Response.Headers.GetValueOrDefault("content-type", ""))'), 'application/json');
});

test('operators: int and double arithmetic, ?:, ??, ?., comparisons, string concatenation', () => {
  assert.equal(run('@(7 / 2)'), 3);
  assert.equal(run('@(7 / 2.0)'), 3.5);
  assert.equal(run('@(-7 % 3)'), -1);
  assert.equal(run('@(2147483647 + 1)'), -2147483648, 'int arithmetic wraps');
  assert.equal(run('@((int)7.9)'), 7);
  assert.equal(run('@((double)7 / 2)'), 3.5);
  assert.equal(run('@("n=" + 1 + 2)'), 'n=12');
  assert.equal(run('@("n=" + (1 + 2))'), 'n=3');
  assert.equal(run('@("b=" + true + 0.5 + null)'), 'b=True0.5');
  assert.equal(run('@(1e15.ToString())'), '1E+15');
  assert.equal(run('@(context.Subscription?.Name ?? "none")'), 'Gold');
  assert.equal(run('@(context.Subscription?.Name ?? "none")', sample({ Subscription: null })), 'none');
  assert.equal(
    run('@(context.Subscription?.Name.Length)', sample({ Subscription: null })),
    null,
    '?. skips the chain',
  );
  assert.equal(typeOf('@(context.Subscription?.Name.Length)'), 'int?');
  assert.equal(run('@(context.Response?.StatusCode >= 400 ? "error" : "ok")'), 'error');
  assert.equal(run('@(context.Variables["count"] == 3)'), true, 'object == int compares values');
  assert.equal(run('@((int)context.Variables["count"] * 2)'), 6);
  assert.equal(run('@((double)context.Variables["ratio"] * 2)'), 1);
  assert.equal(run('@((bool)context.Variables["flag"] && true)'), true);
  assert.equal(run("@('a' + 1)"), 98, 'char promotes to int');
  assert.equal(run('@("abc"[1] == \'b\')'), true);
  assert.equal(
    run('@(false && ((string)context.Variables["count"]).Length > 0)'),
    false,
    '&& short-circuits',
  );
});

test('string methods', () => {
  const cases: [string, unknown][] = [
    ['@("Hello".Contains("ell"))', true],
    ['@("Hello".StartsWith("he", StringComparison.OrdinalIgnoreCase))', true],
    ['@("Hello".EndsWith("LO"))', false],
    ['@("Hello".ToLower() + "Hello".ToUpperInvariant())', 'helloHELLO'],
    ['@("  x \\t".Trim())', 'x'],
    ['@("--x--".Trim(\'-\'))', 'x'],
    ['@("a,b,,c".Split(\',\').Length)', 4],
    ['@("a,b,,c".Split(\',\', StringSplitOptions.RemoveEmptyEntries).Length)', 3],
    ['@("a::b".Split("::")[1])', 'b'],
    ['@("Bearer abc".Substring(7))', 'abc'],
    ['@("Bearer abc".Substring(0, 6))', 'Bearer'],
    ['@("Bearer abc".IndexOf(" "))', 6],
    ['@("a-b-c".Replace("-", "+"))', 'a+b+c'],
    ['@("Finance".Equals("FINANCE", StringComparison.OrdinalIgnoreCase))', true],
    ['@("Finance".Equals("FINANCE"))', false],
    ['@(string.IsNullOrEmpty(context.Request.Headers.GetValueOrDefault("X-None")))', true],
    ['@(string.IsNullOrWhiteSpace("  "))', true],
    ['@(string.Join("|", new[] { "a", "b" }))', 'a|b'],
    ['@(string.Join("|", "a", 1, true))', 'a|1|True'],
    ['@(string.Format("{0}-{1}-{0}{{}}", "x", 2))', 'x-2-x{}'],
    ['@(String.Concat("a", 1, true))', 'a1True'],
    ['@(int.Parse(" 42 ") + 1)', 43],
    ['@(Convert.ToBase64String(Encoding.UTF8.GetBytes("hi")))', 'aGk='],
    ['@(Encoding.UTF8.GetString(Convert.FromBase64String("aGk=")))', 'hi'],
    ['@("abc".PadLeft(5, \'.\'))', '..abc'],
    ['@($"{context.Request.Method} {context.Request.Url.Path} {{x}} {1.5}")', 'POST /orders/42 {x} 1.5'],
    ['@(@"C:\\path ""quoted""")', 'C:\\path "quoted"'],
    ['@("tab\\tand \\u0041")', 'tab\tand A'],
  ];
  for (const [source, expected] of cases) assert.equal(run(source), expected, source);
});

test('LINQ over arrays and claims, with lambdas', () => {
  const cases: [string, unknown][] = [
    ['@(((Jwt)context.Variables["jwt"]).Claims["roles"].Any(r => r.StartsWith("Orders.")))', true],
    ['@(((Jwt)context.Variables["jwt"]).Claims["group"].All(g => g.Length > 2))', true],
    ['@(((Jwt)context.Variables["jwt"]).Claims["group"].Where(g => g != "ops").Count())', 1],
    ['@(((Jwt)context.Variables["jwt"]).Claims["group"].Count(g => g.Contains("n")))', 1],
    [
      '@(string.Join(",", ((Jwt)context.Variables["jwt"]).Audiences.Select(a => a.ToUpper())))',
      'API://ORDERS,ORDERS',
    ],
    [
      '@(((Jwt)context.Variables["jwt"]).Audiences.FirstOrDefault(a => a.StartsWith("api://")))',
      'api://orders',
    ],
    ['@(((Jwt)context.Variables["jwt"]).Audiences.FirstOrDefault(a => a == "none"))', null],
    [
      '@(context.Request.Headers.GetValueOrDefault("Authorization", "").Split(\' \').Last().AsJwt().Subject)',
      'user-1',
    ],
    ['@(new[] { 1, 2, 3 }.Select(n => n * 2).Contains(4))', true],
    ['@(new string[] { "a" }.Any())', true],
    ['@(context.Request.Headers.Keys.Contains("Accept"))', true],
  ];
  for (const [source, expected] of cases) assert.equal(run(source), expected, source);
});

test('foreach over a collection, within the budget', () => {
  const source = `@{
    var n = 0;
    foreach (var g in ((Jwt)context.Variables["jwt"]).Claims["group"]) {
      if (g.StartsWith("f")) { n = n + 1; }
    }
    return n;
  }`;
  assert.equal(run(source), 1);
});

test('time: DateTime.UtcNow from the clock, Elapsed from the request timestamp, Guid.NewGuid from the generator', () => {
  assert.equal(run('@(DateTime.UtcNow.ToString("o"))'), '2026-12-05T01:30:00.0000000Z');
  assert.equal(run('@(DateTime.UtcNow.AddMinutes(5) > DateTime.UtcNow)'), true);
  assert.equal(run('@((DateTime.UtcNow - context.Timestamp).TotalMilliseconds)'), 250);
  assert.equal(run('@(context.Elapsed.TotalMilliseconds)'), 250);
  assert.equal(run('@(Guid.NewGuid().ToString())'), '11111111-2222-3333-4444-555555555555');
  assert.equal(run('@(context.RequestId.ToString())'), '0f8fad5b-d9cb-469f-a165-70867728950e');
  const utc = run('@(DateTime.UtcNow)');
  assert.ok(utc instanceof DateTimeValue && utc.ms === NOW);
  assert.equal(formatValue(utc), '12/05/2026 01:30:00');
});

test('request body as a string', () => {
  assert.equal(run('@(context.Request.Body.As<string>(preserveContent: true))'), '{"amount":10}');
});

test('isExpression: the whole text is one expression', () => {
  assert.equal(isExpression('  @(context.Request.Method)  '), true);
  assert.equal(isExpression('@{ return "x"; }'), true);
  assert.equal(isExpression('@(a) and more'), false);
  assert.equal(isExpression('Bearer @(x)'), false);
  assert.equal(isExpression('@(unclosed'), false);
  assert.equal(isExpression('plain'), false);
});

test('the static type is known at load time', () => {
  assert.equal(typeOf('@(context.Request.Method == "GET")'), 'bool');
  assert.equal(typeOf('@(context.Response.StatusCode)'), 'int');
  assert.equal(typeOf('@(context.Variables["x"])'), 'object');
  assert.equal(typeOf('@(context.Request.Headers.GetValueOrDefault("a","").AsJwt())'), 'Jwt');
  assert.equal(typeOf('@{ if (true) { return 1; } return 2.5; }'), 'double');
});
