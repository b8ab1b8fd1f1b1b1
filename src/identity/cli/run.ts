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
import { parseEnv } from 'node:util';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { printError } from '../../plane/cli-output.ts';
import type { IdentityDeps } from '../deps.ts';
import { readServerInfo } from '../server-info.ts';
import { openWorkloadSession, type WorkloadSession } from '../workload-session.ts';

const RUN_TTL_MS = 30 * 24 * 3_600_000;

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
  const { openServerLog } = await import('../../audit/server-log.ts');
  // --azure-hosts sends the program's connections to Azure's names to the running main listener.
  const main = o.azureHosts ? runningMainListener(deps.dataDir) : undefined;
  // Its audit events and requests go to the data folder's log, beside the server's (audit/server-log.ts).
  const log = openServerLog(deps.dataDir, { cmd: 'run' });
  deps.audit.attach(log.logger);
  let session: WorkloadSession;
  try {
    session = await openWorkloadSession(deps, {
      tenant,
      resource: o.as,
      label: `lanyard run ${argv[0] ?? ''}`.trim(),
      ttlMs: RUN_TTL_MS,
      imds: o.imds,
      azureHostsTarget: main,
      baseEnv: { ...process.env, ...extra },
      logger: log.logger,
    });
  } catch (err) {
    log.close();
    throw err;
  }
  try {
    const env = session.env;
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
    await session.close();
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
