/**
 * @module gateway/cli/common
 * What the `lanyard gateway …` nouns share: `--gateway <name>` (the gateway resource), true/false flags, and
 * the service (gateway/service.ts), loaded when a command runs — never when `lanyard --help` registers them.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';

export interface GatewayOption {
  gateway?: string;
}

/** The service and the store behind it load for a command's action only. */
export const service = () => import('../service.ts');

export function withGateway(cmd: Command): Command {
  return cmd.option('--gateway <name>', 'the gateway resource (a resource of kind gateway)');
}

export function gatewayOf(o: GatewayOption): string {
  if (!o.gateway) {
    throw new LanyardError('ERR_USAGE', 'Name the gateway with --gateway.', {
      hint: 'e.g. `lanyard gateway api list --gateway contoso-apim` (`lanyard gateway list` lists them).',
    });
  }
  return o.gateway;
}

export function parseBool(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new LanyardError('ERR_USAGE', `${flag} takes true or false, not "${value}".`);
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new LanyardError('ERR_USAGE', `--port takes 0-65535 (0: a free port at start), not "${value}".`);
  return n;
}

export function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LanyardError(
      'ERR_USAGE',
      `Cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code}).`,
      {
        cause: err,
      },
    );
  }
}
