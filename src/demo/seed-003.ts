/**
 * @module demo/seed-003
 * Seed 003, "Securing your Azure Functions App with API Management", as it happens. ApimBackendFunction is
 * behind Easy Auth (its own registration); the gateway functions-apim has a system-assigned identity and the
 * seed's inbound policy (in examples/seeds/lanyard.yaml): `authentication-managed-identity` for the
 * function's registration, and the caller's subscription key removed.
 *  1. a caller with only a subscription key (curl) → 200; the function is handed the gateway's principal
 *     (Easy Auth's X-MS-CLIENT-PRINCIPAL-ID is the gateway identity's object id) and never sees the key;
 *  2. the same caller straight to the function, no token → Easy Auth refuses (401).
 */
import { runToEnd } from './processes.ts';
import { expectations, type StoryContext, type StoryResult, short } from './story.ts';
import { describeRefusal, principalFrom } from './words.ts';

export interface Seed003Setup {
  /** `https://functions-apim.localhost:<port>/functions/ApimBackendFunction`. */
  apiUrl: string;
  subscriptionKey: string;
  /** `https://apim-backend-function.localhost:<front port>/api/ApimBackendFunction`. */
  functionUrl: string;
  /** apim-backend-function's appId: the policy's resource. */
  appId: string;
  /** The gateway's system-assigned identity. */
  gateway: { principalId: string; clientId: string };
}

export interface CurlAnswer {
  status: number;
  wwwAuthenticate: string | undefined;
  body: string;
  error: string;
}

/** `curl -sS -i` as a user types it; the status line, WWW-Authenticate and the body. */
export async function curl(ctx: Pick<StoryContext, 'env' | 'caPath'>, args: string[]): Promise<CurlAnswer> {
  const run = await runToEnd('curl', ['-sS', '-i', '--cacert', ctx.caPath, ...args], {
    env: ctx.env,
    timeoutMs: 15_000,
  });
  const [head = '', ...rest] = run.stdout.split(/\r?\n\r?\n/);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1] ?? 0),
    wwwAuthenticate: /^www-authenticate: (.*)$/im.exec(head)?.[1]?.trim(),
    body: rest.join('\n\n'),
    error: run.stderr.trim(),
  };
}

export async function runSeed003(ctx: StoryContext, setup: Seed003Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  say('Seed 003 — API Management calls a function behind Easy Auth with the gateway’s own identity');
  say(
    '  (the API’s inbound policy as the seed writes it, in examples/seeds/lanyard.yaml; the caller is curl with a subscription key)',
  );

  // 1. Only a subscription key: the gateway adds its own token and removes the key.
  const through = await curl(ctx, [
    setup.apiUrl,
    '-H',
    `Ocp-Apim-Subscription-Key: ${setup.subscriptionKey}`,
  ]);
  const principal = principalFrom(through.body);
  const sawKey = (() => {
    try {
      return (JSON.parse(through.body) as { subscriptionKey?: unknown }).subscriptionKey === true;
    } catch {
      return undefined;
    }
  })();
  let told: string;
  if (!through.status) told = `curl failed: ${through.error}`;
  else if (through.status !== 200) told = `${through.status} ${through.body.trim().slice(0, 200)}`;
  else if (!principal) told = '200 OK, but the function saw no principal';
  else {
    const who =
      principal.id === setup.gateway.principalId
        ? 'functions-apim’s system-assigned identity'
        : 'not the gateway’s identity';
    told = `200 OK; ApimBackendFunction saw principal ${principal.id} (${who}, aud ${short(principal.aud)}) and ${sawKey ? 'the subscription key' : 'no subscription key'}`;
  }
  say(`Seed 003: curl with only the subscription key, through the gateway → ${told}`);
  expect.check(through.status === 200, `through the gateway the call got ${through.status || 'no answer'}`);
  expect.check(
    principal?.id === setup.gateway.principalId && principal.aud === setup.appId,
    'the function was not handed the gateway identity’s principal',
  );
  expect.check(sawKey === false, 'the subscription key reached the function');

  // 2. Straight to the function: Easy Auth wants a token.
  const direct = await curl(ctx, [setup.functionUrl]);
  say(
    `Seed 003: curl straight to ApimBackendFunction, no token → ${direct.status ? `Easy Auth refused: ${describeRefusal(direct.status, direct.wwwAuthenticate)}` : `curl failed: ${direct.error}`}`,
  );
  expect.check(direct.status === 401, `the direct call got ${direct.status || 'no answer'}, not 401`);
  return expect.result();
}
