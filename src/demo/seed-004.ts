/**
 * @module demo/seed-004
 * Seed 004, "Protecting Application Credentials when implementing Modular Azure Functions with Microsoft Flow",
 * from Get-Creds on. Get-Creds (examples/seeds/apps/get-creds.mjs, `@azure/keyvault-secrets` SecretClient with
 * ManagedIdentityCredential, unmodified, under `lanyard run --as get-creds`) reads the application id, its
 * secret and the subscription from the Key Vault flow-credentials; Get-VM-Status signs in with them and reports
 * the subscription's VMs. Then what Key Vault does when it should say no:
 *  1. Get-Creds, Key Vault Secrets User on the vault → the three secrets;
 *  2. Get-VM-Status, signed in with them → the VMs and their power states;
 *  3. the same program as another identity (the flow's, which holds no role on the vault) → 403
 *     ForbiddenByRbac, naming the role and the `lanyard rbac assign` that grants it;
 *  4. a secret disabled → 403 SecretDisabled; enabled again;
 *  5. a secret deleted → 404 SecretNotFound; recovered (soft delete) → Get-Creds works again.
 * The flow itself, which calls both, comes with the flows and runbooks.
 */
import type { Directory } from '../directory/directory.ts';
import { isLanyardError } from '../errors/lanyard-error.ts';
import { type ExampleApp, startExampleApp } from './apps.ts';
import { expectations, lanyardRunArgv, type StoryContext, type StoryResult } from './story.ts';

export interface Seed004Setup {
  /** `https://flow-credentials.vault.localhost:<port>`. */
  vaultUrl: string;
  /** The issuer and Resource Manager: the main listener's origin. */
  lanyardUrl: string;
  tenantId: string;
  /** vm-reporter's application id, the subscription id: what Get-Creds should hand back. */
  expected: { applicationId: string; subscriptionId: string };
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

/** Starts Get-Creds (as get-creds) and Get-VM-Status for the story. */
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
      env: { ...o.env, LANYARD_URL: o.lanyardUrl, NODE_EXTRA_CA_CERTS: o.caPath },
    });
    return { getCreds, getVmStatus };
  } catch (err) {
    await getCreds.handle.stop();
    throw err;
  }
}

export async function runSeed004(ctx: StoryContext, setup: Seed004Setup): Promise<StoryResult> {
  const { say } = ctx;
  const expect = expectations();
  const getCredsUrl = `${setup.getCreds.url}/api/get-creds`;

  say('Seed 004 — Get-Creds reads a flow’s credentials from Key Vault with its managed identity');
  say(
    `  (examples/seeds/apps/get-creds.mjs under lanyard run --as get-creds; SecretClient + ManagedIdentityCredential; vault ${setup.vaultUrl})`,
  );

  // 1. Get-Creds as itself: Key Vault Secrets User on flow-credentials.
  const creds = await post(getCredsUrl);
  const secret = typeof creds.body.secret === 'string' ? creds.body.secret : '';
  const gotAll =
    creds.status === 200 &&
    creds.body.applicationId === setup.expected.applicationId &&
    creds.body.subscriptionId === setup.expected.subscriptionId &&
    secret.length > 0;
  say(
    `Seed 004: Get-Creds (Key Vault Secrets User) read app-id, app-secret and subscription-id → ${
      creds.status === 200
        ? `200 OK: application ${String(creds.body.applicationId)}, a secret of ${secret.length} characters, subscription ${String(creds.body.subscriptionId)}`
        : refusal(creds)
    }`,
  );
  expect.check(
    gotAll,
    'Get-Creds did not hand back the application id, secret and subscription in the vault',
  );

  // 2. Get-VM-Status signs in with what Get-Creds read.
  if (gotAll) {
    const report = await post(`${setup.getVmStatus.url}/api/get-vm-status`, {
      tenantId: setup.tenantId,
      applicationId: creds.body.applicationId,
      secret,
      subscriptionId: creds.body.subscriptionId,
    });
    const vms = Array.isArray(report.body.virtualMachines)
      ? (report.body.virtualMachines as { name: string; powerState: string }[])
      : [];
    say(
      `Seed 004: Get-VM-Status signed in as that application → ${
        report.status === 200
          ? `200 OK: ${vms.map((v) => `${v.name} (${v.powerState})`).join(', ') || 'no VMs'}`
          : refusal(report)
      }`,
    );
    expect.check(
      report.status === 200 && vms.some((v) => v.name === 'build-agent'),
      'Get-VM-Status could not list the VMs with the credentials from the vault',
    );
  }

  // 3. The same program with an identity that holds no role on the vault: the flow's.
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

  // 4. A disabled secret.
  await setup.vault.setEnabled('subscription-id', false);
  const disabled = await post(getCredsUrl);
  say(`Seed 004: subscription-id disabled (lanyard vault secret update --disable) → ${refusal(disabled)}`);
  expect.check(
    disabled.status === 403 && disabled.body.message === 'Operation get is not allowed on a disabled secret.',
    'reading a disabled secret was not refused with SecretDisabled',
  );
  await setup.vault.setEnabled('subscription-id', true);

  // 5. Deleted, then recovered.
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
): Promise<{ applicationId: string; subscriptionId: string; vault: Seed004Setup['vault'] }> {
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
