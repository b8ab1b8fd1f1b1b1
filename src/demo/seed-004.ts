/**
 * @module demo/seed-004
 * Seed 004, "Protecting Application Credentials when implementing Modular Azure Functions with Microsoft Flow",
 * as the seed draws it. The flow is the workflow vm-report-flow of the seed manifest
 * (examples/seeds/workflows/vm-report-flow.json): its button (a Request trigger) → `Get_Creds`, an Http action
 * with the workflow's managed identity to Get-Creds behind Easy Auth (examples/seeds/apps/get-creds.mjs,
 * `@azure/keyvault-secrets` SecretClient with ManagedIdentityCredential, under `lanyard run --as get-creds`),
 * which reads the application id, its secret and the subscription from the Key Vault flow-credentials →
 * `Get_VM_Status` with those credentials (examples/seeds/apps/get-vm-status.mjs signs in with them and lists the
 * subscription's resource groups and VMs) → `Response` with the VM list.
 *  1. The button pressed: a POST to the trigger's callback URL (from the admin API's listCallbackUrl), as the
 *     Flow app on a phone does → the VM list;
 *  2. the run's record (`GET …/workflows/vm-report-flow/runs/<run>`): Get_Creds' outputs and Get_VM_Status'
 *     inputs are left out (secureData), the values they held are masked wherever they recur, and the secret's
 *     text is nowhere in it;
 *  3. the better way the seed's author asks for, vm-report-flow-msi: Get_VM_Status called with nothing but the
 *     flow's token; Get-VM-Status signs in with its own managed identity (Reader on the subscription) → the same
 *     VM list, and a record with nothing secured or masked: no credential passed between the steps.
 * Then what Key Vault does when it should say no (Get-Creds called directly, on its own port):
 *  4. the same program as another identity (the flow's, which holds no role on the vault) → 403
 *     ForbiddenByRbac, naming the role and the `lanyard rbac assign` that grants it;
 *  5. a secret disabled → 403 SecretDisabled; enabled again;
 *  6. a secret deleted → 404 SecretNotFound; recovered (soft delete) → Get-Creds works again.
 */
import type { Directory } from '../directory/directory.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { MASK } from '../flows/masking.ts';
import { type ExampleApp, startExampleApp } from './apps.ts';
import type { AdminClient, HttpAnswer } from './flows.ts';
import { expectations, lanyardRunArgv, type StoryContext, type StoryResult } from './story.ts';

