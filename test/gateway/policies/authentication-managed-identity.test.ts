/**
 * authentication-managed-identity with the gateway's identities in a real Lanyard: tokens minted by its
 * managed-identity service for the gateway resource's system-assigned or user-assigned identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claimsOf } from '../../adversarial/forge.ts';
import type { HarnessOptions } from '../policy-harness.ts';
import { assertLoadRefused, assertPassed, assertRefused, run } from './auth-helpers.ts';
import { type AuthWorld, openAuthWorld } from './auth-world.ts';

describe('authentication-managed-identity', () => {
  let w: AuthWorld;
  let o: HarnessOptions;
  before(async () => {
    w = await openAuthWorld();
    o = { services: { managedIdentityToken: w.miTokens } };
  });
  after(() => w.cleanup());

  const sent = (out: Awaited<ReturnType<typeof run>>) => {
    const value = out.ctx.request.headers.joined('authorization') ?? '';
    assert.match(value, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    return claimsOf(value.slice(7));
  };

  it("sets Authorization: Bearer <token> whose aud is the resource exactly as written, replacing the caller's", async () => {
    for (const resource of [w.api.appId, 'api://orders', `${w.api.uri}/`]) {
      const out = await run(
        `<authentication-managed-identity resource="${resource}" />`,
        { headers: { Authorization: 'Bearer caller-token' } },
        o,
      );
      assertPassed(out);
      const claims = sent(out);
      assert.equal(claims.aud, resource === `${w.api.uri}/` ? resource : resource);
      assert.equal(claims.oid, w.gateway.system.principalId);
      assert.equal(out.ctx.request.headers.get('authorization')?.length, 1);
    }
  });

  it('client-id (a named value) picks the user-assigned identity; resource may be an expression', async () => {
    const out = await run(
      '<authentication-managed-identity resource="@("api://" + context.Api.Id)" client-id="{{uai}}" />',
      {},
      { ...o, namedValues: { uai: w.gateway.uai.clientId } },
    );
    assertPassed(out);
    const claims = sent(out);
    assert.equal(claims.aud, 'api://orders');
    assert.equal(claims.oid, w.gateway.uai.principalId);
    assert.equal(claims.appid, w.gateway.uai.clientId);
  });

  it('reuses the token across requests until near its expiry (the service caches it)', async () => {
    const p = `<authentication-managed-identity resource="${w.v2.appId}" />`;
    // The service drops its cache when the directory version moves (checked at most once a second); let a check
    // see the version the world's set-up left before counting, so only the cache's own behaviour is measured.
    await run(p, {}, o);
    await new Promise((r) => setTimeout(r, 1_100));
    await run(p, {}, o);
    const before = w.miTokens.minted();
    const first = sent(await run(p, {}, o));
    for (let i = 0; i < 3; i++) assert.deepEqual(sent(await run(p, {}, o)), first);
    assert.equal(w.miTokens.minted(), before);
  });

  it('output-token-variable-name: the token in the variable, the header left to the documented set-header', async () => {
    const p = `<authentication-managed-identity resource="${w.api.appId}" output-token-variable-name="msi-access-token" ignore-error="false" />`;
    const only = await run(p, { headers: { Authorization: 'Bearer caller-token' } }, o);
    assertPassed(only);
    assert.equal(only.ctx.request.headers.joined('authorization'), 'Bearer caller-token');
    const token = only.ctx.variables.get('msi-access-token') as string;
    assert.equal(claimsOf(token).aud, w.api.appId);
    const manual = await run(
      `${p}<set-header name="Authorization" exists-action="override"><value>@("Bearer " + (string)context.Variables["msi-access-token"])</value></set-header>`,
      {},
      o,
    );
    assert.equal(sent(manual).aud, w.api.appId);
  });

  it('a refused token: 500 into on-error, or with ignore-error="true" the request goes on untouched', async () => {
    const failed = await run(
      '<authentication-managed-identity resource="api://nobody-has-this" />',
      { headers: { Authorization: 'Bearer caller-token' } },
      o,
    );
    assertRefused(
      failed,
      500,
      'Managed service identity is not enabled for this service and authentication-managed-identity policy cannot be used.',
      'ManagedIdentityTokenFailure',
    );
    assert.equal(failed.source, 'authentication-managed-identity');
    assert.match(failed.hint ?? '', /api:\/\/nobody-has-this/);
    const ignored = await run(
      '<authentication-managed-identity resource="api://nobody-has-this" ignore-error="true" />',
      { headers: { Authorization: 'Bearer caller-token' } },
      o,
    );
    assertPassed(ignored);
    assert.equal(ignored.ctx.request.headers.joined('authorization'), 'Bearer caller-token');
    // An unknown user-assigned client id is refused the same way.
    const unknownUai = await run(
      `<authentication-managed-identity resource="${w.api.appId}" client-id="00000000-0000-0000-0000-000000000001" />`,
      {},
      o,
    );
    assert.equal(unknownUai.status, 500);
    assert.equal(unknownUai.wentOn, false);
  });

  it('refuses at load: no resource, client-id as an expression, a child element, outside inbound', () => {
    assertLoadRefused('<authentication-managed-identity client-id="x" />', /needs the attribute "resource"/, {
      line: 1,
      column: 20,
    });
    assertLoadRefused(
      '<authentication-managed-identity resource="r" client-id="@(context.Variables[&quot;id&quot;])" />',
      /client-id does not take a policy expression/,
      { line: 1, column: 77 },
    );
    assertLoadRefused(
      '<authentication-managed-identity resource="r"><x/></authentication-managed-identity>',
      /holds no elements/,
    );
    assertLoadRefused(
      '<authentication-managed-identity resource="r" ignore-error="maybe" />',
      /ignore-error is "maybe"/,
    );
  });
});
