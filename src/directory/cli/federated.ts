/**
 * @module directory/cli/federated
 * `lanyard app federated …` and `lanyard identity federated …`: federated identity credentials, which let an
 * external issuer's token (a CI job, a Kubernetes service account) stand in for the app's or identity's own
 * credential. One definition serves both owners, as Entra has one credential type for both.
 */
import type { Command } from 'commander';
import type { CliKit } from '../../plane/cli-kit.ts';
import { type Column, print, printDone, printRecord } from '../../plane/cli-output.ts';
import type { DirectoryDeps } from '../deps.ts';
import type { FederatedCredential } from '../types.ts';

const FEDERATED_COLUMNS: Column<FederatedCredential>[] = [
  { header: 'NAME', value: (f) => f.name },
  { header: 'ISSUER', value: (f) => f.issuer },
  { header: 'SUBJECT', value: (f) => f.subject },
  { header: 'AUDIENCES', value: (f) => f.audiences },
];

const FEDERATED_FIELDS: Column<FederatedCredential>[] = [
  { header: 'name', value: (f) => f.name },
  { header: 'id', value: (f) => f.id },
  { header: 'owner', value: (f) => `${f.owner.kind}:${f.owner.name}` },
  { header: 'issuer', value: (f) => f.issuer },
  { header: 'subject', value: (f) => f.subject },
  { header: 'audiences', value: (f) => f.audiences },
  { header: 'description', value: (f) => f.description },
];

/**
 * Adds `federated list|add|remove` under `parent`; the owner is named by `--app` or `--identity`, matching
 * `kind`.
 */
export function registerFederatedCommands(
  parent: Command,
  kind: 'app' | 'identity',
  kit: CliKit<DirectoryDeps>,
): void {
  const ownerFlag = kind === 'app' ? '--app <app>' : '--identity <identity>';
  const ownerHelp =
    kind === 'app'
      ? 'the app: name, appId, object id or identifier URI'
      : 'the user-assigned identity: name, client id or principal id';
  const ownerOf = (o: { app?: string; identity?: string }) => ({ kind, name: (o.app ?? o.identity)! });
  const sample = kind === 'app' ? '--app somefunction' : '--identity apim-caller';

  const federated = parent
    .command('federated')
    .description(
      `Federated identity credentials of ${kind === 'app' ? 'an app' : 'a user-assigned identity'}: trust another issuer's tokens.`,
    );

  federated
    .command('list')
    .description('List the federated credentials.')
    .requiredOption(ownerFlag, ownerHelp)
    .addHelpText('after', `\nExample:\n  lanyard ${kind} federated list ${sample}`)
    .action((o: { app?: string; identity?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const list = await deps.directory.listFederatedCredentials(tenant, ownerOf(o));
        print(list, opts.output, FEDERATED_COLUMNS);
      }),
    );

  federated
    .command('add')
    .description('Trust tokens from an issuer for one subject.')
    .requiredOption(ownerFlag, ownerHelp)
    .requiredOption('--name <name>', 'credential name, unique on its owner (3-120 letters, digits, "-", "_")')
    .requiredOption('--issuer <url>', 'the external issuer, an https:// URL as it appears in its tokens’ iss')
    .requiredOption('--subject <subject>', 'the sub claim the tokens must carry')
    .option('--audience <audience>', 'the aud the tokens must carry (default: api://AzureADTokenExchange)')
    .option('--description <text>', 'free text')
    .addHelpText(
      'after',
      `\nExample:\n  lanyard ${kind} federated add ${sample} --name github-main \\\n    --issuer https://token.actions.githubusercontent.com --subject repo:contoso/orders:ref:refs/heads/main`,
    )
    .action(
      (
        o: {
          app?: string;
          identity?: string;
          name: string;
          issuer: string;
          subject: string;
          audience?: string;
          description?: string;
        },
        cmd: Command,
      ) =>
        kit.withTenant(cmd, async (deps, tenant, opts) => {
          const added = await deps.directory.addFederatedCredential(tenant, ownerOf(o), {
            name: o.name,
            issuer: o.issuer,
            subject: o.subject,
            audiences: o.audience === undefined ? undefined : [o.audience],
            description: o.description,
          });
          printRecord(added, opts.output, FEDERATED_FIELDS);
        }),
    );

  federated
    .command('remove')
    .description('Remove a federated credential.')
    .requiredOption(ownerFlag, ownerHelp)
    .requiredOption('--name <name>', 'credential name or id')
    .addHelpText('after', `\nExample:\n  lanyard ${kind} federated remove ${sample} --name github-main`)
    .action((o: { app?: string; identity?: string; name: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const owner = ownerOf(o);
        await deps.directory.removeFederatedCredential(tenant, owner, o.name);
        printDone(`Removed federated credential "${o.name}" from ${kind} "${owner.name}".`, opts.output, {
          removed: { owner, name: o.name },
        });
      }),
    );
}
