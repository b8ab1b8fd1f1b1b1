/**
 * @module flows/workflows/http-client
 * The undici dispatcher a workflow's `Http` actions send through: keep-alive pools per origin, TLS that trusts
 * the system's CAs and Lanyard's local CA (`caPathFor(dataDir)`, read by the caller and passed as PEM), and two
 * name rules a workflow run locally needs:
 *
 * - `localhost` and every `*.localhost` name connect to 127.0.0.1 without asking the resolver, which on many
 *   machines does not know `app1.localhost`; the TLS server name stays the name written, so a certificate the
 *   local CA issued for `app1.localhost` verifies.
 * - with `azureHostsTarget`, https requests to Azure's own host names (`management.azure.com`,
 *   `*.vault.azure.net`, `login.microsoftonline.com`, …: net/azure-hosts.ts) connect to Lanyard's main listener
 *   instead, again with the original name as the TLS server name and `Host`, as `lanyard run --azure-hosts`
 *   does for a program.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import tls from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { isAzureHost } from '../../net/azure-hosts.ts';

export interface WorkflowDispatcherOptions {
  /** PEM of Lanyard's local CA (one or more certificates), trusted besides the system's. */
  readonly caPem?: string | Buffer | undefined;
  /** `host:port` (`[::1]:8443` for IPv6) of Lanyard's main listener, where Azure's host names are sent. */
  readonly azureHostsTarget?: string | undefined;
  /** How long making a connection (and its TLS handshake) may take. Default 10 s. */
  readonly connectTimeoutMs?: number | undefined;
}

/** Whether `host` is `localhost` or under it (`app1.localhost`), with or without the final dot. */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for net/tls connect: localhost names are 127.0.0.1 (RFC 6761 reserves them for loopback), any other
 * name goes to the system resolver. Node asks for all addresses (`all: true`) when it races IPv4 and IPv6, one
 * otherwise; both forms are answered.
 */
export function localhostLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (isLocalhostName(hostname)) {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(
    hostname,
    options,
    callback as (
      err: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family: number,
    ) => void,
  );
}

/** `host:port` split; an IPv6 host is written in brackets. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 1 || port > 65535)
    throw new TypeError(`azureHostsTarget '${text}' is not host:port (such as 127.0.0.1:8443 or [::1]:8443)`);
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * The CAs an https request may chain to: Node's default list (its bundled roots and NODE_EXTRA_CA_CERTS), the
 * operating system's store, and the local CA. Built once into one secure context, so a connection does not parse
 * several hundred certificates again.
 */
function trustedCas(caPem: string | Buffer | undefined): string[] {
  const all = new Set<string>(tls.getCACertificates('default'));
  try {
    for (const pem of tls.getCACertificates('system')) all.add(pem);
  } catch {
    // A machine without a readable system store still has Node's own roots.
  }
  if (caPem !== undefined) all.add(typeof caPem === 'string' ? caPem : caPem.toString('utf8'));
  return [...all];
}

/** A keep-alive undici Agent with the rules above; close it (`close()`/`destroy()`) when the plane stops. */
export function workflowDispatcher(o: WorkflowDispatcherOptions = {}): Agent {
  const secureContext = tls.createSecureContext({ ca: trustedCas(o.caPem) });
  const target = o.azureHostsTarget === undefined ? undefined : parseHostPort(o.azureHostsTarget);
  const base = buildConnector({
    secureContext,
    lookup: localhostLookup,
    timeout: o.connectTimeoutMs ?? 10_000,
  });
  const connect: buildConnector.connector = (opts, callback) => {
    if (target && opts.protocol === 'https:' && isAzureHost(opts.hostname)) {
      base(
        {
          ...opts,
          hostname: target.host,
          port: String(target.port),
          servername: opts.servername ?? opts.hostname,
        },
        callback,
      );
      return;
    }
    base(opts, callback);
  };
  return new Agent({ connect, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, connections: 32 });
}
