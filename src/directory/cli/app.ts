/**
 * @module directory/cli/app
 * `lanyard app …`: app registrations (identifier URIs, app roles, assignment requirement, token version) and
 * their credentials: client secrets (shown once), certificates (public part) and federated credentials.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, collect, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { AppRoleInput, OptionalClaimInput } from '../inputs.ts';
import type {
  Application,
  AppRole,
  CertificateCredential,
  ClientSecretInfo,
  MemberType,
  NewClientSecret,
} from '../types.ts';
import { registerFederatedCommands } from './federated.ts';

const APP_COLUMNS: Column<Application>[] = [
  { header: 'NAME', value: (a) => a.name },
  { header: 'APP ID', value: (a) => a.appId },
  { header: 'IDENTIFIER URIS', value: (a) => a.identifierUris },
  { header: 'ROLES', value: (a) => a.appRoles.map((r) => r.value) },
  { header: 'ASSIGNMENT REQUIRED', value: (a) => a.appRoleAssignmentRequired },
  { header: 'TOKEN VERSION', value: (a) => a.accessTokenAcceptedVersion },
];

const describeRole = (r: AppRole) =>
  `${r.value}  [${r.allowedMemberTypes.join(', ')}]  ${r.id}${r.isEnabled ? '' : '  (disabled)'}`;

const APP_FIELDS: Column<Application>[] = [
  { header: 'name', value: (a) => a.name },
  { header: 'display name', value: (a) => a.displayName },
  { header: 'app id', value: (a) => a.appId },
  { header: 'object id', value: (a) => a.objectId },
  { header: 'service principal id', value: (a) => a.servicePrincipalId },
  { header: 'identifier uris', value: (a) => a.identifierUris },
  { header: 'roles', value: (a) => a.appRoles.map(describeRole) },
  { header: 'assignment required', value: (a) => a.appRoleAssignmentRequired },
  { header: 'token version', value: (a) => a.accessTokenAcceptedVersion },
  {
    header: 'optional claims',
    value: (a) => a.optionalClaims.accessToken.map(describeOptionalClaim),
  },
  { header: 'first party', value: (a) => a.firstParty },
  { header: 'created', value: (a) => a.createdAt },
  { header: 'updated', value: (a) => a.updatedAt },
];

const SECRET_COLUMNS: Column<ClientSecretInfo>[] = [
  { header: 'KEY ID', value: (s) => s.keyId },
  { header: 'DISPLAY NAME', value: (s) => s.displayName },
  { header: 'HINT', value: (s) => s.hint },
  { header: 'START', value: (s) => s.startDateTime },
  { header: 'END', value: (s) => s.endDateTime },
];

const NEW_SECRET_FIELDS: Column<NewClientSecret>[] = [
  { header: 'secretText', value: (s) => s.secretText },
  { header: 'keyId', value: (s) => s.keyId },
  { header: 'displayName', value: (s) => s.displayName },
  { header: 'hint', value: (s) => s.hint },
  { header: 'startDateTime', value: (s) => s.startDateTime },
  { header: 'endDateTime', value: (s) => s.endDateTime },
];

const CERT_COLUMNS: Column<CertificateCredential>[] = [
  { header: 'KEY ID', value: (c) => c.keyId },
  { header: 'DISPLAY NAME', value: (c) => c.displayName },
  { header: 'THUMBPRINT', value: (c) => c.thumbprint },
  { header: 'START', value: (c) => c.startDateTime },
  { header: 'END', value: (c) => c.endDateTime },
];

const CERT_FIELDS: Column<CertificateCredential>[] = [
  { header: 'keyId', value: (c) => c.keyId },
  { header: 'displayName', value: (c) => c.displayName },
  { header: 'thumbprint', value: (c) => c.thumbprint },
  { header: 'thumbprintSha256', value: (c) => c.thumbprintSha256 },
  { header: 'startDateTime', value: (c) => c.startDateTime },
  { header: 'endDateTime', value: (c) => c.endDateTime },
];

const MEMBER_TYPES = new Map<string, MemberType[]>([
  ['application', ['Application']],
  ['user', ['User']],
  ['both', ['Application', 'User']],
]);

/**
 * Turns `--role VALUE[:Application|User|Both]` into a role input. A role that already exists keeps its id,
 * display name, description and enabled flag (and its member types unless the spec names them), so an update
 * that lists the same roles again changes nothing else.
 */
