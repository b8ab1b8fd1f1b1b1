/**
 * @module demo/demo
 * `npm start`: the seed stories 000 to 004, end to end, on the seed manifest, with nothing to set up. It
 * applies examples/seeds/lanyard.yaml (idempotent), serves what `lanyard up` serves (issuer and admin API on
 * HTTPS, the managed-identity endpoint, the API Management gateways, the runbook and workflow schedulers, the
 * workflows' callback URLs), starts the example apps (SomeFunction, ExclusiveFunction, ProtectedApi,
 * ApimBackendFunction, Get-Creds and Get-VM-Status) and their Easy Auth fronts, points the declared runbooks and
 * workflows at those fronts (flows.ts), RUNS the stories with real curl and real `@azure/identity` — the
 * runbooks' jobs, the workflows' buttons — says in plain words what happened, prints commands to try, and keeps
 * serving until SIGINT or SIGTERM, printing the jobs the schedules start — then stops every child and listener
 * and returns (exit 0).
 *
 * The server log (JSON lines, with every audit event, the `lanyard run` children's too) is appended to
 * <dataDir>/lanyard.log so the terminal shows the story; LANYARD_LOG_LEVEL sets its level.
 */
import path from 'node:path';
import { openServerLog } from '../audit/server-log.ts';
import type { RunningFronts } from '../easyauth/plane.ts';
import { isLanyardError, LanyardError } from '../errors/lanyard-error.ts';
import type { RunningGateways } from '../gateway/plane.ts';
import type { Runtime } from '../host/runtime.ts';
import { type ExampleApp, portOf, startExampleApp } from './apps.ts';
import { adminClient, declaredJobs, keepPointed, type Pointers, pointAtFronts } from './flows.ts';
import { parseRunbookOutput, runSeed000 } from './seed-000.ts';
import { AUTO_TRIGGER, runSeed001 } from './seed-001.ts';
import { runSeed002 } from './seed-002.ts';
import { runSeed003 } from './seed-003.ts';
import { provisionFlowCredentials, runSeed004, startSeed004Apps } from './seed-004.ts';
import type { StoryContext, StoryResult } from './story.ts';
import { tryItLines } from './try-it.ts';
import { displayPath, when } from './words.ts';

export const SEED_MANIFEST = path.resolve(import.meta.dirname, '../../examples/seeds/lanyard.yaml');
const SEED_TENANT = 'contoso';
/** Seed 000's runbook; seed 001's timer is AUTO_TRIGGER; seed 004's two workflows. */
const RUNBOOK_000 = { account: 'runbook-automation', name: 'call-somefunction' } as const;
const FLOWS_004 = { withCredentials: 'vm-report-flow', withIdentity: 'vm-report-flow-msi' } as const;
/** Seed 002's gateway and API (its backend: ProtectedApi), seed 003's (its backend: ApimBackendFunction). */
const GW_002 = { gateway: 'contoso-apim', api: 'protected-api', subscription: 'apim-client-function' };
const GW_003 = { gateway: 'functions-apim', api: 'backend-function', subscription: 'caller' };

export interface DemoOptions {
  port: number;
  identityPort: number;
  /** Run the stories, then stop instead of serving. */
  once: boolean;
  /** Start the example apps on free ports instead of the manifest's (7071, 7072, 7074, 7075, 7077, 7078). */
  freeAppPorts?: boolean | undefined;
  /** `--store` as given (passed on to the `lanyard` children). */
  store?: string | undefined;
  version: string;
  /** Resolves on the signal that stops the demo. */
  stopSignal: Promise<NodeJS.Signals>;
}

