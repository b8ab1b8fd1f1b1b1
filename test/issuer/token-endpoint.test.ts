/**
 * @module test/issuer/token-endpoint
 * The v1 and v2 token endpoints through real HTTPS on both store dialects: tokens that verify against the JWKS
 * the discovery document names, Entra's claims per the resource's accepted version (not the endpoint's), both
 * response shapes, both ways of sending a secret, the tenant by id and by domain, MSAL's extra parameters —
 * and every refusal, case by case, with its status, AADSTS code, audit event and no token.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import { TOKEN_BODY_LIMIT } from '../../src/issuer/token-endpoint.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import {
  expectIssued,
  expectRefusal,
  postForm,
  rawRequest,
  type Seed,
  seedDirectory,
  TENANT_DOMAIN,
  verifyViaDiscovery,
} from './helpers.ts';

const DAY_MS = 86_400_000;

/** Percent-encodes every byte, so the server must decode what RFC 6749 §2.3.1 lets a client encode. */
const encodeAll = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

interface HugeReply {
  status: number;
  json: { error_codes?: number[] } | undefined;
  connection: string | undefined;
  /** Bytes the client managed to send before the server closed the connection. */
  sent: number;
}

/** Streams a body far larger than the limit and reports how much got out before the server stopped it. */
function postHugeBody(
  t: TestServer,
  path: string,
  total: number,
  declareLength: boolean,
): Promise<HugeReply> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let reply: Omit<HugeReply, 'sent'> | undefined;
    const req = https.request({
      host: '127.0.0.1',
      port: t.server.port,
      path,
      method: 'POST',
      ca: t.ca,
      agent: false,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(declareLength ? { 'content-length': String(total) } : {}),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer; ${sent} bytes sent`));
    }, 15_000);
    const finish = () => {
      clearTimeout(timer);
      if (reply) resolve({ ...reply, sent });
      else reject(new Error(`the connection closed without an answer after ${sent} bytes`));
    };
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        reply = {
          status: res.statusCode ?? 0,
          json: text ? JSON.parse(text) : undefined,
          connection: res.headers.connection,
        };
      });
    });
    // The server may cut the connection while we write: that is the point, not a failure.
    req.on('error', () => {});
    req.on('close', () => setImmediate(finish));
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

for (const kind of STORE_KINDS) {
  describe(`token endpoint (${kind})`, () => {
    let t: TestServer;
    let s: Seed;
    const clock = { offsetMs: 0 };
    let v2Path: string;
    let v1Path: string;

    before(async () => {
      t = await startTestServer(kind, { now: () => new Date(Date.now() + clock.offsetMs) });
      s = await seedDirectory(t.runtime);
      v2Path = `/${s.tenantId}/oauth2/v2.0/token`;
      v1Path = `/${s.tenantId}/oauth2/token`;
    });
    after(() => t?.cleanup());

    const secretPost = (scope: string, extra: Record<string, string> = {}) => ({
      grant_type: 'client_credentials',
      client_id: s.client.appId,
      client_secret: s.client.secret,
      scope,
      ...extra,
    });

    it('v2 client_secret_post for a v1 resource: a v1 token that verifies against the discovered JWKS', async () => {
      const before = Math.floor(Date.now() / 1000);
      const r = await expectIssued(t, () => postForm(t, v2Path, secretPost('api://orders/.default')));
      assert.equal(r.headers['cache-control'], 'no-store, no-cache');
      assert.equal(r.headers.pragma, 'no-cache');
      assert.match(String(r.headers['content-type']), /^application\/json; charset=utf-8/);
      assert.equal(r.json.token_type, 'Bearer');
      assert.equal(r.json.expires_in, 3599, 'v2 answers with numbers');
      assert.equal(r.json.ext_expires_in, 3599);
      assert.equal(r.json.expires_on, undefined, 'v2 has no expires_on');
      assert.equal(r.json.resource, undefined);

      const { payload: c, header } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 2);
      assert.equal(header.alg, 'RS256');
      assert.equal(header.typ, 'JWT');
      assert.equal(typeof header.kid, 'string');
      assert.equal(header.x5t, header.kid, 'v1 tokens carry x5t = kid');
      assert.equal(c.aud, 'api://orders', 'v1 aud is the identifier as requested');
      assert.equal(c.iss, `https://sts.windows.net/${s.tenantId}/`);
      assert.equal(c.idp, c.iss);
      assert.equal(c.ver, '1.0');
      assert.equal(c.appid, s.client.appId);
      assert.equal(c.appidacr, '1');
      assert.equal(c.azp, undefined);
      assert.equal(c.azpacr, undefined);
      assert.deepEqual(c.roles, ['Orders.Read'], 'only the assigned Application role');
      assert.equal(c.tid, s.tenantId);
      assert.equal(c.oid, s.client.spId, 'oid is the client service principal');
      assert.equal(c.sub, s.client.spId);
      assert.equal(c.idtyp, undefined, 'idtyp is an optional claim the orders app does not ask for');
      assert.equal(typeof c.uti, 'string');
      assert.ok((c.uti as string).length > 10);
      assert.equal(typeof c.aio, 'string');
      assert.equal(typeof c.rh, 'string');
      assert.ok(c.iat! <= c.nbf! && c.nbf! < c.exp!, 'iat ≤ nbf < exp');
      assert.ok(c.iat! <= before, 'iat is back-dated');
      assert.ok(Math.abs(c.exp! - (before + 3599)) <= 2, 'exp = now + expires_in');
      assert.equal(r.event.target, 'api://orders');
      assert.equal(r.event.actor, s.client.appId);
      assert.equal(r.event.tenantId, s.tenantId);
      assert.ok(!t.logs.join('\n').includes(s.client.secret), 'the secret is not logged');
      assert.ok(!JSON.stringify(await t.runtime.audit.list({ limit: 1000 })).includes(s.client.secret));
    });

    it('v1 endpoint, resource by appId GUID: aud is the GUID, and the answer has strings, expires_on and resource', async () => {
      const r = await expectIssued(t, () =>
        postForm(t, v1Path, {
          grant_type: 'client_credentials',
          client_id: s.client.appId,
          client_secret: s.client.secret,
          resource: s.v1.appId,
        }),
      );
      assert.equal(r.json.token_type, 'Bearer');
      assert.equal(r.json.expires_in, '3599', 'v1 answers with strings');
      assert.equal(r.json.ext_expires_in, '3599');
      assert.equal(r.json.resource, s.v1.appId, 'resource is echoed as requested');
      const { payload: c } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 1);
      assert.equal(r.json.expires_on, String(c.exp), 'expires_on = exp');
      assert.equal(r.json.not_before, String(c.nbf));
      assert.match(r.json.expires_on, /^\d{10}$/);
      assert.equal(c.aud, s.v1.appId);
      assert.equal(c.ver, '1.0');
      assert.equal(c.iss, `https://sts.windows.net/${s.tenantId}/`);
      assert.deepEqual(c.roles, ['Orders.Read']);

      const byUri = await expectIssued(t, () =>
        postForm(t, v1Path, {
          grant_type: 'client_credentials',
          client_id: s.client.appId,
          client_secret: s.client.secret,
          resource: 'api://orders',
        }),
      );
      assert.equal(byUri.json.resource, 'api://orders');
      assert.equal(decodeJwt(byUri.json.access_token).aud, 'api://orders');
    });

    it('a v2 resource gets a v2 token from either endpoint: aud = appId, v2 issuer, azp, no x5t', async () => {
      const fromV2 = await expectIssued(t, () => postForm(t, v2Path, secretPost('api://billing/.default')));
      const fromV1 = await expectIssued(t, () =>
        postForm(t, v1Path, {
          grant_type: 'client_credentials',
          client_id: s.client.appId,
          client_secret: s.client.secret,
          resource: 'api://billing',
        }),
      );
      assert.equal(fromV1.json.resource, 'api://billing');
      for (const r of [fromV2, fromV1]) {
        const { payload: c, header } = await verifyViaDiscovery(t, r.json.access_token, s.tenantId, 2);
        assert.equal(header.x5t, undefined, 'v2 tokens carry kid only');
        assert.equal(typeof header.kid, 'string');
        assert.equal(c.aud, s.v2.appId, 'v2 aud is always the appId');
        assert.equal(c.iss, `https://login.microsoftonline.com/${s.tenantId}/v2.0`);
        assert.equal(c.ver, '2.0');
        assert.equal(c.idp, undefined, 'v2 app-only tokens carry no idp (it would equal iss)');
        assert.equal(c.azp, s.client.appId);
        assert.equal(c.azpacr, '1');
        assert.equal(c.appid, undefined);
        assert.equal(c.appidacr, undefined);
        assert.deepEqual(c.roles, ['Billing.Read']);
        assert.equal(c.oid, s.client.spId);
        assert.equal(c.tid, s.tenantId);
        assert.ok(c.iat! <= c.nbf! && c.nbf! < c.exp!);
      }
    });

    it('no roles claim when the caller holds no role on a resource that does not require one', async () => {
      await t.runtime.directory.createApp('contoso', { name: 'open-api', identifierUris: ['api://open'] });
      const r = await expectIssued(t, () => postForm(t, v2Path, secretPost('api://open/.default')));
      const c = decodeJwt(r.json.access_token);
      assert.equal(c.roles, undefined);
      assert.equal(c.aud, 'api://open');
    });

    it("first-party resources by Entra's identifiers: aud as requested, trailing slash and all", async () => {
      const cases: [string, string][] = [
        ['https://management.azure.com//.default', 'https://management.azure.com/'],
        ['https://management.core.windows.net//.default', 'https://management.core.windows.net/'],
        ['https://vault.azure.net/.default', 'https://vault.azure.net'],
      ];
      for (const [scope, aud] of cases) {
        const r = await expectIssued(t, () => postForm(t, v2Path, secretPost(scope)));
        const c = decodeJwt(r.json.access_token);
        assert.equal(c.aud, aud, scope);
        assert.equal(c.ver, '1.0');
        assert.equal(c.roles, undefined);
      }
    });

    it('client_secret_basic with URL-encoded id and secret, with and without the same client_id in the body', async () => {
      const basic = `Basic ${Buffer.from(`${encodeAll(s.client.appId)}:${encodeAll(s.client.secret)}`).toString('base64')}`;
      const r = await expectIssued(t, () =>
        postForm(
          t,
          v2Path,
          { grant_type: 'client_credentials', scope: 'api://orders/.default' },
          { headers: { authorization: basic } },
        ),
      );
      assert.equal(decodeJwt(r.json.access_token).appid, s.client.appId);
      await expectIssued(t, () =>
        postForm(
          t,
          v2Path,
          { grant_type: 'client_credentials', client_id: s.client.appId, scope: 'api://orders/.default' },
          { headers: { authorization: basic } },
        ),
      );
      const wrong = `Basic ${Buffer.from(`${s.client.appId}:${encodeAll(`${s.client.secret}x`)}`).toString('base64')}`;
      await expectRefusal(
        t,
        () =>
          postForm(
            t,
            v2Path,
            { grant_type: 'client_credentials', scope: 'api://orders/.default' },
            { headers: { authorization: wrong } },
          ),
        { status: 401, error: 'invalid_client', code: 7000215, secret: `${s.client.secret}x` },
      );
    });

    it('the tenant by domain name (and case-insensitively) in the token URL', async () => {
      for (const tenant of [TENANT_DOMAIN, TENANT_DOMAIN.toUpperCase()]) {
        const r = await expectIssued(t, () =>
          postForm(t, `/${tenant}/oauth2/v2.0/token`, secretPost('api://orders/.default')),
        );
        const { payload } = await verifyViaDiscovery(t, r.json.access_token, TENANT_DOMAIN, 1);
        assert.equal(payload.tid, s.tenantId);
        assert.equal(payload.iss, `https://sts.windows.net/${s.tenantId}/`);
      }
    });

    it("accepts MSAL's extra parameters (x-client-*, client-request-id in query and body, claims)", async () => {
      const requestId = randomUUID();
      const r = await expectIssued(t, () =>
        postForm(
          t,
          v2Path,
          secretPost('api://orders/.default', {
            'x-client-SKU': 'msal.js.node',
            'x-client-VER': '3.8.1',
            'x-client-OS': 'linux',
            'x-client-CPU': 'x64',
            'x-ms-lib-capability': 'retry-after, h429',
            'x-client-current-telemetry': '5|771,2,,,|,',
            'x-client-last-telemetry': '5|0|||0,0',
            'client-request-id': requestId,
            claims: JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } } }),
          }),
          { query: `?client-request-id=${requestId}`, headers: { 'client-request-id': requestId } },
        ),
      );
      assert.equal(decodeJwt(r.json.access_token).aud, 'api://orders');
      // OIDC scopes MSAL may add name no resource.
      await expectIssued(t, () =>
        postForm(t, v2Path, secretPost('openid profile offline_access api://orders/.default')),
      );
    });

    describe('refusals', () => {
      it('AADSTS500011: the resource is not registered in the tenant', async () => {
        await expectRefusal(t, () => postForm(t, v2Path, secretPost('api://nowhere/.default')), {
          status: 400,
          error: 'invalid_resource',
          code: 500011,
          secret: s.client.secret,
          mentions: ['api://nowhere', 'lanyard app create'],
        });
        await expectRefusal(
          t,
          () =>
            postForm(t, v1Path, {
              grant_type: 'client_credentials',
              client_id: s.client.appId,
              client_secret: s.client.secret,
              resource: randomUUID(),
            }),
          { status: 400, error: 'invalid_resource', code: 500011, secret: s.client.secret },
        );
      });

      it('AADSTS501051: assignment required and not assigned; assigned → token with roles; unassigned → refused', async () => {
        const request = () => postForm(t, v2Path, secretPost('api://locked/.default'));
        const refused = await expectRefusal(t, request, {
          status: 400,
          error: 'invalid_grant',
          code: 501051,
          secret: s.client.secret,
          mentions: [
            s.client.appId,
            'api://locked',
            'lanyard role assign --principal app:caller --app vault-api --role Locked.Call',
          ],
        });
        assert.equal(refused.event.actor, s.client.appId);
        assert.equal(refused.event.target, 'api://locked');
        const assignment = await t.runtime.directory.assignRole('contoso', {
          principal: 'app:caller',
          app: 'vault-api',
          role: 'Locked.Call',
        });
        const ok = await expectIssued(t, request);
        assert.deepEqual(decodeJwt(ok.json.access_token).roles, ['Locked.Call']);
        await t.runtime.directory.unassignRole('contoso', assignment.id);
        await expectRefusal(t, request, {
          status: 400,
          error: 'invalid_grant',
          code: 501051,
          secret: s.client.secret,
        });
      });

      it('AADSTS7000215: a wrong secret (401), never logged or audited', async () => {
        const wrong = `${s.client.secret.slice(0, -4)}Zz9~`;
        const r = await expectRefusal(
          t,
          () => postForm(t, v2Path, { ...secretPost('api://orders/.default'), client_secret: wrong }),
          {
            status: 401,
            error: 'invalid_client',
            code: 7000215,
            secret: wrong,
            mentions: ['client secret value'],
          },
        );
        assert.equal(r.event.actor, s.client.appId);
      });

      it('AADSTS7000222: an expired secret (the runtime clock moved past its end)', async () => {
        const short = await t.runtime.directory.addClientSecret('contoso', 'caller', { expiresInDays: 1 });
        const request = () =>
          postForm(t, v2Path, { ...secretPost('api://orders/.default'), client_secret: short.secretText });
        await expectIssued(t, request);
        clock.offsetMs = 2 * DAY_MS;
        try {
          await expectRefusal(t, request, {
            status: 401,
            error: 'invalid_client',
            code: 7000222,
            secret: short.secretText,
            mentions: ['expired', `lanyard app secret add --app ${s.client.appId}`],
          });
          // The long-lived secret still works at that time.
          await expectIssued(t, () => postForm(t, v2Path, secretPost('api://orders/.default')));
        } finally {
          clock.offsetMs = 0;
        }
      });

      it('AADSTS700016: an unknown client id', async () => {
        const unknown = randomUUID();
        await expectRefusal(
          t,
          () => postForm(t, v2Path, { ...secretPost('api://orders/.default'), client_id: unknown }),
          {
            status: 400,
            error: 'unauthorized_client',
            code: 700016,
            secret: s.client.secret,
            mentions: [unknown],
          },
        );
      });

      it('AADSTS1002012: a v2 scope without /.default', async () => {
        await expectRefusal(t, () => postForm(t, v2Path, secretPost('api://orders/Orders.Read')), {
          status: 400,
          error: 'invalid_scope',
          code: 1002012,
          secret: s.client.secret,
          mentions: ['api://orders/.default'],
        });
      });

      it('AADSTS70011: two resources in one scope', async () => {
        await expectRefusal(
          t,
          () => postForm(t, v2Path, secretPost('api://orders/.default api://billing/.default')),
          { status: 400, error: 'invalid_scope', code: 70011, secret: s.client.secret },
        );
      });

      it('AADSTS70003: grant_type password', async () => {
        await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, {
              ...secretPost('api://orders/.default'),
              grant_type: 'password',
              username: 'u',
              password: 'p',
            }),
          {
            status: 400,
            error: 'unsupported_grant_type',
            code: 70003,
            secret: s.client.secret,
            mentions: ['password'],
          },
        );
      });

      it('AADSTS900144: grant_type, client_id, scope or resource missing', async () => {
        const full = secretPost('api://orders/.default');
        for (const missing of ['grant_type', 'client_id', 'scope'] as const) {
          const params: Record<string, string> = { ...full };
          delete params[missing];
          await expectRefusal(t, () => postForm(t, v2Path, params), {
            status: 400,
            error: 'invalid_request',
            code: 900144,
            secret: s.client.secret,
            mentions: [`'${missing}'`],
          });
        }
        await expectRefusal(
          t,
          () =>
            postForm(t, v1Path, {
              grant_type: 'client_credentials',
              client_id: s.client.appId,
              client_secret: s.client.secret,
            }),
          {
            status: 400,
            error: 'invalid_request',
            code: 900144,
            secret: s.client.secret,
            mentions: ["'resource'"],
          },
        );
      });

      it('AADSTS90002: an unknown tenant, by id or by domain', async () => {
        for (const tenant of [randomUUID(), 'fabrikam.onmicrosoft.com']) {
          const r = await expectRefusal(
            t,
            () => postForm(t, `/${tenant}/oauth2/v2.0/token`, secretPost('api://orders/.default')),
            {
              status: 400,
              error: 'invalid_request',
              code: 90002,
              secret: s.client.secret,
              mentions: [tenant],
            },
          );
          assert.equal(r.event.tenantId, undefined);
        }
      });

      it('AADSTS90023: common and organizations cannot issue client-credentials tokens', async () => {
        for (const tenant of ['common', 'organizations']) {
          await expectRefusal(
            t,
            () => postForm(t, `/${tenant}/oauth2/v2.0/token`, secretPost('api://orders/.default')),
            {
              status: 400,
              error: 'invalid_request',
              code: 90023,
              secret: s.client.secret,
              mentions: [tenant],
            },
          );
        }
      });

      it('AADSTS90014: HTTP Basic and a secret in the body together, or two different client ids', async () => {
        const basic = `Basic ${Buffer.from(`${s.client.appId}:${s.client.secret}`).toString('base64')}`;
        await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, secretPost('api://orders/.default'), { headers: { authorization: basic } }),
          { status: 400, error: 'invalid_request', code: 90014, secret: s.client.secret },
        );
        await expectRefusal(
          t,
          () =>
            postForm(
              t,
              v2Path,
              { grant_type: 'client_credentials', client_id: randomUUID(), scope: 'api://orders/.default' },
              { headers: { authorization: basic } },
            ),
          { status: 400, error: 'invalid_request', code: 90014, secret: s.client.secret },
        );
      });

      it('AADSTS900143: a parameter that must be single is repeated', async () => {
        const params: [string, string][] = [
          ...Object.entries(secretPost('api://orders/.default')),
          ['client_secret', 'second-value'],
        ];
        await expectRefusal(t, () => postForm(t, v2Path, params), {
          status: 400,
          error: 'invalid_request',
          code: 900143,
          secret: s.client.secret,
          mentions: ["'client_secret'"],
        });
      });

      it('a body that is not a form (JSON) is refused as missing its parameters', async () => {
        await expectRefusal(
          t,
          () =>
            t.call('POST', v2Path, {
              token: null,
              rawBody: JSON.stringify(secretPost('api://orders/.default')),
              headers: { 'content-type': 'application/json' },
            }),
          {
            status: 400,
            error: 'invalid_request',
            code: 900144,
            secret: s.client.secret,
            mentions: ['application/x-www-form-urlencoded'],
          },
        );
      });

      it('a body over 16 KiB is refused without being read to its end (declared or streamed)', async () => {
        const total = 64 * 1024 * 1024;
        for (const declareLength of [true, false]) {
          const before = new Set(
            (await t.runtime.audit.list({ plane: 'issuer', limit: 1000 })).map((e) => e.id),
          );
          const r = await postHugeBody(t, v2Path, total, declareLength);
          assert.equal(r.status, 400, `declared length ${declareLength}`);
          assert.deepEqual(r.json?.error_codes, [900143]);
          assert.equal(r.connection, 'close');
          assert.ok(r.sent < total / 4, `the server stopped the upload (${r.sent} of ${total} bytes sent)`);
          const fresh = (await t.runtime.audit.list({ plane: 'issuer', limit: 1000 })).filter(
            (e) => !before.has(e.id),
          );
          assert.deepEqual(
            fresh.map((e) => e.reason),
            ['AADSTS900143'],
          );
        }
        assert.ok(TOKEN_BODY_LIMIT === 16 * 1024);
        // The listener still answers afterwards.
        await expectIssued(t, () => postForm(t, v2Path, secretPost('api://orders/.default')));
      });

      it("a managed identity's client id with a secret is refused (identities have no secrets)", async () => {
        await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, { ...secretPost('api://orders/.default'), client_id: s.identity.clientId }),
          {
            status: 401,
            error: 'invalid_client',
            code: 7000215,
            secret: s.client.secret,
            mentions: ['managed identity'],
          },
        );
      });

      it('AADSTS7000218: neither a secret nor an assertion; 900144: an assertion of the wrong type', async () => {
        await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, {
              grant_type: 'client_credentials',
              client_id: s.client.appId,
              scope: 'api://orders/.default',
            }),
          {
            status: 401,
            error: 'invalid_client',
            code: 7000218,
            mentions: ["'client_assertion' or 'client_secret'"],
          },
        );
        await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, {
              grant_type: 'client_credentials',
              client_id: s.client.appId,
              scope: 'api://orders/.default',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
              client_assertion: 'eyJhbGciOiJub25lIn0.e30.',
            }),
          { status: 400, error: 'invalid_request', code: 900144, mentions: ['client_assertion_type'] },
        );
      });

      it('AADSTS900143: a Host header that is not a plain host[:port] (audited like any refusal)', async () => {
        const body = new URLSearchParams(secretPost('api://orders/.default')).toString();
        await expectRefusal(
          t,
          () =>
            rawRequest(
              t,
              'POST',
              v2Path,
              { host: 'evil.example/x', 'content-type': 'application/x-www-form-urlencoded' },
              body,
            ),
          {
            status: 400,
            error: 'invalid_request',
            code: 900143,
            secret: s.client.secret,
            mentions: ['Host'],
          },
        );
      });

      it('the correlation id of a refusal is the client-request-id the client sent', async () => {
        const requestId = randomUUID();
        const r = await expectRefusal(
          t,
          () =>
            postForm(t, v2Path, secretPost('api://nowhere/.default'), {
              headers: { 'client-request-id': requestId },
            }),
          { status: 400, error: 'invalid_resource', code: 500011, secret: s.client.secret },
        );
        assert.equal(r.json.correlation_id, requestId);
        assert.ok((r.json.error_description as string).includes(`Correlation ID: ${requestId}`));
      });
    });

    // Last: it breaks the store under the running server.
    it('an unexpected failure while issuing is AADSTS90033 (503, Entra-shaped, retryable), logged without the secret', async () => {
      // The directory version is read on every request (the caches hang on it): without its table nothing is issued.
      await sql`drop table directory_version`.execute(t.runtime.store.db);
      const r = await postForm(t, v2Path, secretPost('api://orders/.default'));
      assert.equal(r.status, 503);
      assert.equal(r.json.error, 'temporarily_unavailable');
      assert.deepEqual(r.json.error_codes, [90033]);
      assert.ok((r.json.error_description as string).startsWith('AADSTS90033: '));
      assert.ok(!r.text.includes('directory_version'), 'no internals in the answer');
      const logged = t.logs
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'unexpected error while issuing a token');
      assert.equal(logged.length, 1, 'the cause is logged');
      assert.ok(!t.logs.join('\n').includes(s.client.secret));
    });
  });
}