export function parseRoleSpec(spec: string, existing: readonly AppRole[] = []): AppRoleInput {
  const colon = spec.lastIndexOf(':');
  const types = colon > 0 ? MEMBER_TYPES.get(spec.slice(colon + 1).toLowerCase()) : undefined;
  const value = types ? spec.slice(0, colon) : spec;
  const prior = existing.find((r) => r.value === value);
  return {
    value,
    allowedMemberTypes: types ?? prior?.allowedMemberTypes ?? ['Application'],
    ...(prior
      ? {
          id: prior.id,
          displayName: prior.displayName,
          description: prior.description,
          isEnabled: prior.isEnabled,
        }
      : {}),
  };
}

function intBetween(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A date alone (`2026-06-30`) means midnight UTC; anything else must be a full ISO 8601 date-time. */
const endDateTime = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);

/** The certificate file as the directory takes it: PEM text, or DER bytes as base64. */
function readCertificate(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new LanyardError(
      'ERR_USAGE',
      `Cannot read the certificate file ${file}: ${(err as Error).message}`,
      {
        hint: 'Give the path of a PEM (or DER) X.509 certificate with --file.',
      },
    );
  }
  const text = bytes.toString('utf8');
  if (text.includes('-----BEGIN')) return text;
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return text.replace(/\s+/g, '');
  return bytes.toString('base64');
}

/** `--optional-claim NAME[:PROPERTY,…]` → an access-token optional claim; the directory checks the names. */
export function parseOptionalClaimSpec(spec: string): OptionalClaimInput {
  const colon = spec.indexOf(':');
  if (colon < 0) return { name: spec };
  const properties = spec
    .slice(colon + 1)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return { name: spec.slice(0, colon), additionalProperties: properties };
}

function describeOptionalClaim(c: { name: string; additionalProperties: string[] }): string {
  return c.additionalProperties.length > 0 ? `${c.name}:${c.additionalProperties.join(',')}` : c.name;
}

const OPTIONAL_CLAIM_HELP =
  'optional claim in the access tokens issued for the app: NAME[:PROPERTY,…], e.g. idtyp or aud:use_guid (repeatable)';

const ROLE_SPEC_HELP = 'app role VALUE[:Application|User|Both] (repeatable; default member type Application)';

interface AppOptions {
  displayName?: string;
  identifierUri?: string[] | false;
  role?: string[] | false;
  assignmentRequired?: boolean;
  tokenVersion?: '1' | '2';
  optionalClaim?: string[] | false;
}

const tokenVersionOption = () =>
  new Option(
    '--token-version <version>',
    'access token version the app accepts (accessTokenAcceptedVersion)',
  ).choices(['1', '2']);

