/**
 * @module test/management/tokens
 * A client-credentials token from the test server's issuer, for the Resource Manager and Graph tests.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../host/harness.ts';
import { postForm } from '../issuer/helpers.ts';

export async function clientToken(
  t: TestServer,
  tenantId: string,
  app: { appId: string; secret: string },
  scope: string,
): Promise<string> {
  const r = await postForm(t, `/${tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials',
    client_id: app.appId,
    client_secret: app.secret,
    scope,
  });
  assert.equal(r.status, 200, r.text);
  return r.json.access_token as string;
}
