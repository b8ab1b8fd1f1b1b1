/**
 * @module test/identity/endpoint
 * The managed-identity endpoints over real HTTP on loopback, on both store dialects: the App Service protocol
 * (2019 and 2017 forms, GET and the Automation POST) and the IMDS protocol (header, path secret as
 * AZURE_POD_IDENTITY_AUTHORITY_HOST produces it, probe), each response field by field, the token's claims
 * verified with the issuer's published keys, the per-(identity, resource) cache and how a role change gets
 * past it — and every refusal, case by case: its status, the source's own body, no token, one audit event
 * with the reason, and the workload secret in no audit row and no log line.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { StoredAuditEvent } from '../../src/audit/audit-log.ts';
import type { IssuedWorkload } from '../../src/identity/workloads.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type IdentityEnv, openIdentityEnv, type Reply, TENANT } from './helpers.ts';

const DAY_S = 86_400;
const MSI = '/msi/token';
const IMDS = '/metadata/identity/oauth2/token';
const nowS = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Source = 'appservice' | 'imds';

interface RefusalCase {
  status: number;
  /** `identity mi.refuse` reason, or `AADSTS…` for the issuer's refusals. */
  reason: string;
  /** Text the message (App Service) / error_description (IMDS) must contain or match. */
  message?: string | RegExp;
  /** IMDS `error`. */
  error?: string;
  secret?: string | undefined;
}