export function registerAppCommands(program: Command, kit: CliKit<DirectoryDeps>): void {
  const app = program
    .command('app')
    .description('App registrations: the APIs tokens are issued for, with their roles and credentials.');

  app
    .command('list')
    .description('List app registrations.')
    .option(
      '--first-party',
      'include the Microsoft resources every tenant has (Resource Manager, Key Vault, Graph)',
    )
    .addHelpText('after', '\nExample:\n  lanyard app list --first-party')
    .action((o: { firstParty?: boolean }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const apps = await deps.directory.listApps(tenant, { includeFirstParty: o.firstParty === true });
        print(apps, opts.output, APP_COLUMNS);
      }),
    );

  app
    .command('show')
    .description('Show an app with its identifier URIs and roles.')
    .argument('<app>', 'name, appId, object id or identifier URI')
    .addHelpText('after', '\nExample:\n  lanyard app show api://somefunction')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        printRecord(await deps.directory.getApp(tenant, ref), opts.output, APP_FIELDS);
      }),
    );

  app
    .command('create')
    .description('Register an app (and its service principal).')
    .requiredOption('--name <name>', 'stable name (letters, digits, ".", "_", "-")')
    .option('--app-id <guid>', 'application (client) id (default: generated)')
    .option('--display-name <text>', 'display name (default: the name)')
    .option(
      '--identifier-uri <uri>',
      'App ID URI: api://…, urn:…, or https:// on a tenant domain (repeatable)',
      collect,
    )
    .option('--role <role>', ROLE_SPEC_HELP, collect)
    .option('--assignment-required', 'only principals assigned a role may get tokens for it')
    .addOption(tokenVersionOption())
    .option('--optional-claim <claim>', OPTIONAL_CLAIM_HELP, collect)
    .addHelpText(
      'after',
      '\nExample:\n  lanyard app create --name orders --identifier-uri api://orders --role Orders.Read --role Orders.Admin:Both --assignment-required',
    )
    .action((o: AppOptions & { name: string; appId?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const created = await deps.directory.createApp(tenant, {
          name: o.name,
          appId: o.appId,
          displayName: o.displayName,
          identifierUris: o.identifierUri || undefined,
          appRoles: o.role ? o.role.map((spec) => parseRoleSpec(spec)) : undefined,
          appRoleAssignmentRequired: o.assignmentRequired,
          accessTokenAcceptedVersion:
            o.tokenVersion === undefined ? undefined : o.tokenVersion === '2' ? 2 : 1,
          optionalClaims: o.optionalClaim
            ? { accessToken: o.optionalClaim.map(parseOptionalClaimSpec) }
            : undefined,
        });
        printRecord(created, opts.output, APP_FIELDS);
      }),
    );

  app
    .command('update')
    .description('Change an app. List options replace the whole list; omitted options keep their value.')
    .argument('<app>', 'name, appId, object id or identifier URI')
    .option('--display-name <text>', 'display name')
    .option('--identifier-uri <uri>', 'App ID URI (repeatable; replaces the list)', collect)
    .option('--no-identifier-uri', 'remove every identifier URI')
    .option(
      '--role <role>',
      `${ROLE_SPEC_HELP}; replaces the roles, a role still assigned cannot go`,
      collect,
    )
    .option('--no-role', 'remove every role (none may be assigned)')
    .option('--assignment-required', 'only principals assigned a role may get tokens for it')
    .option('--no-assignment-required', 'any principal in the tenant may get tokens for it')
    .addOption(tokenVersionOption())
    .option('--optional-claim <claim>', `${OPTIONAL_CLAIM_HELP}; replaces the list`, collect)
    .option('--no-optional-claim', 'ask for no optional claims')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard app update orders --role Orders.Read --role Orders.Write --no-assignment-required',
    )
    .action((ref: string, o: AppOptions, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const d = deps.directory;
        const current = o.role ? await d.getApp(tenant, ref) : undefined;
        const updated = await d.updateApp(tenant, ref, {
          displayName: o.displayName,
          identifierUris: o.identifierUri === false ? [] : o.identifierUri,
          appRoles:
            o.role === false ? [] : o.role?.map((spec) => parseRoleSpec(spec, current?.appRoles ?? [])),
          appRoleAssignmentRequired: o.assignmentRequired,
          accessTokenAcceptedVersion:
            o.tokenVersion === undefined ? undefined : o.tokenVersion === '2' ? 2 : 1,
          optionalClaims:
            o.optionalClaim === false
              ? { accessToken: [] }
              : o.optionalClaim
                ? { accessToken: o.optionalClaim.map(parseOptionalClaimSpec) }
                : undefined,
        });
        printRecord(updated, opts.output, APP_FIELDS);
      }),
    );

  app
    .command('delete')
    .description('Delete an app, its service principal, credentials and every assignment to or from it.')
    .argument('<app>', 'name, appId, object id or identifier URI')
    .addHelpText('after', '\nExample:\n  lanyard app delete orders')
    .action((ref: string, _o: object, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const deleted = await deps.directory.deleteApp(tenant, ref);
        printDone(`Deleted app "${deleted.name}" (appId ${deleted.appId}).`, opts.output, deleted);
      }),
    );

  registerSecretCommands(app, kit);
  registerCertificateCommands(app, kit);
  registerFederatedCommands(app, 'app', kit);
}

