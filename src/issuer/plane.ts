/**
 * @module issuer/plane
 * The issuer plane owns the signing keys (encrypted at rest, rotated with overlap; its table in tables.ts); it
 * serves per-tenant discovery, JWKS and the v1/v2 token endpoints on the main listener. Its migration
 * `0002-issuer` also created `audit_events`, which the audit log owns (audit/tables.ts).
 */
import type { Plane } from '../plane/contract.ts';
import type { IssuerDeps } from './deps.ts';
import * as m0002 from './migrations/0002-issuer.ts';
import { issuerRoutes } from './routes.ts';

export const issuerPlane: Plane<IssuerDeps> = {
  name: 'issuer',
  owns: 'signing keys, discovery, JWKS, token endpoints',
  migrations: { '0002-issuer': m0002 },
  auditActions: ['token.issue', 'token.refuse'],
  routes: (deps) => [
    issuerRoutes({
      tokens: deps.tokens,
      keys: deps.keys,
      federation: deps.federation,
      issuers: deps.issuers,
      adfsTenant: deps.adfsTenant,
    }),
  ],
};
