/**
 * @module identity/cli/run
 * `lanyard run --as <resource> -- CMD ARGS…`: start any program with the identity of a resource, as App Service
 * or Automation start theirs. Lanyard issues a workload secret, serves the managed-identity endpoint on a free
 * loopback port for the program's lifetime, and hands it the same variables Azure does (IDENTITY_ENDPOINT,
 * IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET; for an app, WEBSITE_SITE_NAME and APPSETTING_WEBSITE_SITE_NAME as
 * App Service does) plus the CA to trust. `--imds` hands it the IMDS protocol instead, on a listener bound to
 * that one workload (AZURE_POD_IDENTITY_AUTHORITY_HOST is then a bare origin: @azure/identity 3.x drops any
 * path). Signals go to the child; its exit code is ours; the secret is revoked when it ends.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { AZURE_HOST_PATTERNS } from '../../net/azure-hosts.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { printError } from '../../plane/cli-output.ts';
import type { IdentityDeps } from '../deps.ts';
import { readServerInfo } from '../server-info.ts';
import { ensureTrustBundle } from './trust-bundle.ts';

const PRELOAD = path.resolve(import.meta.dirname, '../localhost-preload.mjs');
const RUN_TTL_MS = 30 * 24 * 3_600_000;

/** Variables `lanyard run` owns: inherited or `--env-file` values are dropped, never passed through. */
const OWNED_VARIABLES = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'WEBSITE_SITE_NAME',
  'APPSETTING_WEBSITE_SITE_NAME',
  'LANYARD_AZURE_HOSTS',
];

interface RunOptions {
  as: string;
  envFile?: string;
  imds?: boolean;
  azureHosts?: boolean;
}

function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LanyardError('ERR_USAGE', `Cannot read the env file ${file}: ${(err as Error).message}`);
  }
  return parseEnv(text) as Record<string, string>;
}

export function registerRunCommand(program: Command, kit: CliKit<IdentityDeps>): void {
  program
    .command('run')
    .description(
      'Run a program with the managed identity of a resource (IDENTITY_ENDPOINT + IDENTITY_HEADER).',
    )
    .requiredOption('--as <resource>', 'the resource whose identities the program may use')
    .option('--env-file <file>', 'extra variables for the program, in .env format')
    .option('--imds', 'offer the IMDS protocol (AZURE_POD_IDENTITY_AUTHORITY_HOST) instead of App Service')
    .option(
      '--azure-hosts',
      "Node programs: Azure's own host names (login.microsoftonline.com, management.azure.com, …) reach the running Lanyard",
    )
    .argument('<command...>', 'the program and its arguments (after --)')
    .addHelpText(
      'after',
      `
Examples:
  lanyard run --as runbook-automation -- sh -c 'curl -s "$IDENTITY_ENDPOINT?resource=cc334b87-fdbe-4996-aa3f-5bad192a18a6&api-version=2019-08-01" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"'
  lanyard run --as auto-trigger-function -- node app.js`,
    )
    .action(async (argv: string[], o: RunOptions, cmd: Command) => {
      const opts = kit.globalOptions(cmd);
      let code = 1;
      try {
        // Read before the store is opened: a bad env file is refused with nothing to close.
        const extra = o.envFile ? readEnvFile(kit.userPath(o.envFile)) : {};
        await kit.withTenant(cmd, async (deps, tenant) => {
          code = await run(deps, tenant, argv, o, extra, kit.userCwd());
        });
      } catch (err) {
        printError(err, opts.output);
        code = 1;
      }
      process.exit(code);
    });
}

