/**
 * validate-jwt against a real Lanyard issuer (discovery and JWKS over HTTPS, tokens from its managed-identity and
 * token services or signed with its signing key), HMAC and RSA keys given in the policy, and a foreign HTTPS
 * issuer for key rollover. Each row asserts the status, APIM's exact JSON body, LastError.Reason and whether
 * the request would go on to the backend.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa } from '../../../src/crypto/local-ca.ts';
import type { Jwt } from '../../../src/gateway/expressions/jwt.ts';
import { createTokenServices } from '../../../src/gateway/policy/token-keys.ts';
import { signJwt } from '../../adversarial/forge.ts';
import { startOidcIssuer } from '../../adversarial/oidc-issuer.ts';
import { tempDir } from '../../helpers/stores.ts';
import { compileDocuments, type HarnessOptions } from '../policy-harness.ts';
import { assertLoadRefused, assertPassed, assertRefused, run } from './auth-helpers.ts';
import { type AuthWorld, openAuthWorld } from './auth-world.ts';

const nowSec = () => Math.floor(Date.now() / 1000);

/** A validate-jwt copied from a published walkthrough (a function's managed identity calling APIM), as is. */
const COPIED = `<!--
replace the following values with the values in your solution:
tenantID - the guid representing your Azure Active Directory Tenant ID
clientId - client ID of the Application registered on Step 1
roleID   - the value of the role defined on Step 1
-->
<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized. Access token is missing or invalid." require-scheme="Bearer">
     <openid-config url="https://login.microsoftonline.com/{{tenantID}}/v2.0/.well-known/openid-configuration" />
     <audiences>
         <audience>{{clientID}}</audience>
     </audiences>
     <issuers>
         <issuer>https://sts.windows.net/{{tenantID}}/</issuer>
     </issuers>
     <required-claims>
         <claim name="roles" match="any">
             <value>{{roleId}}</value>
         </claim>
     </required-claims>
</validate-jwt> `;

const CUSTOM = 'Unauthorized. Access token is missing or invalid.';