export interface Seed004Setup {
  /** `https://flow-credentials.vault.localhost:<port>`. */
  vaultUrl: string;
  /** The issuer and Resource Manager: the main listener's origin. */
  lanyardUrl: string;
  tenantId: string;
  /** vm-reporter's application id, its secret and the subscription id: what Get-Creds should hand back. */
  expected: { applicationId: string; secret: string; subscriptionId: string };
  /** The admin API and callback URLs over HTTPS. */
  admin: AdminClient;
  /** The tenant's name in admin API paths. */
  tenant: string;
  /** The two workflows: as the seed draws it, and the better way. */
  flows: { withCredentials: string; withIdentity: string };
  /** Get-Creds and Get-VM-Status, started by the demo. */
  getCreds: ExampleApp;
  getVmStatus: ExampleApp;
  /** Runs the vault changes of steps 4 and 5 (as `lanyard vault secret …` would). */
  vault: {
    setEnabled(name: string, enabled: boolean): Promise<void>;
    remove(name: string): Promise<void>;
    recover(name: string): Promise<void>;
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(url: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** The first line of a Key Vault message, and Lanyard's fix when it added one. */
function refusal(a: Answer): string {
  const message = String(a.body.message ?? '');
  const first = message.split(/\r?\n/)[0];
  const fix = /Lanyard: (.*)/.exec(message)?.[1];
  return `${a.status} ${String(a.body.error ?? '')}: ${first}${fix ? ` — ${fix}` : ''}`;
}

/** Starts Get-Creds (as get-creds) and Get-VM-Status (as get-vm-status) for the story. */
export async function startSeed004Apps(o: {
  env: NodeJS.ProcessEnv;
  vaultUrl: string;
  lanyardUrl: string;
  caPath: string;
  tenantId: string;
  freePorts: boolean;
}): Promise<{ getCreds: ExampleApp; getVmStatus: ExampleApp }> {
  const getCreds = await startExampleApp({
    name: 'Get-Creds',
    script: 'get-creds.mjs',
    port: o.freePorts ? 0 : 7077,
    env: { ...o.env, KEY_VAULT_URL: o.vaultUrl, AZURE_TENANT_ID: o.tenantId },
    wrap: lanyardRunArgv('get-creds'),
  });
  try {
    const getVmStatus = await startExampleApp({
      name: 'Get-VM-Status',
      script: 'get-vm-status.mjs',
      port: o.freePorts ? 0 : 7078,
      env: { ...o.env, LANYARD_URL: o.lanyardUrl },
      wrap: lanyardRunArgv('get-vm-status'),
    });
    return { getCreds, getVmStatus };
  } catch (err) {
    await getCreds.handle.stop();
    throw err;
  }
}

interface VmList {
  virtualMachines?: { name: string; powerState: string }[];
}

const vmsOf = (a: HttpAnswer) =>
  ((a.json as VmList | undefined)?.virtualMachines ?? [])
    .map((v) => `${v.name} (${v.powerState})`)
    .join(', ');

/** A workflow's answer, in words: the VM list, else the error. */
function flowAnswer(a: HttpAnswer): string {
  if (a.status === 200) return `200 OK: ${vmsOf(a) || 'no VMs'}`;
  const e = (a.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  return `${a.status}${e ? ` ${e.code}: ${e.message}` : ` ${a.text.slice(0, 200)}`}`;
}

interface RecordedAction {
  name: string;
  status: string;
  inputs?: unknown;
  outputs?: unknown;
  secured?: string[];
}

/** How Get-VM-Status signed in, as its answer in the record says (`credential`). */
function signedInWith(record: { actions?: RecordedAction[] }): string | undefined {
  const call = record.actions?.find((a) => a.name === 'Get_VM_Status');
  return (call?.outputs as { body?: { credential?: string } } | undefined)?.body?.credential;
}

/** What a run record hides: the parts left out, and how many values are masked. */
function hidden(record: { actions?: RecordedAction[] }, text: string) {
  const secured = (record.actions ?? []).flatMap((a) => (a.secured ?? []).map((part) => `${a.name} ${part}`));
  return { secured, masked: text.split(`"${MASK}"`).length - 1 };
}

export async function runSeed004(ctx: StoryContext, setup: Seed004Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const getCredsUrl = `${setup.getCreds.url}/api/get-creds`;
  const wf = (name: string) => `/admin/tenants/${encodeURIComponent(setup.tenant)}/workflows/${name}`;

  /** Presses a workflow's button: its callback URL, then a POST to it; the answer and the run's record. */
  const press = async (name: string) => {
    const listed = await setup.admin.admin('POST', `${wf(name)}/triggers/manual/listCallbackUrl`);
    const url = (listed.json as { value?: string } | undefined)?.value;
    if (listed.status !== 200 || !url)
      throw new Error(`listCallbackUrl of ${name} answered ${listed.status}: ${listed.text}`);
    const answer = await setup.admin.post(url, {});
    const runId = answer.headers['x-ms-workflow-run-id'];
    let record: HttpAnswer | undefined;
    // The record is written when the run ends, a moment after the Response was sent.
    for (let i = 0; runId && i < 50; i++) {
      record = await setup.admin.admin('GET', `${wf(name)}/runs/${runId}`);
      if ((record.json as { status?: string } | undefined)?.status !== 'Running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { answer, runId, record };
  };

  say(
    'Seed 004 — a flow’s button, Get-Creds reading credentials from Key Vault, Get-VM-Status signing in with them',
  );
  say(
    `  (workflow ${setup.flows.withCredentials}: Request trigger → Http Get_Creds (managed identity, outputs secured) → Http Get_VM_Status (inputs secured) → Response;`,
  );
  say(
    '   Get-Creds: examples/seeds/apps/get-creds.mjs under lanyard run --as get-creds, SecretClient + ManagedIdentityCredential, behind Easy Auth)',
  );

  // 1. The button: a POST to the callback URL, as the Flow app on a phone sends it.
  const first = await press(setup.flows.withCredentials);
  say(
    `Seed 004: the button of ${setup.flows.withCredentials} pressed (POST to its callback URL) → ${flowAnswer(first.answer)}`,
  );
  expect.check(
    first.answer.status === 200 && /build-agent/.test(vmsOf(first.answer)),
    `${setup.flows.withCredentials} did not answer with the VM list`,
  );

  // 2. Its run record: the credentials left out, and masked wherever they recur.
  const record = first.record?.json as { status?: string; actions?: RecordedAction[] } | undefined;
  if (record && first.record) {
    const text = first.record.text;
    const h = hidden(record, text);
    const clear = [setup.expected.secret, setup.expected.applicationId].filter((v) => text.includes(v));
    say(
      `Seed 004: its run ${first.runId} (${record.status}) as stored: ${h.secured.join(' and ') || 'nothing'} left out (“Content not shown due to security configuration.”), ${h.masked} other values masked (${MASK}); the client secret ${text.includes(setup.expected.secret) ? 'IS in the record' : 'appears nowhere in it'}`,
    );
    say(
      `Seed 004: yet the secret went through the flow: Get_Creds handed it over, Get_VM_Status sent it on, and Get-VM-Status signed in with ${signedInWith(record) ?? 'an unknown credential'}`,
    );
    expect.check(
      h.secured.includes('Get_Creds outputs') && h.secured.includes('Get_VM_Status inputs'),
      'the run record did not leave out Get_Creds’ outputs and Get_VM_Status’ inputs',
    );
    expect.check(clear.length === 0, 'the run record holds the credentials in clear');
    expect.check(
      signedInWith(record) === 'ClientSecretCredential',
      'Get-VM-Status did not sign in with the credentials the flow passed',
    );
  } else {
    expect.check(
      false,
      `the run of ${setup.flows.withCredentials} has no record (${first.record?.status ?? 'no run id'})`,
    );
  }

  // 3. The better way: Get-VM-Status signs in with its own identity; nothing to pass, nothing to hide.
  const second = await press(setup.flows.withIdentity);
  say(
    `Seed 004: the better way, ${setup.flows.withIdentity} (Get-VM-Status signs in with its own managed identity, Reader on the subscription) → ${flowAnswer(second.answer)}`,
  );
  expect.check(
    second.answer.status === 200 && /build-agent/.test(vmsOf(second.answer)),
    `${setup.flows.withIdentity} did not answer with the VM list`,
  );
  const record2 = second.record?.json as { status?: string; actions?: RecordedAction[] } | undefined;
  if (record2 && second.record) {
    const h = hidden(record2, second.record.text);
    const sent = (
      record2.actions?.find((a) => a.name === 'Get_VM_Status')?.inputs as { body?: unknown } | undefined
    )?.body;
    const signedIn = signedInWith(record2);
    say(
      `Seed 004: its run ${second.runId} (${record2.status}) as stored: ${h.secured.length === 0 ? 'nothing left out' : `${h.secured.join(' and ')} left out`}, ${h.masked === 0 ? 'nothing masked' : `${h.masked} values masked`}; Get_VM_Status sent the body ${JSON.stringify(sent ?? null)} and Get-VM-Status signed in with ${signedIn ?? 'an unknown credential'} — no credential passed between the steps`,
    );
    expect.check(
      h.secured.length === 0 && h.masked === 0 && signedIn === 'ManagedIdentityCredential',
      'the run record of the managed-identity flow hides something, or Get-VM-Status did not use its identity',
    );
  } else {
    expect.check(
      false,
      `the run of ${setup.flows.withIdentity} has no record (${second.record?.status ?? 'no run id'})`,
    );
  }

  // 4. The same program with an identity that holds no role on the vault: the flow's.
  const stranger = await startExampleApp({
    name: 'Get-Creds (as vm-report-flow)',
    script: 'get-creds.mjs',
    port: 0,
    env: { ...ctx.env, KEY_VAULT_URL: setup.vaultUrl },
    wrap: lanyardRunArgv('vm-report-flow'),
  });
  try {
    const refused = await post(`${stranger.url}/api/get-creds`);
    say(
      `Seed 004: the same Get-Creds running as vm-report-flow (no role on the vault) → ${refusal(refused)}`,
    );
    const message = String(refused.body.message ?? '');
    expect.check(
      refused.status === 403 &&
        refused.body.error === 'Forbidden' &&
        /ForbiddenByRbac|DeniedWithNoValidRBAC/.test(message) &&
        /Key Vault Secrets User/.test(message),
      'an identity without a role on the vault was not refused with ForbiddenByRbac naming the role',
    );
  } finally {
    await stranger.handle.stop();
  }

  // 5. A disabled secret.
  await setup.vault.setEnabled('subscription-id', false);
  const disabled = await post(getCredsUrl);
  say(`Seed 004: subscription-id disabled (lanyard vault secret update --disable) → ${refusal(disabled)}`);
  expect.check(
    disabled.status === 403 && disabled.body.message === 'Operation get is not allowed on a disabled secret.',
    'reading a disabled secret was not refused with SecretDisabled',
  );
  await setup.vault.setEnabled('subscription-id', true);

  // 6. Deleted, then recovered.
  await setup.vault.remove('app-id');
  const gone = await post(getCredsUrl);
  say(`Seed 004: app-id deleted (soft delete) → ${refusal(gone)}`);
  expect.check(
    gone.status === 404 && gone.body.error === 'SecretNotFound',
    'a deleted secret was not answered with SecretNotFound',
  );
  await setup.vault.recover('app-id');
  const back = await post(getCredsUrl);
  say(
    `Seed 004: app-id recovered (lanyard vault secret recover) → ${back.status === 200 ? '200 OK, Get-Creds reads all three again' : refusal(back)}`,
  );
  expect.check(back.status === 200, 'after recovering the secret, Get-Creds still failed');
  return expect.result();
}

/**
 * What an operator does once before the story (`lanyard vault secret set --vault flow-credentials … --stdin`):
 * a new client secret of vm-reporter (the previous demo runs' removed), and the three secrets in the vault.
 */
export async function provisionFlowCredentials(
  d: Directory,
  tenantId: string,
): Promise<{ applicationId: string; secret: string; subscriptionId: string; vault: Seed004Setup['vault'] }> {
  const store = await import('../vault/store.ts');
  const LABEL = 'Get-Creds (seed 004)';
  for (const s of await d.listClientSecrets(tenantId, 'vm-reporter')) {
    if (s.displayName === LABEL) await d.removeClientSecret(tenantId, 'vm-reporter', s.keyId);
  }
  const secret = await d.addClientSecret(tenantId, 'vm-reporter', { displayName: LABEL });
  const app = await d.getApp(tenantId, 'vm-reporter');
  const subscriptionId = (await d.getTenant(tenantId)).defaultSubscriptionId;
  const vault = await store.resolveVault(d, tenantId, 'flow-credentials');
  // A run stopped midway may have left one deleted: bring it back before writing a new version.
  for (const name of ['app-id', 'app-secret', 'subscription-id']) {
    await store.recoverDeleted(d, vault, name).catch((err: unknown) => {
      // Not deleted (the usual case): nothing to bring back.
      if (!isLanyardError(err) || err.code !== 'ERR_VAULT_DELETED_SECRET_NOT_FOUND') throw err;
    });
  }
  // text/plain, as the seed manifest's references declare them.
  const contentType = 'text/plain';
  await store.setSecret(d, vault, 'app-id', { value: app.appId, contentType });
  await store.setSecret(d, vault, 'app-secret', { value: secret.secretText, contentType });
  await store.setSecret(d, vault, 'subscription-id', { value: subscriptionId, contentType });
  return {
    applicationId: app.appId,
    secret: secret.secretText,
    subscriptionId,
    vault: {
      setEnabled: async (name, enabled) => {
        await store.updateAttributes(d, vault, name, undefined, { enabled });
      },
      remove: async (name) => {
        await store.deleteSecret(d, vault, name);
      },
      recover: async (name) => {
        await store.recoverDeleted(d, vault, name);
      },
    },
  };
}
