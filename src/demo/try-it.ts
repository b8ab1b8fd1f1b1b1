/**
 * @module demo/try-it
 * The commands the demo prints after the stories, for the user to run in a second terminal against what the
 * demo keeps serving: the seed stories' calls with real curl under `lanyard run`, the declared runbooks' jobs,
 * the flow's button and its runs, with the ports and ids of this run filled in.
 */
import path from 'node:path';
import { APPS_DIR, LANYARD_BIN } from './processes.ts';
import { ARM } from './seed-000.ts';
import { ROLE_ARGS } from './seed-001.ts';
import { displayPath, shellQuote } from './words.ts';

export interface TryItInput {
  /** The data folder; named in the alias unless it is ./.lanyard. */
  dataDir: string;
  caPath: string;
  somefunctionFront: string;
  somefunctionAppId: string;
  exclusiveFront: string;
  exclusiveAppId: string;
  /** The declared runbooks of seeds 000 and 001. */
  runbooks: {
    seed000: { account: string; name: string };
    seed001: { account: string; name: string };
  };
  /** The main listener's URL (issuer and admin API), as this run got it. */
  adminUrl: string;
  /** The admin token's file; undefined when it comes from LANYARD_ADMIN_TOKEN. */
  adminTokenPath: string | undefined;
  /** Seeds 002 and 003: the gateways' API URLs and subscription keys, and what seed 002's caller asks for. */
  gateways?:
    | {
        seed002Url: string;
        seed002Key: string;
        seed002AppId: string;
        seed002ClientId: string;
        seed003Url: string;
        seed003Key: string;
      }
    | undefined;
  /** Seed 004: Get-Creds' URL and the vault's. */
  vault?: { getCredsUrl: string; vaultUrl: string } | undefined;
  /** Seed 004: the flow's name and its button's callback URL, and the better way's name. */
  flow?: { name: string; callbackUrl: string; better: string } | undefined;
  cwd?: string | undefined;
}

const REPO = path.resolve(import.meta.dirname, '../..');

export function tryItLines(o: TryItInput): string[] {
  const cwd = o.cwd ?? process.cwd();
  const dataArg = path.resolve(cwd, '.lanyard') === o.dataDir ? '' : ` --data-dir ${shellQuote(o.dataDir)}`;
  // npm runs the CLI with the pinned Node 24 (the machine's `node` may be older); outside the checkout, name both.
  const alias =
    path.resolve(cwd) === REPO
      ? `npm run --silent lanyard --${dataArg}`
      : `${shellQuote(process.execPath)} ${shellQuote(LANYARD_BIN)}${dataArg}`;
  const ca = shellQuote(displayPath(o.caPath, cwd));
  const someUrl = `${o.somefunctionFront}/api/SomeFunction`;
  const exclusiveUrl = `${o.exclusiveFront}/api/ExclusiveFunction`;
  const fromEndpoint = (resource: string) =>
    `curl -s "$IDENTITY_ENDPOINT?resource=${resource}&api-version=2019-08-01" -H "X-IDENTITY-HEADER: $IDENTITY_HEADER"`;
  const g = o.gateways;
  const gatewayLines = g
    ? [
        '  # Seed 002: the function’s call through API Management, with its user-assigned identity (one JSON line)',
        `  APIM_URL=${g.seed002Url} APIM_KEY=${g.seed002Key} TARGET_APP=${g.seed002AppId} MI_CLIENT_ID=${g.seed002ClientId} lanyard run --as apim-client-function -- ${shellQuote(process.execPath)} ${shellQuote(displayPath(path.join(APPS_DIR, 'apim-client.mjs'), cwd))}`,
        '  # Seed 003: only a subscription key; the gateway calls the function with its own identity',
        `  curl -s --cacert ${ca} ${g.seed003Url} -H "Ocp-Apim-Subscription-Key: ${g.seed003Key}"`,
      ]
    : [];
  const r000 = o.runbooks.seed000;
  const r001 = o.runbooks.seed001;
  const adminAuth = `-H "Authorization: Bearer ${o.adminTokenPath === undefined ? '$LANYARD_ADMIN_TOKEN' : `$(cat ${shellQuote(displayPath(o.adminTokenPath, cwd))})`}"`;
  return [
    'Try it yourself — in another terminal, in this folder:',
    `  alias lanyard=${shellQuote(alias)}`,
    '  # The declared runbooks and timers, their schedules, and their jobs',
    '  lanyard runbook list',
    `  lanyard runbook jobs --account ${r001.account} ${r001.name}`,
    `  # Seed 000: a job of the runbook now (curl, with the Automation account’s identity), and its output again`,
    `  lanyard runbook start --account ${r000.account} ${r000.name}`,
    `  lanyard runbook output --account ${r000.account} ${r000.name}`,
    '  # one call by hand: a token from $IDENTITY_ENDPOINT for the function’s appId, then the function',
    `  lanyard run --as runbook-automation -- sh -c 'T=$(${fromEndpoint(o.somefunctionAppId)} | cut -d\\" -f4); curl -si --cacert "$NODE_EXTRA_CA_CERTS" -X POST ${someUrl} -H "Authorization: Bearer $T"'`,
    `  #   with resource=${ARM} instead: 401, and WWW-Authenticate names the audience to ask for`,
    `  # Seed 001: run AutoTriggerFunction now (its timer runs it at second 0 of every minute)`,
    `  lanyard runbook start --account ${r001.account} ${r001.name}`,
    '  # no identity, no token: 401',
    `  curl -si --cacert ${ca} -X POST ${exclusiveUrl}`,
    '  # without the assignment a new token is refused (AADSTS501051); then put it back',
    `  lanyard role unassign ${ROLE_ARGS.join(' ')}`,
    `  lanyard run --as auto-trigger-function -- sh -c '${fromEndpoint(o.exclusiveAppId)}'`,
    `  lanyard role assign ${ROLE_ARGS.join(' ')}`,
    ...gatewayLines,
    ...(o.vault
      ? [
          '  # Seed 004: Get-Creds reads three secrets from Key Vault with its managed identity',
          `  curl -s -X POST ${o.vault.getCredsUrl}`,
          '  # the vault by hand: a token for https://vault.localhost, then a secret (any identity with a role on it)',
          `  lanyard run --as get-creds -- sh -c 'T=$(${fromEndpoint('https://vault.localhost')} | cut -d\\" -f4); curl -s --cacert "$NODE_EXTRA_CA_CERTS" "${o.vault.vaultUrl}/secrets/subscription-id?api-version=7.4" -H "Authorization: Bearer $T"'`,
        ]
      : []),
    ...(o.flow
      ? [
          `  # Seed 004: press the button of ${o.flow.name} (a POST to its callback URL, as the Flow app sends it), then its runs`,
          `  curl -s --cacert ${ca} -X POST ${shellQuote(o.flow.callbackUrl)}`,
          `  lanyard workflow trigger ${o.flow.better}`,
          `  lanyard workflow runs ${o.flow.name}`,
        ]
      : []),
    '  # the admin API: what the CLI does, as JSON over HTTPS (this URL is also in server.json in the data folder)',
    `  curl -s --cacert ${ca} ${adminAuth} ${o.adminUrl}/admin/tenants`,
    '  # why a token is accepted or refused, by every front',
    `  lanyard explain "$(lanyard token --as runbook-automation --resource ${ARM} -o tsv | cut -f1)"`,
  ];
}
