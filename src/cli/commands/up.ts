/**
 * @module cli/commands/up
 * `lanyard up [-f lanyard.yaml] [--port 8443] [--host localhost] [--prune]`: opens the data folder and store,
 * applies the manifest if one is given, starts the main HTTPS listener and serves until SIGINT or SIGTERM,
 * then closes the listener and the store and exits 0. It prints where it listens (the real port, also with
 * `--port 0`), where the admin token and the CA are, and the `export` lines to use them; never the token.
 */

import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { resolveAdminToken } from '../../host/admin-token.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../host/listener-defaults.ts';
import { waitForStop } from '../../host/signals.ts';
import { VERSION } from '../../host/version.ts';
import { DEFAULT_IDENTITY_PORT } from '../../identity/listener-defaults.ts';
import { shellQuote } from '../../plane/cli-output.ts';
import { userPath, withRuntime } from '../context.ts';

interface UpOptions {
  file?: string;
  port: string;
  host: string;
  prune?: boolean;
  identityPort: string;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'apply a manifest (optional) and serve the issuer, identity endpoints and admin API over HTTPS',
    )
    .option('-f, --file <path>', 'manifest to apply before serving (lanyard.yaml)')
    .option('--port <port>', 'port of the HTTPS listener; 0 picks a free one', String(DEFAULT_PORT))
    .option('--host <host>', 'address to listen on; localhost binds 127.0.0.1 and ::1', DEFAULT_HOST)
    .option('--prune', 'with -f: delete what the manifest no longer declares')
    .option(
      '--identity-port <port>',
      'port of the plain-HTTP managed-identity endpoint on 127.0.0.1; 0 picks a free one',
      String(DEFAULT_IDENTITY_PORT),
    )
    .action(async (o: UpOptions, cmd: Command) => {
      // Listen for the stop signal before anything starts, so Ctrl+C at any moment stops cleanly.
      const stopSignal = waitForStop();
      await withRuntime(
        cmd,
        async (runtime) => {
          const port = parsePort(o.port);
          if (o.prune && !o.file) {
            throw new LanyardError('ERR_USAGE', '--prune needs a manifest to compare with.', {
              hint: 'Pass -f lanyard.yaml with --prune.',
            });
          }
          // The server and manifest code load only for this command, keeping every other command's start fast.
          const { createLogger } = await import('../../http/logger.ts');
          const logger = createLogger();
          // Every audit event is stored and also logged as one JSON line.
          runtime.audit.attach(logger);
          // The first line says which build and which Node serve (npm start must show the pinned Node 24).
          process.stdout.write(
            `lanyard ${VERSION} (node ${process.version}), store: ${runtime.store.dialect} ${runtime.store.location}\n`,
          );
          if (o.file) {
            const { loadManifest, applyManifest, formatPending, formatPlan } = await import(
              '../../host/manifest.ts'
            );
            const manifest = await loadManifest(userPath(o.file));
            const plan = await applyManifest(runtime.directory, manifest, { prune: o.prune ?? false });
            process.stdout.write(`${formatPlan(plan).trimEnd()}\n`);
            for (const line of formatPending(plan.pending)) process.stderr.write(`${line}\n`);
          }
          const admin = resolveAdminToken({ dataDir: runtime.dataDir });
          const { startHost } = await import('../../host/start-host.ts');
          const host = await startHost({
            runtime,
            logger,
            adminToken: admin.token,
            adminTokenFile: admin.path,
            host: o.host,
            port,
            settings: { identityPort: parsePort(o.identityPort) },
          });
          // The first line says where it listens; the planes' lines are indented under it.
          const lines = host.lines().map((line, i) => (i === 0 ? line : `  ${line}`));
          if (admin.source === 'env') {
            lines.push('  admin token: from LANYARD_ADMIN_TOKEN');
          } else {
            lines.push(
              `  admin token: ${admin.path}${admin.created ? ' (created now)' : ''}`,
              `    export LANYARD_ADMIN_TOKEN=$(cat ${shellQuote(admin.path!)})`,
            );
          }
          lines.push(
            `  CA certificate: ${host.server.caCertPath}`,
            `    export NODE_EXTRA_CA_CERTS=${shellQuote(host.server.caCertPath)}`,
            'Press Ctrl+C to stop.',
          );
          process.stdout.write(`${lines.join('\n')}\n`);

          const signal = await stopSignal;
          logger.info({ signal }, 'shutting down');
          await host.close();
          process.stdout.write(`lanyard stopped (${signal})\n`);
          // withRuntime closes the store once this returns.
        },
        { create: true },
      );
    });
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new LanyardError('ERR_USAGE', `--port "${text}" is not a port number.`, {
      hint: 'Use a number from 1 to 65535, or 0 to pick a free port.',
    });
  }
  return port;
}
