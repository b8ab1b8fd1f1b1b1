/**
 * @module demo/seed-002
 * Seed 002, "Calling API Management from Azure Function using Managed Identities", as it happens. The function
 * app's caller (examples/seeds/apps/apim-client.mjs) runs under `lanyard run --as apim-client-function` and
 * gets a token with the app's *user-assigned* identity — `@azure/identity` `ManagedIdentityCredential({
 * clientId })`, unmodified — for the API's registration, then calls the API through the gateway with the token
 * and its subscription key. The API's policy is the seed's `validate-jwt` as written
 * (in examples/seeds/lanyard.yaml):
 *  1. the identity assigned the role API.Call → 200 from the API's backend;
 *  2. a token for another audience (Resource Manager) → 401 with the seed's message;
 *  3. no subscription key → 401, API Management's "missing subscription key";
 *  4. the role removed (`lanyard role unassign`) and a new token, which has no `roles` → 401;
 *  5. the role restored, as the manifest declares it.
 */
import path from 'node:path';
import { APPS_DIR, runToEnd } from './processes.ts';
import { ARM } from './seed-000.ts';
import { expectations, lanyard, lanyardRunArgv, type StoryContext, type StoryResult } from './story.ts';

export const ROLE_ARGS_002 = [
  '--principal',
  'identity:apim-caller',
  '--app',
  'apim-protected-api',
  '--role',
  'API.Call',
];
/** The seed's failed-validation-error-message. */
export const SEED_002_MESSAGE = 'Unauthorized. Access token is missing or invalid.';
export const MISSING_KEY_MESSAGE =
  'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';

/** Running endpoints notice a directory change within a second (their version check). */
const DIRECTORY_SETTLE_MS = 1_100;

export interface Seed002Setup {
  /** `https://contoso-apim.localhost:<port>/protected/ProtectedApi`. */
  apiUrl: string;
  /** The subscription's primary key. */
  subscriptionKey: string;
  /** apim-protected-api's appId (the policy's {{clientID}}). */
  appId: string;
  /** The user-assigned identity apim-caller. */
  identity: { clientId: string; principalId: string };
}

/** One run of apim-client.mjs: what it printed. */
export interface ApimClientRun {
  outcome?: 'called' | 'no_token' | 'call_failed';
  status?: number;
  body?: unknown;
  aud?: string;
  iss?: string;
  appid?: string;
  oid?: string;
  roles?: string[];
  message?: string;
}

/** Runs examples/seeds/apps/apim-client.mjs once under `lanyard run --as apim-client-function`. */
export async function runApimClient(
  ctx: Pick<StoryContext, 'env'>,
  o: { url: string; key: string; target: string; clientId: string },
): Promise<ApimClientRun> {
  const [cmd, ...args] = [...lanyardRunArgv('apim-client-function'), process.execPath];
  const run = await runToEnd(cmd!, [...args, path.join(APPS_DIR, 'apim-client.mjs')], {
    env: { ...ctx.env, APIM_URL: o.url, APIM_KEY: o.key, TARGET_APP: o.target, MI_CLIENT_ID: o.clientId },
    timeoutMs: 30_000,
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as ApimClientRun;
  } catch {
    const why = (run.stderr || run.stdout).trim().split('\n').slice(-2).join(' ') || `exit code ${run.code}`;
    return { outcome: 'call_failed', message: why };
  }
}

/** What the gateway answered, in words. */
export function toldApim(run: ApimClientRun): string {
  if (run.outcome === 'no_token') return `no token: ${run.message?.split('\n')[0]}`;
  if (run.outcome !== 'called') return `the call failed: ${run.message}`;
  const message = (run.body as { message?: unknown } | undefined)?.message;
  if (run.status !== 200) return `${run.status} "${typeof message === 'string' ? message : ''}"`;
  const fn = (run.body as { function?: unknown } | undefined)?.function;
  return `200 OK from ${typeof fn === 'string' ? fn : 'the backend'}`;
}

const messageOf = (run: ApimClientRun) => (run.body as { message?: unknown } | undefined)?.message;

export async function runSeed002(ctx: StoryContext, setup: Seed002Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const call = (target: string, key = setup.subscriptionKey) =>
    runApimClient(ctx, { url: setup.apiUrl, key, target, clientId: setup.identity.clientId });
  say('Seed 002 — a function calls an API through API Management with its user-assigned identity');
  say(
    '  (examples/seeds/apps/apim-client.mjs under lanyard run --as apim-client-function: ManagedIdentityCredential({ clientId }) of apim-caller;',
  );
  say('   the API’s policy is the seed’s validate-jwt, in examples/seeds/lanyard.yaml)');

  // 1–3 at once: three processes, each with its own token.
  const [ok, arm, noKey] = await Promise.all([call(setup.appId), call(ARM), call(setup.appId, '')]);
  say(
    `Seed 002: role API.Call assigned, a token for ${setup.appId} and the subscription key → ${toldApim(ok)}${ok.status === 200 ? ` (validate-jwt accepted iss ${ok.iss}, roles [${(ok.roles ?? []).join(', ')}])` : ''}`,
  );
  expect.check(ok.status === 200, `with the role, the call got ${ok.status ?? ok.message}, not 200`);
  expect.check(
    ok.oid === setup.identity.principalId && ok.appid === setup.identity.clientId,
    'the token was not the user-assigned identity’s',
  );
  say(`Seed 002: a token for Azure Resource Manager (${ARM}) instead → ${toldApim(arm)}`);
  expect.check(
    arm.status === 401 && messageOf(arm) === SEED_002_MESSAGE,
    `a token for another audience got ${arm.status ?? arm.message}, not 401 with the seed's message`,
  );
  say(`Seed 002: the same call without Ocp-Apim-Subscription-Key → ${toldApim(noKey)}`);
  expect.check(
    noKey.status === 401 && messageOf(noKey) === MISSING_KEY_MESSAGE,
    `without a key the call got ${noKey.status ?? noKey.message}, not API Management's 401`,
  );

  // 4. The role removed: a new token has no roles claim, and required-claims refuses it.
  const unassign = await lanyard(ctx, ['role', 'unassign', ...ROLE_ARGS_002]);
  say(
    `Seed 002: lanyard role unassign ${ROLE_ARGS_002.join(' ')} → ${unassign.code === 0 ? 'removed' : `failed: ${unassign.stderr.trim()}`}`,
  );
  expect.check(unassign.code === 0, 'lanyard role unassign failed');
  await new Promise((r) => setTimeout(r, DIRECTORY_SETTLE_MS));
  const none = await call(setup.appId);
  say(
    `Seed 002: the function restarted and got a new token, ${(none.roles ?? []).length ? `roles [${none.roles!.join(', ')}]` : 'with no roles claim'} → ${toldApim(none)}`,
  );
  expect.check(
    none.status === 401 && messageOf(none) === SEED_002_MESSAGE && (none.roles ?? []).length === 0,
    `without the role the call got ${none.status ?? none.message}, not 401 with the seed's message`,
  );

  // 5. Restored, as the manifest declares it.
  const assign = await lanyard(ctx, ['role', 'assign', ...ROLE_ARGS_002, '-o', 'json']);
  say(
    `Seed 002: lanyard role assign ${ROLE_ARGS_002.join(' ')} → ${assign.code === 0 ? 'restored, as the manifest declares it' : `failed: ${assign.stderr.trim()}`}`,
  );
  expect.check(assign.code === 0, 'lanyard role assign failed');
  return expect.result();
}
