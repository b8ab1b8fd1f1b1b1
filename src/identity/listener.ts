/**
 * @module identity/listener
 * The plain-HTTP loopback listener that serves the managed-identity endpoints. Loopback only: a workload
 * on this machine reaches it, nothing else does (clients are also moving towards refusing endpoints that are
 * neither loopback nor link-local). `lanyard up` runs one on a fixed port; `lanyard run` runs its own on a
 * free port for the program it starts (with `--imds`, one bound to that program's workload).
 */
import type { AuditLog } from '../audit/audit-log.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import { type ListenerLimits, logQuietly, startListener } from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import { createIdentityHandler } from './endpoint.ts';
import { DEFAULT_IDENTITY_PORT } from './listener-defaults.ts';
import type { ManagedIdentityService } from './mi-service.ts';

export { DEFAULT_IDENTITY_PORT };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface IdentityListenerOptions {
  service: ManagedIdentityService;
  audit: AuditLog;
  logger?: Logger | undefined;
  host?: string | undefined;
  /** 0 picks a free port. */
  port?: number | undefined;
  rateLimit?: number | undefined;
  /** Overrides of the listener limits (tests shorten them). */
  limits?: Partial<ListenerLimits> | undefined;
  /**
   * Bind the listener to the workload holding this secret: it serves IMDS only, every request as that workload,
   * with no secret asked (docs/identity.md, "`lanyard run --imds`: an endpoint per program").
   */
  workloadSecret?: string | undefined;
}

export interface IdentityListener {
  readonly port: number;
  readonly origin: string;
  /** The value of IDENTITY_ENDPOINT (and MSI_ENDPOINT). */
  readonly endpoint: string;
  /** The value of AZURE_POD_IDENTITY_AUTHORITY_HOST for a workload holding `secret`. */
  imdsAuthority(secret: string): string;
  close(): Promise<void>;
}

export async function startIdentityListener(o: IdentityListenerOptions): Promise<IdentityListener> {
  const host = o.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw new LanyardError(
      'ERR_USAGE',
      `The managed-identity endpoint listens on loopback only, not on ${host}.`,
      {
        hint: 'Use 127.0.0.1 (the default). Workloads on other machines run their own `lanyard` beside them.',
      },
    );
  }
  const handler = createIdentityHandler({
    service: o.service,
    audit: o.audit,
    rateLimit: o.rateLimit,
    boundSecret: o.workloadSecret,
  });
  const listener = await startListener({
    name: 'managed-identity',
    host,
    port: o.port ?? DEFAULT_IDENTITY_PORT,
    localhost: 'ipv4',
    limits: o.limits,
    handler: (req, res) => {
      // A token served from the cache repeats what the log (and the audit trail) already said when it was
      // minted: that line is debug, the rest info.
      if (handler(req, res)) logQuietly(res);
    },
    ...(o.logger
      ? {
          requestLog: {
            logger: o.logger,
            level: 'info' as const,
            fields: { group: 'identity' },
            // Never the query (one rule everywhere) nor the workload secret carried in an IMDS-style path.
            path: (url: string) => url.split('?', 1)[0]!.replace(/\/w\/[0-9a-fA-F]+/, '/w/***'),
          },
        }
      : {}),
    logger: o.logger,
    shutdownGraceMs: 2_000,
    portSetting: '--identity-port',
  });
  const origin = `http://${host === '::1' ? '[::1]' : host === 'localhost' ? '127.0.0.1' : host}:${listener.port}`;
  return {
    port: listener.port,
    origin,
    endpoint: `${origin}/msi/token`,
    imdsAuthority: (secret) => `${origin}/w/${secret.toLowerCase()}`,
    close: () => listener.close(),
  };
}