async function run(
  deps: IdentityDeps,
  tenant: string,
  argv: string[],
  o: RunOptions,
  extra: Record<string, string>,
  /** Where the user typed the command: the program runs there (npm runs `lanyard` in the package folder). */
  cwd: string,
): Promise<number> {
  // The certificate library and the HTTP stack load for this command only, not for every `lanyard` start.
  const [{ ensureLocalCa }, { startIdentityListener }, { openServerLog }] = await Promise.all([
    import('../../crypto/local-ca.ts'),
    import('../listener.ts'),
    import('../../audit/server-log.ts'),
  ]);
  await deps.keys.ensureReady();
  // --azure-hosts sends the program's connections to Azure's names to the running main listener.
  const main = o.azureHosts ? runningMainListener(deps.dataDir) : undefined;
  const ca = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
  const resource = await deps.directory.getResource(tenant, o.as);
  const workload = await deps.workloads.issue(tenant, o.as, {
    ttlMs: RUN_TTL_MS,
    label: `lanyard run ${argv[0] ?? ''}`.trim(),
  });
  // Its audit events and requests go to the data folder's log, beside the server's (audit/server-log.ts).
  const log = openServerLog(deps.dataDir, { cmd: 'run' });
  deps.audit.attach(log.logger);
  // With --imds the listener is this program's alone and acts as its workload for any caller: no secret
  // travels, because @azure/identity 3.x would drop it from the authority host (docs/identity.md).
  const listener = await startIdentityListener({
    service: deps.identity,
    audit: deps.audit,
    logger: log.logger,
    port: 0,
    workloadSecret: o.imds ? workload.secret : undefined,
  });
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const name of OWNED_VARIABLES) delete env[name];
    if (o.imds) {
      env.AZURE_POD_IDENTITY_AUTHORITY_HOST = listener.origin;
    } else {
      env.IDENTITY_ENDPOINT = listener.endpoint;
      env.IDENTITY_HEADER = workload.secret;
      env.MSI_ENDPOINT = listener.endpoint;
      env.MSI_SECRET = workload.secret;
      // App Service names the site in both; azure-cli 2.45 (msrestazure) speaks the App Service protocol only
      // when APPSETTING_WEBSITE_SITE_NAME is set, else it POSTs Cloud Shell's form without the secret.
      if (resource.kind === 'app') {
        env.WEBSITE_SITE_NAME = resource.name;
        env.APPSETTING_WEBSITE_SITE_NAME = resource.name;
      }
    }
    env.NODE_EXTRA_CA_CERTS = ca.caCertPath;
    // Python `requests` and OpenSSL runtimes take one whole bundle: what they trusted before, plus the CA.
    const bundle = ensureTrustBundle(deps.dataDir, ca.caCertPem, env);
    env.REQUESTS_CA_BUNDLE = bundle;
    env.SSL_CERT_FILE = bundle;
    env.LANYARD_RESOURCE = o.as;
    if (main) env.LANYARD_AZURE_HOSTS = JSON.stringify({ target: main, hosts: AZURE_HOST_PATTERNS });
    // A file URL: NODE_OPTIONS splits on spaces, and a URL has none (and works on Windows too).
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--import=${pathToFileURL(PRELOAD).href}`;
    // Clients honour HTTP(S)_PROXY; a proxy adds Via / X-Forwarded-For, which the endpoint refuses (as IMDS
    // does). The endpoint is on loopback: keep it, and *.localhost, off any proxy the caller configured.
    for (const name of ['NO_PROXY', 'no_proxy']) {
      const list = (env[name] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const host of ['127.0.0.1', 'localhost', '.localhost']) if (!list.includes(host)) list.push(host);
      env[name] = list.join(',');
    }
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env, cwd });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) =>
        reject(
          new LanyardError('ERR_USAGE', `Cannot start ${argv[0]}: ${err.message}`, {
            hint: 'Check the program name and PATH.',
          }),
        ),
      );
      child.once('exit', (status, signal) => resolve(status ?? (signal ? 128 + (osSignal(signal) ?? 0) : 1)));
    });
    for (const [s, h] of handlers) process.off(s, h);
    return code;
  } finally {
    await listener.close();
    await deps.workloads.revoke(workload.id);
    log.close();
  }
}

/** `host:port` of the running `lanyard up`'s main listener, or a refusal saying to start one. */
function runningMainListener(dataDir: string): string {
  const info = readServerInfo(dataDir);
  let url: URL | undefined;
  try {
    url = info ? new URL(info.url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url) {
    throw new LanyardError(
      'ERR_USAGE',
      '--azure-hosts needs a running Lanyard: none is serving this data folder.',
      {
        hint: 'Start `lanyard up` (or `npm start`) first, with the same --data-dir.',
      },
    );
  }
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  return `${host}:${url.port || '443'}`;
}

function osSignal(signal: NodeJS.Signals): number | undefined {
  const map: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return map[signal];
}
