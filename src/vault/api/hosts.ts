/**
 * @module vault/api/hosts
 * Which host names are vaults, and what each family challenges for. A vault answers at
 * `https://<vault>.vault.localhost:<port>` (the main listener) with challenge resource `https://vault.localhost`,
 * and, for programs that hard-code Azure's names (`lanyard run --azure-hosts`), at `https://<vault>.vault.azure.net`
 * with `https://vault.azure.net`. `@azure/keyvault-secrets` requires the vault's host to end in `.` plus the
 * challenge resource's host, and the request to stay on the origin that was challenged; both hold here.
 */

export interface VaultHost {
  /** The vault's name, lower case (the host's first label). */
  readonly vault: string;
  /** `https://vault.localhost` or `https://vault.azure.net`: what the challenge names and tokens are for. */
  readonly resource: string;
  /** `https://<host>[:port]` exactly as the client addressed it: ids and nextLinks are built on it. */
  readonly origin: string;
}

const FAMILIES: readonly { readonly suffix: string; readonly resource: string }[] = [
  { suffix: '.vault.localhost', resource: 'https://vault.localhost' },
  { suffix: '.vault.azure.net', resource: 'https://vault.azure.net' },
];

/** One DNS label (Azure's vault names, 3–24 characters, are a subset; the directory's resource names may be longer). */
const VAULT_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST_HEADER = /^([a-z0-9.-]+?)\.?(?::(\d{1,5}))?$/;

/** The vault a Host header names, or undefined when it names none. */
export function vaultHostOf(hostHeader: string | undefined): VaultHost | undefined {
  if (hostHeader === undefined || hostHeader.length > 300) return undefined;
  const m = HOST_HEADER.exec(hostHeader.toLowerCase());
  if (!m) return undefined;
  const name = m[1]!;
  for (const f of FAMILIES) {
    if (!name.endsWith(f.suffix)) continue;
    const label = name.slice(0, -f.suffix.length);
    if (!VAULT_LABEL.test(label)) return undefined;
    const port = m[2] === undefined || m[2] === '443' ? '' : `:${m[2]}`;
    return { vault: label, resource: f.resource, origin: `https://${name}${port}` };
  }
  return undefined;
}
