/**
 * @module gateway/policy/mi-tokens
 * The gateway's `managedIdentityToken` service over Lanyard's managed-identity service: the gateway resource's
 * workload asks, as an App Service or IMDS caller would, for its system-assigned identity or, by client id, a
 * user-assigned one. The managed-identity service caches each identity's token per resource until five minutes
 * before it expires (and shares one mint among concurrent callers), which is the caching APIM does for
 * authentication-managed-identity.
 */
import type { IdentitySelector, MiToken } from '../../identity/mi-service.ts';
import type { Workload } from '../../identity/workloads.ts';
import type { ManagedIdentityToken, ManagedIdentityTokenRequest } from './services.ts';

export interface MiTokenSource {
  token(workload: Workload, selector: IdentitySelector, requested: string, via: string): Promise<MiToken>;
}

export function managedIdentityTokens(
  identity: MiTokenSource,
  workload: Workload,
): (request: ManagedIdentityTokenRequest) => Promise<ManagedIdentityToken> {
  return async (request) => {
    const selector: IdentitySelector =
      request.clientId === undefined ? { by: 'system' } : { by: 'client_id', value: request.clientId };
    const t = await identity.token(workload, selector, request.resource, 'gateway');
    return { accessToken: t.accessToken, expiresOn: t.expiresOn };
  };
}
