/**
 * @module gateway/policies/registry
 * Every policy the gateway runs, by element name (one module per policy in this folder), and the APIM policies
 * it refuses on purpose, with the reason a refused document shows.
 */
import type { PolicyDefinition } from '../policy/contract.ts';
import { authenticationManagedIdentity } from './authentication-managed-identity.ts';
import { checkHeader } from './check-header.ts';
import { choose } from './choose.ts';
import { forwardRequest } from './forward-request.ts';
import { ipFilter } from './ip-filter.ts';
import { setHeader } from './set-header.ts';
import { validateAzureAdToken } from './validate-azure-ad-token.ts';
import { validateJwt } from './validate-jwt.ts';

export const POLICIES: ReadonlyMap<string, PolicyDefinition> = new Map(
  [
    authenticationManagedIdentity,
    checkHeader,
    choose,
    forwardRequest,
    ipFilter,
    setHeader,
    validateAzureAdToken,
    validateJwt,
  ].map((p) => [p.name, p]),
);

export const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['log-to-eventhub', 'there is no Event Hubs here; the gateway log and traces record each request'],
  ['send-one-way-request', 'not built yet'],
  ['cache-lookup', 'response caching is not built'],
  ['cache-store', 'response caching is not built'],
  ['cache-lookup-value', 'response caching is not built'],
  ['cache-store-value', 'response caching is not built'],
  ['cache-remove-value', 'response caching is not built'],
  ['azure-openai-token-limit', 'Azure OpenAI policies are out of scope'],
  ['llm-token-limit', 'LLM policies are out of scope'],
  ['invoke-dapr-binding', 'Dapr policies are out of scope'],
  ['publish-to-dapr', 'Dapr policies are out of scope'],
  ['set-backend-service-dapr', 'Dapr policies are out of scope'],
]);
