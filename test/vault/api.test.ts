/**
 * Key Vault's secrets API on the main listener, over real HTTPS with tokens from Lanyard's issuer, on both
 * stores: the wire details clients depend on (the challenge before any body, percent-encoded query keys, ids
 * and nextLinks on the request's own origin, 204 on purge, Key Vault's envelopes), token refusals (audience,
 * another tenant), Azure RBAC as Key Vault applies it (Reader sees metadata only, an Owner reads no value,
 * a role on one secret reaches that secret only), input bounds, and the audit of every read and refusal without
 * the value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { assignRole } from '../../src/management/service.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import { clientToken } from '../management/tokens.ts';

const V = 'api-version=7.4';

for (const kind of STORE_KINDS) {
  describe(`key vault secrets API (${kind})`, () => {
    let t: TestServer;
    let tenantId: string;
    let host: string;
    const tokens: Record<string, string> = {};

    const kv = (
      method: string,
      path: string,
      o: {
        token?: string | null;
        body?: unknown;
        rawBody?: string;
        headers?: Record<string, string>;
        vault?: string;
      } = {},
    ) =>
      t.call(method, path, {
        token: o.token === undefined ? tokens.officer! : o.token,
        headers: { host: `${o.vault ?? 'kv1'}.vault.localhost:${t.server.port}`, ...o.headers },
        ...(o.body === undefined ? {} : { body: o.body }),
        ...(o.rawBody === undefined ? {} : { rawBody: o.rawBody }),
      });

    before(async () => {
      t = await startTestServer(kind);
      const d = t.runtime.directory;
      tenantId = (await d.createTenant({ name: 'contoso' })).id;
      await d.createTenant({ name: 'fabrikam' });
      host = `kv1.vault.localhost:${t.server.port}`;
      await d.createResource('contoso', { name: 'kv1', kind: 'vault' });
      const make = async (tenant: string, name: string, role?: string, scope = 'resource:kv1') => {
        const app = await d.createApp(tenant, { name });
        const secret = await d.addClientSecret(tenant, name, {});
        if (role) await assignRole(d, tenant, { principal: `app:${name}`, role, scope });
        const tid = (await d.getTenant(tenant)).id;
        tokens[name] = await clientToken(
          t,
          tid,
          { appId: app.appId, secret: secret.secretText },
          'https://vault.localhost/.default',
        );
        return { appId: app.appId, secret: secret.secretText, tid };
      };
      await make('contoso', 'officer', 'Key Vault Secrets Officer');
      await make('contoso', 'reader', 'Key Vault Reader');
      await make('contoso', 'owner', 'Owner');
      await make('contoso', 'nobody');
      await make('fabrikam', 'outsider');
      // A token for Resource Manager: the wrong audience.
      const arm = await d.createApp('contoso', { name: 'arm-caller' });
      const armSecret = await d.addClientSecret('contoso', 'arm-caller', {});
      tokens.arm = await clientToken(
        t,
        tenantId,
        { appId: arm.appId, secret: armSecret.secretText },
        'https://management.azure.com/.default',
      );
      // A token for https://vault.azure.net works at a .vault.localhost vault too: both name Key Vault here.
      tokens.azureAudience = await clientToken(
        t,
        tenantId,
        { appId: arm.appId, secret: armSecret.secretText },
        'https://vault.azure.net/.default',
      );
      await assignRole(d, 'contoso', {
        principal: 'app:arm-caller',
        role: 'Key Vault Secrets User',
        scope: 'resource:kv1',
      });
      const r = await kv('PUT', `/secrets/db-password?${V}`, { body: { value: 'hunter2-top-secret' } });
      assert.equal(r.status, 200, r.text);
    });
    after(async () => t?.cleanup());

    it('answers a request without a token with the challenge, before reading a body', async () => {
      // The SDK's first request: a PUT whose body it has removed, no Authorization.
      const r = await kv('PUT', `/secrets/x?api%2Dversion=7.4`, { token: null });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'Unauthorized');
      assert.equal(r.json.error.message, 'AKV10000: Request is missing a Bearer or PoP token.');
      assert.equal(
        r.headers['www-authenticate'],
        `Bearer authorization="https://localhost:${t.server.port}/${tenantId}", resource="https://vault.localhost"`,
      );
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.ok(r.headers['x-ms-request-id']);
      // An invalid body does not change that: the token is decided first.
      const withBody = await kv('PUT', `/secrets/x?${V}`, { token: null, rawBody: '{not json' });
      assert.equal(withBody.status, 401);
      // Under Azure's names the challenge is Azure's.
      const azure = await t.call('GET', `/secrets/x?${V}`, {
        token: null,
        headers: { host: 'kv1.vault.azure.net' },
      });
      assert.equal(
        azure.headers['www-authenticate'],
        `Bearer authorization="https://login.windows.net/${tenantId}", resource="https://vault.azure.net"`,
      );
    });

    it('requires an api-version, and decodes a percent-encoded query key', async () => {
      const none = await kv('GET', '/secrets/db-password');
      assert.equal(none.status, 400);
      assert.equal(none.json.error.code, 'BadParameter');
      const encoded = await kv('GET', '/secrets/db-password/?api%2Dversion=2026-04-01');
      assert.equal(encoded.status, 200);
      assert.equal(encoded.json.value, 'hunter2-top-secret');
      const bogus = await kv('GET', '/secrets/db-password?api-version=latest');
      assert.equal(bogus.status, 400);
    });

    it('refuses tokens for another audience or from another tenant, saying which', async () => {
      const wrongAud = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.arm! });
      assert.equal(wrongAud.status, 401);
      assert.match(
        wrongAud.json.error.message,
        /^AKV10022: Invalid audience\. Expected https:\/\/vault\.localhost, found: https:\/\/management\.azure\.com/,
      );
      assert.match(String(wrongAud.headers['www-authenticate']), /resource="https:\/\/vault\.localhost"/);
      assert.match(String(wrongAud.headers['x-lanyard-hint']), /vault\.localhost\/\.default/);
      const outsider = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.outsider! });
      assert.equal(outsider.status, 401);
      assert.match(
        outsider.json.error.message,
        new RegExp(`^AKV10032: Invalid issuer\\. Expected one of https://sts\\.windows\\.net/${tenantId}/`),
      );
      const azureAud = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.azureAudience! });
      assert.equal(azureAud.status, 200);
    });

    it('builds ids and nextLinks on the origin the client addressed', async () => {
      for (let i = 0; i < 5; i++) await kv('PUT', `/secrets/page-${i}?${V}`, { body: { value: `v${i}` } });
      const first = await kv('GET', `/secrets?${V}&maxresults=2`);
      assert.equal(first.status, 200);
      assert.equal(first.json.value.length, 2);
      assert.ok(
        first.json.value.every(
          (s: { id: string; value?: string }) =>
            s.id.startsWith(`https://${host}/secrets/`) && s.value === undefined,
        ),
      );
      assert.match(
        first.json.nextLink,
        new RegExp(`^https://${host}/secrets\\?api-version=7\\.4&\\$skiptoken=[A-Za-z0-9_-]+&maxresults=2$`),
      );
      const seen = new Set<string>(first.json.value.map((s: { id: string }) => s.id));
      let next: string | null = first.json.nextLink;
      while (next) {
        const u = new URL(next);
        const page = await kv('GET', `${u.pathname}${u.search}`);
        assert.equal(page.status, 200);
        for (const s of page.json.value) {
          assert.ok(!seen.has(s.id), 'no item twice');
          seen.add(s.id);
        }
        next = page.json.nextLink;
      }
      assert.equal(seen.size, 6);
      // Through another name for the same listener, the ids follow.
      const viaAzure = await t.call('GET', `/secrets/db-password?${V}`, {
        token: tokens.officer!,
        headers: { host: 'kv1.vault.azure.net' },
      });
      assert.match(
        viaAzure.json.id,
        /^https:\/\/kv1\.vault\.azure\.net\/secrets\/db-password\/[0-9a-f]{32}$/,
      );
      const tooMany = await kv('GET', `/secrets?${V}&maxresults=26`);
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.json.error.code, 'BadParameter');
    });

    it('purges with 204 and no body; deleted-secret errors are Key Vault’s', async () => {
      await kv('PUT', `/secrets/temp?${V}`, { body: { value: 'x' } });
      const del = await kv('DELETE', `/secrets/temp?${V}`);
      assert.equal(del.status, 200);
      assert.equal(del.json.recoveryId, `https://${host}/deletedsecrets/temp`);
      const again = await kv('PUT', `/secrets/temp?${V}`, { body: { value: 'y' } });
      assert.equal(again.status, 409);
      assert.equal(again.json.error.innererror.code, 'ObjectIsDeletedButRecoverable');
      const purge = await kv('DELETE', `/deletedsecrets/temp?${V}`);
      assert.equal(purge.status, 204);
      assert.equal(purge.text, '');
      const gone = await kv('GET', `/deletedsecrets/temp?${V}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.code, 'SecretNotFound');
      assert.equal(gone.json.error.message, 'Deleted Secret not found: temp');
    });

    it('applies Azure RBAC data actions: Reader sees metadata only; an Owner reads no value', async () => {
      const list = await kv('GET', `/secrets?${V}`, { token: tokens.reader! });
      assert.equal(list.status, 200);
      assert.ok(list.json.value.length > 0);
      const read = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.reader! });
      assert.equal(read.status, 403);
      assert.equal(read.json.error.code, 'Forbidden');
      assert.equal(read.json.error.innererror.code, 'ForbiddenByRbac');
      assert.match(
        read.json.error.message,
        /Action: 'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'/,
      );
      assert.match(read.json.error.message, /Assignment: \(not found\)/);
      assert.doesNotMatch(read.text, /hunter2/);
      const owner = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.owner! });
      assert.equal(owner.status, 403, 'actions "*" is not a data action');
      const nobodyList = await kv('GET', `/secrets?${V}`, { token: tokens.nobody! });
      assert.equal(nobodyList.status, 403);
      assert.match(nobodyList.json.error.message, /readMetadata/);
      const userSet = await kv('PUT', `/secrets/db-password?${V}`, {
        token: tokens.azureAudience!,
        body: { value: 'nope' },
      });
      assert.equal(userSet.status, 403, 'Secrets User cannot set');
    });

    it('lets a role on one secret reach that secret only', async () => {
      const d = t.runtime.directory;
      await kv('PUT', `/secrets/shared?${V}`, { body: { value: 'for nobody' } });
      const resource = await d.getResource('contoso', 'kv1');
      await assignRole(d, 'contoso', {
        principal: 'app:nobody',
        role: 'Key Vault Secrets User',
        scope: `${resource.resourceId}/secrets/shared`,
      });
      const mine = await kv('GET', `/secrets/shared?${V}`, { token: tokens.nobody! });
      assert.equal(mine.status, 200);
      assert.equal(mine.json.value, 'for nobody');
      const other = await kv('GET', `/secrets/db-password?${V}`, { token: tokens.nobody! });
      assert.equal(other.status, 403);
    });

    it('bounds names, values and paths', async () => {
      const longName = await kv('PUT', `/secrets/${'a'.repeat(128)}?${V}`, { body: { value: 'x' } });
      assert.equal(longName.status, 400);
      const badChar = await kv('PUT', `/secrets/a_b?${V}`, { body: { value: 'x' } });
      assert.equal(badChar.status, 400);
      const dotdot = await kv('GET', `/secrets/..%2fother?${V}`);
      assert.equal(dotdot.status, 400);
      const big = await kv('PUT', `/secrets/big?${V}`, { body: { value: 'x'.repeat(26 * 1024) } });
      assert.equal(big.status, 413);
      const noValue = await kv('PUT', `/secrets/novalue?${V}`, { body: { contentType: 'x' } });
      assert.equal(noValue.status, 400);
      const valueUpdate = await kv('PATCH', `/secrets/db-password/?${V}`, { body: { value: 'changed' } });
      assert.equal(valueUpdate.status, 400);
      const unknownVault = await kv('GET', `/secrets/x?${V}`, { vault: 'nosuchvault' });
      assert.equal(unknownVault.status, 404);
      assert.equal(unknownVault.json.error.code, 'VaultNotFound');
    });

    it('audits every read and refusal, never with the value', async () => {
      const events = await t.runtime.audit.list({ plane: 'vault', limit: 1000 });
      const gets = events.filter((e) => e.action === 'secret.get');
      assert.ok(gets.some((e) => e.outcome === 'success' && e.target?.startsWith('kv1/db-password/')));
      assert.ok(gets.some((e) => e.outcome === 'failure' && e.reason === 'ForbiddenByRbac'));
      assert.ok(events.some((e) => e.action === 'secret.set' && e.outcome === 'success'));
      assert.ok(events.some((e) => e.action === 'secret.purge' && e.outcome === 'success'));
      assert.doesNotMatch(JSON.stringify(events), /hunter2|for nobody/);
      assert.doesNotMatch(t.logs.join('\n'), /hunter2|for nobody/);
    });

    it('fails closed when the audit log cannot record a read: 503, and no value', async () => {
      const db = t.runtime.store.db;
      await sql`alter table audit_events rename to audit_events_away`.execute(db);
      try {
        const r = await kv('GET', `/secrets/db-password?${V}`);
        assert.equal(r.status, 503);
        assert.equal(r.json.error.code, 'ServiceUnavailable');
        assert.doesNotMatch(r.text, /hunter2/);
      } finally {
        await sql`alter table audit_events_away rename to audit_events`.execute(db);
      }
      const back = await kv('GET', `/secrets/db-password?${V}`);
      assert.equal(back.status, 200);
    });
  });
}
