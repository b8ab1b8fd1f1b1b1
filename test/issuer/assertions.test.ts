/**
 * @module test/issuer/assertions
 * Client assertions through real HTTPS on both dialects. Certificate credentials: a self-signed RSA certificate
 * registered on the app, assertions as MSAL signs them (PS256 + x5t#S256) and as older clients do (RS256 +
 * x5t), and each way one can be wrong. Federated credentials: a tiny real OIDC issuer started here (HTTPS with a
 * certificate from the data folder's CA, discovery and JWKS), whose tokens an app or a user-assigned identity
 * exchanges for Lanyard tokens when a federated identity credential names its issuer, subject and audience.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, sign as cryptoSign, type KeyObject, randomUUID, webcrypto } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, exportJWK, type JWTPayload, SignJWT } from 'jose';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import { JWT_BEARER } from '../../src/issuer/client-auth.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import {
  expectIssued,
  expectRefusal,
  postForm,
  type RsaCredential,
  rsaCredential,
  type Seed,
  seedDirectory,
  verifyViaDiscovery,
} from './helpers.ts';

const EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

// These cases refuse one client's assertions many times in a minute; the failed-authentication throttle
// (test/adversarial/G105-client-auth-throttle.test.ts) would answer 429 after the tenth.
process.env.LANYARD_AUTH_FAILURES_PER_CLIENT = '1000';
process.env.LANYARD_AUTH_FAILURES_PER_SOURCE = '1000';

interface AssertionOptions {
  alg: 'PS256' | 'RS256';
  key: KeyObject;
  header: Record<string, string>;
  iss: string;
  sub: string;
  aud: string;
  /** Seconds relative to now; default -10 / +600 as MSAL. */
  nbf?: number;
  exp?: number;
}

function signAssertion(o: AssertionOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: o.alg, typ: 'JWT', ...o.header })
    .setIssuer(o.iss)
    .setSubject(o.sub)
    .setAudience(o.aud)
    .setIssuedAt(now + (o.nbf ?? -10))
    .setNotBefore(now + (o.nbf ?? -10))
    .setExpirationTime(now + (o.exp ?? 600))
    .sign(o.key);
}

/** A minimal OIDC issuer: discovery and JWKS over HTTPS, tokens signed RS256 with `kid`. */
interface TestIdp {
  issuer: string;
  requests: string[];
  issue(
    claims: { sub: string; aud?: string | undefined; lifetime?: number | undefined },
    signWith?: KeyObject,
  ): Promise<string>;
  close(): Promise<void>;
}

async function startIdp(t: TestServer): Promise<TestIdp> {
  const ca = await ensureLocalCa({ dataDir: t.dataDir, envelope: t.runtime.envelope });
  const tlsCert = await ca.issueServerCertificate(['127.0.0.1', 'localhost']);
  const signing = await rsaCredential('test idp');
  const jwk = { ...(await exportJWK(signing.key)), kid: 'idp-key-1', use: 'sig', alg: 'RS256' };
  for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) delete jwk[k];
  const requests: string[] = [];
  let issuer = '';
  const server = https.createServer({ key: tlsCert.keyPem, cert: tlsCert.chainPem }, (req, res) => {
    requests.push(req.url ?? '');
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') send({ issuer, jwks_uri: `${issuer}/keys` });
    else if (req.url === '/keys') send({ keys: [jwk] });
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    requests,
    issue(claims, signWith = signing.key) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'idp-key-1' })
        .setIssuer(issuer)
        .setSubject(claims.sub)
        .setAudience(claims.aud ?? EXCHANGE_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.lifetime ?? 600))
        .sign(signWith);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

