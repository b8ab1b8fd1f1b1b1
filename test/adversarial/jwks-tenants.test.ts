/**
 * @module test/adversarial/jwks-tenants
 * Catalogue C of docs/security.md ("Adversarial test catalogue") (JWKS, discovery and tenants) against real Easy Auth fronts: one bound to
 * Lanyard's own tenant (in-process keys, shared by every tenant of the directory, so tenant binding is what
 * keeps tenant B out), one for `common`, one with allowedAudiences, and fronts whose `openIdIssuer` is a real
 * https OIDC issuer started here (test/adversarial/oidc-issuer.ts), which can publish hostile key sets, EC
 * keys, or go down. Also the catalogue-A cases that need such an issuer (A14, A15, A21 per-key algorithm,
 * A22) and E85 (keys unreachable while anonymous paths exist). Every refusal: status, `error="invalid_token"`
 * with the reason, and nothing at the upstream.
 *
 * Catalogue C cases not tested here, and why:
 * - C44 (a 10-minute unknown-kid flood) and C46 (outage after the 1 h cache expiry): too slow at the front's
 *   fixed 30 s cooldown / 1 h cache; DiscoveryKeySource is tested with short cooldown/cache values in
 *   test/validator/key-sources.test.ts (flood ≤ ceil(t/cooldown)+1 fetches, last-known-good through 500/404).
 *   Here: a 1 s flood against the front makes at most one fetch.
 * - C45 for a foreign issuer needs the 30 s cooldown to pass (tested with a short one in test/validator);
 *   rotation of Lanyard's own keys is tested here.
 * - C47–C49 whole-set cases (private members, 10 000 keys, 10 MB, redirect) are DiscoveryKeySource behaviour,
 *   tested in test/validator/key-sources.test.ts; here the front refuses tokens for such keys.
 * - C50 "the gateway reports unhealthy": the front loads keys lazily, so a bad discovery document shows as
 *   401 key_unknown on every token (tested), not as a start-up failure.
 * - C52 tenant allowlist: Easy Auth has no allowlist (`WEBSITE_AUTH_AAD_ALLOWED_TENANTS` is not implemented);
 *   `common` accepts every tenant of the directory, as configured. The validator's `allowedTenants` is tested
 *   in test/validator.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import type { EasyAuthFront } from '../../src/easyauth/proxy.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { attackerRsa, b64u, signature, signJwt } from './forge.ts';
import { type Adversary, openAdversary } from './harness.ts';
import { startOidcIssuer, type TestIssuer } from './oidc-issuer.ts';

const INVALID = { status: 401, error: 'invalid_token' } as const;

// The two store dialects run side by side (their worlds share nothing); tests within one run in order.
describe('catalogue C: keys, discovery and tenants at the Easy Auth front', { concurrency: true }, () => {
  for (const kind of STORE_KINDS) {
    describe(kind, { concurrency: 1 }, () => {
      let a: Adversary;
      let issuer: TestIssuer;
      let remote: EasyAuthFront;
      let tenantB: { id: string };
      before(async () => {
        a = await openAdversary(kind);
        const ca = await ensureLocalCa({ dataDir: a.w.dataDir, envelope: a.w.runtime.envelope });
        issuer = await startOidcIssuer(ca);
        issuer.addRsaKey('r1');
        issuer.addEcKey('e1');
        issuer.extraJwks = [
          { kty: 'oct', k: Buffer.from('shared-secret').toString('base64url'), kid: 'oct1', alg: 'HS256' },
          { ...attackerRsa(1024).jwk, kid: 'rsa1024', use: 'sig', alg: 'RS256' },
        ];
        remote = await a.w.front({
          globalValidation: { excludedPaths: ['/health'] },
          aad: { registration: { clientId: a.w.api.appId, openIdIssuer: issuer.issuer } },
        });
        tenantB = await a.w.runtime.directory.createTenant({
          name: 'fabrikam',
          domains: ['fabrikam.example'],
        });
      });
      after(async () => {
        await a.cleanup();
        await issuer.close();
      });
      const now = () => Math.floor(Date.now() / 1000);
      const remoteClaims = (patch: Record<string, unknown> = {}) => ({
        aud: a.w.api.appId,
        iat: now() - 60,
        nbf: now() - 60,
        exp: now() + 600,
        oid: randomUUID(),
        sub: 'caller',
        ...patch,
      });

      it('control: the foreign issuer RS256 and ES256 tokens are accepted', async () => {
        await a.accepted('/api/x', { headers: a.bearer(issuer.sign(remoteClaims())) }, remote);
        await a.accepted(
          '/api/x',
          { headers: a.bearer(issuer.sign(remoteClaims(), issuer.keys[1])) },
          remote,
        );
      });

      it('C43: 50 concurrent requests with random kids → all 401 key_unknown, at most one JWKS fetch', async () => {
        const before = issuer.jwksCount();
        const seen = a.seenCount();
        const evil = attackerRsa();
        const replies = await Promise.all(
          Array.from({ length: 50 }, () =>
            a.w.call(remote, '/api/x', {
              headers: a.bearer(
                signJwt({ alg: 'RS256', kid: randomUUID() }, remoteClaims(), evil.privateKey),
              ),
            }),
          ),
        );
        assert.deepEqual([...new Set(replies.map((r) => r.status))], [401]);
        assert.ok(replies.every((r) => (r.headers['www-authenticate'] as string).includes('key_unknown')));
        assert.ok(issuer.jwksCount() - before <= 1, `${issuer.jwksCount() - before} JWKS fetches`);
        // Kept up for a while: still at most one fetch (the cooldown is 30 s).
        const until = Date.now() + 500;
        while (Date.now() < until) {
          await Promise.all(
            Array.from({ length: 10 }, () =>
              a.w.call(remote, '/api/x', {
                headers: a.bearer(
                  signJwt({ alg: 'RS256', kid: randomUUID() }, remoteClaims(), evil.privateKey),
                ),
              }),
            ),
          );
        }
        assert.ok(issuer.jwksCount() - before <= 1, `${issuer.jwksCount() - before} JWKS fetches`);
        assert.equal(a.seenCount(), seen);
      });

      it('A14–A15: ES256 with a zero signature (P1363 and DER) or a DER-encoded real signature → 401', async () => {
        const ec = issuer.keys.find((k) => k.kid === 'e1')!;
        const h = b64u({ alg: 'ES256', typ: 'JWT', kid: 'e1' });
        const p = b64u({ iss: issuer.issuer, ...remoteClaims() });
        const bad = { ...INVALID, reason: 'signature_invalid' };
        await a.refusedToken(`${h}.${p}.${b64u(Buffer.alloc(64))}`, bad, remote);
        await a.refusedToken(`${h}.${p}.${b64u(Buffer.from('3006020100020100', 'hex'))}`, bad, remote);
        const der = signature('ES256', `${h}.${p}`, ec.privateKey, true);
        await a.refusedToken(`${h}.${p}.${b64u(der)}`, bad, remote);
        // The same claims with the P1363 signature pass: only the signature form differs.
        const good = signature('ES256', `${h}.${p}`, ec.privateKey);
        await a.accepted('/api/x', { headers: a.bearer(`${h}.${p}.${b64u(good)}`) }, remote);
      });

      it('A21: PS256 or RS384 with the RS256 key, RS256 with the EC key → 401 alg_not_allowed (the key decides)', async () => {
        const rsa = issuer.keys.find((k) => k.kid === 'r1')!;
        const ec = issuer.keys.find((k) => k.kid === 'e1')!;
        const claims = { iss: issuer.issuer, ...remoteClaims() };
        const no = { ...INVALID, reason: 'alg_not_allowed' };
        await a.refusedToken(signJwt({ alg: 'PS256', kid: 'r1' }, claims, rsa.privateKey), no, remote);
        await a.refusedToken(signJwt({ alg: 'RS384', kid: 'r1' }, claims, rsa.privateKey), no, remote);
        await a.refusedToken(signJwt({ alg: 'RS256', kid: 'e1' }, claims, rsa.privateKey), no, remote);
        await a.refusedToken(signJwt({ alg: 'ES256', kid: 'r1' }, claims, ec.privateKey), no, remote);
      });

      it('A22, C47: keys the JWKS must not yield — HS256 with the published oct key, RSA-1024 → 401', async () => {
        const claims = { iss: issuer.issuer, ...remoteClaims() };
        await a.refusedToken(
          signJwt({ alg: 'HS256', kid: 'oct1' }, claims, Buffer.from('shared-secret')),
          { ...INVALID, reason: 'alg_not_allowed' },
          remote,
        );
        await a.refusedToken(
          signJwt({ alg: 'RS256', kid: 'oct1' }, claims, attackerRsa().privateKey),
          { ...INVALID, reason: 'key_unknown' },
          remote,
        );
        const small = attackerRsa(1024);
        await a.refusedToken(
          signJwt({ alg: 'RS256', kid: 'rsa1024' }, claims, small.privateKey),
          { ...INVALID, reason: 'key_unknown' },
          remote,
        );
      });

      it('C50: a discovery document naming another issuer, or a JWKS on another host → every token 401', async () => {
        for (const override of [
          { issuer: `${issuer.issuer}-other` },
          { jwks_uri: `https://localhost:${new URL(issuer.origin).port}/tenant-x/keys` },
          { jwks_uri: `http://127.0.0.1:${new URL(issuer.origin).port}/tenant-x/keys` },
        ]) {
          // A fresh front: keys are read when the first token arrives.
          issuer.discoveryOverride = override;
          const front = await a.w.front({
            aad: { registration: { clientId: a.w.api.appId, openIdIssuer: issuer.issuer } },
          });
          const before = issuer.jwksCount();
          await a.refusedToken(issuer.sign(remoteClaims()), { ...INVALID, reason: 'key_unknown' }, front);
          assert.equal(issuer.jwksCount(), before, `${JSON.stringify(override)}: the JWKS was not fetched`);
          await front.close();
        }
        issuer.discoveryOverride = {};
      });

      it('E85: keys unreachable → protected paths 401 (never "pass"), excluded paths still anonymous', async () => {
        issuer.jwksMode = { kind: 'status', status: 503 };
        try {
          const front = await a.w.front({
            globalValidation: { excludedPaths: ['/health'] },
            aad: { registration: { clientId: a.w.api.appId, openIdIssuer: issuer.issuer } },
          });
          await a.refusedToken(issuer.sign(remoteClaims()), { ...INVALID, reason: 'key_unknown' }, front);
          await a.refused('/api/x', {}, { status: 401, reason: 'token_missing' }, front);
          const r = await a.accepted('/health', {}, front);
          assert.equal(JSON.parse(r.text).url, '/health');
          // AllowAnonymous: a token that cannot be checked is not a principal; the request goes on anonymously.
          const anon = await a.w.front({
            globalValidation: { unauthenticatedClientAction: 'AllowAnonymous' },
            aad: { registration: { clientId: a.w.api.appId, openIdIssuer: issuer.issuer } },
          });
          await a.accepted('/api/x', { headers: a.bearer(issuer.sign(remoteClaims())) }, anon);
          const seen = a.w.upstream.seen.at(-1)!;
          assert.ok(
            !seen.raw.some((h) => h.toLowerCase().startsWith('x-ms-client-principal')),
            'no principal',
          );
        } finally {
          issuer.jwksMode = { kind: 'keys' };
        }
      });

      it('C45: Lanyard rotates its key → a token signed with the new key is accepted at once', async () => {
        await a.accepted('/api/admin', { headers: a.bearer(await a.w.token()) });
        const rotated = await a.w.runtime.keys.rotate({ immediate: true });
        const token = await a.w.token();
        assert.ok(
          token.startsWith(
            b64u({ alg: 'RS256', typ: 'JWT', x5t: rotated.kid, kid: rotated.kid }).slice(0, 20),
          ),
        );
        await a.accepted('/api/admin', { headers: a.bearer(token) });
      });

      it('C51: a tenant-B token signed with the same shared key is refused by a tenant-A app', async () => {
        const issuers = a.w.runtime.issuers;
        // A genuine tenant-B token (tenant B's own app, from the token service).
        const appB = await a.w.runtime.directory.createApp(tenantB.id, { name: 'b-api' });
        const clientB = await a.w.runtime.directory.createApp(tenantB.id, { name: 'b-client' });
        const principal = (await a.w.runtime.directory.findClient(tenantB.id, clientB.appId))!;
        const tenant = (await a.w.runtime.directory.getTenant(tenantB.id))!;
        const issued = await a.w.runtime.tokens.mint({
          tenant,
          client: principal,
          requestedAs: appB.appId,
          acr: '1',
          via: 'test',
        });
        await a.refusedToken(issued.accessToken, { ...INVALID, reason: 'issuer_mismatch' });
        // Forged with the shared key for tenant A's app: still tenant B's issuer.
        for (const iss of [issuers.v1(tenantB.id), issuers.v2(tenantB.id)]) {
          await a.refusedToken(
            await a.forge({ iss, tid: tenantB.id, ver: iss.endsWith('v2.0') ? '2.0' : '1.0' }),
            {
              ...INVALID,
              reason: 'issuer_mismatch',
            },
          );
        }
        // Tenant A's issuer with tenant B's tid: the binding of tid to iss.
        await a.refusedToken(await a.forge({ tid: tenantB.id }), { ...INVALID, reason: 'tenant_mismatch' });
      });

      it('C52: `common` accepts the directory tenants as configured; a {tenantid} or unknown tenant issuer is 401', async () => {
        const common = await a.w.front({
          aad: {
            registration: {
              clientId: a.w.api.appId,
              openIdIssuer: 'https://login.microsoftonline.com/common/v2.0',
            },
          },
        });
        const issuers = a.w.runtime.issuers;
        await a.accepted('/api/x', { headers: a.bearer(await a.forge()) }, common);
        await a.accepted(
          '/api/x',
          { headers: a.bearer(await a.forge({ iss: issuers.v1(tenantB.id), tid: tenantB.id })) },
          common,
        );
        for (const iss of [
          'https://login.microsoftonline.com/{tenantid}/v2.0',
          issuers.v1(randomUUID()),
          issuers.v2('common'),
        ]) {
          await a.refusedToken(
            await a.forge({ iss, ver: iss.endsWith('v2.0') ? '2.0' : '1.0' }),
            { ...INVALID, reason: 'issuer_mismatch' },
            common,
          );
        }
        // Tenant binding still holds under common.
        await a.refusedToken(
          await a.forge({ iss: issuers.v1(tenantB.id), tid: a.w.tenant.id }),
          { ...INVALID, reason: 'tenant_mismatch' },
          common,
        );
      });

      it('C53: a v1 token for the App ID URI is refused until that URI is an allowed audience', async () => {
        const token = await a.w.token('api://protected-api');
        const r = await a.refusedToken(token, { ...INVALID, reason: 'audience_mismatch' });
        assert.match(
          r.headers['www-authenticate'] as string,
          /implicitly accepts only the bare clientId .* add 'api:\/\/protected-api' to .*allowedAudiences/,
        );
        const withUri = await a.w.front({
          aad: {
            registration: { clientId: a.w.api.appId },
            validation: { allowedAudiences: ['api://protected-api'] },
          },
        });
        await a.accepted('/api/x', { headers: a.bearer(token) }, withUri);
      });

      it('C54: ver 2.0 with the v1 issuer, or ver 1.0 with the v2 issuer → 401; matching pairs → 200', async () => {
        const { v1, v2 } = a.w.runtime.issuers;
        const tid = a.w.tenant.id;
        const clientId = a.w.caller.appId;
        await a.refusedToken(await a.forge({ iss: v1(tid), ver: '2.0' }), {
          ...INVALID,
          reason: 'issuer_mismatch',
        });
        await a.refusedToken(await a.forge({ iss: v2(tid), ver: '1.0', appid: undefined, azp: clientId }), {
          ...INVALID,
          reason: 'issuer_mismatch',
        });
        await a.accepted('/api/x', { headers: a.bearer(await a.forge({ iss: v1(tid), ver: '1.0' })) });
        await a.accepted('/api/x', {
          headers: a.bearer(await a.forge({ iss: v2(tid), ver: '2.0', appid: undefined, azp: clientId })),
        });
      });

      it('C55: a managed-identity token (v1, for the bare appId) is accepted with the v1 tuple', async () => {
        const token = await a.w.miToken();
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
        assert.equal(claims.iss, a.w.runtime.issuers.v1(a.w.tenant.id));
        assert.equal(claims.ver, '1.0');
        await a.accepted('/api/x', { headers: a.bearer(token) });
      });
    });
  }
});
