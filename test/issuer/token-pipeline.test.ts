/**
 * @module test/issuer/token-pipeline
 * The token endpoint as one pipeline, and its audit invariant: every request leaves exactly one `issuer` audit
 * row — `token.issue`, or `token.refuse` naming the AADSTS code the client was answered — whichever step refused
 * it. The refusals are a table: a new refusal is one more line. The same holds for `TokenService.mint`, which
 * in-process callers (the managed-identity endpoints) use. Also: the audit write is fail-closed, and the
 * pipeline's awaits do not split the signer's batches.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { AADSTS, type AadstsCode, AadstsError } from '../../src/issuer/aadsts.ts';
import { JWT_BEARER } from '../../src/issuer/client-auth.ts';
import { createRs256Signer } from '../../src/issuer/rs256-signer.ts';
import { TOKEN_BODY_LIMIT, TOKEN_PIPELINE } from '../../src/issuer/token-endpoint.ts';
import { type MintRequest, TokenService } from '../../src/issuer/token-service.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import type { Reply } from '../host/harness.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import {
  expectIssued,
  expectRefusal,
  postForm,
  rawRequest,
  rsaCredential,
  type Seed,
  seedDirectory,
} from './helpers.ts';

const DAY_MS = 86_400_000;

describe('token pipeline', () => {
  it('describe() lists the steps of the token endpoint in order, one audit step in outbound and on-error', () => {
    assert.deepEqual(TOKEN_PIPELINE.describe(), {
      inbound: [
        'no-cache',
        'check-host',
        'read-form',
        'reject-duplicate-params',
        'resolve-tenant',
        'check-grant',
        'read-scope',
        'authenticate-client',
        'resolve-resource',
      ],
      backend: ['issue-token'],
      outbound: ['audit', 'send-token'],
      'on-error': ['audit', 'send-error'],
    });
  });
});

/** What a row of the tables gets to build its request. */
interface World {
  t: TestServer;
  s: Seed;
  v1: string;
  v2: string;
  clock: { offsetMs: number };
  /** A client-credentials form with the seeded client's secret, `scope` (v2) or `resource` (v1). */
  form(extra?: Record<string, string>): Record<string, string>;
  /** A form that authenticates with `client_assertion` instead of a secret. */
  assertionForm(assertion: string, extra?: Record<string, string>): Record<string, string>;
  /** An assertion signed with the certificate registered on the client (MSAL's PS256 + x5t#S256). */
  certAssertion(claims?: { aud?: string; iss?: string; sub?: string }): Promise<string>;
  /** Runs `f` while `signingKey()` fails as an unexpected error would. */
  whileSigningFails<T>(f: () => Promise<T>): Promise<T>;
}

interface RefusalRow {
  name: string;
  code: AadstsCode;
  send: (w: World) => Promise<Reply>;
}