/** Runs the demo; resolves when it has stopped. Returns true when every story went as its seed says. */
export async function runDemo(runtime: Runtime, o: DemoOptions): Promise<boolean> {
  let stopping = false;
  // stdout may be a pipe that closes early (`npm start | head`): stop printing, keep serving.
  let stdoutGone = false;
  const onStdoutError = () => {
    stdoutGone = true;
  };
  process.stdout.on('error', onStdoutError);
  const out = (line = '') => {
    if (!stopping && !stdoutGone) process.stdout.write(`${line}\n`);
  };
  void o.stopSignal.then(() => {
    stopping = true;
  });
  const cleanups: (() => Promise<unknown>)[] = [];
  // Appended to (a start refused because a port is taken keeps the log of the runs before) and rotated by
  // size; the `lanyard run` children append their own audit events to it (audit/server-log.ts).
  const serverLog = openServerLog(runtime.dataDir, { cmd: 'demo' });
  const logFile = serverLog.file;
  const logger = serverLog.logger;
  cleanups.push(async () => serverLog.close());

  try {
    runtime.audit.attach(logger);
    out(
      `lanyard ${o.version} (node ${process.version}), store: ${runtime.store.dialect} ${runtime.store.location}`,
    );

    const { loadManifest, applyManifest, formatPlan } = await import('../host/manifest.ts');
    const plan = await applyManifest(runtime.directory, await loadManifest(SEED_MANIFEST)).catch(
      (err: unknown) => {
        // A data folder an older seed manifest made (an id or a kind the seed now pins otherwise).
        if (!isLanyardError(err) || err.code !== 'ERR_CONFLICT') throw err;
        throw new LanyardError(err.code, err.message, {
          hint: `This data folder holds what an older seed manifest made. Start over with a new one: delete ${displayPath(runtime.dataDir)}, or give another with --data-dir.`,
          details: err.details,
        });
      },
    );
    const summary = formatPlan(plan).trim().split('\n').at(-1);
    out(`Applied ${displayPath(SEED_MANIFEST)}: ${summary}`);

    const d = runtime.directory;
    const tenant = await d.getTenant(SEED_TENANT);
    const somefunctionApp = await d.getApp(tenant.id, 'somefunction');
    const exclusiveApp = await d.getApp(tenant.id, 'exclusive-function');
    const runbook = (await d.getResource(tenant.id, RUNBOOK_000.account)).systemAssignedIdentity!;
    const caller = (await d.getResource(tenant.id, AUTO_TRIGGER.account)).systemAssignedIdentity!;
    const protectedApp = await d.getApp(tenant.id, 'apim-protected-api');
    const backendApp = await d.getApp(tenant.id, 'apim-backend-function');
    const apimCaller = await d.getIdentity(tenant.id, 'apim-caller');
    const gatewayIdentity = (await d.getResource(tenant.id, GW_003.gateway)).systemAssignedIdentity!;
    const gw = await import('../gateway/store.ts');
    const serviceUrlOf = async (g: typeof GW_002) =>
      (await gw.showGateway(d, tenant.id, g.gateway)).definition.apis.find((a) => a.name === g.api)!
        .serviceUrl;
    const keyOf = async (g: typeof GW_002) =>
      (await gw.showSubscriptionKeys(d, tenant.id, g.gateway, g.subscription)).primaryKey;
    const { listEasyAuthConfigs } = await import('../easyauth/store.ts');
    const configs = await listEasyAuthConfigs(runtime.store.db);
    const configOf = (name: string) => {
      const c = configs.find((x) => x.tenantId === tenant.id && x.resourceName === name);
      if (!c) throw new LanyardError('ERR_NOT_FOUND', `The seed manifest declares no Easy Auth for ${name}.`);
      return c;
    };

    // ---- what `lanyard up` serves ----
    const { readServerInfo } = await import('../identity/server-info.ts');
    const other = readServerInfo(runtime.dataDir);
    const otherAlive = other !== undefined && other.pid !== process.pid && isAlive(other.pid);
    const inUse = (err: unknown): never => {
      if (!isLanyardError(err) || !/in use/.test(err.message)) throw err;
      const identityPort = err.details?.listener === 'managed-identity';
      const [port, what, flag] = identityPort
        ? [o.identityPort, 'the managed-identity endpoint', '--identity-port']
        : [Number(err.details?.port ?? o.port), 'HTTPS: issuer and admin API', '--port'];
      throw new LanyardError('ERR_LISTEN', `Port ${port} (${what}) is in use.`, {
        hint: `${otherAlive ? `Lanyard (pid ${other!.pid}) already serves this data folder at ${other!.url}: stop it first, or` : 'Stop the program holding it, or'} choose another port (${flag} <port>), or let the demo pick free ports: npm start -- --port 0 --identity-port 0`,
        details: { port, flag },
      });
    };

    // ---- the example apps: their ports first, so that the Easy Auth fronts forward to them ----
    // LANYARD_DEMO_PID: the example apps stop on their own if the demo dies without stopping them.
    const appEnv: NodeJS.ProcessEnv = { ...process.env, LANYARD_DEMO_PID: String(process.pid) };
    const childEnv: NodeJS.ProcessEnv = {
      ...appEnv,
      LANYARD_DATA_DIR: runtime.dataDir,
      LANYARD_TENANT: tenant.id,
      ...(o.store === undefined ? {} : { LANYARD_STORE: o.store }),
    };
    const apps: ExampleApp[] = [];
    cleanups.push(() => Promise.all(apps.map((a) => a.handle.stop())));
    const startFunction = async (name: string, resource: string) => {
      const app = await startExampleApp({
        name,
        script: 'function.mjs',
        port: o.freeAppPorts ? 0 : portOf(configOf(resource).config.upstream),
        env: { ...appEnv, FUNCTION_NAME: name },
      });
      apps.push(app);
      return app;
    };
    const someFunction = await startFunction('SomeFunction', 'somefunction');
    const exclusive = await startFunction('ExclusiveFunction', 'exclusive-function');
    const backendFunction = await startFunction('ApimBackendFunction', 'apim-backend-function');
    // Seed 002's API backend: a function app with no Easy Auth (the gateway checks the token).
    const protectedApi = await startExampleApp({
      name: 'ProtectedApi',
      script: 'function.mjs',
      port: o.freeAppPorts ? 0 : portOf(await serviceUrlOf(GW_002)),
      env: { ...appEnv, FUNCTION_NAME: 'ProtectedApi' },
    });
    apps.push(protectedApi);
    const upstreamOf = new Map([
      ['somefunction', someFunction.url],
      ['exclusive-function', exclusive.url],
      ['apim-backend-function', backendFunction.url],
    ]);
    // The gateways' APIs point at the apps as they run: ProtectedApi, and ApimBackendFunction's Easy Auth
    // front (the manifest says https://apim-backend-function.azurewebsites.net/api), known once it listens.
    const serviceUrls = new Map([[`${GW_002.gateway}/${GW_002.api}`, `${protectedApi.url}/api`]]);

    // ---- what `lanyard up` serves, and the Easy Auth fronts ----
    const { resolveAdminToken } = await import('../host/admin-token.ts');
    const { startHost } = await import('../host/start-host.ts');
    const adminToken = resolveAdminToken({ dataDir: runtime.dataDir });
    const host = await startHost({
      runtime,
      logger,
      adminToken: adminToken.token,
      adminTokenFile: adminToken.path,
      port: o.port,
      settings: {
        identityPort: o.identityPort,
        easyAuthUpstream: (tenantId, name) => (tenantId === tenant.id ? upstreamOf.get(name) : undefined),
        gatewayServiceUrl: (tenantId, gateway, api) =>
          tenantId === tenant.id ? serviceUrls.get(`${gateway}/${api}`) : undefined,
      },
    }).catch(inUse);
    cleanups.push(() => host.close());
    const server = host.server;
    const identity = { endpoint: host.identityEndpoint ?? '' };
    const fronts = new Map(
      (host.planes.get('easyauth') as RunningFronts | undefined)
        ?.fronts()
        .map((f) => [`${f.resource.tenantId}/${f.resource.name}`, f] as const) ?? [],
    );
    const frontOf = (name: string) => fronts.get(`${tenant.id}/${name}`)!;
    const gateways = host.planes.get('gateway') as RunningGateways | undefined;
    serviceUrls.set(`${GW_003.gateway}/${GW_003.api}`, `${frontOf('apim-backend-function').loopbackUrl}/api`);
    // Compiled again with the front's URL (a directory change recompiles every gateway).
    await gateways?.changed?.('directory');
    const gatewayUrlOf = (name: string) =>
      gateways?.fronts().find((f) => f.tenantId === tenant.id && f.name === name)?.url ?? '';

    // Seed 004: the flow's credentials in the vault, Get-Creds (as get-creds) and Get-VM-Status (as
    // get-vm-status), and their fronts pointed at them (the manifest says 7077 and 7078; free ports may differ).
    const flowCredentials = await provisionFlowCredentials(d, tenant.id);
    const vaultUrl = `https://flow-credentials.vault.localhost:${server.port}`;
    const seed004 = await startSeed004Apps({
      env: childEnv,
      vaultUrl,
      lanyardUrl: server.url,
      caPath: server.caCertPath,
      tenantId: tenant.id,
      freePorts: o.freeAppPorts === true,
    });
    cleanups.push(() => Promise.all([seed004.getCreds.handle.stop(), seed004.getVmStatus.handle.stop()]));
    upstreamOf.set('get-creds', seed004.getCreds.url);
    upstreamOf.set('get-vm-status', seed004.getVmStatus.url);
    await host.planes.get('easyauth')?.changed?.('directory');

    // The declared runbooks and workflows, pointed at this run's fronts (their ports are picked at start).
    const exclusiveUrl = `${frontOf('exclusive-function').url}/api/ExclusiveFunction`;
    const pointers: Pointers = {
      runbooks: [
        { ...RUNBOOK_000, env: { FUNCTION_URL: `${frontOf('somefunction').url}/api/SomeFunction` } },
        { ...AUTO_TRIGGER, env: { EXCLUSIVE_FUNCTION_URL: exclusiveUrl } },
      ],
      workflows: [
        {
          name: FLOWS_004.withCredentials,
          parameters: { getCredsUrl: frontOf('get-creds').url, getVmStatusUrl: frontOf('get-vm-status').url },
        },
        { name: FLOWS_004.withIdentity, parameters: { getVmStatusUrl: frontOf('get-vm-status').url } },
      ],
    };
    await pointAtFronts(runtime, tenant.id, pointers);
    // `lanyard apply` in another terminal puts the manifest's port-less URLs back: point them again.
    const stopPointing = keepPointed(
      runtime,
      tenant.id,
      pointers,
      (saved) =>
        out(
          `  (${saved.join(', ')}: saved again with the manifest’s URLs; pointed at this run’s fronts again)`,
        ),
      logger,
    );
    cleanups.push(async () => stopPointing());
    const jobs = declaredJobs(runtime, tenant.id, logger);
    const admin = adminClient({ url: server.url, token: adminToken.token, caPath: server.caCertPath });
    cleanups.push(() => admin.close());
    const callbackUrlOf = async (name: string) => {
      const r = await admin.admin(
        'POST',
        `/admin/tenants/${encodeURIComponent(tenant.name)}/workflows/${name}/triggers/manual/listCallbackUrl`,
      );
      return (r.json as { value?: string } | undefined)?.value ?? '';
    };

    out(`Serving (the server log, with every audit event: ${displayPath(logFile)}):`);
    out(`  issuer and admin API        ${server.url}`);
    // The console's own line (its plane's `Started.lines`): where to open it and how to sign in.
    for (const line of host.planes.get('console')?.lines ?? []) out(`  ${line}`);
    out(`  managed-identity endpoint   ${identity.endpoint}`);
    for (const [app, resource] of [
      [someFunction, 'somefunction'],
      [exclusive, 'exclusive-function'],
      [backendFunction, 'apim-backend-function'],
    ] as const) {
      out(`  ${app.name.padEnd(27)} ${app.url}, behind Easy Auth at ${frontOf(resource).url}${moved(app)}`);
    }
    out(
      `  ${protectedApi.name.padEnd(27)} ${protectedApi.url}, behind the gateway ${GW_002.gateway}${moved(protectedApi)}`,
    );
    for (const f of gateways?.fronts() ?? []) out(`  ${`gateway ${f.name}`.padEnd(27)} ${f.url}`);
    for (const f of fronts.values()) {
      if (f.resource.tenantId === tenant.id && upstreamOf.has(f.resource.name)) continue;
      out(`  easy auth ${f.resource.name}: ${f.url} → ${f.upstream}`);
    }
    out(`  ${'key vault flow-credentials'.padEnd(27)} ${vaultUrl}`);
    out(
      `  ${'Get-Creds'.padEnd(27)} ${seed004.getCreds.url}, as get-creds (lanyard run), behind Easy Auth at ${frontOf('get-creds').url}${moved(seed004.getCreds)}`,
    );
    out(
      `  ${'Get-VM-Status'.padEnd(27)} ${seed004.getVmStatus.url}, as get-vm-status (lanyard run), behind Easy Auth at ${frontOf('get-vm-status').url}${moved(seed004.getVmStatus)}`,
    );
    for (const r of [RUNBOOK_000, AUTO_TRIGGER]) {
      const rb = await jobs.runbook(r.account, r.name);
      out(
        `  ${`runbook ${rb.name}`.padEnd(27)} of ${rb.resource}, "${rb.schedule}", next at ${when(await jobs.next(rb))}`,
      );
    }
    for (const name of [FLOWS_004.withCredentials, FLOWS_004.withIdentity]) {
      out(`  ${`workflow ${name}`.padEnd(27)} its button: lanyard workflow trigger ${name}`);
    }
    if (otherAlive) out(`  (note: lanyard pid ${other!.pid} also serves this data folder, at ${other!.url})`);
    out();

    // ---- the stories ----
    const ctx: StoryContext = { env: childEnv, caPath: server.caCertPath, say: (line) => out(line) };
    const story = async (name: string, fn: () => Promise<StoryResult>): Promise<boolean> => {
      let result: StoryResult;
      try {
        result = await fn();
      } catch (err) {
        result = { ok: false, problems: [(err as Error).message] };
      }
      out(
        result.ok
          ? `${name} went as in Azure.`
          : `${name} did NOT go as in Azure: ${result.problems.join('; ')}.`,
      );
      out();
      return result.ok;
    };
    const stories = (async () => {
      const ok000 = await story('Seed 000', () =>
        runSeed000(ctx, {
          runbook: RUNBOOK_000,
          jobs,
          appId: somefunctionApp.appId,
          identity: { principalId: runbook.principalId, clientId: runbook.clientId },
        }),
      );
      const ok001 = await story('Seed 001', () =>
        runSeed001(ctx, {
          exclusiveUrl,
          appId: exclusiveApp.appId,
          caller: { principalId: caller.principalId, clientId: caller.clientId },
          exclusive,
          jobs,
        }),
      );
      const ok002 = await story('Seed 002', async () =>
        runSeed002(ctx, {
          apiUrl: `${gatewayUrlOf(GW_002.gateway)}/protected/ProtectedApi`,
          subscriptionKey: await keyOf(GW_002),
          appId: protectedApp.appId,
          identity: { clientId: apimCaller.clientId, principalId: apimCaller.principalId },
        }),
      );
      const ok003 = await story('Seed 003', async () =>
        runSeed003(ctx, {
          apiUrl: `${gatewayUrlOf(GW_003.gateway)}/functions/ApimBackendFunction`,
          subscriptionKey: await keyOf(GW_003),
          functionUrl: `${frontOf('apim-backend-function').url}/api/ApimBackendFunction`,
          appId: backendApp.appId,
          gateway: { principalId: gatewayIdentity.principalId, clientId: gatewayIdentity.clientId },
        }),
      );
      const ok004 = await story('Seed 004', () =>
        runSeed004(ctx, {
          vaultUrl,
          lanyardUrl: server.url,
          tenantId: tenant.id,
          expected: {
            applicationId: flowCredentials.applicationId,
            secret: flowCredentials.secret,
            subscriptionId: flowCredentials.subscriptionId,
          },
          admin,
          tenant: tenant.name,
          flows: FLOWS_004,
          getCreds: seed004.getCreds,
          getVmStatus: seed004.getVmStatus,
          vault: flowCredentials.vault,
        }),
      );
      return ok000 && ok001 && ok002 && ok003 && ok004;
    })();
    // A signal during the stories stops the demo; the stories' children are stopped by the cleanups.
    stories.catch(() => {});
    const ok = await Promise.race([stories, o.stopSignal.then(() => false)]);
    if (stopping || o.once) return ok;

    for (const line of tryItLines({
      dataDir: runtime.dataDir,
      caPath: server.caCertPath,
      somefunctionFront: frontOf('somefunction').url,
      somefunctionAppId: somefunctionApp.appId,
      exclusiveFront: frontOf('exclusive-function').url,
      exclusiveAppId: exclusiveApp.appId,
      runbooks: { seed000: RUNBOOK_000, seed001: AUTO_TRIGGER },
      adminUrl: server.url,
      vault: { getCredsUrl: `${seed004.getCreds.url}/api/get-creds`, vaultUrl },
      flow: {
        name: FLOWS_004.withCredentials,
        callbackUrl: await callbackUrlOf(FLOWS_004.withCredentials),
        better: FLOWS_004.withIdentity,
      },
      adminTokenPath: adminToken.source === 'env' ? undefined : adminToken.path,
      gateways: {
        seed002Url: `${gatewayUrlOf(GW_002.gateway)}/protected/ProtectedApi`,
        seed002Key: await keyOf(GW_002),
        seed002AppId: protectedApp.appId,
        seed002ClientId: apimCaller.clientId,
        seed003Url: `${gatewayUrlOf(GW_003.gateway)}/functions/ApimBackendFunction`,
        seed003Key: await keyOf(GW_003),
      },
    })) {
      out(line);
    }
    out();
    out(
      'Press Ctrl+C to stop. The runbooks’ jobs show up below as they end (AutoTriggerFunction’s every minute).',
    );
    const stopWatching = jobs.watch([RUNBOOK_000, AUTO_TRIGGER], (job, output) => {
      let said: string | undefined;
      if (job.runbook === RUNBOOK_000.name) {
        const { arm, function: fn } = parseRunbookOutput(output.join('\n'));
        if (arm.status !== undefined || fn.status !== undefined)
          said = `a token for Resource Manager → ${arm.status ?? 'no answer'}, for the function’s appId → ${fn.status ?? 'no answer'}`;
      } else said = output.find((l) => !l.startsWith('result: '));
      const at = job.scheduledTime ? ` ${when(new Date(job.scheduledTime))}` : '';
      out(
        `  ${job.runbook} job ${job.id.slice(0, 8)} (${job.startedBy}${at}) ${job.status}: ${said ?? job.exception ?? ''}`,
      );
    });
    cleanups.push(async () => stopWatching());
    await o.stopSignal;
    return ok;
  } finally {
    stopping = true;
    process.stdout.off('error', onStdoutError);
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(() => {});
    }
    if (!stdoutGone) process.stdout.write('lanyard stopped\n');
  }
}

const moved = (app: ExampleApp) =>
  app.movedFrom === undefined ? '' : ` (port ${app.movedFrom} is taken, so a free one)`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
