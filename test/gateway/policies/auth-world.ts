/**
 * @module test/gateway/policies/auth-world
 * Real parts for the authentication policy tests: Lanyard started as `lanyard up` starts it (test/host/harness:
 * the issuer's discovery and JWKS on a real HTTPS listener), a tenant with the protected app (role
 * `Orders.Read`), a v2 app, a function app whose system-assigned identity holds the role, and a gateway
 * resource with a system-assigned and a user-assigned identity. Tokens come from the runtime itself (managed
 * identity, client credentials) or are signed with the issuer's real signing key for the claim variants a test
 * needs. `tokens` are the gateway's token services with Entra's hosts pointed at this Lanyard.
 */
import type { KeyObject } from 'node:crypto';
import { managedIdentityTokens } from '../../../src/gateway/policy/mi-tokens.ts';
import type { GatewayServices, ManagedIdentityTokenRequest } from '../../../src/gateway/policy/services.ts';
import { createTokenServices, entraTo, type TokenServices } from '../../../src/gateway/policy/token-keys.ts';
import type { IssuedWorkload } from '../../../src/identity/workloads.ts';
import { signJwt } from '../../adversarial/forge.ts';
import { startTestServer, type TestServer } from '../../host/harness.ts';

export interface AuthWorld {
  ts: TestServer;
  tenantId: string;
  /** The protected app: v1 tokens, role Orders.Read. */
  api: { appId: string; uri: string };
  /** An app that accepts v2 tokens. */
  v2: { appId: string; uri: string };
  /** The client-credentials caller (its appid/azp). */
  caller: { appId: string };
  /** The function app's system-assigned identity (holds Orders.Read on `api`). */
  func: { clientId: string; principalId: string };
  /** The gateway's identities. */
  gateway: {
    system: { clientId: string; principalId: string };
    uai: { clientId: string; principalId: string };
  };
  /** A managed-identity token of the function app for `resource` (default `api`'s appId). */
  funcToken(resource?: string): Promise<string>;
  /** A client-credentials token of `caller` for `requestedAs`. */
  clientToken(requestedAs: string): Promise<string>;
  /** A token with these claims signed by the issuer's real signing key (`header` merged in). */
  signed(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** Token services trusting this Lanyard's CA, Entra's hosts pointed at it. */
  tokenServices(o?: { cooldownMs?: number }): TokenServices;
  /** The gateway's managed-identity token service, counting the calls that reached the issuer (not cached). */
  miTokens: GatewayServices['managedIdentityToken'] & { minted(): number };
  cleanup(): Promise<void>;
}

export async function openAuthWorld(): Promise<AuthWorld> {
  const ts = await startTestServer('sqlite');
  const { runtime } = ts;
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'contoso', domains: ['contoso.onmicrosoft.com'] });
  const api = await d.createApp(tenant.id, {
    name: 'orders',
    identifierUris: ['api://orders'],
    appRoles: [{ value: 'Orders.Read', allowedMemberTypes: ['Application'] }],
  });
  const v2 = await d.createApp(tenant.id, {
    name: 'billing',
    identifierUris: ['api://billing'],
    accessTokenAcceptedVersion: 2,
  });
  const caller = await d.createApp(tenant.id, { name: 'caller' });
  const func = await d.createResource(tenant.id, {
    name: 'caller-func',
    kind: 'app',
    systemAssignedIdentity: true,
  });
  await d.assignRole(tenant.id, { principal: 'resource:caller-func', app: 'orders', role: 'Orders.Read' });
  const uai = await d.createIdentity(tenant.id, { name: 'apim-uai' });
  const apim = await d.createResource(tenant.id, {
    name: 'apim',
    kind: 'gateway',
    systemAssignedIdentity: true,
    userAssignedIdentities: ['apim-uai'],
  });
  await runtime.keys.ensureReady();
  const funcWorkload: IssuedWorkload = await runtime.workloads.issue(tenant.id, 'caller-func', {
    label: 'gateway tests',
  });
  const apimWorkload: IssuedWorkload = await runtime.workloads.issue(tenant.id, 'apim', {
    label: 'gateway tests',
  });
  let minted = 0;
  const counting = {
    token: async (...args: Parameters<typeof runtime.identity.token>) => {
      const t = await runtime.identity.token(...args);
      if (!t.fromCache) minted++;
      return t;
    },
  };
  const mi = managedIdentityTokens(counting, apimWorkload);
  const miTokens = Object.assign((r: ManagedIdentityTokenRequest) => mi(r), { minted: () => minted });
  const key = async (): Promise<{ kid: string; privateKey: KeyObject }> => runtime.keys.signingKey();
  return {
    ts,
    tenantId: tenant.id,
    api: { appId: api.appId, uri: 'api://orders' },
    v2: { appId: v2.appId, uri: 'api://billing' },
    caller: { appId: caller.appId },
    func: {
      clientId: func.systemAssignedIdentity!.clientId,
      principalId: func.systemAssignedIdentity!.principalId,
    },
    gateway: {
      system: {
        clientId: apim.systemAssignedIdentity!.clientId,
        principalId: apim.systemAssignedIdentity!.principalId,
      },
      uai: { clientId: uai.clientId, principalId: uai.principalId },
    },
    async funcToken(resource = api.appId) {
      return (await runtime.identity.token(funcWorkload, { by: 'system' }, resource, 'test')).accessToken;
    },
    async clientToken(requestedAs) {
      const client = (await d.findClient(tenant.id, caller.appId))!;
      return (await runtime.tokens.mint({ tenant, client, requestedAs, acr: '1', via: 'test' })).accessToken;
    },
    async signed(claims, header = {}) {
      const k = await key();
      return signJwt({ alg: 'RS256', typ: 'JWT', kid: k.kid, ...header }, claims, k.privateKey, 'RS256');
    },
    tokenServices: (o = {}) =>
      createTokenServices({ rewrite: entraTo(ts.server.url), ca: [ts.ca], cooldownMs: o.cooldownMs }),
    miTokens,
    cleanup: () => ts.cleanup(),
  };
}
