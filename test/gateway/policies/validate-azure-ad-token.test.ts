/**
 * validate-azure-ad-token against a real Lanyard issuer: the tenant's v2 discovery document (Entra's URL,
 * pointed at this Lanyard by the token services' rewrite), v1 and v2 tokens of the tenant.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Jwt } from '../../../src/gateway/expressions/jwt.ts';
import { claimsOf } from '../../adversarial/forge.ts';
import type { HarnessOptions } from '../policy-harness.ts';
import { assertLoadRefused, assertPassed, assertRefused, run } from './auth-helpers.ts';
import { type AuthWorld, openAuthWorld } from './auth-world.ts';

const nowSec = () => Math.floor(Date.now() / 1000);

describe('validate-azure-ad-token', () => {
  let w: AuthWorld;
  let o: HarnessOptions;
  const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
  const policy = (inner = '', attrs = '') =>
    `<validate-azure-ad-token tenant-id="{{aad-tenant-id}}"${attrs}>${inner}</validate-azure-ad-token>`;
  before(async () => {
    w = await openAuthWorld();
    o = { namedValues: { 'aad-tenant-id': w.tenantId }, services: { tokens: w.tokenServices() } };
  });
  after(() => w.cleanup());

  it('v1 and v2 tokens of the tenant pass; the tenant may be named by its domain', async () => {
    const v1 = await w.funcToken();
    const v2 = await w.funcToken(w.v2.appId);
    assert.equal(claimsOf(v1).iss, `https://sts.windows.net/${w.tenantId}/`);
    assert.equal(claimsOf(v2).iss, `https://login.microsoftonline.com/${w.tenantId}/v2.0`);
    const out = await run(policy('', ' output-token-variable-name="jwt"'), bearer(v1), o);
    assertPassed(out);
    assert.equal((out.ctx.variables.get('jwt') as Jwt).Issuer, `https://sts.windows.net/${w.tenantId}/`);
    assertPassed(await run(policy(), bearer(v2), o));
    const byDomain: HarnessOptions = { ...o, namedValues: { 'aad-tenant-id': 'contoso.onmicrosoft.com' } };
    assertPassed(await run(policy(), bearer(v2), byDomain));
  });

  it('a token of another tenant fails', async () => {
    const other = randomUUID();
    const t = await w.signed({
      iss: `https://sts.windows.net/${other}/`,
      tid: other,
      aud: w.api.appId,
      sub: 's',
      ver: '1.0',
      iat: nowSec() - 10,
      exp: nowSec() + 600,
    });
    const out = await run(policy(), bearer(t), o);
    assertRefused(out, 401, 'IDX10205: Issuer validation failed. Access denied.', 'TokenIssuerNotAllowed');
    assert.equal(out.source, 'validate-azure-ad-token');
    assert.match(out.hint ?? '', new RegExp(other));
  });

  it('client-application-ids: appid (v1) or azp (v2) must be listed', async () => {
    const v1 = await w.clientToken(w.api.appId);
    const v2 = await w.clientToken(w.v2.appId);
    assert.equal(claimsOf(v1).appid, w.caller.appId);
    assert.equal(claimsOf(v2).azp, w.caller.appId);
    const allowed = policy(
      `<client-application-ids><application-id>${w.caller.appId}</application-id></client-application-ids>`,
    );
    assertPassed(await run(allowed, bearer(v1), o));
    assertPassed(await run(allowed, bearer(v2), o));
    const others = policy(
      `<client-application-ids><application-id>${randomUUID()}</application-id></client-application-ids>`,
    );
    assertRefused(
      await run(others, bearer(v1), o),
      401,
      `Claim appid value of ${w.caller.appId} is not allowed. Access denied.`,
      'TokenClaimValueNotAllowed',
    );
    assertRefused(
      await run(others, bearer(v2), o),
      401,
      `Claim azp value of ${w.caller.appId} is not allowed. Access denied.`,
      'TokenClaimValueNotAllowed',
    );
  });

  it('audiences and backend-application-ids restrict aud; required-claims; custom status and message', async () => {
    const t = await w.funcToken();
    assertPassed(
      await run(policy(`<audiences><audience>${w.api.appId}</audience></audiences>`), bearer(t), o),
    );
    assertPassed(
      await run(
        policy(
          `<backend-application-ids><application-id>${w.api.appId}</application-id></backend-application-ids>`,
        ),
        bearer(t),
        o,
      ),
    );
    assertRefused(
      await run(policy('<audiences><audience>api://billing</audience></audiences>'), bearer(t), o),
      401,
      'IDX10214: Audience validation failed. Access denied.',
      'TokenAudienceNotAllowed',
    );
    assertPassed(
      await run(
        policy(
          '<required-claims><claim name="roles" match="any"><value>Orders.Read</value></claim></required-claims>',
        ),
        bearer(t),
        o,
      ),
    );
    assertRefused(
      await run(policy('<required-claims><claim name="scp"/></required-claims>'), bearer(t), o),
      401,
      'JWT token is missing the following claims: scp. Access denied.',
      'TokenClaimNotFound',
    );
    assertRefused(
      await run(
        policy('', ' failed-validation-httpcode="403" failed-validation-error-message="Denied"'),
        {},
        o,
      ),
      403,
      'Denied',
      'TokenNotPresent',
    );
    assertRefused(await run(policy(), {}, o), 401, 'JWT not present.', 'TokenNotPresent');
  });

  it('a forged or expired token fails as in validate-jwt', async () => {
    const t = await w.funcToken();
    const forged = t.replace(/\.[^.]+$/, `.${Buffer.alloc(256, 1).toString('base64url')}`);
    assertRefused(
      await run(policy(), bearer(forged), o),
      401,
      'IDX10511: Signature validation failed. Access denied.',
      'TokenSignatureInvalid',
    );
    const expired = await w.signed({
      iss: `https://sts.windows.net/${w.tenantId}/`,
      tid: w.tenantId,
      aud: w.api.appId,
      sub: 's',
      iat: nowSec() - 7200,
      exp: nowSec() - 600,
    });
    assertRefused(
      await run(policy(), bearer(expired), o),
      401,
      'IDX10223: Lifetime validation failed. The token is expired. Access denied.',
      'TokenExpired',
    );
  });

  it('refuses at load: no tenant-id, a bad one, two token locations, an empty list, a stray element', () => {
    assertLoadRefused('<validate-azure-ad-token />', /needs the attribute "tenant-id"/, {
      line: 1,
      column: 20,
    });
    assertLoadRefused(
      '<validate-azure-ad-token tenant-id="not a tenant!" />',
      /is not a tenant id or domain/,
    );
    assertLoadRefused(
      '<validate-azure-ad-token tenant-id="t" header-name="a" token-value="b" />',
      /one of header-name, query-parameter-name and token-value/,
    );
    assertLoadRefused(
      '<validate-azure-ad-token tenant-id="t"><client-application-ids/></validate-azure-ad-token>',
      /needs at least one <application-id>/,
    );
    assertLoadRefused(
      '<validate-azure-ad-token tenant-id="t"><issuers><issuer>x</issuer></issuers></validate-azure-ad-token>',
      /cannot hold <issuers>/,
    );
  });
});
