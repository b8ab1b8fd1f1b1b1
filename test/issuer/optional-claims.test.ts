/**
 * @module test/issuer/optional-claims
 * Optional claims as Entra emits them, through real token requests on both store dialects: the *resource* app's
 * `optionalClaims.accessToken` decides `idtyp` (and a GUID `aud` in v1 with `use_guid`); a change to the app
 * reaches the very next token (the issuer's cache follows the directory version); `idp` is in v1 tokens only;
 * Microsoft's own resources carry what Entra's tokens for them carry. Names Lanyard cannot emit are refused
 * with ERR_VALIDATION, a hint listing the names it can, and the app left as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { expectIssued, postForm, type Seed, seedDirectory, verifyViaDiscovery } from './helpers.ts';

for (const kind of STORE_KINDS) {
  describe(`optional claims in access tokens (${kind})`, () => {
    let t: TestServer;
    let s: Seed;
    let v1Path: string;
    let v2Path: string;

    before(async () => {
      t = await startTestServer(kind);
      s = await seedDirectory(t.runtime);
      v1Path = `/${s.tenantId}/oauth2/token`;
      v2Path = `/${s.tenantId}/oauth2/v2.0/token`;
    });
    after(() => t?.cleanup());

    /** A token for `scope` from the v2 endpoint, verified, with the version the resource accepts. */
    const token = async (scope: string, version: 1 | 2) => {
      const r = await expectIssued(t, () =>
        postForm(t, v2Path, {
          grant_type: 'client_credentials',
          client_id: s.client.appId,
          client_secret: s.client.secret,
          scope,
        }),
      );
      return (await verifyViaDiscovery(t, r.json.access_token, s.tenantId, version)).payload;
    };

    /** Runs `op` and returns the LanyardError it must throw. */
    const refusal = async (op: () => Promise<unknown>) => {
      try {
        await op();
      } catch (err) {
        assert.ok(isLanyardError(err), `a LanyardError, got ${String(err)}`);
        return err;
      }
      assert.fail('the operation was not refused');
    };

    it('an app that asks for nothing: no idtyp; v1 carries idp = iss, v2 no idp', async () => {
      const v1 = await token('api://orders/.default', 1);
      assert.equal(v1.idtyp, undefined);
      assert.equal(v1.idp, `https://sts.windows.net/${s.tenantId}/`);
      assert.equal(v1.idp, v1.iss);
      const v2 = await token('api://billing/.default', 2);
      assert.equal(v2.idtyp, undefined);
      assert.equal(v2.idp, undefined);
      assert.equal(v2.xms_tcdt, undefined);
    });

    it('an app that asks for idtyp gets idtyp "app", shown in Entra\'s shape', async () => {
      const app = await t.runtime.directory.createApp('contoso', {
        name: 'typed',
        identifierUris: ['api://typed'],
        optionalClaims: { accessToken: [{ name: 'idtyp' }] },
      });
      assert.deepEqual(app.optionalClaims, {
        accessToken: [{ name: 'idtyp', source: null, essential: false, additionalProperties: [] }],
        idToken: [],
        saml2Token: [],
      });
      const c = await token('api://typed/.default', 1);
      assert.equal(c.idtyp, 'app');
      assert.equal(c.idp, c.iss);
      assert.equal(c.aud, 'api://typed', 'aud stays as requested without use_guid');
    });

    it('an update reaches the next token: idtyp on, then off, for a v2 app', async () => {
      const d = t.runtime.directory;
      await d.updateApp('contoso', 'billing', {
        optionalClaims: {
          accessToken: [{ name: 'idtyp', source: null, essential: false, additionalProperties: [] }],
        },
      });
      assert.equal((await token('api://billing/.default', 2)).idtyp, 'app');
      await d.updateApp('contoso', 'billing', { optionalClaims: null });
      const off = await token('api://billing/.default', 2);
      assert.equal(off.idtyp, undefined);
      assert.deepEqual((await d.getApp('contoso', 'billing')).optionalClaims.accessToken, []);
    });

    it('aud with use_guid: v1 tokens carry the appId as aud, on either endpoint', async () => {
      const app = await t.runtime.directory.createApp('contoso', {
        name: 'guid-aud',
        identifierUris: ['api://guid-aud'],
        optionalClaims: { accessToken: [{ name: 'aud', additionalProperties: ['use_guid'] }] },
      });
      const fromV2 = await token('api://guid-aud/.default', 1);
      assert.equal(fromV2.aud, app.appId);
      assert.equal(fromV2.ver, '1.0');
      const fromV1 = await expectIssued(t, () =>
        postForm(t, v1Path, {
          grant_type: 'client_credentials',
          client_id: s.client.appId,
          client_secret: s.client.secret,
          resource: 'api://guid-aud',
        }),
      );
      const c = (await verifyViaDiscovery(t, fromV1.json.access_token, s.tenantId, 1)).payload;
      assert.equal(c.aud, app.appId);
      assert.equal(c.idtyp, undefined, 'asking for aud does not bring idtyp');
    });

    it("Microsoft's resources: Resource Manager and Graph carry idtyp and xms_tcdt, Key Vault neither", async () => {
      const tenant = await t.runtime.directory.getTenant('contoso');
      const created = Math.floor(Date.parse(tenant.createdAt) / 1000);
      for (const scope of ['https://management.azure.com/.default', 'https://graph.microsoft.com/.default']) {
        const c = await token(scope, 1);
        assert.equal(c.idtyp, 'app', scope);
        assert.equal(c.xms_tcdt, created, `${scope}: the tenant's creation time, in seconds`);
        assert.equal(c.idp, c.iss, scope);
      }
      const vault = await token('https://vault.azure.net/.default', 1);
      assert.equal(vault.idtyp, undefined);
      assert.equal(vault.xms_tcdt, undefined);
      const arm = await t.runtime.directory.getApp('contoso', 'azure-resource-manager');
      assert.deepEqual(
        arm.optionalClaims.accessToken.map((c) => c.name),
        ['idtyp', 'xms_tcdt'],
      );
    });

    it('a claim Lanyard cannot emit is refused with ERR_VALIDATION and a hint; the app is unchanged', async () => {
      const d = t.runtime.directory;
      const unknown = await refusal(() =>
        d.createApp('contoso', {
          name: 'wants-email',
          optionalClaims: { accessToken: [{ name: 'email' }] },
        }),
      );
      assert.equal(unknown.code, 'ERR_VALIDATION');
      assert.match(unknown.message, /does not emit the optional claim "email"/);
      assert.match(unknown.hint ?? '', /idtyp/);
      assert.deepEqual(unknown.details, { claim: 'email', field: 'name' });
      assert.equal(
        (await d.listApps('contoso')).some((a) => a.name === 'wants-email'),
        false,
        'nothing was created',
      );

      const cases: [unknown, RegExp, string][] = [
        [{ accessToken: [{ name: 'xms_tcdt' }] }, /only in tokens for some Microsoft resources/, 'name'],
        [
          { accessToken: [{ name: 'idtyp', additionalProperties: ['use_guid'] }] },
          /no additional property/,
          'additionalProperties',
        ],
        [{ accessToken: [{ name: 'idtyp', source: 'user' }] }, /source "user"/, 'source'],
        [{ accessToken: [{ name: 'idtyp' }, { name: 'idtyp' }] }, /listed twice/, 'name'],
        [{ accessToken: [{ name: 'constructor' }] }, /does not emit/, 'name'],
      ];
      for (const [optionalClaims, message, field] of cases) {
        const err = await refusal(() =>
          d.updateApp('contoso', 'orders', { optionalClaims } as Parameters<typeof d.updateApp>[2]),
        );
        assert.equal(err.code, 'ERR_VALIDATION', JSON.stringify(optionalClaims));
        assert.match(err.message, message);
        assert.equal(err.details?.field, field);
      }
      const idToken = await refusal(() =>
        d.updateApp('contoso', 'orders', { optionalClaims: { idToken: [{ name: 'upn' }] } }),
      );
      assert.equal(idToken.code, 'ERR_VALIDATION');
      assert.match(idToken.message, /access tokens only/);
      const tooMany = await refusal(() =>
        d.updateApp('contoso', 'orders', {
          optionalClaims: { accessToken: Array.from({ length: 21 }, () => ({ name: 'idtyp' })) },
        }),
      );
      assert.equal(tooMany.code, 'ERR_VALIDATION', 'the list is bounded before it is read');
      assert.deepEqual((await d.getApp('contoso', 'orders')).optionalClaims.accessToken, []);
      assert.equal((await token('api://orders/.default', 1)).idtyp, undefined);
    });

    it('the admin API takes optionalClaims and answers a refusal as a 400 ERR_VALIDATION with the hint', async () => {
      const ok = await t.call('PATCH', '/admin/tenants/contoso/apps/orders', {
        body: { optionalClaims: { accessToken: [{ name: 'idtyp' }] } },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json.optionalClaims.accessToken, [
        { name: 'idtyp', source: null, essential: false, additionalProperties: [] },
      ]);
      assert.equal((await token('api://orders/.default', 1)).idtyp, 'app');
      const bad = await t.call('PATCH', '/admin/tenants/contoso/apps/orders', {
        body: { optionalClaims: { accessToken: [{ name: 'groups' }] } },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.code, 'ERR_VALIDATION');
      assert.match(bad.json.error.hint, /idtyp, aud/);
      const back = await t.call('PATCH', '/admin/tenants/contoso/apps/orders', {
        body: { optionalClaims: { accessToken: [] } },
      });
      assert.equal(back.status, 200);
      assert.equal((await token('api://orders/.default', 1)).idtyp, undefined);
    });
  });
}