for (const kind of STORE_KINDS) {
  describe(`managed-identity endpoints (${kind})`, () => {
    let env: IdentityEnv;
    /** Every workload secret the suite saw: none may appear in a log line or an audit row. */
    const secrets: string[] = [];

    const issue = async (resource = 'worker', options: { ttlMs?: number } = {}): Promise<IssuedWorkload> => {
      const w = await env.issue(resource, options);
      secrets.push(w.secret);
      return w;
    };
    const msi = (secret: string, query: string, headers: Record<string, string> = {}) =>
      env.request({ path: `${MSI}?${query}`, headers: { 'X-IDENTITY-HEADER': secret, ...headers } });
    const imds = (secret: string, query: string, headers: Record<string, string> = {}) =>
      env.request({ path: `/w/${secret}${IMDS}?${query}`, headers: { Metadata: 'true', ...headers } });

    const issuedCount = async () => (await env.events({ plane: 'issuer', action: 'token.issue' })).length;

    /** Runs the request; checks the refusal's status and source-shaped body, no token, one audit event. */
    async function expectRefused(source: Source, request: () => Promise<Reply>, c: RefusalCase) {
      const label = `${source} ${c.reason}`;
      const aadsts = c.reason.startsWith('AADSTS');
      const plane = aadsts ? 'issuer' : 'identity';
      const action = aadsts ? 'token.refuse' : 'mi.refuse';
      const seen = new Set((await env.events({ plane, action })).map((e) => e.id));
      const issuedBefore = await issuedCount();
      const reply = await request();
      assert.equal(reply.status, c.status, `${label}: status (${reply.text})`);
      assert.match(String(reply.headers['content-type']), /^application\/json/, `${label}: JSON`);
      assert.ok(!reply.text.includes('eyJ'), `${label}: no token in the body`);
      let text: string;
      if (source === 'imds') {
        assert.deepEqual(Object.keys(reply.json).sort(), ['error', 'error_description'], label);
        if (c.error) assert.equal(reply.json.error, c.error, `${label}: error`);
        text = reply.json.error_description;
      } else {
        assert.deepEqual(Object.keys(reply.json).sort(), ['correlationId', 'message', 'statusCode'], label);
        assert.equal(reply.json.statusCode, c.status, `${label}: statusCode`);
        assert.match(reply.json.correlationId, /^[0-9a-f-]{36}$/);
        assert.equal(reply.headers['x-correlation-id'], reply.json.correlationId);
        text = reply.json.message;
      }
      if (typeof c.message === 'string')
        assert.ok(text.includes(c.message), `${label}: says ${c.message}: ${text}`);
      else if (c.message) assert.match(text, c.message, label);
      const fresh = (await env.events({ plane, action })).filter((e) => !seen.has(e.id));
      assert.equal(fresh.length, 1, `${label}: one ${plane} ${action} event: ${JSON.stringify(fresh)}`);
      const event = fresh[0]!;
      assert.equal(event.reason, c.reason, `${label}: audited reason`);
      assert.equal(event.outcome, 'failure');
      if (!aadsts) {
        assert.equal(event.details?.protocol, source);
        assert.equal(event.details?.status, c.status);
      }
      assert.equal(await issuedCount(), issuedBefore, `${label}: nothing issued`);
      if (c.secret) {
        const all = await env.runtime.audit.list({ limit: 1000 });
        assert.ok(!JSON.stringify(all).includes(c.secret), `${label}: the secret is in no audit row`);
        assert.ok(!env.logs.join('').includes(c.secret), `${label}: the secret is in no log line`);
      }
      return { reply, event };
    }

    before(async () => {
      env = await openIdentityEnv(kind);
    });
    after(async () => {
      await env?.cleanup();
    });

    describe('App Service protocol', () => {
      it('answers GET api-version=2019-08-01 with exactly Azure’s fields and a verifiable token', async () => {
        const w = await issue();
        const reply = await msi(w.secret, 'resource=api://orders&api-version=2019-08-01');
        assert.equal(reply.status, 200, reply.text);
        assert.match(String(reply.headers['content-type']), /^application\/json/);
        assert.deepEqual(Object.keys(reply.json), [
          'access_token',
          'expires_on',
          'resource',
          'token_type',
          'client_id',
        ]);
        const { seed } = env;
        assert.equal(typeof reply.json.expires_on, 'string');
        assert.match(reply.json.expires_on, /^\d{10}$/, 'epoch seconds as a string');
        assert.equal(reply.json.resource, 'api://orders');
        assert.equal(reply.json.token_type, 'Bearer');
        assert.equal(reply.json.client_id, seed.worker.system.clientId);
        assert.equal(reply.headers.server, undefined, 'no Server header');

        const claims = await env.verify(reply.json.access_token);
        assert.equal(claims.aud, 'api://orders');
        assert.equal(claims.appid, seed.worker.system.clientId);
        assert.equal(claims.appidacr, '2');
        assert.equal(claims.idtyp, 'app');
        assert.equal(claims.oid, seed.worker.system.principalId);
        assert.equal(claims.sub, seed.worker.system.principalId);
        assert.equal(claims.tid, seed.tenantId);
        assert.equal(claims.ver, '1.0');
        assert.equal(claims.xms_mirid, seed.worker.armId);
        assert.equal(claims.iss, `https://sts.windows.net/${seed.tenantId}/`);
        assert.deepEqual(claims.roles, ['Orders.Read']);
        assert.equal(claims.exp, Number(reply.json.expires_on), 'exp = expires_on');
        assert.ok(Math.abs(claims.exp! - (nowS() + DAY_S)) < 60, `exp ≈ now + 24 h (${claims.exp})`);
      });

      it('echoes the resource exactly as sent: unencoded, encoded, /.default-suffixed, appId GUID', async () => {
        const w = await issue();
        const { seed } = env;
        const cases: [query: string, echoed: string, aud: string][] = [
          ['resource=api://orders', 'api://orders', 'api://orders'],
          ['resource=api%3A%2F%2Forders', 'api://orders', 'api://orders'],
          ['resource=api://orders/.default', 'api://orders/.default', 'api://orders'],
          [`resource=${seed.orders.appId}`, seed.orders.appId, seed.orders.appId],
          [
            `resource=${seed.orders.appId.toUpperCase()}`,
            seed.orders.appId.toUpperCase(),
            seed.orders.appId.toUpperCase(),
          ],
        ];
        for (const [query, echoed, aud] of cases) {
          const reply = await msi(w.secret, `${query}&api-version=2019-08-01`);
          assert.equal(reply.status, 200, `${query}: ${reply.text}`);
          assert.equal(reply.json.resource, echoed, query);
          assert.equal(decodeJwt(reply.json.access_token).aud, aud, query);
        }
      });

      it('accepts a request without api-version, and every header-name casing', async () => {
        const w = await issue();
        const bare = await msi(w.secret, 'resource=api://orders');
        assert.equal(bare.status, 200, bare.text);
        for (const name of [
          'X-IDENTITY-HEADER',
          'X-Identity-Header',
          'x-identity-header',
          'x-IdEnTiTy-HeAdEr',
        ]) {
          const reply = await env.request({
            path: `${MSI}?resource=api://orders&api-version=2019-08-01`,
            headers: { [name]: w.secret },
          });
          assert.equal(reply.status, 200, `${name}: ${reply.text}`);
          assert.equal(reply.json.access_token, bare.json.access_token, 'same cached token');
        }
      });

      it('accepts the Automation POST (form body, Metadata: True) and the path case/trailing slash of IDENTITY_ENDPOINT', async () => {
        const w = await issue();
        const post = await env.request({
          method: 'POST',
          path: MSI,
          headers: {
            'X-IDENTITY-HEADER': w.secret,
            Metadata: 'True',
            'Content-Type': 'application/x-www-form-urlencoded',
          },
          body: 'resource=api%3A%2F%2Forders',
        });
        assert.equal(post.status, 200, post.text);
        assert.equal(post.json.resource, 'api://orders');
        assert.equal(decodeJwt(post.json.access_token).aud, 'api://orders');
        const get = await env.request({
          path: '/MSI/token/?resource=https://orders.example&api-version=2019-08-01',
          headers: { 'X-IDENTITY-HEADER': w.secret, Metadata: 'True' },
        });
        // The path matched (a route miss would be 404); the resource is simply not registered.
        assert.equal(get.status, 400);
        assert.match(get.json.message, /^AADSTS500011/);
      });

      it('accepts the 2017 form: `secret` header, api-version=2017-09-01, clientid=, epoch expires_on', async () => {
        const w = await issue();
        const { seed } = env;
        const reply = await env.request({
          path: `${MSI}?resource=api://orders&api-version=2017-09-01&clientid=${seed.uaiA.clientId}`,
          headers: { secret: w.secret, Metadata: 'true' },
        });
        assert.equal(reply.status, 200, reply.text);
        assert.match(reply.json.expires_on, /^\d{10}$/, 'epoch seconds, never the 2017 date format');
        assert.equal(reply.json.client_id, seed.uaiA.clientId);
        assert.equal(decodeJwt(reply.json.access_token).appid, seed.uaiA.clientId);
      });

      it('selects an attached user-assigned identity by client_id, object_id, principal_id and mi_res_id', async () => {
        const w = await issue();
        const { seed } = env;
        const cases: [string, typeof seed.uaiA][] = [
          [`client_id=${seed.uaiA.clientId}`, seed.uaiA],
          [`client_id=${seed.uaiA.clientId.toUpperCase()}`, seed.uaiA],
          [`object_id=${seed.uaiB.principalId}`, seed.uaiB],
          [`principal_id=${seed.uaiA.principalId}`, seed.uaiA],
          [`mi_res_id=${encodeURIComponent(seed.uaiB.armId)}`, seed.uaiB],
          [`mi_res_id=${seed.uaiA.armId}`, seed.uaiA],
        ];
        for (const [param, identity] of cases) {
          const reply = await msi(w.secret, `resource=api://orders&api-version=2019-08-01&${param}`);
          assert.equal(reply.status, 200, `${param}: ${reply.text}`);
          assert.equal(reply.json.client_id, identity.clientId, param);
          const claims = await env.verify(reply.json.access_token);
          assert.equal(claims.appid, identity.clientId, param);
          assert.equal(claims.oid, identity.principalId, param);
          assert.equal(claims.xms_mirid, identity.armId, `${param}: the identity's own ARM id`);
          assert.equal(claims.appidacr, '2');
          assert.equal(claims.idtyp, 'app');
          assert.equal(claims.roles, undefined, 'no role assigned to this identity');
        }
      });

      it('serves the cached token again, and a role change gets a new token with the new roles within about a second', async () => {
        const w = await issue();
        const first = await msi(w.secret, 'resource=api://orders&api-version=2019-08-01');
        assert.equal(first.status, 200, first.text);
        const issued = await issuedCount();
        const second = await msi(w.secret, 'resource=api://orders&api-version=2019-08-01');
        assert.equal(second.json.access_token, first.json.access_token, 'the same string, from the cache');
        assert.equal(second.json.expires_on, first.json.expires_on);
        assert.equal(await issuedCount(), issued, 'no second signature');

        // Another workload of the same resource shares the cache entry: it is per (identity, resource).
        const sibling = await issue();
        const third = await msi(sibling.secret, 'resource=api://orders');
        assert.equal(third.json.access_token, first.json.access_token);

        const changed = Date.now();
        await env.runtime.directory.assignRole(TENANT, {
          principal: 'resource:worker',
          app: 'orders',
          role: 'Orders.Write',
        });
        let next: Reply | undefined;
        while (Date.now() - changed < 3_000) {
          next = await msi(w.secret, 'resource=api://orders&api-version=2019-08-01');
          if (next.json.access_token !== first.json.access_token) break;
          await sleep(100);
        }
        const tookMs = Date.now() - changed;
        assert.notEqual(
          next?.json.access_token,
          first.json.access_token,
          'a new token after the role change',
        );
        assert.ok(tookMs < 2_500, `within about a second (${tookMs} ms)`);
        assert.deepEqual(((await env.verify(next!.json.access_token)).roles as string[]).sort(), [
          'Orders.Read',
          'Orders.Write',
        ]);

        await env.runtime.directory.unassignRole(TENANT, {
          principal: 'resource:worker',
          app: 'orders',
          role: 'Orders.Write',
        });
        const unassigned = Date.now();
        let last: Reply | undefined;
        while (Date.now() - unassigned < 3_000) {
          last = await msi(w.secret, 'resource=api://orders&api-version=2019-08-01');
          if (last.json.access_token !== next!.json.access_token) break;
          await sleep(100);
        }
        assert.deepEqual((await env.verify(last!.json.access_token)).roles, ['Orders.Read']);
      });

      it('signs once for a burst of concurrent first requests for the same pair', async () => {
        // A resource nobody asked for yet: the pair is not in the cache.
        await env.runtime.directory.createApp(TENANT, { name: 'ledger', identifierUris: ['api://ledger'] });
        const w = await issue();
        const before = await issuedCount();
        const replies = await Promise.all(
          Array.from({ length: 8 }, () => msi(w.secret, 'resource=api://ledger/.default')),
        );
        for (const r of replies) assert.equal(r.status, 200, r.text);
        assert.equal(new Set(replies.map((r) => r.json.access_token)).size, 1, 'one token for all');
        assert.equal((await issuedCount()) - before, 1, 'one token.issue event');
      });
    });

    describe('the hot path (a request repeated verbatim, answered from the caches)', () => {
      it('is checked as fully as the first request', async () => {
        const w = await issue();
        const other = await issue('other');
        const path = `${MSI}?resource=api://orders&api-version=2019-08-01&hot=1`;
        const call = (secret: string, headers: Record<string, string> = {}) =>
          env.request({ path, headers: { 'X-IDENTITY-HEADER': secret, ...headers } });
        const first = await call(w.secret);
        assert.equal(first.status, 200, first.text);
        const again = await call(w.secret);
        assert.equal(again.text, first.text, 'the same body');
        // The same URL from another resource's workload: that resource's identity, never the cached one.
        const theirs = await call(other.secret);
        assert.equal(theirs.status, 200, theirs.text);
        assert.equal(theirs.json.client_id, env.seed.other.system.clientId);
        assert.equal((await env.verify(theirs.json.access_token)).xms_mirid, env.seed.other.armId);
        assert.equal((await call(w.secret)).json.client_id, env.seed.worker.system.clientId);
        const wrong = `${w.secret.slice(0, -1)}${w.secret.endsWith('0') ? '1' : '0'}`;
        assert.equal((await call(wrong)).status, 401);
        assert.equal((await call(w.secret, { 'X-Forwarded-For': '10.0.0.1' })).status, 400);
        assert.equal((await call(w.secret, { Via: '1.1 squid' })).status, 400);
        assert.equal((await call(w.secret, { 'X-Real-IP': '10.0.0.1' })).status, 400);
        assert.equal((await call(w.secret, { 'x-forwarded-host': 'lanyard.example' })).status, 400);
        assert.equal((await call(w.secret, { 'CF-Connecting-IP': '10.0.0.1' })).status, 400);
        assert.equal((await call(w.secret, { Origin: 'http://evil.example' })).status, 403);
        assert.equal((await call(w.secret, { Host: 'attacker.example' })).status, 403);
        assert.equal(
          (await env.request({ method: 'PUT', path, headers: { 'X-IDENTITY-HEADER': w.secret } })).status,
          405,
        );

        const imdsPath = `${IMDS}?api-version=2018-02-01&resource=api://orders&hot=1`;
        const byHeader = { 'X-IDENTITY-HEADER': w.secret, Metadata: 'true' };
        assert.equal((await env.request({ path: imdsPath, headers: byHeader })).status, 200);
        const second = await env.request({ path: imdsPath, headers: byHeader });
        assert.equal(second.status, 200);
        assert.match(second.json.expires_in, /^\d+$/);
        const noMetadata = await env.request({ path: imdsPath, headers: { 'X-IDENTITY-HEADER': w.secret } });
        assert.equal(noMetadata.status, 400);
        assert.equal(noMetadata.json.error_description, 'Required metadata header not specified');
      });

      it('stops serving an identity detached from the resource within about a second', async () => {
        await env.runtime.directory.createResource(TENANT, {
          name: 'temp',
          kind: 'app',
          userAssignedIdentities: ['uai-b'],
        });
        const w = await issue('temp');
        const query = `resource=api://orders&client_id=${env.seed.uaiB.clientId}`;
        assert.equal((await msi(w.secret, query)).status, 200);
        assert.equal((await msi(w.secret, query)).status, 200, 'served from the caches');
        await env.runtime.directory.detachIdentity(TENANT, 'temp', 'uai-b');
        const detached = Date.now();
        let reply = await msi(w.secret, query);
        while (reply.status === 200 && Date.now() - detached < 3_000) {
          await sleep(100);
          reply = await msi(w.secret, query);
        }
        assert.equal(reply.status, 400, reply.text);
        assert.ok(Date.now() - detached < 2_500, 'within about a second');
        assert.match(reply.json.message, /^Unable to load the proper Managed Identity\./);
      });
    });

    describe('IMDS protocol', () => {
      it('answers with IMDS’s fields, every one a string, and no Server: IMDS/ header', async () => {
        const w = await issue();
        const { seed } = env;
        const reply = await imds(w.secret, 'api-version=2018-02-01&resource=api%3A%2F%2Forders');
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(Object.keys(reply.json).sort(), [
          'access_token',
          'client_id',
          'expires_in',
          'expires_on',
          'ext_expires_in',
          'not_before',
          'refresh_token',
          'resource',
          'token_type',
        ]);
        for (const [k, v] of Object.entries(reply.json)) assert.equal(typeof v, 'string', `${k} is a string`);
        assert.match(reply.json.expires_in, /^\d+$/);
        assert.ok(Math.abs(Number(reply.json.expires_in) - DAY_S) < 60, 'expires_in ≈ 24 h');
        assert.equal(reply.json.ext_expires_in, reply.json.expires_in);
        assert.match(reply.json.expires_on, /^\d{10}$/);
        assert.match(reply.json.not_before, /^\d{10}$/);
        assert.equal(reply.json.resource, 'api://orders');
        assert.equal(reply.json.token_type, 'Bearer');
        assert.equal(reply.json.client_id, seed.worker.system.clientId);
        assert.ok(!String(reply.headers.server ?? '').startsWith('IMDS/'), 'no Server: IMDS/…');
        const claims = await env.verify(reply.json.access_token);
        assert.equal(claims.exp, Number(reply.json.expires_on));
        assert.equal(claims.nbf, Number(reply.json.not_before));
        assert.equal(claims.xms_mirid, seed.worker.armId);
      });

      it('takes the workload from the AZURE_POD_IDENTITY_AUTHORITY_HOST path (trailing slash, doubled slash) or the header', async () => {
        const w = await issue();
        const authority = env.listener.imdsAuthority(w.secret);
        assert.equal(authority, `${env.listener.origin}/w/${w.secret}`);
        const base = new URL(authority).pathname;
        for (const path of [
          `${base}${IMDS}/`,
          `${base}/${IMDS}/`,
          `${base}${IMDS}`,
          `${base}/${IMDS}`.toUpperCase().replace(base.toUpperCase(), base),
        ]) {
          const reply = await env.request({
            path: `${path}?api-version=2018-02-01&resource=api%3A%2F%2Forders`,
            headers: { Metadata: 'true' },
          });
          assert.equal(reply.status, 200, `${path}: ${reply.text}`);
        }
        const byHeader = await env.request({
          path: `${IMDS}?api-version=2018-02-01&resource=api://orders`,
          headers: { Metadata: 'TRUE', 'X-IDENTITY-HEADER': w.secret },
        });
        assert.equal(byHeader.status, 200, byHeader.text);
      });

      it('selects user-assigned identities by client_id, object_id and msi_res_id', async () => {
        const w = await issue();
        const { seed } = env;
        for (const [param, identity] of [
          [`client_id=${seed.uaiA.clientId}`, seed.uaiA],
          [`object_id=${seed.uaiB.principalId}`, seed.uaiB],
          [`msi_res_id=${encodeURIComponent(seed.uaiA.armId)}`, seed.uaiA],
        ] as const) {
          const reply = await imds(w.secret, `api-version=2018-02-01&resource=api://orders&${param}`);
          assert.equal(reply.status, 200, `${param}: ${reply.text}`);
          assert.equal(reply.json.client_id, identity.clientId);
          const claims = await env.verify(reply.json.access_token);
          assert.equal(claims.oid, identity.principalId);
          assert.equal(claims.xms_mirid, identity.armId);
        }
      });

      it('answers @azure/identity’s probe (no query, no Metadata) at once with a 4xx', async () => {
        const reply = await env.request({ path: IMDS, headers: { Accept: 'application/json' } });
        assert.ok(reply.status >= 400 && reply.status < 500, `4xx, got ${reply.status}`);
        assert.ok(reply.ms < 500, `fast (${Math.round(reply.ms)} ms)`);
        assert.ok(!reply.text.toLowerCase().includes('unreachable'), 'not mistaken for Docker Desktop');
      });

      it('returns 404 for other /metadata paths (no IMDSv2 detection) and for unknown paths', async () => {
        const w = await issue();
        for (const path of [
          '/metadata/instance?api-version=2021-02-01',
          '/metadata/identity/credential?cred-api-version=1.0',
          `/w/${w.secret}/metadata/identity/getplatformmetadata`,
          '/',
          '/msi',
        ]) {
          const reply = await env.request({
            method: path.includes('credential') ? 'POST' : 'GET',
            path,
            headers: { Metadata: 'true' },
          });
          assert.equal(reply.status, 404, path);
          assert.ok(!String(reply.headers.server ?? '').startsWith('IMDS/'));
        }
      });
    });

    describe('refusals', () => {
      it('missing Metadata header (IMDS): 400 with IMDS’s exact body', async () => {
        const w = await issue();
        const { reply } = await expectRefused(
          'imds',
          () => env.request({ path: `/w/${w.secret}${IMDS}?resource=api://orders` }),
          { status: 400, reason: 'metadata_header', secret: w.secret },
        );
        assert.deepEqual(reply.json, {
          error: 'invalid_request',
          error_description: 'Required metadata header not specified',
        });
      });

      it('missing identity header: 401 in both sources', async () => {
        await expectRefused('appservice', () => env.request({ path: `${MSI}?resource=api://orders` }), {
          status: 401,
          reason: 'secret_missing',
          message: 'X-IDENTITY-HEADER',
        });
        await expectRefused(
          'imds',
          () => env.request({ path: `${IMDS}?resource=api://orders`, headers: { Metadata: 'true' } }),
          { status: 401, reason: 'secret_missing' },
        );
      });

      it('wrong secret (same length, one character off; empty; 10 KB): 401', async () => {
        const w = await issue();
        const last = w.secret.at(-1)!;
        const offByOne = `${w.secret.slice(0, -1)}${last === '0' ? '1' : '0'}`;
        assert.equal(offByOne.length, w.secret.length);
        await expectRefused('appservice', () => msi(offByOne, 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
          secret: w.secret,
        });
        await expectRefused('imds', () => imds(offByOne, 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
          secret: w.secret,
        });
        await expectRefused('appservice', () => msi('', 'resource=api://orders'), {
          status: 401,
          reason: 'secret_missing',
        });
        await expectRefused('appservice', () => msi('a'.repeat(10_000), 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
        });
        // The real secret still works: nothing above locked it out.
        assert.equal((await msi(w.secret, 'resource=api://orders')).status, 200);
      });

      it('revoked secret: 401 within the one-second version check, in both sources', async () => {
        const w = await issue();
        assert.equal((await msi(w.secret, 'resource=api://orders')).status, 200, 'known and cached first');
        await env.runtime.workloads.revoke(w.id);
        const revoked = Date.now();
        let status = 200;
        while (status === 200 && Date.now() - revoked < 3_000) {
          status = (await msi(w.secret, 'resource=api://orders')).status;
          if (status === 200) await sleep(100);
        }
        assert.ok(Date.now() - revoked < 2_500, 'refused within about a second');
        await expectRefused('appservice', () => msi(w.secret, 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
          secret: w.secret,
        });
        await expectRefused('imds', () => imds(w.secret, 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
          secret: w.secret,
        });
      });

      it('expired workload: 401', async () => {
        env.clock.offsetMs = -2 * 3_600_000;
        let w: IssuedWorkload;
        try {
          w = await issue('worker', { ttlMs: 3_600_000 });
        } finally {
          env.clock.offsetMs = 0;
        }
        assert.ok(Date.parse(w.expiresAt) < Date.now());
        await expectRefused('appservice', () => msi(w.secret, 'resource=api://orders'), {
          status: 401,
          reason: 'secret_invalid',
          secret: w.secret,
        });
      });

      it('two identity parameters: 400', async () => {
        const w = await issue();
        const { seed } = env;
        await expectRefused(
          'appservice',
          () =>
            msi(
              w.secret,
              `resource=api://orders&client_id=${seed.uaiA.clientId}&object_id=${seed.uaiA.principalId}`,
            ),
          { status: 400, reason: 'several_identities', message: 'at most one', secret: w.secret },
        );
        await expectRefused(
          'appservice',
          () =>
            msi(
              w.secret,
              `resource=api://orders&clientid=${seed.uaiA.clientId}&mi_res_id=${seed.uaiA.armId}`,
            ),
          { status: 400, reason: 'several_identities' },
        );
        await expectRefused(
          'imds',
          () =>
            imds(
              w.secret,
              `resource=api://orders&client_id=${seed.uaiA.clientId}&msi_res_id=${seed.uaiA.armId}`,
            ),
          { status: 400, reason: 'several_identities', error: 'invalid_request' },
        );
      });

      it('unknown identity: 400 "Unable to load the proper Managed Identity." / "Identity not found"', async () => {
        const w = await issue();
        await expectRefused(
          'appservice',
          () => msi(w.secret, `resource=api://orders&client_id=${randomUUID()}`),
          {
            status: 400,
            reason: 'identity_not_found',
            message: /^Unable to load the proper Managed Identity\./,
            secret: w.secret,
          },
        );
        await expectRefused('imds', () => imds(w.secret, `resource=api://orders&object_id=${randomUUID()}`), {
          status: 400,
          reason: 'identity_not_found',
          error: 'invalid_request',
          message: /^Identity not found/,
          secret: w.secret,
        });
        // A resource without a system-assigned identity, asked for it.
        const bare = await issue('bare');
        await expectRefused('appservice', () => msi(bare.secret, 'resource=api://orders'), {
          status: 400,
          reason: 'identity_not_found',
          message: /^Unable to load the proper Managed Identity\./,
        });
      });

      it('an identity attached to another resource: 400, never a token for it', async () => {
        const w = await issue();
        const { seed } = env;
        for (const param of [
          `client_id=${seed.uaiOther.clientId}`,
          `object_id=${seed.other.system.principalId}`,
          `client_id=${seed.other.system.clientId}`,
          `mi_res_id=${seed.uaiOther.armId}`,
        ]) {
          await expectRefused('appservice', () => msi(w.secret, `resource=api://orders&${param}`), {
            status: 400,
            reason: 'identity_not_found',
            message: /^Unable to load the proper Managed Identity\./,
            secret: w.secret,
          });
        }
        await expectRefused(
          'imds',
          () => imds(w.secret, `resource=api://orders&msi_res_id=${encodeURIComponent(seed.uaiOther.armId)}`),
          { status: 400, reason: 'identity_not_found', message: /^Identity not found/ },
        );
      });

      it('proxied requests (any X-Forwarded-*, Forwarded, Via, X-Real-IP, CDN client-IP headers): 400 in both sources, any case', async () => {
        const w = await issue();
        const proxyHeaders: [string, string][] = [
          ['X-Forwarded-For', '1.2.3.4'],
          ['X-Forwarded-Host', 'lanyard.example'],
          ['X-Forwarded-Proto', 'https'],
          ['X-Forwarded-Port', '443'],
          ['X-Forwarded-Server', 'proxy.example'],
          ['X-Forwarded-Prefix', '/mi'],
          ['Forwarded', 'for=1.2.3.4'],
          ['Via', '1.1 proxy'],
          ['X-Real-IP', '1.2.3.4'],
          ['X-Original-Forwarded-For', '1.2.3.4'],
          ['True-Client-IP', '1.2.3.4'],
          ['CF-Connecting-IP', '1.2.3.4'],
          ['X-Client-IP', '1.2.3.4'],
          ['X-Cluster-Client-IP', '1.2.3.4'],
        ];
        const spellings = (name: string) => [name, name.toLowerCase(), name.toUpperCase()];
        for (const [canonical, value] of proxyHeaders) {
          for (const name of spellings(canonical)) {
            await expectRefused(
              'appservice',
              () => msi(w.secret, 'resource=api://orders', { [name]: value }),
              {
                status: 400,
                reason: 'proxied',
                message: `carrying ${canonical.toLowerCase()} `,
                secret: w.secret,
              },
            );
            await expectRefused('imds', () => imds(w.secret, 'resource=api://orders', { [name]: value }), {
              status: 400,
              reason: 'proxied',
              error: 'invalid_request',
              message: `carrying ${canonical.toLowerCase()} `,
              secret: w.secret,
            });
          }
        }
        // An empty value still says a proxy was on the way.
        await expectRefused('imds', () => imds(w.secret, 'resource=api://orders', { 'X-Real-IP': '' }), {
          status: 400,
          reason: 'proxied',
        });
        // Headers that merely look alike are not proxy headers: the request is served.
        const alike = { 'X-Forwarded': 'x', 'X-Forwardedfor': 'x', 'X-Real-IPs': 'x', 'Client-IP-Hint': 'x' };
        assert.equal((await msi(w.secret, 'resource=api://orders', alike)).status, 200);
        assert.equal((await imds(w.secret, 'resource=api://orders', alike)).status, 200);
        // The same workload, no proxy header: served on both protocols.
        const clean = await msi(w.secret, 'resource=api://orders');
        assert.equal(clean.status, 200, clean.text);
        assert.ok(clean.json.access_token);
        const cleanImds = await imds(w.secret, 'resource=api://orders');
        assert.equal(cleanImds.status, 200, cleanImds.text);
        assert.ok(cleanImds.json.access_token);
      });

      it('browser (Origin) and DNS rebinding (Host: attacker.example): 403', async () => {
        const w = await issue();
        await expectRefused(
          'appservice',
          () => msi(w.secret, 'resource=api://orders', { Origin: 'https://evil.example' }),
          { status: 403, reason: 'browser_origin', secret: w.secret },
        );
        await expectRefused(
          'imds',
          () => imds(w.secret, 'resource=api://orders', { Host: 'attacker.example' }),
          {
            status: 403,
            reason: 'host',
            secret: w.secret,
          },
        );
        await expectRefused(
          'appservice',
          () => msi(w.secret, 'resource=api://orders', { Host: 'attacker.example:80' }),
          { status: 403, reason: 'host' },
        );
        // Loopback names are fine, the literal IMDS address too (for a routed emulator).
        for (const host of ['localhost:1234', '127.0.0.1', '[::1]:80', '169.254.169.254']) {
          assert.equal((await imds(w.secret, 'resource=api://orders', { Host: host })).status, 200, host);
        }
      });

      it('oversized query and repeated parameters: 400', async () => {
        const w = await issue();
        const pad = `&x=${'a'.repeat(4_200)}`;
        await expectRefused('appservice', () => msi(w.secret, `resource=api://orders${pad}`), {
          status: 400,
          reason: 'query_too_large',
          secret: w.secret,
        });
        await expectRefused('imds', () => imds(w.secret, `resource=api://orders${pad}`), {
          status: 400,
          reason: 'query_too_large',
        });
        await expectRefused(
          'appservice',
          () => msi(w.secret, 'resource=api://orders&resource=api://locked'),
          {
            status: 400,
            reason: 'duplicate_parameter',
            message: 'resource',
          },
        );
        await expectRefused('imds', () => imds(w.secret, 'resource=api://orders&resource=api://orders'), {
          status: 400,
          reason: 'duplicate_parameter',
        });
        await expectRefused('appservice', () => msi(w.secret, 'api-version=2019-08-01'), {
          status: 400,
          reason: 'resource_missing',
        });
        await expectRefused('appservice', () => msi(w.secret, 'resource=api://orders%0D%0AX-Evil:%201'), {
          status: 400,
          reason: 'resource_invalid',
        });
      });

      it('wrong method: 405 (PUT on App Service, POST on IMDS)', async () => {
        const w = await issue();
        await expectRefused(
          'appservice',
          () =>
            env.request({
              method: 'PUT',
              path: `${MSI}?resource=api://orders`,
              headers: { 'X-IDENTITY-HEADER': w.secret },
            }),
          { status: 405, reason: 'method', secret: w.secret },
        );
        await expectRefused(
          'imds',
          () =>
            env.request({
              method: 'POST',
              path: `/w/${w.secret}${IMDS}?resource=api://orders`,
              headers: { Metadata: 'true' },
            }),
          { status: 405, reason: 'method' },
        );
      });

      it('unknown resource: AADSTS500011 in the source’s shape, audited by the issuer', async () => {
        const w = await issue();
        const { event } = await expectRefused(
          'appservice',
          () => msi(w.secret, 'resource=api://nothing-here'),
          {
            status: 400,
            reason: 'AADSTS500011',
            message: /^AADSTS500011: The resource principal named api:\/\/nothing-here was not found/,
            secret: w.secret,
          },
        );
        assert.equal(event.details?.via, 'mi appservice');
        await expectRefused('imds', () => imds(w.secret, 'resource=https://management.example/'), {
          status: 400,
          reason: 'AADSTS500011',
          error: 'invalid_resource',
          message: /^AADSTS500011/,
        });
      });

      it('assignment required and not assigned: AADSTS501051; assigned afterwards: issued', async () => {
        const w = await issue();
        await expectRefused('appservice', () => msi(w.secret, 'resource=api://locked'), {
          status: 400,
          reason: 'AADSTS501051',
          message: /^AADSTS501051: Application '[0-9a-f-]{36}'\(worker\) is not assigned to a role/,
          secret: w.secret,
        });
        await expectRefused('imds', () => imds(w.secret, `resource=${env.seed.locked.appId}`), {
          status: 400,
          reason: 'AADSTS501051',
          error: 'invalid_grant',
        });
      });

      it('rate limit: 50 fast requests from one workload get some 429 with Retry-After; another workload is served', async () => {
        const noisy = await issue();
        const quiet = await issue();
        // Known and cached first, so the burst below is answered as fast as it arrives.
        assert.equal((await msi(noisy.secret, 'resource=api://orders')).status, 200);
        const seen = new Set((await env.events({ plane: 'identity', action: 'mi.refuse' })).map((e) => e.id));
        const replies = await Promise.all(
          Array.from({ length: 50 }, () => msi(noisy.secret, 'resource=api://orders')),
        );
        const limited = replies.filter((r) => r.status === 429);
        assert.ok(limited.length > 0, 'some were limited');
        assert.ok(replies.filter((r) => r.status === 200).length >= 20, 'the burst was served');
        for (const r of limited) {
          assert.equal(r.headers['retry-after'], '1');
          assert.equal(r.json.statusCode, 429);
          assert.equal(r.json.access_token, undefined);
        }
        const other = await msi(quiet.secret, 'resource=api://orders');
        assert.equal(other.status, 200, 'another workload is unaffected');
        const imdsReplies = await Promise.all(
          Array.from({ length: 50 }, () => imds(quiet.secret, 'resource=api://orders')),
        );
        const imdsLimited = imdsReplies.filter((r) => r.status === 429);
        assert.ok(imdsLimited.length > 0, 'IMDS limits too');
        assert.deepEqual(Object.keys(imdsLimited[0]!.json).sort(), ['error', 'error_description']);
        assert.equal(imdsLimited[0]!.json.error, 'too_many_requests');
        assert.equal(imdsLimited[0]!.headers['retry-after'], '1');
        const events = (await env.events({ plane: 'identity', action: 'mi.refuse' })).filter(
          (e: StoredAuditEvent) => !seen.has(e.id),
        );
        assert.equal(
          events.filter((e) => e.reason === 'rate_limited').length,
          limited.length + imdsLimited.length,
          'each 429 audited',
        );
      });

      it('no workload secret appears in any audit row or log line', async () => {
        await sleep(50); // request log lines are written when the response closes
        const rows = JSON.stringify(await env.runtime.audit.list({ limit: 1000 }));
        const logs = env.logs.join('');
        assert.ok(secrets.length > 20);
        for (const s of secrets) {
          assert.ok(!rows.includes(s), 'secret in an audit row');
          assert.ok(!logs.includes(s), 'secret in a log line');
        }
        assert.ok(logs.includes('/w/***/metadata'), 'the IMDS path secret is masked in the request log');
      });
    });
  });
}
