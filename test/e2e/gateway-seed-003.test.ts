/**
 * @module test/e2e/gateway-seed-003.test
 * Seed 003 end to end, with the binaries a user has: `lanyard up` serves the seed manifest's gateway
 * functions-apim (system-assigned identity) and the Easy Auth front of apim-backend-function; the example
 * function app (ApimBackendFunction) runs behind that front. The API's inbound policy is the seed's as written
 * (examples/seeds/lanyard.yaml: `<base />`, `authentication-managed-identity` for the function's
 * registration with `ignore-error="false"`, the subscription key deleted).
 *  - curl with only a subscription key, through the gateway → 200: the function is handed the gateway's
 *    principal (Easy Auth's X-MS-CLIENT-PRINCIPAL-ID is the gateway identity's object id, the token for the
 *    function's appId) and never sees the key;
 *  - a caller's own Authorization is replaced by the gateway's token;
 *  - curl straight to the function, no token → Easy Auth's 401, nothing reaches the function;
 *  - a wrong key → API Management's 401 invalid-key answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChildHandle, runToEnd } from '../../src/demo/processes.ts';
import { inputOf, putGateway, showGateway, showSubscriptionKeys } from '../../src/gateway/store.ts';
import { tempDir } from '../helpers/stores.ts';
import { withRuntime } from '../identity/cli.ts';
import {
  applySeed,
  env,
  setFrontUpstream,
  sleep,
  startFunction,
  startUp,
  stopChildren,
} from './seed-helpers.ts';

/** The function's registration, pinned by the seed manifest: the policy's resource. */
const FUNCTION_APP_ID = '081f37ac-fcb0-4002-b7c3-71eb055daf76';

interface Echo {
  function: string;
  path: string;
  subscriptionKey: boolean;
  principal: { id: string; idp: string; appid: string; oid: string; aud: string; roles: string[] } | null;
}

describe('seed 003 through API Management: the gateway’s own identity calls a function behind Easy Auth', () => {
  const dataDir = tempDir('lanyard-e2e-gw003-');
  const children: ChildHandle[] = [];
  let fn: ChildHandle;
  let gatewayUrl: string;
  let frontUrl: string;
  let caPath: string;
  let key: string;
  let gatewayIdentity: { clientId: string; principalId: string };

  const calls = () => fn.lines.filter((l) => l.startsWith('ApimBackendFunction: ')).length;
  const curl = async (url: string, headers: string[] = []) => {
    const run = await runToEnd(
      'curl',
      ['-sS', '-i', '--cacert', caPath, url, ...headers.flatMap((h) => ['-H', h])],
      { env: env(dataDir), timeoutMs: 15_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const [head = '', ...rest] = run.stdout.split('\r\n\r\n');
    return {
      status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]),
      head,
      body: rest.join('\r\n\r\n'),
    };
  };

  before(async () => {
    await applySeed(dataDir);
    let port: string;
    ({ fn, port } = await startFunction(dataDir, 'ApimBackendFunction', children));
    await setFrontUpstream(dataDir, 'apim-backend-function', port);
    const up = startUp(dataDir, children);
    frontUrl = (
      await up.waitForLine(
        /easy auth apim-backend-function: (https:\/\/apim-backend-function\.localhost:\d+) /,
      )
    )[1]!;
    gatewayUrl = (
      await up.waitForLine(/gateway functions-apim {2}(https:\/\/functions-apim\.localhost:\d+)$/)
    )[1]!;
    caPath = (await up.waitForLine(/CA certificate: (\S+)/))[1]!;
    // The API's service URL is the function's front (the manifest says https://apim-backend-function
    // .azurewebsites.net/api, as in Azure): written while the gateway runs, it recompiles within a second.
    ({ key, gatewayIdentity } = await withRuntime(dataDir, async (r) => {
      const input = inputOf(await showGateway(r.directory, 'contoso', 'functions-apim'));
      await putGateway(r.directory, 'contoso', 'functions-apim', {
        ...input,
        apis: input.apis.map((a) => ({
          ...a,
          serviceUrl: `https://127.0.0.1:${new URL(frontUrl).port}/api`,
        })),
      });
      const keys = await showSubscriptionKeys(r.directory, 'contoso', 'functions-apim', 'caller');
      const mi = (await r.directory.getResource('contoso', 'functions-apim')).systemAssignedIdentity!;
      return {
        key: keys.primaryKey,
        gatewayIdentity: { clientId: mi.clientId, principalId: mi.principalId },
      };
    }));
    // Served once the running gateway has compiled the change (the change feed, about a second).
    const since = Date.now();
    while (Date.now() - since < 10_000) {
      const res = await curl(`${gatewayUrl}/functions/ApimBackendFunction`, [
        `Ocp-Apim-Subscription-Key: ${key}`,
      ]);
      if (res.status === 200) break;
      await sleep(200);
    }
  });

  after(() => stopChildren(children, dataDir));

  it('a caller with only a subscription key reaches the function, which sees the gateway’s principal and no key', async () => {
    const res = await curl(`${gatewayUrl}/functions/ApimBackendFunction`, [
      `Ocp-Apim-Subscription-Key: ${key}`,
    ]);
    assert.equal(res.status, 200, res.head + res.body);
    const echo = JSON.parse(res.body) as Echo;
    assert.equal(echo.function, 'ApimBackendFunction');
    assert.equal(echo.path, '/api/ApimBackendFunction');
    assert.ok(echo.principal, 'Easy Auth handed the function a principal');
    // X-MS-CLIENT-PRINCIPAL-ID: the gateway's system-assigned identity's object id.
    assert.equal(echo.principal.id, gatewayIdentity.principalId);
    assert.equal(echo.principal.oid, gatewayIdentity.principalId);
    assert.equal(echo.principal.appid, gatewayIdentity.clientId);
    assert.equal(echo.principal.idp, 'aad');
    assert.equal(echo.principal.aud, FUNCTION_APP_ID, 'the token is for the policy’s resource');
    assert.equal(echo.subscriptionKey, false, 'set-header exists-action="delete" removed the key');
    await fn.waitForLine(
      new RegExp(
        `^ApimBackendFunction: GET /api/ApimBackendFunction from principal ${gatewayIdentity.principalId} `,
      ),
    );
  });

  it('a caller’s own Authorization header is replaced by the gateway’s token', async () => {
    const res = await curl(`${gatewayUrl}/functions/ApimBackendFunction`, [
      `Ocp-Apim-Subscription-Key: ${key}`,
      'Authorization: Bearer not-a-token',
    ]);
    assert.equal(res.status, 200, res.head + res.body);
    assert.equal((JSON.parse(res.body) as Echo).principal?.id, gatewayIdentity.principalId);
  });

  it('straight to the function with no token: Easy Auth’s 401, and nothing reaches the function', async () => {
    const before = calls();
    const res = await curl(`${frontUrl}/api/ApimBackendFunction`);
    assert.equal(res.status, 401);
    assert.match(
      res.head,
      /^www-authenticate: Bearer realm="apim-backend-function\.localhost", error_description="token_missing: /im,
    );
    await sleep(100);
    assert.equal(calls(), before);
  });

  it('a wrong key: API Management’s 401 invalid-key answer, and nothing reaches the function', async () => {
    const before = calls();
    const res = await curl(`${gatewayUrl}/functions/ApimBackendFunction`, [
      'Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef',
    ]);
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.body), {
      statusCode: 401,
      message:
        'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
    });
    await sleep(100);
    assert.equal(calls(), before);
  });
});
