/**
 * @module easyauth/cli/easyauth
 * `lanyard easyauth show|set|import|remove|keys --resource <app>`: the Easy Auth config of an app resource,
 * kept in the store (the manifest's `easyAuth:` block writes the same rows). `import` reads an authsettingsV2
 * JSON exported from Azure. Functions keys are shown once, when generated, and stored only hashed. A running
 * `lanyard up` applies a change without a restart (the plane watches the change feed).
 */
import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { collect, type OutputFormat } from '../../plane/cli-output.ts';
import { UNAUTHENTICATED_ACTIONS } from '../actions.ts';
import type { EasyAuthConfig } from '../config.ts';
import type { EasyAuthDeps } from '../deps.ts';
import type { SetEasyAuthResult, StoredEasyAuth } from '../store.ts';

/** The store, the config schema and YAML load when a command runs, not for every `lanyard` start. */
async function load() {
  const [store, config, imports, yaml] = await Promise.all([
    import('../store.ts'),
    import('../config.ts'),
    import('../import.ts'),
    import('yaml'),
  ]);
  return { ...store, ...config, ...imports, parseYaml: yaml.parse, toYaml: yaml.stringify };
}
type Loaded = Awaited<ReturnType<typeof load>>;

interface ResourceOption {
  resource?: string;
  app?: string;
}

interface SetOptions extends ResourceOption {
  file?: string;
  upstream?: string;
  clientId?: string;
  issuer?: string;
  audience?: string[];
  allowedApplication?: string[];
  allowedIdentity?: string[];
  excludedPath?: string[];
  action?: string;
  requireAuthentication?: string;
  diagnostics?: string;
  port?: string;
  disable?: boolean;
}

function resourceOf(o: ResourceOption): string {
  const name = o.resource ?? o.app;
  if (!name) {
    throw new LanyardError('ERR_USAGE', 'Name the app resource with --resource.', {
      hint: 'e.g. `lanyard easyauth show --resource somefunction` (`lanyard resource list`).',
    });
  }
  return name;
}

const addResourceOptions = (cmd: Command): Command =>
  cmd
    .option('--resource <name>', 'the app resource the front protects')
    .addOption(new Option('--app <name>', 'same as --resource').hideHelp());

/** The config as shown: Functions keys by name only. */
function redacted(config: EasyAuthConfig): EasyAuthConfig {
  if (!config.functions) return config;
  const keys = Object.fromEntries(Object.keys(config.functions.keys).map((k) => [k, '(stored hashed)']));
  return { ...config, functions: { ...config.functions, keys } };
}

function printStored(
  m: Loaded,
  stored: StoredEasyAuth,
  format: OutputFormat,
  extra: Record<string, unknown> = {},
): void {
  const config = redacted(stored.config);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ resource: stored.resourceName, config, ...extra }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `# Easy Auth of ${stored.resourceName} (updated ${stored.updatedAt})\n${m.toYaml(config)}`,
  );
}

