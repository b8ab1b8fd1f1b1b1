/**
 * @module test/e2e/gateway-seed-002.test
 * Seed 002 end to end through the gateway, with the binaries a user has: `lanyard up` serves the seed
 * manifest's gateway contoso-apim, whose API policy is the seed's `validate-jwt` as written
 * (in examples/seeds/lanyard.yaml: named values tenantID, clientID, roleId; its openid-config names
 * login.microsoftonline.com, fetched from Lanyard's issuer). The caller, examples/seeds/apps/apim-client.mjs,
 * runs under `lanyard run --as apim-client-function` with `@azure/identity`
 * `ManagedIdentityCredential({ clientId })` of the app's user-assigned identity and calls the gateway with the
 * token and `Ocp-Apim-Subscription-Key`; the API's backend is the example function app (ProtectedApi).
 *  - role API.Call assigned → 200 from the backend; the token is v1 (`iss` https://sts.windows.net/{tid}/, as
 *    managed-identity tokens are in Azure), for the registration's appId, with the role;
 *  - a token for another audience → 401 with the seed's message, nothing reaches the backend;
 *  - no subscription key → API Management's 401 "missing subscription key";
 *  - the role removed and a new token (no `roles`) → 401 with the seed's message; restored → 200.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChildHandle } from '../../src/demo/processes.ts';
import { type ApimClientRun, runApimClient } from '../../src/demo/seed-002.ts';
import { inputOf, putGateway, showGateway, showSubscriptionKeys } from '../../src/gateway/store.ts';
import { tempDir } from '../helpers/stores.ts';
import { withRuntime } from '../identity/cli.ts';
import { applySeed, env, lanyard, sleep, startFunction, startUp, stopChildren } from './seed-helpers.ts';

/** What the seed manifest pins: the tenant (the policy's tenantID) and the API registration's appId (clientID). */
const TENANT_ID = '7db9058d-daff-4163-b923-542830604db3';
const API_APP_ID = '571dea0e-c3ca-46b9-bc3d-23f890ecd0a8';
const ARM = 'https://management.core.windows.net/';
const SEED_MESSAGE = 'Unauthorized. Access token is missing or invalid.';
const ROLE = ['--principal', 'identity:apim-caller', '--app', 'apim-protected-api', '--role', 'API.Call'];

describe('seed 002 through API Management: a function calls the API with its user-assigned identity', () => {
  const dataDir = tempDir('lanyard-e2e-gw002-');
  const children: ChildHandle[] = [];
  let backend: ChildHandle;
  let apiUrl: string;
  let key: string;
  let identity: { clientId: string; principalId: string };

  const calls = () => backend.lines.filter((l) => l.startsWith('ProtectedApi: ')).length;
  const call = (target: string, withKey = true): Promise<ApimClientRun> =>
    runApimClient(
      { env: env(dataDir) },
      { url: apiUrl, key: withKey ? key : '', target, clientId: identity.clientId },
    );

  before(async () => {
    await applySeed(dataDir);
    const { fn, port } = await startFunction(dataDir, 'ProtectedApi', children);
    backend = fn;
    // The API's backend on this test's free port (the manifest says 7074, as `func start` would).
    ({ key, identity } = await withRuntime(dataDir, async (r) => {
      const input = inputOf(await showGateway(r.directory, 'contoso', 'contoso-apim'));
      await putGateway(r.directory, 'contoso', 'contoso-apim', {
        ...input,
        apis: input.apis.map((a) => ({ ...a, serviceUrl: `http://127.0.0.1:${port}/api` })),
      });
      const keys = await showSubscriptionKeys(r.directory, 'contoso', 'contoso-apim', 'apim-client-function');
      const mi = await r.directory.getIdentity('contoso', 'apim-caller');
      return { key: keys.primaryKey, identity: { clientId: mi.clientId, principalId: mi.principalId } };
    }));
    const up = startUp(dataDir, children);
    const gateway = (
      await up.waitForLine(/gateway contoso-apim {2}(https:\/\/contoso-apim\.localhost:\d+)$/)
    )[1]!;
    await up.waitForLine(/Press Ctrl\+C to stop\./);
    apiUrl = `${gateway}/protected/ProtectedApi`;
  });

  after(() => stopChildren(children, dataDir));

  it('with role API.Call assigned, the seed’s validate-jwt accepts the v1 token and the backend answers 200', async () => {
    const run = await call(API_APP_ID);
    assert.equal(run.outcome, 'called', JSON.stringify(run));
    assert.equal(run.status, 200, JSON.stringify(run));
    const body = run.body as { function: string; path: string; subscriptionKey: boolean };
    assert.equal(body.function, 'ProtectedApi');
    assert.equal(body.path, '/api/ProtectedApi');
    // The token the seed's policy checked: v1, as Azure's managed-identity tokens are.
    assert.equal(run.iss, `https://sts.windows.net/${TENANT_ID}/`);
    assert.equal(run.aud, API_APP_ID);
    assert.deepEqual(run.roles, ['API.Call']);
    assert.equal(run.appid, identity.clientId, 'the user-assigned identity’s token');
    assert.equal(run.oid, identity.principalId);
    await backend.waitForLine(/^ProtectedApi: GET \/api\/ProtectedApi from an anonymous caller$/);
  });

  it('a token for another audience gets 401 with the seed’s message, and nothing reaches the backend', async () => {
    const before = calls();
    const run = await call(ARM);
    assert.equal(run.aud, ARM, 'issued, as Azure does: the gateway refuses it');
    assert.equal(run.status, 401, JSON.stringify(run));
    assert.deepEqual(run.body, { statusCode: 401, message: SEED_MESSAGE });
    await sleep(100);
    assert.equal(calls(), before);
  });

  it('no subscription key: API Management’s 401 missing-key answer', async () => {
    const run = await call(API_APP_ID, false);
    assert.equal(run.status, 401, JSON.stringify(run));
    assert.deepEqual(run.body, {
      statusCode: 401,
      message:
        'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    });
  });

  it('the role removed: a new token has no roles claim and gets 401 with the seed’s message; restored: 200', async () => {
    const removed = await lanyard(dataDir, ['role', 'unassign', ...ROLE]);
    assert.equal(removed.code, 0, removed.stderr);
    await sleep(1_200);
    const before = calls();
    const run = await call(API_APP_ID);
    assert.equal(run.outcome, 'called', JSON.stringify(run));
    assert.equal(run.aud, API_APP_ID, 'a token is still issued: the API does not require an assignment');
    assert.deepEqual(run.roles, []);
    assert.equal(run.status, 401, JSON.stringify(run));
    assert.deepEqual(run.body, { statusCode: 401, message: SEED_MESSAGE });
    await sleep(100);
    assert.equal(calls(), before, 'nothing reached the backend');

    const added = await lanyard(dataDir, ['role', 'assign', ...ROLE]);
    assert.equal(added.code, 0, added.stderr);
    await sleep(1_200);
    const again = await call(API_APP_ID);
    assert.equal(again.status, 200, JSON.stringify(again));
    assert.deepEqual(again.roles, ['API.Call']);
  });
});
