/**
 * @module cli/commands/ca
 * `lanyard ca path` prints the local CA certificate's path (creating the CA on first use), for
 * `export NODE_EXTRA_CA_CERTS=$(lanyard ca path)` or a trust store; `lanyard ca show` prints its subject,
 * validity and SHA-256 fingerprint, to compare with what a client says it was shown. Neither needs the store:
 * only the data folder and the master key, which seals the CA key.
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import type { LocalCa } from '../../crypto/local-ca.ts';
import { printError, printRecord } from '../../plane/cli-output.ts';
import { type GlobalOptions, globalOptions, prepareDataFolder } from '../context.ts';

export interface CaSummary {
  path: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
  serialNumber: string;
}

export function registerCaCommands(program: Command): void {
  const ca = program
    .command('ca')
    .description('the local certificate authority that signs the HTTPS listeners');

  ca.command('path')
    .description('print the CA certificate path (for NODE_EXTRA_CA_CERTS), creating the CA if needed')
    .action(async (_o: unknown, cmd: Command) => {
      await withCa(cmd, true, (local, opts) => {
        if (opts.output === 'json')
          process.stdout.write(`${JSON.stringify({ path: local.caCertPath }, null, 2)}\n`);
        else process.stdout.write(`${local.caCertPath}\n`);
      });
    });

  ca.command('show')
    .description('print the CA subject, validity and SHA-256 fingerprint')
    .action(async (_o: unknown, cmd: Command) => {
      await withCa(cmd, false, (local, opts) => {
        printRecord(summarize(local), opts.output, [
          { header: 'path', value: (c) => c.path },
          { header: 'subject', value: (c) => c.subject },
          { header: 'valid from', value: (c) => c.notBefore },
          { header: 'valid until', value: (c) => c.notAfter },
          { header: 'sha256', value: (c) => c.sha256Fingerprint },
        ]);
      });
    });
}

export function summarize(local: LocalCa): CaSummary {
  const cert = new X509Certificate(local.caCertPem);
  const dn = (text: string) => text.split('\n').filter(Boolean).join(', ');
  return {
    path: local.caCertPath,
    subject: dn(cert.subject),
    issuer: dn(cert.issuer),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256Fingerprint: cert.fingerprint256,
    serialNumber: cert.serialNumber,
  };
}

/** `create`: `ca path` makes the data folder and CA on first use (to trust it before `lanyard up`); `show` does not. */
async function withCa(
  cmd: Command,
  create: boolean,
  fn: (ca: LocalCa, opts: GlobalOptions) => void,
): Promise<void> {
  const opts = globalOptions(cmd);
  try {
    // Loaded here, not at the top: the certificate library is heavy and only these commands need it.
    const [{ createEnvelope }, { loadKeyring }, { ensureLocalCa }] = await Promise.all([
      import('../../crypto/envelope.ts'),
      import('../../crypto/master-key.ts'),
      import('../../crypto/local-ca.ts'),
    ]);
    const dataDir = path.resolve(opts.dataDir ?? process.env.LANYARD_DATA_DIR ?? '.lanyard');
    prepareDataFolder(dataDir, { create, store: opts.store });
    // The whole keyring: ca.key may still be wrapped under a retired key while a rotation runs.
    const envelope = createEnvelope(loadKeyring({ dataDir, env: process.env }));
    fn(await ensureLocalCa({ dataDir, envelope }), opts);
  } catch (err) {
    printError(err, opts.output);
  }
}