describe('validate-jwt', () => {
  let w: AuthWorld;
  let o: HarnessOptions;
  const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
  /** A v1-shaped token of the tenant for the protected app, signed by the issuer; `patch` changes claims. */
  const token = (patch: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => {
    const claims: Record<string, unknown> = {
      iss: `https://sts.windows.net/${w.tenantId}/`,
      aud: w.api.appId,
      tid: w.tenantId,
      sub: 'caller',
      iat: nowSec() - 60,
      nbf: nowSec() - 60,
      exp: nowSec() + 3600,
      roles: ['Orders.Read'],
      scp: 'orders.read orders.write',
      group: ['finance', 'ops'],
    };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete claims[k];
      else claims[k] = v;
    }
    return w.signed(claims, header);
  };
  /** A policy on the issuer's openid-config, with audiences and issuers like the copied one's. */
  const policy = (attrs = '', inner = '') =>
    `<validate-jwt header-name="Authorization"${attrs}>
  <openid-config url="https://login.microsoftonline.com/{{tenantID}}/v2.0/.well-known/openid-configuration" />
  <audiences><audience>{{clientID}}</audience></audiences>
  <issuers><issuer>https://sts.windows.net/{{tenantID}}/</issuer></issuers>${inner}
</validate-jwt>`;

  before(async () => {
    w = await openAuthWorld();
    o = {
      namedValues: { tenantID: w.tenantId, clientID: w.api.appId, roleId: 'Orders.Read' },
      services: { tokens: w.tokenServices() },
    };
  });
  after(() => w.cleanup());

  it('the copied policy works verbatim with a managed-identity token from the function app', async () => {
    const good = await w.funcToken();
    assertPassed(await run(COPIED, bearer(good), o));
    // Its custom message for every failure: none, another audience, no role.
    const missing = await run(COPIED, {}, o);
    assertRefused(missing, 401, CUSTOM, 'TokenNotPresent');
    const other = await run(COPIED, bearer(await w.funcToken(w.v2.appId)), o);
    assertRefused(other, 401, CUSTOM, 'TokenAudienceNotAllowed');
    assert.match(other.hint ?? '', new RegExp(w.api.appId));
    assert.ok(!(other.hint ?? '').includes(good.split('.')[2]!), 'the hint never holds a token');
    const noRole = await run(COPIED, bearer(await w.clientToken(w.api.appId)), o);
    assertRefused(noRole, 401, CUSTOM, 'TokenClaimNotFound');
    assert.equal(noRole.ctx.lastError?.message, CUSTOM);
    assert.equal(noRole.source, 'validate-jwt');
  });

  it('no token: 401 "JWT not present."', async () => {
    assertRefused(await run(policy(), {}, o), 401, 'JWT not present.', 'TokenNotPresent');
    assertRefused(
      await run(policy(), { headers: { Authorization: 'Bearer ' } }, o),
      401,
      'JWT not present.',
      'TokenNotPresent',
    );
  });

  it('audience, issuer, lifetime and signature failures carry APIM reasons and messages', async () => {
    const aud = await run(policy(), bearer(await token({ aud: 'api://someone-else' })), o);
    assertRefused(
      aud,
      401,
      'IDX10214: Audience validation failed. Access denied.',
      'TokenAudienceNotAllowed',
    );
    assert.match(aud.hint ?? '', /api:\/\/someone-else/);
    const iss = await run(policy(), bearer(await token({ iss: 'https://evil.example/' })), o);
    assertRefused(iss, 401, 'IDX10205: Issuer validation failed. Access denied.', 'TokenIssuerNotAllowed');
    assert.match(iss.hint ?? '', /https:\/\/evil\.example\/.*sts\.windows\.net/);
    // The v2 document's own issuer is accepted too (with openid-config, APIM adds the metadata issuer).
    assertPassed(
      await run(
        policy(),
        bearer(await token({ iss: `https://login.microsoftonline.com/${w.tenantId}/v2.0` })),
        o,
      ),
    );
    const tampered = (await token()).replace(/\.[^.]+$/, `.${randomBytes(256).toString('base64url')}`);
    assertRefused(
      await run(policy(), bearer(tampered), o),
      401,
      'IDX10511: Signature validation failed. Access denied.',
      'TokenSignatureInvalid',
    );
    const unknownKid = await token({}, { kid: 'not-published' });
    assertRefused(
      await run(policy(), bearer(unknownKid), o),
      401,
      'IDX10501: Signature validation failed. Unable to match key. Access denied.',
      'TokenSignatureKeyNotFound',
    );
    assertRefused(
      await run(policy(), bearer('not.a-token'), o),
      401,
      'IDX12741: JWT is not well formed.',
      'JwtInvalid',
    );
  });

  it('clock-skew defaults to 0: expired a second ago fails, with clock-skew="5" it passes', async () => {
    const expired = await token({ exp: nowSec() - 1 });
    assertRefused(
      await run(policy(), bearer(expired), o),
      401,
      'IDX10223: Lifetime validation failed. The token is expired. Access denied.',
      'TokenExpired',
    );
    assertPassed(await run(policy(' clock-skew="5"'), bearer(expired), o));
    assertRefused(
      await run(policy(), bearer(await token({ nbf: nowSec() + 60 })), o),
      401,
      'IDX10222: Lifetime validation failed. The token is not yet valid.',
      'JwtInvalid',
    );
  });

  it('exp is required unless require-expiration-time="false"', async () => {
    const noExp = await token({ exp: undefined });
    assertRefused(
      await run(policy(), bearer(noExp), o),
      401,
      'IDX10225: Lifetime validation failed. The token is missing an Expiration Time.',
      'JwtInvalid',
    );
    assertPassed(await run(policy(' require-expiration-time="false"'), bearer(noExp), o));
  });

  it('alg "none" is refused as an unsigned token', async () => {
    const k = await w.ts.runtime.keys.signingKey();
    const unsigned = signJwt(
      { alg: 'none', typ: 'JWT', kid: k.kid },
      { iss: `https://sts.windows.net/${w.tenantId}/`, aud: w.api.appId, exp: nowSec() + 60 },
      k.privateKey,
      'none',
    );
    assertRefused(
      await run(policy(), bearer(unsigned), o),
      401,
      'IDX10504: Unable to validate signature, token does not have a signature. Access denied.',
      'TokenSignatureInvalid',
    );
  });

  it('HMAC keys from a secret named value: HS256/384/512 with or without kid; another key fails', async () => {
    const secret = randomBytes(32);
    const p = `<validate-jwt header-name="Authorization" require-scheme="Bearer">
      <issuer-signing-keys><key>{{jwt-signing-key}}</key></issuer-signing-keys>
      <audiences><audience>@(context.Request.OriginalUrl.Host)</audience></audiences>
      <issuers><issuer>http://contoso.com/</issuer></issuers>
    </validate-jwt>`;
    const ho: HarnessOptions = {
      namedValues: { 'jwt-signing-key': { value: secret.toString('base64'), secret: true } },
    };
    const claims = { iss: 'http://contoso.com/', aud: 'contoso.localhost', exp: nowSec() + 600 };
    const hmac = (alg: string, hash: string, header: Record<string, unknown>, key = secret) => {
      const input = `${Buffer.from(JSON.stringify({ alg, typ: 'JWT', ...header })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
    };
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      assertPassed(await run(p, bearer(hmac(alg, hash, {})), ho));
      assertPassed(await run(p, bearer(hmac(alg, hash, { kid: 'whatever' })), ho));
    }
    const wrong = signJwt({ alg: 'HS256', typ: 'JWT' }, claims, randomBytes(32), 'HS256');
    assertRefused(
      await run(p, bearer(wrong), ho),
      401,
      'IDX10511: Signature validation failed. Access denied.',
      'TokenSignatureInvalid',
    );
    // An RS256 token cannot pass with only an HMAC key configured, nor an HMAC token signed with the issuer's public key.
    assertRefused(
      await run(p, bearer(await token({ aud: 'contoso.localhost', iss: 'http://contoso.com/' })), ho),
      401,
      'IDX10501: Signature validation failed. Unable to match key. Access denied.',
      'TokenSignatureKeyNotFound',
    );
  });

  it('RSA keys given as n and e, chosen by id or tried when the token has no kid', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    const p = `<validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Token&quot;, &quot;&quot;))">
      <issuer-signing-keys><key id="rsa-1" n="${jwk.n}" e="${jwk.e}" /></issuer-signing-keys>
    </validate-jwt>`;
    const claims = { iss: 'https://anyone.example', aud: 'x', exp: nowSec() + 600 };
    for (const header of [{ alg: 'RS256', kid: 'rsa-1' }, { alg: 'RS256' }, { alg: 'PS256', kid: 'rsa-1' }]) {
      const t = signJwt(header, claims, privateKey);
      assertPassed(await run(p, { headers: { 'X-Token': t } }));
    }
    assertRefused(await run(p, {}), 401, 'JWT not present.', 'TokenNotPresent');
  });

  it('required-claims: all and any, missing claims listed together, separator splits scp', async () => {
    const claimsPolicy = (inner: string) => policy('', `<required-claims>${inner}</required-claims>`);
    const t = bearer(await token());
    assertPassed(
      await run(
        claimsPolicy('<claim name="group" match="all"><value>finance</value><value>ops</value></claim>'),
        t,
        o,
      ),
    );
    assertPassed(
      await run(
        claimsPolicy('<claim name="group" match="any"><value>hr</value><value>ops</value></claim>'),
        t,
        o,
      ),
    );
    assertRefused(
      await run(
        claimsPolicy('<claim name="group" match="all"><value>finance</value><value>hr</value></claim>'),
        t,
        o,
      ),
      401,
      'Claim group value of finance,ops is not allowed. Access denied.',
      'TokenClaimValueNotAllowed',
    );
    assertRefused(
      await run(
        claimsPolicy(
          '<claim name="department"/><claim name="roles"/><claim name="level"><value>1</value></claim>',
        ),
        t,
        o,
      ),
      401,
      'JWT token is missing the following claims: department, level. Access denied.',
      'TokenClaimNotFound',
    );
    assertPassed(
      await run(
        claimsPolicy(
          '<claim name="scp" match="all" separator=" "><value>orders.write</value><value>orders.read</value></claim>',
        ),
        t,
        o,
      ),
    );
    assertRefused(
      await run(claimsPolicy('<claim name="scp"><value>orders.write</value></claim>'), t, o),
      401,
      'Claim scp value of orders.read orders.write is not allowed. Access denied.',
      'TokenClaimValueNotAllowed',
    );
  });

  it('reads the token from a query parameter or an expression; require-scheme needs the scheme', async () => {
    const t = await token();
    const q = policy().replace('header-name="Authorization"', 'query-parameter-name="access_token"');
    assertPassed(await run(q, { url: `https://contoso.localhost/orders/42?access_token=${t}` }, o));
    assertRefused(await run(q, bearer(t), o), 401, 'JWT not present.', 'TokenNotPresent');
    const v = policy().replace(
      'header-name="Authorization"',
      'token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Auth&quot;, &quot;&quot;))"',
    );
    assertPassed(await run(v, { headers: { 'X-Auth': t } }, o));
    const scheme = policy(' require-scheme="Bearer"');
    assertPassed(await run(scheme, bearer(t), o));
    const wrong = await run(scheme, { headers: { Authorization: `Token ${t}` } }, o);
    assertRefused(wrong, 401, 'JWT not present.', 'TokenNotPresent');
    assert.match(wrong.hint ?? '', /scheme "Bearer"/);
    // Without require-scheme, a bare token or a Bearer one both work (Entra samples omit require-scheme).
    assertPassed(await run(policy(), { headers: { Authorization: t } }, o));
    // A custom header ignores require-scheme.
    assertPassed(
      await run(
        policy(' require-scheme="Bearer"').replace('"Authorization"', '"X-Api-Token"'),
        { headers: { 'X-Api-Token': t } },
        o,
      ),
    );
  });

  it('a traced request records the claims, never the token', async () => {
    const t = await token();
    const out = await run(policy(), { ...bearer(t), trace: true }, o);
    assertPassed(out);
    const entry = out.ctx.trace?.find((e) => e.source === 'validate-jwt');
    assert.equal(entry?.data?.subject, 'caller');
    assert.ok(!JSON.stringify(out.ctx.trace).includes(t.split('.')[1]!));
  });

  it('keys that cannot be fetched: TokenSignatureKeyNotFound, the hint says why', async () => {
    const p = policy().replace(
      'https://login.microsoftonline.com/{{tenantID}}/v2.0/.well-known/openid-configuration',
      'https://127.0.0.1:1/t/.well-known/openid-configuration',
    );
    const out = await run(p, bearer(await token()), { ...o, services: { tokens: w.tokenServices() } });
    assertRefused(
      out,
      401,
      'IDX10501: Signature validation failed. Unable to match key. Access denied.',
      'TokenSignatureKeyNotFound',
    );
    assert.match(out.hint ?? '', /Fetching keys failed: https:\/\/127\.0\.0\.1:1\//);
  });

  it('stands in inbound only', () => {
    assert.throws(
      () => compileDocuments({ api: `<policies><inbound/><outbound>${policy()}</outbound></policies>` }, o),
      /<validate-jwt> cannot stand in <outbound>/,
    );
  });

  it('failed-validation-httpcode and -error-message replace the status and message', async () => {
    const out = await run(
      policy(
        ' failed-validation-httpcode="403" failed-validation-error-message="Forbidden: token &amp; role needed"',
      ),
      {},
      o,
    );
    assertRefused(out, 403, 'Forbidden: token & role needed', 'TokenNotPresent');
  });

  it('output-token-variable-name: the Jwt in context.Variables, read by the documented choose', async () => {
    const p = `${policy(' output-token-variable-name="jwt"')}
      <choose>
        <when condition="@(context.Request.Method == &quot;POST&quot; &amp;&amp; !((Jwt)context.Variables[&quot;jwt&quot;]).Claims[&quot;group&quot;].Contains(&quot;finance&quot;))">
          <set-header name="X-Decision"><value>forbidden</value></set-header>
        </when>
        <otherwise><set-header name="X-Decision"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header></otherwise>
      </choose>`;
    const finance = await run(p, { method: 'POST', ...bearer(await token()) }, o);
    assertPassed(finance);
    const jwt = finance.ctx.variables.get('jwt') as Jwt;
    assert.deepEqual(jwt.Claims.get('group'), ['finance', 'ops']);
    assert.equal(finance.ctx.request.headers.joined('x-decision'), 'caller');
    const other = await run(p, { method: 'POST', ...bearer(await token({ group: ['ops'] })) }, o);
    assert.equal(other.ctx.request.headers.joined('x-decision'), 'forbidden');
  });

  it('refuses at load, with the position: token location, unsupported parts, bad keys and lists', () => {
    const at = (p: string, re: RegExp, pos?: { line: number; column?: number }) =>
      assertLoadRefused(p, re, pos, o);
    at(
      '<validate-jwt header-name="a" query-parameter-name="b"><issuer-signing-keys><key>MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=</key></issuer-signing-keys></validate-jwt>',
      /one of header-name, query-parameter-name and token-value/,
      { line: 1, column: 50 },
    );
    at(
      '<validate-jwt><issuer-signing-keys><key>MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=</key></issuer-signing-keys></validate-jwt>',
      /needs one of header-name/,
      { line: 1, column: 20 },
    );
    at(
      policy('', '<decryption-keys><key>AAAA</key></decryption-keys>'),
      /decryption-keys.*not supported.*JWE/,
      { line: 4 },
    );
    at(
      '<validate-jwt header-name="a"><issuer-signing-keys><key certificate-id="my-cert"/></issuer-signing-keys></validate-jwt>',
      /certificate-id> is not supported/,
    );
    at(policy(' require-signed-tokens="false"'), /require-signed-tokens="false" is not supported/);
    at(policy('', '<audiences></audiences>'), /<audiences> appears twice/, { line: 4 });
    at(
      '<validate-jwt header-name="a"><openid-config url="https://x.example/.well-known/openid-configuration"/><audiences/></validate-jwt>',
      /<audiences> needs at least one <audience>/,
    );
    at(
      '<validate-jwt header-name="a"><issuer-signing-keys><key>not base64!</key></issuer-signing-keys></validate-jwt>',
      /is not base64/,
    );
    at(
      '<validate-jwt header-name="a"><issuer-signing-keys><key>c2hvcnQ=</key></issuer-signing-keys></validate-jwt>',
      /at least 256 bits/,
    );
    at(
      '<validate-jwt header-name="a"><issuer-signing-keys><key n="AQAB"/></issuer-signing-keys></validate-jwt>',
      /needs both n and e/,
    );
    at('<validate-jwt header-name="a"/>', /no key to verify a token with/);
    at(policy(' clock-skew="soon"'), /clock-skew is "soon"/);
    at(policy(' output-token-variable-name="@(context.Api.Name)"'), /does not take a policy expression/);
    at(
      policy('', '<openid-config url="http://insecure.example/.well-known/openid-configuration"/>'),
      /must be https/,
    );
    at(policy('', '<claims/>'), /cannot hold <claims>/);
  });
});