for (const kind of STORE_KINDS) {
  describe(`client assertions (${kind})`, () => {
    let t: TestServer;
    let s: Seed;
    let registered: RsaCredential;
    let endpoint: string;
    let path: string;

    before(async () => {
      t = await startTestServer(kind);
      s = await seedDirectory(t.runtime);
      registered = await rsaCredential('caller certificate');
      await t.runtime.directory.addCertificate('contoso', 'caller', { certificate: registered.cert.certPem });
      path = `/${s.tenantId}/oauth2/v2.0/token`;
      endpoint = `${t.server.url}${path}`;
    });
    after(() => t?.cleanup());

    const withAssertion = (assertion: string, scope = 'api://orders/.default', clientId = s.client.appId) =>
      postForm(t, path, {
        grant_type: 'client_credentials',
        client_id: clientId,
        scope,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      });

    const msalAssertion = (overrides: Partial<AssertionOptions> = {}) =>
      signAssertion({
        alg: 'PS256',
        key: registered.key,
        header: { 'x5t#S256': registered.cert.thumbprints.sha256B64url },
        iss: s.client.appId,
        sub: s.client.appId,
        aud: endpoint,
        ...overrides,
      });

    describe('certificate credentials', () => {
      it("PS256 with x5t#S256 (MSAL's form) is accepted: appidacr 2 on a v1 token, azpacr 2 on a v2 token", async () => {
        const assertion = await msalAssertion();
        const r = await expectIssued(t, () => withAssertion(assertion));
        const { payload } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 2);
        assert.equal(payload.appid, s.client.appId);
        assert.equal(payload.appidacr, '2');
        assert.equal(r.event.details?.via, 'oauth2/v2.0/token certificate');
        // MSAL reuses one assertion for several requests (no jti replay check).
        const v2 = await expectIssued(t, () => withAssertion(assertion, 'api://billing/.default'));
        const c = decodeJwt(v2.json.access_token);
        assert.equal(c.azp, s.client.appId);
        assert.equal(c.azpacr, '2');
        assert.ok(!t.logs.join('\n').includes(assertion), 'the assertion is not logged');
      });

      it('RS256 with x5t (SHA-1) is accepted, also on the v1 endpoint with its own URL as aud', async () => {
        const rs = (aud: string) =>
          signAssertion({
            alg: 'RS256',
            key: registered.key,
            header: { x5t: registered.cert.thumbprints.sha1B64url },
            iss: s.client.appId,
            sub: s.client.appId,
            aud,
          });
        const r = await expectIssued(t, async () => withAssertion(await rs(endpoint)));
        assert.equal(decodeJwt(r.json.access_token).appidacr, '2');
        const v1Path = `/${s.tenantId}/oauth2/token`;
        const v1 = await expectIssued(t, async () =>
          postForm(t, v1Path, {
            grant_type: 'client_credentials',
            client_id: s.client.appId,
            resource: 'api://orders',
            client_assertion_type: JWT_BEARER,
            client_assertion: await rs(`${t.server.url}${v1Path}`),
          }),
        );
        assert.equal(decodeJwt(v1.json.access_token).appidacr, '2');
      });

      it('AADSTS700024: an assertion for another audience, with a hint naming the token endpoint', async () => {
        const assertion = await msalAssertion({
          aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token',
        });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 401,
          error: 'invalid_client',
          code: 700024,
          secret: assertion,
          mentions: [endpoint],
        });
      });

      it('AADSTS700024: an expired assertion', async () => {
        const assertion = await msalAssertion({ nbf: -3600, exp: -1200 });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 401,
          error: 'invalid_client',
          code: 700024,
          secret: assertion,
          mentions: ['exp'],
        });
      });

      it('AADSTS700027: a certificate thumbprint the app does not have', async () => {
        const other = await rsaCredential('unregistered');
        const assertion = await msalAssertion({
          key: other.key,
          header: { 'x5t#S256': other.cert.thumbprints.sha256B64url },
        });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 401,
          error: 'invalid_client',
          code: 700027,
          secret: assertion,
          mentions: [other.cert.thumbprints.sha256Hex, 'lanyard app cert add'],
        });
      });

      it('AADSTS700027: a registered thumbprint but a signature by another key', async () => {
        const other = await rsaCredential('impostor');
        for (const header of [
          { 'x5t#S256': registered.cert.thumbprints.sha256B64url },
          { x5t: registered.cert.thumbprints.sha1B64url },
        ]) {
          const assertion = await msalAssertion({ key: other.key, header });
          await expectRefusal(t, () => withAssertion(assertion), {
            status: 401,
            error: 'invalid_client',
            code: 700027,
            secret: assertion,
            mentions: ['signature'],
          });
        }
        // Another algorithm altogether (an EC key naming the RSA certificate) is a signature failure too.
        const ec = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
        const ecKey = createPrivateKey({
          key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', ec.privateKey)),
          format: 'der',
          type: 'pkcs8',
        });
        const es256 = await new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'JWT',
            'x5t#S256': registered.cert.thumbprints.sha256B64url,
          })
          .setIssuer(s.client.appId)
          .setSubject(s.client.appId)
          .setAudience(endpoint)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(ecKey);
        await expectRefusal(t, () => withAssertion(es256), {
          status: 401,
          error: 'invalid_client',
          code: 700027,
          secret: es256,
        });
      });

      it('an assertion whose iss differs from sub is treated as federated (no credential matches: AADSTS70021)', async () => {
        const assertion = await msalAssertion({ sub: 'someone-else' });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 400,
          error: 'invalid_request',
          code: 70021,
          secret: assertion,
          mentions: [`Assertion Issuer: '${s.client.appId}'`, "Assertion Subject: 'someone-else'"],
        });
      });

      it("x5t and x5t#S256 with base64url '=' padding (Python MSAL's form) are accepted", async () => {
        const sha1 = registered.cert.thumbprints.sha1B64url;
        const sha256 = registered.cert.thumbprints.sha256B64url;
        assert.ok(!sha1.endsWith('=') && !sha256.endsWith('='));
        for (const [alg, header] of [
          ['RS256', { x5t: `${sha1}=` }],
          ['PS256', { 'x5t#S256': `${sha256}=` }],
        ] as const) {
          const assertion = await msalAssertion({ alg, header });
          const r = await expectIssued(t, () => withAssertion(assertion));
          assert.equal(decodeJwt(r.json.access_token).appidacr, '2');
        }
      });

      it('AADSTS700027: a thumbprint that is not base64url of a SHA-1 is refused, naming the value received', async () => {
        const bad = `${'A'.repeat(10)}!+/`;
        const assertion = await msalAssertion({ alg: 'RS256', header: { x5t: bad } });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 401,
          error: 'invalid_client',
          code: 700027,
          secret: assertion,
          mentions: [`x5t: '${bad}'`, "x5t#S256: '(none)'", "Thumbprint of key used by client: '(none)'"],
        });
        const long = 'B'.repeat(500);
        const huge = await msalAssertion({ header: { 'x5t#S256': long } });
        const r = await expectRefusal(t, () => withAssertion(huge), {
          status: 401,
          error: 'invalid_client',
          code: 700027,
          secret: huge,
          mentions: [`x5t#S256: '${'B'.repeat(64)}…'`],
        });
        assert.ok(!r.text.includes('B'.repeat(65)), 'the value shown is bounded');
      });

      it('AADSTS50027: a repeated member in the claims or the header (aud: evil, then the endpoint) is refused', async () => {
        const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        const x5t = registered.cert.thumbprints.sha1B64url;
        const sign = (header: string, claims: string) => {
          const input = `${b64(header)}.${b64(claims)}`;
          return `${input}.${cryptoSign('sha256', Buffer.from(input), registered.key).toString('base64url')}`;
        };
        const claims = (aud: string) =>
          `{"iss":"${s.client.appId}","sub":"${s.client.appId}",${aud},"jti":"${randomUUID()}","nbf":${now - 10},"iat":${now - 10},"exp":${now + 600}}`;
        const header = `{"alg":"RS256","typ":"JWT","x5t":"${x5t}"}`;
        // The same bytes without the repeat are accepted: only the repeat is refused.
        await expectIssued(t, () => withAssertion(sign(header, claims(`"aud":"${endpoint}"`))));
        for (const [what, assertion] of [
          ['claims', sign(header, claims(`"aud":"https://evil.example/token","aud":"${endpoint}"`))],
          [
            'header',
            sign(`{"alg":"RS256","typ":"JWT","x5t":"${x5t}","x5t":"${x5t}"}`, claims(`"aud":"${endpoint}"`)),
          ],
        ] as const) {
          await expectRefusal(t, () => withAssertion(assertion), {
            status: 400,
            error: 'invalid_request',
            code: 50027,
            secret: assertion,
            mentions: [`its ${what} is not strict JSON`, 'appears twice'],
          });
        }
      });

      it('AADSTS700024: a certificate assertion valid for more than an hour (exp − nbf)', async () => {
        // MSAL signs for 10 minutes; an hour is accepted, an hour and a minute is not.
        await expectIssued(t, async () => withAssertion(await msalAssertion({ nbf: -10, exp: 3590 })));
        const assertion = await msalAssertion({ nbf: -10, exp: 3650 });
        await expectRefusal(t, () => withAssertion(assertion), {
          status: 401,
          error: 'invalid_client',
          code: 700024,
          secret: assertion,
          mentions: ['3660 s', '3600 s allowed'],
        });
      });

      it('AADSTS50027: a client_assertion that is not a JWT', async () => {
        await expectRefusal(t, () => withAssertion('not-a-jwt'), {
          status: 400,
          error: 'invalid_request',
          code: 50027,
        });
      });
    });

    describe('federated credentials', () => {
      let idp: TestIdp;
      const subject = 'repo:contoso/orders:ref:refs/heads/main';

      before(async () => {
        idp = await startIdp(t);
        await t.runtime.directory.addFederatedCredential(
          'contoso',
          { kind: 'app', name: 'caller' },
          { name: 'test-idp', issuer: idp.issuer, subject },
        );
      });
      after(() => idp?.close());

      it('a token from a trusted issuer with the right subject and audience gets a Lanyard token (acr 2)', async () => {
        const federated = await idp.issue({ sub: subject });
        const r = await expectIssued(t, () => withAssertion(federated));
        const { payload } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 1);
        assert.equal(payload.appid, s.client.appId);
        assert.equal(payload.appidacr, '2');
        assert.equal(payload.oid, s.client.spId);
        assert.equal(r.event.details?.via, 'oauth2/v2.0/token federated');
        assert.ok(idp.requests.includes('/.well-known/openid-configuration'), 'discovery was fetched');
        assert.ok(idp.requests.includes('/keys'), 'JWKS was fetched');
        assert.ok(!t.logs.join('\n').includes(federated), 'the federated token is not logged');
      });

      it('AADSTS70021: a wrong subject or audience, naming issuer, subject and audience', async () => {
        const cases: { sub: string; aud?: string }[] = [
          { sub: 'repo:contoso/orders:ref:refs/heads/evil' },
          { sub: subject, aud: 'api://something-else' },
        ];
        for (const c of cases) {
          const federated = await idp.issue(c);
          await expectRefusal(t, () => withAssertion(federated), {
            status: 400,
            error: 'invalid_request',
            code: 70021,
            secret: federated,
            mentions: [
              `Assertion Issuer: '${idp.issuer}'`,
              `Assertion Subject: '${c.sub}'`,
              `Assertion Audience: '${c.aud ?? EXCHANGE_AUDIENCE}'`,
            ],
          });
        }
      });

      it('AADSTS700024: a federated token valid for more than 24 hours (exp − iat)', async () => {
        await expectIssued(t, async () => withAssertion(await idp.issue({ sub: subject, lifetime: 86_400 })));
        const federated = await idp.issue({ sub: subject, lifetime: 86_401 });
        await expectRefusal(t, () => withAssertion(federated), {
          status: 401,
          error: 'invalid_client',
          code: 700024,
          secret: federated,
          mentions: ['86401 s (exp − iat)', '86400 s allowed'],
        });
      });

      it("AADSTS700027: a token with the issuer's kid but signed by another key", async () => {
        const other = await rsaCredential('forger');
        const forged = await idp.issue({ sub: subject }, other.key);
        await expectRefusal(t, () => withAssertion(forged), {
          status: 401,
          error: 'invalid_client',
          code: 700027,
          secret: forged,
          mentions: [idp.issuer],
        });
      });

      it("a federated credential on a user-assigned identity lets that identity's client id get a token", async () => {
        const identitySubject = 'system:serviceaccount:orders:worker';
        await t.runtime.directory.addFederatedCredential(
          'contoso',
          { kind: 'identity', name: s.identity.name },
          { name: 'k8s-worker', issuer: idp.issuer, subject: identitySubject },
        );
        const federated = await idp.issue({ sub: identitySubject });
        const r = await expectIssued(t, () =>
          withAssertion(federated, 'api://billing/.default', s.identity.clientId),
        );
        const { payload } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 2);
        const c = payload as JWTPayload & Record<string, unknown>;
        assert.equal(c.azp, s.identity.clientId);
        assert.equal(c.azpacr, '2');
        assert.equal(c.oid, s.identity.principalId);
        assert.equal(c.aud, s.v2.appId);
        assert.equal(typeof c.xms_mirid, 'string');
        assert.match(
          c.xms_mirid as string,
          /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/mi-worker$/,
        );
        // Assignment-required resources refuse the identity until it is assigned; the hint names it as the CLI does.
        await expectRefusal(
          t,
          async () =>
            withAssertion(
              await idp.issue({ sub: identitySubject }),
              'api://locked/.default',
              s.identity.clientId,
            ),
          {
            status: 400,
            error: 'invalid_grant',
            code: 501051,
            mentions: [s.identity.clientId, '--principal identity:mi-worker --app vault-api'],
          },
        );
        // The app's subject does not work for the identity, nor the identity's for the app.
        const crossed = await idp.issue({ sub: subject });
        await expectRefusal(t, () => withAssertion(crossed, 'api://billing/.default', s.identity.clientId), {
          status: 400,
          error: 'invalid_request',
          code: 70021,
          secret: crossed,
        });
      });
    });
  });
}
