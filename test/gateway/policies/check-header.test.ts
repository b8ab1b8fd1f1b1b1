import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadRefused, assertPassed, assertRefused, run } from './auth-helpers.ts';

const policy = (values: string[], ignoreCase = 'true') =>
  `<check-header name="X-Tier" failed-check-httpcode="403" failed-check-error-message="Tier not allowed" ignore-case="${ignoreCase}">${values
    .map((v) => `<value>${v}</value>`)
    .join('')}</check-header>`;

describe('check-header', () => {
  it('passes when the header carries one of the values (case ignored when asked)', async () => {
    assertPassed(await run(policy(['gold', 'silver']), { headers: { 'x-tier': 'GOLD' } }));
    assertPassed(await run(policy(['gold', 'silver']), { headers: { 'X-Tier': 'silver' } }));
    assertPassed(await run(policy([]), { headers: { 'X-Tier': 'anything' } }));
  });

  it('HeaderNotFound: the status and message given, nothing after it runs', async () => {
    const out = await run(policy(['gold']));
    assertRefused(out, 403, 'Tier not allowed', 'HeaderNotFound');
    assert.equal(out.source, 'check-header');
    assert.match(out.hint ?? '', /no X-Tier header/);
  });

  it('HeaderValueNotAllowed: another value, or another case with ignore-case="false"', async () => {
    assertRefused(
      await run(policy(['gold']), { headers: { 'X-Tier': 'bronze' } }),
      403,
      'Tier not allowed',
      'HeaderValueNotAllowed',
    );
    assertRefused(
      await run(policy(['gold'], 'false'), { headers: { 'X-Tier': 'GOLD' } }),
      403,
      'Tier not allowed',
      'HeaderValueNotAllowed',
    );
  });

  it('expressions and named values in its attributes and values', async () => {
    const p = `<check-header name="{{hdr}}" failed-check-httpcode="@(400 + 1)" failed-check-error-message="@(&quot;no &quot; + context.Request.Method)" ignore-case="false"><value>@(context.Api.Name)</value></check-header>`;
    const o = { namedValues: { hdr: 'X-Api' } };
    assertPassed(await run(p, { headers: { 'x-api': 'Orders' } }, o));
    assertRefused(
      await run(p, { method: 'POST', headers: { 'x-api': 'orders' } }, o),
      401,
      'no POST',
      'HeaderValueNotAllowed',
    );
  });

  it('refuses at load: each of the four attributes missing, a bad status, a stray element', () => {
    for (const attr of ['name', 'failed-check-httpcode', 'failed-check-error-message', 'ignore-case']) {
      const p = policy([]).replace(new RegExp(` ${attr}="[^"]*"`), '');
      assertLoadRefused(p, new RegExp(`needs the attribute "${attr}"`), { line: 1, column: 20 });
    }
    assertLoadRefused(policy([]).replace('"403"', '"forbidden"'), /failed-check-httpcode is "forbidden"/, {
      line: 1,
      column: 48,
    });
    assertLoadRefused(
      policy([]).replace('</check-header>', '<val>x</val></check-header>'),
      /cannot hold <val>/,
    );
  });
});
