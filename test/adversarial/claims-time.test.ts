/**
 * @module test/adversarial/claims-time
 * Catalogue B of docs/security.md ("Adversarial test catalogue") (claims and time) against a real Easy Auth front. Tokens are signed with the
 * runtime's current key and carry times relative to the test's clock (the front allows 5 minutes of skew, as
 * Azure's Easy Auth does), so every boundary is exact. Each refusal: 401, `error="invalid_token"` with the
 * reason, and nothing at the upstream.
 *
 * Catalogue B cases not tested here, and why:
 * - B34/B36 use a 60 s skew; Easy Auth (Azure's and ours) allows 300 s, so the boundaries are moved to ±300 s.
 *   The 60 s boundaries are tested on the validator in test/validator/validator.test.ts.
 * - B37 second half (a lifetime or an `iat` age beyond the longest Entra issues, 24 h): claim-shape.test.ts.
 * - B40 `singleAudience=true`: no such option in Easy Auth (RFC 7519 "any of the audiences" applies).
 * - B41 (no `sub`): claim-shape.test.ts (Entra access tokens carry no `client_id`, so only `sub` is required).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORE_KINDS } from '../helpers/stores.ts';
import { type Adversary, openAdversary } from './harness.ts';

const INVALID = { status: 401, error: 'invalid_token' } as const;

// The two store dialects run side by side (their worlds share nothing); tests within one run in order.
describe('catalogue B: claims and time at the Easy Auth front', { concurrency: true }, () => {
  for (const kind of STORE_KINDS) {
    describe(kind, { concurrency: 1 }, () => {
      let a: Adversary;
      let v1: string;
      let v2: string;
      before(async () => {
        a = await openAdversary(kind);
        v1 = a.w.runtime.issuers.v1(a.w.tenant.id);
        v2 = a.w.runtime.issuers.v2(a.w.tenant.id);
      });
      after(() => a.cleanup());
      const now = () => Math.floor(Date.now() / 1000);
      const refuse = async (patch: Record<string, unknown>, reason: string) => {
        try {
          return await a.refusedToken(await a.forge(patch), { ...INVALID, reason });
        } catch (err) {
          (err as Error).message = `${JSON.stringify(patch)}: ${(err as Error).message}`;
          throw err;
        }
      };
      const accept = async (patch: Record<string, unknown>) =>
        a.accepted('/api/admin', { headers: a.bearer(await a.forge(patch)) });

      it('B33: exp absent → 401 expiration_missing', async () => {
        await refuse({ exp: undefined }, 'expiration_missing');
      });

      it('B34: expired beyond the 300 s skew → 401; at the boundary → 401; within it → 200', async () => {
        const r = await refuse({ exp: now() - 301 }, 'expired');
        assert.match(r.headers['www-authenticate'] as string, /renew 5 minutes before expiry/);
        await refuse({ exp: now() - 300 }, 'expired');
        await refuse({ exp: 0 }, 'expired');
        await refuse({ exp: -1 }, 'expired');
        await accept({ exp: now() - 30 });
      });

      it('B35: exp as a string, 1e400 (Infinity), null, an array, a boolean → 401', async () => {
        for (const exp of ['9999999999', null, [now() + 600], true, { n: 1 }]) {
          await refuse({ exp }, 'token_malformed');
        }
        const inf = await a.forgeRaw(
          (kid) => JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }),
          JSON.stringify(a.claims()).replace(/"exp":\d+/, '"exp":1e400'),
        );
        await a.refusedToken(inf, { ...INVALID, reason: 'token_malformed' });
        for (const name of ['nbf', 'iat']) await refuse({ [name]: String(now()) }, 'token_malformed');
      });

      it('B36: nbf beyond the skew → 401; within → 200', async () => {
        await refuse({ nbf: now() + 400 }, 'not_yet_valid');
        await refuse({ nbf: now() + 86_400 }, 'not_yet_valid');
        await accept({ nbf: now() + 30 });
        await accept({ nbf: undefined });
      });

      it('B37: iat in the future beyond the skew → 401; within → 200', async () => {
        await refuse({ iat: now() + 7200 }, 'issued_in_future');
        await accept({ iat: now() + 60 });
      });

      it('B38: a server clock 10 minutes behind the issuer sees tokens from the future → 401, no crash', async () => {
        const ahead = now() + 600;
        await refuse({ iat: ahead, nbf: ahead, exp: ahead + 3600 }, 'not_yet_valid');
        await refuse({ iat: ahead, nbf: undefined, exp: ahead + 3600 }, 'issued_in_future');
      });

      it('B39: iss with a slash more or less, other case, prefix, suffix, array, null, another tenant → 401', async () => {
        for (const iss of [
          `${v1}/`,
          v1.slice(0, -1),
          v1.toUpperCase(),
          v1.replace('https://', 'http://'),
          'https://sts.windows.net/',
          `${v1}evil`,
          `https://evil.example/${a.w.tenant.id}/`,
          `${v2}/`,
          ['evil', v1],
          [v1],
          null,
          123,
          `https://sts.windows.net/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/`,
          'https://sts.windows.net/{tenantid}/',
        ]) {
          const r = await refuse({ iss }, 'issuer_mismatch');
          assert.match(
            r.headers['www-authenticate'] as string,
            /This app trusts https:\/\/sts\.windows\.net\//,
          );
        }
      });

      it('B40: aud wrong, empty, [] or an array without ours → 401; an array with ours → 200', async () => {
        for (const aud of [
          'api://other',
          '',
          [],
          ['api://other'],
          [null],
          a.w.api.appId.toUpperCase(),
          null,
          7,
        ]) {
          await refuse({ aud }, 'audience_mismatch');
        }
        await accept({ aud: ['api://other', a.w.api.appId] });
      });

      it('audience_mismatch for a real managed-identity token for Resource Manager names ARM and the appId', async () => {
        const token = await a.w.miToken('https://management.core.windows.net/');
        const r = await a.refusedToken(token, { ...INVALID, reason: 'audience_mismatch' });
        const www = r.headers['www-authenticate'] as string;
        assert.match(www, /The token is for 'https:\/\/management\.core\.windows\.net\/', not for this app/);
        assert.match(www, /That is a token for Azure Resource Manager/);
        assert.ok(www.includes(`Request a token for ${a.w.api.appId} instead`), www);
        assert.ok(www.includes(`resource=${a.w.api.appId}`), www);
      });

      it('B42: tid other than the tenant of iss, or not a GUID → 401 tenant_mismatch', async () => {
        for (const tid of [
          '11111111-2222-4333-8444-555555555555',
          'contoso',
          a.w.tenant.id.toUpperCase(),
          5,
        ]) {
          await refuse({ tid }, 'tenant_mismatch');
        }
      });

      it('claims the front never trusts: a forged roles/oid/scp cannot be added to a genuine token', async () => {
        // Genuine signature, then a claim appended: the signature no longer covers the payload.
        const token = await a.forge();
        const [h, p, s] = token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
        const tampered = Buffer.from(JSON.stringify({ ...claims, roles: ['Admin'] })).toString('base64url');
        await a.refusedToken(`${h}.${tampered}.${s}`, { ...INVALID, reason: 'signature_invalid' });
      });
    });
  }
});
