/**
 * @module test/adversarial/claim-shape
 * The claim-shape rules of docs/security.md ("Claim shape": catalogue A31, B35, B37, B41, B42) against real Easy
 * Auth fronts. They matter most when a front trusts an issuer other than Lanyard, so the hostile tokens are
 * signed by a real https OIDC issuer started here (test/adversarial/oidc-issuer.ts) whose issuer string names a
 * tenant (`https://127.0.0.1:<port>/<tenant GUID>`, the shape `tenantOfIssuer` recognises), and sent to a front
 * whose `openIdIssuer` is that issuer: the signature is good, only the shape of the token is wrong. Each refusal:
 * 401, `error="invalid_token"` with the reason in WWW-Authenticate, the reason in the audit row, and nothing at
 * the upstream. Lanyard's own tokens (client credentials and a 24 h managed-identity token) still pass at a front
 * trusting Lanyard.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import type { EasyAuthFront } from '../../src/easyauth/proxy.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { claimsOf } from './forge.ts';
import { type Adversary, openAdversary } from './harness.ts';
import { startOidcIssuer, type TestIssuer } from './oidc-issuer.ts';

const INVALID = { status: 401, error: 'invalid_token' } as const;
const TENANT = '7d3e2c1b-4a5f-4e6d-9c8b-0a1f2e3d4c5b';
// Easy Auth's skew, and the longest lifetime it then accepts: Entra's 24 h + 5 min back-dating, plus the skew.
const SKEW = 300;
const BOUND = 24 * 3600 + 300 + SKEW;

// The two store dialects run side by side (their worlds share nothing); tests within one run in order.
describe('claim shape at the Easy Auth front (A31, B35, B37, B41, B42)', { concurrency: true }, () => {
  for (const kind of STORE_KINDS) {
    describe(kind, { concurrency: 1 }, () => {
      let a: Adversary;
      let issuer: TestIssuer;
      let remote: EasyAuthFront;
      before(async () => {
        a = await openAdversary(kind);
        const ca = await ensureLocalCa({ dataDir: a.w.dataDir, envelope: a.w.runtime.envelope });
        issuer = await startOidcIssuer(ca, TENANT);
        issuer.addRsaKey('r1');
        remote = await a.w.front({
          globalValidation: { excludedPaths: ['/health'] },
          aad: { registration: { clientId: a.w.api.appId, openIdIssuer: issuer.issuer } },
        });
      });
      after(async () => {
        await a.cleanup();
        await issuer.close();
      });
      const now = () => Math.floor(Date.now() / 1000);
      const claims = (patch: Record<string, unknown> = {}) => {
        const t = now();
        const c: Record<string, unknown> = {
          aud: a.w.api.appId,
          iat: t - 300,
          nbf: t - 300,
          exp: t + 3600,
          oid: '3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4',
          sub: '3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4',
          tid: TENANT,
          roles: ['Reader'],
        };
        for (const [k, v] of Object.entries(patch)) {
          if (v === undefined) delete c[k];
          else c[k] = v;
        }
        return c;
      };
      const sent = (patch: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
        issuer.sign(claims(patch), issuer.keys[0], header);
      const refuse = async (
        patch: Record<string, unknown>,
        reason: string,
        header: Record<string, unknown> = {},
      ) => {
        try {
          return await a.refusedToken(sent(patch, header), { ...INVALID, reason }, remote);
        } catch (err) {
          (err as Error).message = `${JSON.stringify({ patch, header })}: ${(err as Error).message}`;
          throw err;
        }
      };
      const accept = async (patch: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
        a.accepted('/api/x', { headers: a.bearer(sent(patch, header)) }, remote);

      it('control: a well-shaped token from the foreign issuer is accepted', async () => {
        assert.equal(issuer.issuer.endsWith(`/${TENANT}`), true, 'the issuer string names a tenant');
        await accept();
      });

      it("control: Lanyard's own tokens pass at a front trusting Lanyard (client credentials, 24 h managed identity)", async () => {
        await a.accepted('/api/admin', { headers: a.bearer(await a.w.token()) });
        const mi = await a.w.miToken();
        const c = claimsOf(mi);
        assert.ok((c.exp as number) - (c.iat as number) >= 24 * 3600, 'a managed-identity token lives 24 h');
        assert.equal(typeof c.sub, 'string');
        await a.accepted('/api/x', { headers: a.bearer(mi) });
      });

      it('A31: a typ other than JWT or at+jwt → 401 typ_not_allowed; JWT, at+jwt, application/at+jwt, none → 200', async () => {
        for (const typ of ['id_token', 'dpop+jwt', 'logout+jwt', 'JOSE', '']) {
          const r = await refuse({}, 'typ_not_allowed', { typ });
          assert.match(r.headers['www-authenticate'] as string, /Send the access_token/);
        }
        for (const typ of ['JWT', 'at+jwt', 'application/at+jwt', 'AT+JWT', undefined])
          await accept({}, { typ });
      });

      it('B35: oid not a string, roles not an array of strings, sub not a string → 401 claim_malformed', async () => {
        for (const patch of [
          { oid: 12345 },
          { oid: ['3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4'] },
          { roles: 'Admin' },
          { roles: ['Reader', 7] },
          { roles: { 0: 'Admin' } },
          { sub: 42 },
        ]) {
          const r = await refuse(patch, 'claim_malformed');
          assert.match(r.headers['www-authenticate'] as string, /claim mapping/);
        }
        await accept({ roles: [] });
        await accept({ roles: undefined, oid: undefined });
      });

      it('B37: a lifetime past 24 h + skew → 401 lifetime_too_long; an iat older than that → 401 issued_too_long_ago', async () => {
        const t = now();
        await accept({ iat: t - 300, nbf: t - 300, exp: t - 300 + BOUND });
        const r = await refuse({ iat: t - 300, nbf: t - 300, exp: t - 300 + BOUND + 1 }, 'lifetime_too_long');
        assert.match(r.headers['www-authenticate'] as string, /24 h or less/);
        await refuse({ iat: t - 60, nbf: t - 60, exp: t + 365 * 86_400 }, 'lifetime_too_long');
        await refuse({ iat: undefined, nbf: t - 60, exp: t + 30 * 86_400 }, 'lifetime_too_long');
        // Lifetime at the bound, exp 10 s ago (within the skew, not yet "expired"): the iat is too old.
        const iat = t - BOUND - 10;
        await refuse({ iat, nbf: iat, exp: iat + BOUND }, 'issued_too_long_ago');
      });

      it('B41: no sub → 401 subject_missing', async () => {
        const r = await refuse({ sub: undefined }, 'subject_missing');
        assert.match(r.headers['www-authenticate'] as string, /always name their subject/);
        // The front names the foreign issuer it trusts.
        assert.ok(
          (r.headers['www-authenticate'] as string).includes(
            `This app trusts ${issuer.issuer} (registration.openIdIssuer)`,
          ),
        );
      });

      it('B42: no tid under an issuer that names a tenant → 401 tenant_missing; another tid → tenant_mismatch', async () => {
        const r = await refuse({ tid: undefined }, 'tenant_missing');
        assert.ok((r.headers['www-authenticate'] as string).includes("'tid'"));
        await refuse({ tid: randomUUID() }, 'tenant_mismatch');
      });

      it('every refusal above is in the audit log with its reason', async () => {
        const events = await a.w.runtime.audit.list({
          plane: 'easyauth',
          action: 'request.refuse',
          limit: 1000,
        });
        const reasons = new Set(events.map((e) => e.reason));
        for (const reason of [
          'typ_not_allowed',
          'claim_malformed',
          'lifetime_too_long',
          'issued_too_long_ago',
          'subject_missing',
          'tenant_missing',
        ]) {
          assert.ok(reasons.has(reason), `audit has ${reason}`);
        }
      });
    });
  }
});
