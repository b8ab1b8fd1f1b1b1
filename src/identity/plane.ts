/**
 * @module identity/plane
 * The managed-identity plane owns workloads (a per-workload secret, stored hashed, mapped to the resource
 * whose identities it may use) and serves the App Service and IMDS endpoints on their own plain-HTTP
 * loopback listener.
 */
import type { Plane } from '../plane/contract.ts';
import type { IdentityDeps } from './deps.ts';
import { DEFAULT_IDENTITY_PORT, startIdentityListener } from './listener.ts';
import * as m0003 from './migrations/0003-workloads.ts';

export const identityPlane: Plane<IdentityDeps> = {
  name: 'identity',
  owns: 'workloads and the managed-identity endpoints (App Service, IMDS)',
  migrations: { '0003-workloads': m0003 },
  auditActions: ['mi.refuse', 'mi.error'],
  // A revoked workload or a changed assignment: forget cached secrets and tokens as soon as the change is
  // committed (the service's own once-a-second version check stays as the fallback).
  watches: ['directory'],
  async start(deps, ctx) {
    const listener = await startIdentityListener({
      service: deps.identity,
      audit: deps.audit,
      logger: ctx.logger,
      port: ctx.settings.identityPort ?? DEFAULT_IDENTITY_PORT,
      limits: ctx.limits,
      rateLimit: ctx.settings.identityRateLimit,
    });
    return {
      info: { identityEndpoint: listener.endpoint },
      listeners: () => [{ kind: 'managed-identity', name: 'endpoint', url: listener.endpoint }],
      lines: [
        `managed-identity endpoint: ${listener.endpoint}  (\`lanyard run --as <resource> -- CMD\`, \`lanyard workload issue\`)`,
      ],
      changed: async () => deps.identity.clear(),
      close: () => listener.close(),
    };
  },
};