describe('validate-jwt key rollover at a foreign issuer', () => {
  it('an unknown kid refetches the JWKS (at most once per cooldown), then passes', async () => {
    const dir = tempDir('lanyard-gw-jwt-');
    const ca = await ensureLocalCa({ dataDir: dir });
    const issuer = await startOidcIssuer(ca);
    try {
      issuer.addRsaKey('first');
      const tokens = createTokenServices({ ca: [ca.caCertPem], cooldownMs: 300 });
      const p = `<validate-jwt header-name="Authorization"><openid-config url="${issuer.origin}/tenant-x/.well-known/openid-configuration"/><audiences><audience>api://rolled</audience></audiences></validate-jwt>`;
      const o: HarnessOptions = { services: { tokens } };
      const claims = { aud: 'api://rolled', sub: 's', exp: nowSec() + 600 };
      const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
      assertPassed(await run(p, bearer(issuer.sign(claims)), o));
      assert.equal(issuer.jwksCount(), 1);
      const second = issuer.addRsaKey('second');
      const notFound = 'IDX10501: Signature validation failed. Unable to match key. Access denied.';
      // Within the cooldown of the first fetch, the new kid is not looked up yet.
      assertRefused(
        await run(p, bearer(issuer.sign(claims, second)), o),
        401,
        notFound,
        'TokenSignatureKeyNotFound',
      );
      assert.equal(issuer.jwksCount(), 1);
      await new Promise((r) => setTimeout(r, 350));
      // After it, the unknown kid refetches once and the rolled-over key verifies.
      assertPassed(await run(p, bearer(issuer.sign(claims, second)), o));
      assert.equal(issuer.jwksCount(), 2);
      // Made-up kids right after cost no further fetch.
      for (const kid of ['nobody', 'nobody-2']) {
        assertRefused(
          await run(p, bearer(issuer.sign(claims, { ...second, kid })), o),
          401,
          notFound,
          'TokenSignatureKeyNotFound',
        );
      }
      assert.equal(issuer.jwksCount(), 2);
      // The metadata issuer is the accepted one; another iss fails.
      assertRefused(
        await run(p, bearer(issuer.sign({ ...claims, iss: 'https://other.example' })), o),
        401,
        'IDX10205: Issuer validation failed. Access denied.',
        'TokenIssuerNotAllowed',
      );
    } finally {
      await issuer.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
