/**
 * @module identity/cli/workload
 * `lanyard workload issue|list|revoke` for processes Lanyard does not start (a systemd unit, a container):
 * `issue` prints the variables to give them, pointing at the managed-identity endpoint of `lanyard up`.
 * `lanyard token --as <resource> --resource <id>` prints a token as `az account get-access-token` does.
 */
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, shellQuote } from '../../plane/cli-output.ts';
import type { IdentityDeps } from '../deps.ts';
import { DEFAULT_IDENTITY_PORT } from '../listener-defaults.ts';
import type { IdentitySelector } from '../mi-service.ts';
import { readServerInfo } from '../server-info.ts';
import type { Workload } from '../workloads.ts';

/** `8h`, `30d`, `90m`, `3600s` or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m)
    throw new LanyardError('ERR_USAGE', `"${text}" is not a duration.`, {
      hint: 'Use forms like 3600s, 90m, 8h or 30d.',
    });
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit * 1000;
}

const COLUMNS: Column<Workload>[] = [
  { header: 'ID', value: (w) => w.id },
  { header: 'RESOURCE', value: (w) => w.resourceName },
  { header: 'LABEL', value: (w) => w.label },
  { header: 'CREATED', value: (w) => w.createdAt },
  { header: 'EXPIRES', value: (w) => w.expiresAt },
  { header: 'REVOKED', value: (w) => w.revokedAt ?? '' },
];

export function registerWorkloadCommands(program: Command, kit: CliKit<IdentityDeps>): void {
  const workload = program
    .command('workload')
    .description('Workload secrets for long-lived processes that Lanyard does not start.');

  workload
    .command('issue')
    .description(
      "Issue a workload secret for a resource's identities and print the variables to give the process.",
    )
    .requiredOption('--as <resource>', 'the resource whose identities the process may use')
    .option('--ttl <duration>', 'lifetime, e.g. 8h or 30d', '24h')
    .option('--label <text>', 'a note shown by `workload list`')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard workload issue --as auto-trigger-function --ttl 30d > identity.env',
    )
    .action((o: { as: string; ttl: string; label?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const issued = await deps.workloads.issue(tenant, o.as, {
          ttlMs: parseDuration(o.ttl),
          label: o.label ?? 'workload issue',
        });
        // The local CA (X.509) loads for this command only, not for every `lanyard` start.
        const { caPathFor } = await import('../../crypto/local-ca.ts');
        const info = readServerInfo(deps.dataDir);
        const endpoint = info?.identityEndpoint ?? `http://127.0.0.1:${DEFAULT_IDENTITY_PORT}/msi/token`;
        const vars = {
          IDENTITY_ENDPOINT: endpoint,
          IDENTITY_HEADER: issued.secret,
          MSI_ENDPOINT: endpoint,
          MSI_SECRET: issued.secret,
          NODE_EXTRA_CA_CERTS: caPathFor(deps.dataDir),
        };
        if (opts.output === 'json') {
          process.stdout.write(
            `${JSON.stringify({ workload: { ...issued, secret: undefined }, env: vars }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(
            `${Object.entries(vars)
              .map(([k, v]) => `${k}=${shellQuote(v)}`)
              .join('\n')}\n`,
          );
        }
        process.stderr.write(
          `workload ${issued.id} for ${issued.resourceName}, expires ${issued.expiresAt}; the secret is shown only now.${info ? '' : ' (`lanyard up` was not found running: the endpoint is its default address.)'}\n`,
        );
      }),
    );

  workload
    .command('list')
    .description('List live workloads (--all: also revoked and expired ones).')
    .option('--all', 'include revoked and expired workloads')
    .action((o: { all?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await deps.workloads.list(tenant, { includeEnded: o.all ?? false }), opts.output, COLUMNS);
      }),
    );

  workload
    .command('revoke')
    .description('Revoke a workload secret at once.')
    .argument('<id>', 'the workload id (see `lanyard workload list`)')
    .action((id: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, _tenant, opts) => {
        const w = await deps.workloads.revoke(id);
        printDone(`Revoked workload ${w.id} (${w.resourceName}).`, opts.output, w);
      }),
    );

  program
    .command('token')
    .description('Print an access token for a resource identity, like `az account get-access-token`.')
    .requiredOption(
      '--as <resource>',
      'the resource whose identity asks (system-assigned unless --client-id)',
    )
    .requiredOption('--resource <id>', 'the App ID URI or appId to get a token for')
    .option('--client-id <id>', 'a user-assigned identity attached to the resource')
    .addHelpText(
      'after',
      '\nExamples:\n  lanyard token --as runbook-automation --resource cc334b87-fdbe-4996-aa3f-5bad192a18a6\n  lanyard token --as runbook-automation --resource cc334b87-fdbe-4996-aa3f-5bad192a18a6 -o tsv',
    )
    .action((o: { as: string; resource: string; clientId?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const resource = await deps.directory.getResource(tenant, o.as);
        // The CLI acts as the resource itself: a transient workload identity that never leaves this process.
        const self: Workload = {
          id: `cli:${resource.id}`,
          tenantId: resource.tenantId,
          resourceId: resource.id,
          resourceName: resource.name,
          label: 'lanyard token',
          createdAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
          revokedAt: null,
        };
        const selector: IdentitySelector = o.clientId
          ? { by: 'client_id', value: o.clientId }
          : { by: 'system' };
        let token: Awaited<ReturnType<typeof deps.identity.token>>;
        try {
          token = await deps.identity.token(self, selector, o.resource, 'cli token');
        } catch (err) {
          const e = err as { aadsts?: { code: number; message: string; hint?: string }; message: string };
          throw new LanyardError(
            'ERR_VALIDATION',
            e.aadsts ? `AADSTS${e.aadsts.code}: ${e.aadsts.message}` : e.message,
            {
              ...(e.aadsts?.hint ? { hint: e.aadsts.hint } : {}),
            },
          );
        }
        const d = new Date(token.expiresOn * 1000);
        const pad = (n: number, w = 2) => String(n).padStart(w, '0');
        // az prints local time with microseconds; keep its shape so scripts parsing it keep working.
        const expiresOn = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.000000`;
        const out = {
          accessToken: token.accessToken,
          expiresOn,
          expires_on: token.expiresOn,
          tenant: resource.tenantId,
          tokenType: 'Bearer',
        };
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else process.stdout.write(`${Object.values(out).join('\t')}\n`);
      }),
    );
}