/** Header and claims base64url-encoded, with a signature that proves nothing: for refusals before verifying. */
const unsignedJwt = (header: object, claims: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.AAAA`;

/** Every refusal the suite can provoke. Status and `error` follow from the code (src/issuer/aadsts.ts). */
const REFUSALS: readonly RefusalRow[] = [
  {
    name: 'Host header not a plain host[:port]',
    code: 900143,
    send: (w) =>
      rawRequest(
        w.t,
        'POST',
        w.v2,
        { host: 'evil.example/x', 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams(w.form()).toString(),
      ),
  },
  {
    name: 'body not a form',
    code: 900144,
    send: (w) =>
      w.t.call('POST', w.v2, {
        token: null,
        rawBody: JSON.stringify(w.form()),
        headers: { 'content-type': 'application/json' },
      }),
  },
  {
    name: 'body over the limit',
    code: 900143,
    send: (w) => postForm(w.t, w.v2, `${new URLSearchParams(w.form())}&pad=${'a'.repeat(TOKEN_BODY_LIMIT)}`),
  },
  {
    name: 'duplicate parameter',
    code: 900143,
    send: (w) => postForm(w.t, w.v2, [...Object.entries(w.form()), ['scope', 'api://billing/.default']]),
  },
  {
    name: 'unknown tenant',
    code: 90002,
    send: (w) => postForm(w.t, `/${randomUUID()}/oauth2/v2.0/token`, w.form()),
  },
  {
    name: 'tenant common',
    code: 90023,
    send: (w) => postForm(w.t, '/common/oauth2/v2.0/token', w.form()),
  },
  { name: 'grant_type missing', code: 900144, send: (w) => postForm(w.t, w.v2, w.form({ grant_type: '' })) },
  {
    name: 'unsupported grant_type',
    code: 70003,
    send: (w) => postForm(w.t, w.v2, w.form({ grant_type: 'password' })),
  },
  { name: 'scope missing (v2)', code: 900144, send: (w) => postForm(w.t, w.v2, w.form({ scope: '' })) },
  {
    name: 'resource missing (v1)',
    code: 900144,
    send: (w) => postForm(w.t, w.v1, w.form({ scope: '' })),
  },
  {
    name: 'scope without /.default',
    code: 1002012,
    send: (w) => postForm(w.t, w.v2, w.form({ scope: 'api://orders/Orders.Read' })),
  },
  {
    name: 'two resources in one scope',
    code: 70011,
    send: (w) => postForm(w.t, w.v2, w.form({ scope: 'api://orders/.default api://billing/.default' })),
  },
  {
    name: 'malformed HTTP Basic',
    code: 900143,
    send: (w) =>
      postForm(w.t, w.v2, w.form({ client_secret: '' }), {
        headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      }),
  },
  {
    name: 'HTTP Basic and a secret in the body',
    code: 90014,
    send: (w) =>
      postForm(w.t, w.v2, w.form(), {
        headers: { authorization: `Basic ${Buffer.from(`${w.s.client.appId}:x`).toString('base64')}` },
      }),
  },
  { name: 'client_id missing', code: 900144, send: (w) => postForm(w.t, w.v2, w.form({ client_id: '' })) },
  {
    name: 'unknown client',
    code: 700016,
    send: (w) => postForm(w.t, w.v2, w.form({ client_id: randomUUID() })),
  },
  {
    name: 'bad secret',
    code: 7000215,
    send: (w) => postForm(w.t, w.v2, w.form({ client_secret: 'not-the-secret' })),
  },
  {
    name: 'expired secret',
    code: 7000222,
    send: async (w) => {
      const short = await w.t.runtime.directory.addClientSecret('contoso', 'caller', { expiresInDays: 1 });
      w.clock.offsetMs = 2 * DAY_MS;
      try {
        return await postForm(w.t, w.v2, w.form({ client_secret: short.secretText }));
      } finally {
        w.clock.offsetMs = 0;
      }
    },
  },
  {
    name: 'neither secret nor assertion',
    code: 7000218,
    send: (w) => postForm(w.t, w.v2, w.form({ client_secret: '' })),
  },
  {
    name: 'assertion of the wrong type',
    code: 900144,
    send: async (w) =>
      postForm(
        w.t,
        w.v2,
        w.assertionForm(await w.certAssertion(), { client_assertion_type: 'urn:example:saml2-bearer' }),
      ),
  },
  {
    name: 'assertion not a JWT',
    code: 50027,
    send: (w) => postForm(w.t, w.v2, w.assertionForm('not-a-jwt')),
  },
  {
    name: 'certificate assertion, certificate not registered',
    code: 700027,
    send: (w) => {
      const id = w.s.client.appId;
      const jwt = unsignedJwt({ alg: 'RS256', x5t: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' }, { iss: id, sub: id });
      return postForm(w.t, w.v2, w.assertionForm(jwt));
    },
  },
  {
    name: 'certificate assertion, wrong audience',
    code: 700024,
    send: async (w) =>
      postForm(w.t, w.v2, w.assertionForm(await w.certAssertion({ aud: 'https://elsewhere.example/token' }))),
  },
  {
    name: 'federated assertion, no matching credential',
    code: 70021,
    send: (w) => {
      const jwt = unsignedJwt(
        { alg: 'RS256', kid: 'k' },
        { iss: 'https://idp.example', sub: 'repo:x', aud: 'a' },
      );
      return postForm(w.t, w.v2, w.assertionForm(jwt));
    },
  },
  {
    name: 'unknown resource',
    code: 500011,
    send: (w) => postForm(w.t, w.v2, w.form({ scope: 'api://nowhere/.default' })),
  },
  {
    name: 'assignment required, none held',
    code: 501051,
    send: (w) => postForm(w.t, w.v2, w.form({ scope: 'api://locked/.default' })),
  },
  {
    name: 'unexpected failure while signing',
    code: 90033,
    send: (w) => w.whileSigningFails(() => postForm(w.t, w.v2, w.form())),
  },
];

const SUCCESSES: readonly { name: string; send: (w: World) => Promise<Reply> }[] = [
  { name: 'v2, secret in the body', send: (w) => postForm(w.t, w.v2, w.form()) },
  {
    name: 'v1, secret in the body',
    send: (w) => postForm(w.t, w.v1, w.form({ scope: '', resource: 'api://orders' })),
  },
  {
    name: 'v2, HTTP Basic',
    send: (w) =>
      postForm(w.t, w.v2, w.form({ client_id: '', client_secret: '' }), {
        headers: {
          authorization: `Basic ${Buffer.from(`${w.s.client.appId}:${encodeURIComponent(w.s.client.secret)}`).toString('base64')}`,
        },
      }),
  },
  {
    name: 'v2, certificate assertion',
    send: async (w) => postForm(w.t, w.v2, w.assertionForm(await w.certAssertion())),
  },
  { name: 'adfs, v2-style scope', send: (w) => postForm(w.t, '/adfs/oauth2/token', w.form()) },
];

/** Drops empty values, so a row can remove a parameter with `name: ''`. */
const compact = (form: Record<string, string>) =>
  Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));

const issuerRows = async (t: TestServer) => t.runtime.audit.list({ plane: 'issuer', limit: 1000 });

for (const kind of STORE_KINDS) {
  describe(`token endpoint audit invariant (${kind})`, () => {
    let w: World;

    before(async () => {
      const clock = { offsetMs: 0 };
      const t = await startTestServer(kind, { now: () => new Date(Date.now() + clock.offsetMs) });
      const s = await seedDirectory(t.runtime);
      const { cert, key } = await rsaCredential('caller certificate');
      await t.runtime.directory.addCertificate('contoso', 'caller', { certificate: cert.certPem });
      const v2 = `/${s.tenantId}/oauth2/v2.0/token`;
      const keys = t.runtime.keys as { signingKey: () => Promise<unknown> };
      w = {
        t,
        s,
        v1: `/${s.tenantId}/oauth2/token`,
        v2,
        clock,
        form: (extra = {}) =>
          compact({
            grant_type: 'client_credentials',
            client_id: s.client.appId,
            client_secret: s.client.secret,
            scope: 'api://orders/.default',
            ...extra,
          }),
        assertionForm: (assertion, extra = {}) =>
          compact({
            grant_type: 'client_credentials',
            client_id: s.client.appId,
            scope: 'api://orders/.default',
            client_assertion_type: JWT_BEARER,
            client_assertion: assertion,
            ...extra,
          }),
        certAssertion: (claims = {}) => {
          const now = Math.floor(Date.now() / 1000);
          return new SignJWT({ jti: randomUUID() })
            .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.thumbprints.sha256B64url })
            .setIssuer(claims.iss ?? s.client.appId)
            .setSubject(claims.sub ?? s.client.appId)
            .setAudience(claims.aud ?? `${t.server.url}${v2}`)
            .setIssuedAt(now - 10)
            .setExpirationTime(now + 600)
            .sign(key);
        },
        async whileSigningFails(f) {
          keys.signingKey = async () => {
            throw new Error('the key store went away');
          };
          try {
            return await f();
          } finally {
            delete (keys as { signingKey?: unknown }).signingKey;
          }
        },
      };
    });
    after(() => w?.t.cleanup());

    for (const row of REFUSALS) {
      it(`refused, one row naming AADSTS${row.code}: ${row.name}`, async () => {
        const { status, error } = AADSTS[row.code];
        const r = await expectRefusal(w.t, () => row.send(w), { status, error, code: row.code });
        assert.match(String(r.event.details?.via), /^oauth2\/(v2\.0\/)?token/);
        assert.equal(r.headers['cache-control'], 'no-store, no-cache');
        assert.equal(r.headers.pragma, 'no-cache');
      });
    }

    for (const row of SUCCESSES) {
      it(`issued, one row: ${row.name}`, async () => {
        const r = await expectIssued(w.t, () => row.send(w));
        assert.equal(r.event.actor, w.s.client.appId);
        assert.equal(r.event.tenantId, w.s.tenantId);
        assert.equal(r.headers['cache-control'], 'no-store, no-cache');
      });
    }

    it('the refusal row says what was known when the request was refused', async () => {
      const late = await expectRefusal(
        w.t,
        () => postForm(w.t, w.v2, w.form({ scope: 'api://locked/.default' })),
        {
          status: 400,
          error: 'invalid_grant',
          code: 501051,
        },
      );
      assert.equal(late.event.tenantId, w.s.tenantId);
      assert.equal(late.event.actor, w.s.client.appId);
      assert.equal(late.event.target, 'api://locked');
      assert.equal(late.event.details?.via, 'oauth2/v2.0/token client_secret');
      assert.equal(late.event.details?.error, 'invalid_grant');
      const early = await expectRefusal(w.t, () => postForm(w.t, w.v2, w.form({ grant_type: 'password' })), {
        status: 400,
        error: 'unsupported_grant_type',
        code: 70003,
      });
      assert.equal(early.event.tenantId, w.s.tenantId);
      assert.equal(early.event.actor, undefined);
      assert.equal(early.event.target, undefined);
      assert.equal(early.event.details?.via, 'oauth2/v2.0/token');
    });

    it('fail-closed: when the success row cannot be written the answer is AADSTS90033, no token, and no second row', async () => {
      const audit = w.t.runtime.audit as { record: (...a: unknown[]) => Promise<unknown> };
      const record = audit.record;
      let calls = 0;
      audit.record = async () => {
        calls++;
        throw new Error('the audit store went away');
      };
      const before = (await issuerRows(w.t)).length;
      let r: Reply;
      try {
        r = await postForm(w.t, w.v2, w.form());
      } finally {
        audit.record = record;
      }
      assert.equal(r.status, 503);
      assert.deepEqual(r.json.error_codes, [90033]);
      assert.ok(!r.text.includes('eyJ'), 'no token');
      assert.equal(calls, 1, 'one write attempted: the on-error audit does not try again');
      assert.equal((await issuerRows(w.t)).length, before);
    });

    it('a refusal whose row cannot be written is still answered (AADSTS90033), and logged', async () => {
      const audit = w.t.runtime.audit as { record: (...a: unknown[]) => Promise<unknown> };
      const record = audit.record;
      audit.record = async () => {
        throw new Error('the audit store went away');
      };
      const logsBefore = w.t.logs.length;
      let r: Reply;
      try {
        r = await postForm(w.t, w.v2, w.form({ client_secret: 'wrong' }));
      } finally {
        audit.record = record;
      }
      assert.equal(r.status, 503);
      assert.deepEqual(r.json.error_codes, [90033]);
      const logged = w.t.logs.slice(logsBefore).map((l) => JSON.parse(l) as { msg?: string; step?: string });
      assert.ok(
        logged.some((l) => l.msg === 'a token request failed in on-error' && l.step === 'on-error/audit'),
      );
    });

    describe('TokenService.mint (managed identities and other in-process callers)', () => {
      const mintRequest = async (requestedAs: string): Promise<MintRequest> => {
        const d = w.t.runtime.directory;
        const client = await d.findClient(w.s.tenantId, w.s.identity.clientId);
        assert.ok(client);
        return { tenant: await d.getTenant(w.s.tenantId), client, requestedAs, acr: '2', via: 'mi test' };
      };

      /** Runs one mint; returns the rows it wrote and what it rejected with. */
      const mintRows = async (
        requestedAs: string,
        during?: (f: () => Promise<unknown>) => Promise<unknown>,
      ) => {
        const before = new Set((await issuerRows(w.t)).map((e) => e.id));
        const req = await mintRequest(requestedAs);
        let rejected: unknown;
        try {
          const run = () => w.t.runtime.tokens.mint(req);
          await (during ? during(run) : run());
        } catch (err) {
          rejected = err;
        }
        const rows = (await issuerRows(w.t)).filter((e) => !before.has(e.id));
        return { rows, rejected };
      };

      it('success: one token.issue row', async () => {
        const { rows, rejected } = await mintRows('api://orders');
        assert.equal(rejected, undefined);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.action, 'token.issue');
        assert.equal(rows[0]!.actor, w.s.identity.clientId);
        assert.equal(rows[0]!.details?.via, 'mi test');
      });

      for (const [requestedAs, code] of [
        ['api://nowhere', 500011],
        ['api://locked', 501051],
      ] as const) {
        it(`AADSTS${code}: one token.refuse row, and the AadstsError is what mint rejects with`, async () => {
          const { rows, rejected } = await mintRows(requestedAs);
          assert.ok(rejected instanceof AadstsError && rejected.code === code);
          assert.deepEqual(
            rows.map((e) => [e.action, e.reason, e.details?.via]),
            [['token.refuse', `AADSTS${code}`, 'mi test']],
          );
        });
      }

      it('an unexpected failure: one AADSTS90033 row, and mint rejects with the error itself', async () => {
        const { rows, rejected } = await mintRows('api://orders', (f) => w.whileSigningFails(f));
        assert.ok(rejected instanceof Error && !(rejected instanceof AadstsError));
        assert.match((rejected as Error).message, /key store went away/);
        assert.deepEqual(
          rows.map((e) => [e.action, e.reason]),
          [['token.refuse', 'AADSTS90033']],
        );
      });
    });

    it("the pipeline's awaits do not split batches: mints started in one turn are signed as one batch", async () => {
      const signer = createRs256Signer({ threads: 0, maxBatch: 16 });
      const rt = w.t.runtime;
      const tokens = new TokenService({
        directory: rt.directory,
        keys: rt.keys,
        audit: rt.audit,
        signer,
        issuers: rt.issuers,
      });
      try {
        const d = rt.directory;
        const client = await d.findClient(w.s.tenantId, w.s.client.appId);
        assert.ok(client);
        const req: MintRequest = {
          tenant: await d.getTenant(w.s.tenantId),
          client,
          requestedAs: 'api://orders',
          acr: '1',
          via: 'batch test',
        };
        await tokens.mint(req); // warms the directory cache and the key
        const before = { ...signer.stats };
        const issued = await Promise.all(Array.from({ length: 8 }, () => tokens.mint(req)));
        assert.equal(new Set(issued.map((i) => i.accessToken)).size, 8);
        assert.equal(signer.stats.signatures - before.signatures, 8);
        assert.equal(signer.stats.batches - before.batches, 1);
      } finally {
        await signer.close();
      }
    });
  });
}
