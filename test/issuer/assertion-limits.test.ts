/**
 * The longest client-assertion lifetimes are settings (LANYARD_ASSERTION_MAX_SECONDS,
 * LANYARD_FEDERATED_ASSERTION_MAX_SECONDS): parsed strictly, and applied by the token endpoint.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import {
  assertionLimitsFromEnv,
  JWT_BEARER,
  MAX_CERTIFICATE_ASSERTION_SECONDS,
  MAX_FEDERATED_ASSERTION_SECONDS,
} from '../../src/issuer/client-auth.ts';
import { startTestServer, type TestServer } from '../host/harness.ts';
import {
  expectIssued,
  expectRefusal,
  postForm,
  type RsaCredential,
  rsaCredential,
  type Seed,
  seedDirectory,
} from './helpers.ts';

// Read by the issuer's routes when the server below starts.
process.env.LANYARD_ASSERTION_MAX_SECONDS = '300';

describe('assertion lifetime settings', () => {
  it('default to an hour (certificate) and a day (federated); accept 60 s to a week; refuse anything else', () => {
    assert.deepEqual(assertionLimitsFromEnv({}), {
      certificateSeconds: MAX_CERTIFICATE_ASSERTION_SECONDS,
      federatedSeconds: MAX_FEDERATED_ASSERTION_SECONDS,
    });
    assert.deepEqual(
      assertionLimitsFromEnv({
        LANYARD_ASSERTION_MAX_SECONDS: '600',
        LANYARD_FEDERATED_ASSERTION_MAX_SECONDS: '7200',
      }),
      { certificateSeconds: 600, federatedSeconds: 7200 },
    );
    for (const bad of ['59', '604801', '1.5', 'ten', '-1']) {
      assert.throws(
        () => assertionLimitsFromEnv({ LANYARD_FEDERATED_ASSERTION_MAX_SECONDS: bad }),
        (err: Error & { code?: string }) =>
          err.code === 'ERR_VALIDATION' && err.message.includes('LANYARD_FEDERATED_ASSERTION_MAX_SECONDS'),
      );
    }
  });

  describe('at the token endpoint, with LANYARD_ASSERTION_MAX_SECONDS=300', () => {
    let t: TestServer;
    let s: Seed;
    let cred: RsaCredential;
    let path: string;
    before(async () => {
      t = await startTestServer('sqlite');
      s = await seedDirectory(t.runtime);
      cred = await rsaCredential('caller certificate');
      await t.runtime.directory.addCertificate('contoso', 'caller', { certificate: cred.cert.certPem });
      path = `/${s.tenantId}/oauth2/v2.0/token`;
    });
    after(() => t?.cleanup());

    const assertion = (lifetime: number) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cred.cert.thumbprints.sha256B64url })
        .setIssuer(s.client.appId)
        .setSubject(s.client.appId)
        .setAudience(`${t.server.url}${path}`)
        .setNotBefore(now - 10)
        .setIssuedAt(now - 10)
        .setExpirationTime(now - 10 + lifetime)
        .sign(cred.key);
    };
    const send = (a: string) =>
      postForm(t, path, {
        grant_type: 'client_credentials',
        client_id: s.client.appId,
        scope: 'api://orders/.default',
        client_assertion_type: JWT_BEARER,
        client_assertion: a,
      });

    it('accepts an assertion within the bound and refuses MSAL’s 10 minutes with AADSTS700024', async () => {
      await expectIssued(t, async () => send(await assertion(300)));
      const long = await assertion(600);
      await expectRefusal(t, () => send(long), {
        status: 401,
        error: 'invalid_client',
        code: 700024,
        secret: long,
        mentions: ['600 s', '300 s allowed'],
      });
    });
  });
});