function printSet(m: Loaded, result: SetEasyAuthResult, format: OutputFormat, warnings: string[] = []): void {
  const generated = result.generatedKeys;
  printStored(m, result.stored, format, {
    ...(Object.keys(generated).length > 0 ? { generatedKeys: generated } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
  if (format !== 'json' && Object.keys(generated).length > 0) {
    process.stdout.write('\nFunctions keys generated now (shown once; stored only hashed):\n');
    for (const [name, key] of Object.entries(generated)) process.stdout.write(`  ${name}  ${key}\n`);
  }
}

function readDocument(m: Loaded, file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LanyardError('ERR_USAGE', `Cannot read ${file} (${(err as NodeJS.ErrnoException).code}).`, {
      cause: err,
    });
  }
  try {
    return m.parseYaml(text);
  } catch (err) {
    throw new LanyardError('ERR_VALIDATION', `${file} is not valid JSON or YAML: ${(err as Error).message}`);
  }
}

function parseBool(value: string, flag: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new LanyardError('ERR_USAGE', `${flag} takes true or false, not "${value}".`);
}

export function registerEasyAuthCommands(program: Command, kit: CliKit<EasyAuthDeps>): void {
  const easyauth = program
    .command('easyauth')
    .description('Easy Auth fronts: the authsettingsV2-shaped config of an app resource.');

  addResourceOptions(easyauth.command('show').description('Show the Easy Auth config of an app.')).action(
    (o: ResourceOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const m = await load();
        printStored(m, await m.showEasyAuth(deps.directory, tenant, resourceOf(o)), opts.output);
      }),
  );

  addResourceOptions(
    easyauth
      .command('set')
      .description(
        'Create or change the Easy Auth config of an app (flags change the stored config, or -f replaces it).',
      ),
  )
    .option('-f, --file <path>', 'a whole config (JSON or YAML, the manifest easyAuth block shape)')
    .option('--upstream <url>', 'where accepted requests go, e.g. http://127.0.0.1:7071')
    .option('--client-id <id>', "the app registration's appId (or app name)")
    .option('--issuer <url>', 'registration.openIdIssuer (default: the tenant, v1 and v2 tokens)')
    .option('--audience <aud>', 'validation.allowedAudiences entry (repeatable; replaces the list)', collect)
    .option(
      '--allowed-application <appId>',
      'allowedApplications entry (repeatable; replaces the list)',
      collect,
    )
    .option('--allowed-identity <objectId>', 'allowedPrincipals.identities entry (repeatable)', collect)
    .option(
      '--excluded-path <path>',
      'globalValidation.excludedPaths entry (repeatable; replaces the list)',
      collect,
    )
    .addOption(
      new Option('--action <action>', 'unauthenticatedClientAction').choices(UNAUTHENTICATED_ACTIONS),
    )
    .option('--require-authentication <bool>', 'globalValidation.requireAuthentication: true or false')
    .addOption(new Option('--diagnostics <level>', 'full or minimal').choices(['full', 'minimal']))
    .option('--port <port>', 'listen.port (0: a free port at start)')
    .option('--disable', 'platform.enabled: false (pass everything through)')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard easyauth set --resource somefunction --upstream http://127.0.0.1:7071 --client-id somefunction',
    )
    .action((o: SetOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const m = await load();
        const name = resourceOf(o);
        const resource = await deps.directory.getResource(tenant, name);
        const base = o.file
          ? readDocument(m, kit.userPath(o.file))
          : structuredClone((await m.getEasyAuthConfig(deps.directory.db, resource.id))?.config ?? {});
        if (typeof base !== 'object' || base === null || Array.isArray(base)) {
          throw new LanyardError('ERR_VALIDATION', `${o.file} does not hold a config object.`);
        }
        // biome-ignore lint/suspicious/noExplicitAny: a partial config edited key by key before validation
        const c = base as any;
        const at = (...path: string[]) => {
          let node = c;
          for (const key of path) {
            node[key] ??= {};
            node = node[key];
          }
          return node;
        };
        if (o.upstream !== undefined) c.upstream = o.upstream;
        if (o.clientId !== undefined)
          at('identityProviders', 'azureActiveDirectory', 'registration').clientId = o.clientId;
        if (o.issuer !== undefined)
          at('identityProviders', 'azureActiveDirectory', 'registration').openIdIssuer = o.issuer;
        const validation = () => at('identityProviders', 'azureActiveDirectory', 'validation');
        if (o.audience) validation().allowedAudiences = o.audience;
        if (o.allowedApplication)
          at(
            'identityProviders',
            'azureActiveDirectory',
            'validation',
            'defaultAuthorizationPolicy',
          ).allowedApplications = o.allowedApplication;
        if (o.allowedIdentity)
          at(
            'identityProviders',
            'azureActiveDirectory',
            'validation',
            'defaultAuthorizationPolicy',
            'allowedPrincipals',
          ).identities = o.allowedIdentity;
        if (o.excludedPath) at('globalValidation').excludedPaths = o.excludedPath;
        if (o.action) at('globalValidation').unauthenticatedClientAction = o.action;
        if (o.requireAuthentication !== undefined) {
          at('globalValidation').requireAuthentication = parseBool(
            o.requireAuthentication,
            '--require-authentication',
          );
        }
        if (o.diagnostics) c.diagnostics = o.diagnostics;
        if (o.port !== undefined) at('listen').port = Number(o.port);
        if (o.disable) at('platform').enabled = false;
        printSet(m, await m.setEasyAuth(deps.directory, tenant, name, c), opts.output);
      }),
    );

  addResourceOptions(
    easyauth
      .command('import')
      .description('Import an authsettingsV2 JSON exported from Azure (az rest … /config/authsettingsV2).')
      .argument('<file>', 'the exported JSON ({properties: …} or the bare properties)'),
  )
    .option('--upstream <url>', "where accepted requests go (default: the app's stored upstream)")
    .option('--dry-run', 'print the normalized config without storing it')
    .addHelpText(
      'after',
      '\nExample:\n  az rest --method get --url "$SITE/config/authsettingsV2?api-version=2022-03-01" > auth.json\n  lanyard easyauth import auth.json --resource somefunction --upstream http://127.0.0.1:7071',
    )
    .action((file: string, o: ResourceOption & { upstream?: string; dryRun?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const m = await load();
        const name = resourceOf(o);
        const resource = await deps.directory.getResource(tenant, name);
        const imported = m.importAuthSettingsV2(readDocument(m, kit.userPath(file)));
        for (const w of imported.warnings) process.stderr.write(`warning: ${w}\n`);
        const previous = (await m.getEasyAuthConfig(deps.directory.db, resource.id))?.config;
        const upstream = o.upstream ?? previous?.upstream;
        if (!upstream) {
          throw new LanyardError(
            'ERR_USAGE',
            `Resource "${resource.name}" has no upstream yet; pass --upstream.`,
            {
              hint: 'Azure has no counterpart: it is where Lanyard forwards accepted requests, e.g. --upstream http://127.0.0.1:7071.',
            },
          );
        }
        const input = {
          ...imported.config,
          upstream,
          ...(previous ? { listen: previous.listen, diagnostics: previous.diagnostics } : {}),
          ...(previous?.functions ? { functions: previous.functions } : {}),
        };
        if (o.dryRun) {
          const config = m.parseEasyAuthConfig(input, `The imported config of ${resource.name}`);
          const out = { resource: resource.name, config: redacted(config), warnings: imported.warnings };
          process.stdout.write(
            opts.output === 'json' ? `${JSON.stringify(out, null, 2)}\n` : m.toYaml(out.config),
          );
          return;
        }
        printSet(m, await m.setEasyAuth(deps.directory, tenant, name, input), opts.output, imported.warnings);
      }),
    );

  addResourceOptions(easyauth.command('remove').description('Remove the Easy Auth config of an app.')).action(
    (o: ResourceOption, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const { removeEasyAuth } = await load();
        const removed = await removeEasyAuth(deps.directory, tenant, resourceOf(o));
        process.stdout.write(
          opts.output === 'json'
            ? `${JSON.stringify({ removed: removed.resourceName }, null, 2)}\n`
            : `Removed the Easy Auth config of ${removed.resourceName}.\n`,
        );
      }),
  );

  addResourceOptions(
    easyauth
      .command('keys')
      .description('Generate a new value for a Functions key (shown once).')
      .option('--name <name>', 'key name: _master (admin) or a function key', 'default'),
  ).action((o: ResourceOption & { name: string }, cmd: Command) =>
    kit.withTenant(cmd, async (deps, tenant, opts) => {
      const { regenerateFunctionKey } = await load();
      const { name, key } = await regenerateFunctionKey(deps.directory, tenant, resourceOf(o), o.name);
      process.stdout.write(
        opts.output === 'json' ? `${JSON.stringify({ name, key }, null, 2)}\n` : `${name}  ${key}\n`,
      );
    }),
  );
}
