/**
 * @module identity/workload-session
 * What it takes to start a program with the identity of a resource, as App Service or Automation start theirs:
 * a workload secret, a managed-identity endpoint on a free loopback port for the program's lifetime, and the
 * environment Azure hands such a program (IDENTITY_ENDPOINT, IDENTITY_HEADER, MSI_ENDPOINT, MSI_SECRET; for an
 * app, WEBSITE_SITE_NAME and APPSETTING_WEBSITE_SITE_NAME; or, with `imds`, AZURE_POD_IDENTITY_AUTHORITY_HOST
 * on a listener bound to that one workload) plus the CA to trust and the `*.localhost` preload. `lanyard run`
 * and the flows plane's runbook jobs both start programs through it, so a job runs exactly as `lanyard run
 * --as` would run it. Closing it stops the endpoint and revokes the secret.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../http/logger.ts';
import { AZURE_HOST_PATTERNS } from '../net/azure-hosts.ts';
import type { IdentityDeps } from './deps.ts';
import { ensureTrustBundle } from './trust-bundle.ts';

const PRELOAD = path.resolve(import.meta.dirname, 'localhost-preload.mjs');

/** Variables a session owns: inherited values are dropped, never passed through. */
export const OWNED_VARIABLES: readonly string[] = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'WEBSITE_SITE_NAME',
  'APPSETTING_WEBSITE_SITE_NAME',
  'LANYARD_AZURE_HOSTS',
];

export interface WorkloadSessionOptions {
  readonly tenant: string;
  /** The resource whose identities the program may use. */
  readonly resource: string;
  /** Shown with the workload (`lanyard workload list`), e.g. `lanyard run node`. */
  readonly label: string;
  readonly ttlMs: number;
  /** The IMDS protocol instead of App Service's. */
  readonly imds?: boolean | undefined;
  /** `host:port` of the main listener, to send Azure's own host names to (`--azure-hosts`). */
  readonly azureHostsTarget?: string | undefined;
  /** The environment the program's own is built from (the session's variables replace what it owns). */
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly logger: Logger;
}

export interface WorkloadSession {
  /** The program's environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The workload's secret (IDENTITY_HEADER): output that contains it can be masked. */
  readonly secret: string;
  /** Stops the endpoint and revokes the workload. */
  close(): Promise<void>;
}

export async function openWorkloadSession(
  deps: IdentityDeps,
  o: WorkloadSessionOptions,
): Promise<WorkloadSession> {
  // The certificate library and the HTTP stack load only where a program is started.
  const [{ ensureLocalCa }, { startIdentityListener }] = await Promise.all([
    import('../crypto/local-ca.ts'),
    import('./listener.ts'),
  ]);
  await deps.keys.ensureReady();
  const ca = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
  const resource = await deps.directory.getResource(o.tenant, o.resource);
  const workload = await deps.workloads.issue(o.tenant, o.resource, { ttlMs: o.ttlMs, label: o.label });
  let listener: Awaited<ReturnType<typeof startIdentityListener>>;
  try {
    // With imds the listener is this program's alone and acts as its workload for any caller: no secret
    // travels, because @azure/identity 3.x would drop it from the authority host (docs/identity.md).
    listener = await startIdentityListener({
      service: deps.identity,
      audit: deps.audit,
      logger: o.logger,
      port: 0,
      workloadSecret: o.imds ? workload.secret : undefined,
    });
  } catch (err) {
    await deps.workloads.revoke(workload.id);
    throw err;
  }
  const env: NodeJS.ProcessEnv = { ...o.baseEnv };
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
  env.LANYARD_RESOURCE = o.resource;
  if (o.azureHostsTarget) {
    env.LANYARD_AZURE_HOSTS = JSON.stringify({ target: o.azureHostsTarget, hosts: AZURE_HOST_PATTERNS });
  }
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
  let closing: Promise<void> | undefined;
  return {
    env,
    secret: workload.secret,
    close: () => {
      closing ??= (async () => {
        try {
          await listener.close();
        } finally {
          await deps.workloads.revoke(workload.id);
        }
      })();
      return closing;
    },
  };
}