function registerSecretCommands(app: Command, kit: CliKit<DirectoryDeps>): void {
  const secret = app
    .command('secret')
    .description(
      'Client secrets of an app. Lanyard keeps only a keyed hash: the text is shown once, at add.',
    );
  const appOption = () => new Option('--app <app>', 'the app: name, appId, object id or identifier URI');

  secret
    .command('list')
    .description('List client secrets (their hints, never their text).')
    .addOption(appOption().makeOptionMandatory())
    .addHelpText('after', '\nExample:\n  lanyard app secret list --app somefunction')
    .action((o: { app: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await deps.directory.listClientSecrets(tenant, o.app), opts.output, SECRET_COLUMNS);
      }),
    );

  secret
    .command('add')
    .description('Add a client secret and print its text, once.')
    .addOption(appOption().makeOptionMandatory())
    .option('--display-name <text>', 'description of the secret')
    .addOption(
      new Option('--years <n>', 'lifetime in years (1 or 2)')
        .argParser(intBetween(1, 2, '--years'))
        .conflicts(['days', 'end']),
    )
    .addOption(
      new Option('--days <n>', 'lifetime in days (1-730; default 180)')
        .argParser(intBetween(1, 730, '--days'))
        .conflicts(['end']),
    )
    .option('--end <date>', 'expiry as an ISO 8601 date or date-time, at most 730 days ahead')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard app secret add --app somefunction --display-name ci --days 30',
    )
    .action(
      (o: { app: string; displayName?: string; years?: number; days?: number; end?: string }, cmd: Command) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const added = await deps.directory.addClientSecret(tenant, o.app, {
            displayName: o.displayName,
            expiresInDays: o.years === undefined ? o.days : Math.min(o.years * 365, 730),
            endDateTime: o.end === undefined ? undefined : endDateTime(o.end),
          });
          printRecord(added, opts.output, NEW_SECRET_FIELDS);
          process.stderr.write(
            'warning: copy secretText now; Lanyard stores only a hash and will not show it again.\n',
          );
        }),
    );

  secret
    .command('remove')
    .description('Remove a client secret; tokens already issued with it stay valid until they expire.')
    .addOption(appOption().makeOptionMandatory())
    .requiredOption('--key-id <id>', 'the secret’s key id (see `lanyard app secret list`)')
    .addHelpText('after', '\nExample:\n  lanyard app secret remove --app somefunction --key-id 5b6c…')
    .action((o: { app: string; keyId: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        await deps.directory.removeClientSecret(tenant, o.app, o.keyId);
        printDone(`Removed client secret ${o.keyId} from app "${o.app}".`, opts.output, {
          removed: { app: o.app, keyId: o.keyId },
        });
      }),
    );
}

function registerCertificateCommands(app: Command, kit: CliKit<DirectoryDeps>): void {
  const cert = app
    .command('cert')
    .description(
      'Certificate credentials of an app: the public certificates its client assertions are signed for.',
    );
  const appOption = () =>
    new Option('--app <app>', 'the app: name, appId, object id or identifier URI').makeOptionMandatory();

  cert
    .command('list')
    .description('List certificates.')
    .addOption(appOption())
    .addHelpText('after', '\nExample:\n  lanyard app cert list --app somefunction')
    .action((o: { app: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        print(await deps.directory.listCertificates(tenant, o.app), opts.output, CERT_COLUMNS);
      }),
    );

  cert
    .command('add')
    .description('Add a certificate (public part only: PEM or DER file).')
    .addOption(appOption())
    .requiredOption('--file <path>', 'X.509 certificate file, PEM or DER')
    .option('--display-name <text>', 'description of the certificate')
    .addHelpText(
      'after',
      '\nExample:\n  lanyard app cert add --app somefunction --file ./somefunction-client.pem',
    )
    .action((o: { app: string; file: string; displayName?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const added = await deps.directory.addCertificate(tenant, o.app, {
          certificate: readCertificate(kit.userPath(o.file)),
          displayName: o.displayName,
        });
        printRecord(added, opts.output, CERT_FIELDS);
      }),
    );

  cert
    .command('remove')
    .description('Remove a certificate, named by key id or thumbprint.')
    .addOption(appOption())
    .addOption(new Option('--key-id <id>', 'the certificate’s key id').conflicts('thumbprint'))
    .option('--thumbprint <sha1>', 'the certificate’s SHA-1 thumbprint (hex)')
    .addHelpText('after', '\nExample:\n  lanyard app cert remove --app somefunction --thumbprint 3F2A…')
    .action((o: { app: string; keyId?: string; thumbprint?: string }, cmd: Command) => {
      const ref = o.keyId ?? o.thumbprint;
      if (ref === undefined) cmd.error('error: name the certificate with --key-id or --thumbprint');
      return kit.withTenant(cmd, async (deps, tenant, opts) => {
        await deps.directory.removeCertificate(tenant, o.app, ref);
        printDone(`Removed certificate ${ref} from app "${o.app}".`, opts.output, {
          removed: { app: o.app, ...(o.keyId ? { keyId: o.keyId } : { thumbprint: o.thumbprint }) },
        });
      });
    });
}
