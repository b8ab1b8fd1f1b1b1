/**
 * @module gateway/policies/registry
 * Every policy the gateway runs, by element name (one module per policy in this folder), and the APIM policies
 * it refuses on purpose, with the reason a refused document shows.
 */
import type { PolicyDefinition } from '../policy/contract.ts';
import { authenticationManagedIdentity } from './authentication-managed-identity.ts';
import { checkHeader } from './check-header.ts';
import { choose } from './choose.ts';
import { cors } from './cors.ts';
import { forwardRequest } from './forward-request.ts';
import { ipFilter } from './ip-filter.ts';
import { mockResponse } from './mock-response.ts';
import { quota } from './quota.ts';
import { quotaByKey } from './quota-by-key.ts';
import { rateLimit } from './rate-limit.ts';
import { rateLimitByKey } from './rate-limit-by-key.ts';
import { retry } from './retry.ts';
import { returnResponse } from './return-response.ts';
import { rewriteUri } from './rewrite-uri.ts';
import { setBackendService } from './set-backend-service.ts';
import { setBody } from './set-body.ts';
import { setHeader } from './set-header.ts';
import { setMethod } from './set-method.ts';
import { setQueryParameter } from './set-query-parameter.ts';
import { setStatus } from './set-status.ts';
import { setVariable } from './set-variable.ts';
import { trace } from './trace.ts';
import { validateAzureAdToken } from './validate-azure-ad-token.ts';
import { validateJwt } from './validate-jwt.ts';

export const POLICIES: ReadonlyMap<string, PolicyDefinition> = new Map(
  [
    choose,
    forwardRequest,
    setHeader,
    // Authentication and access.
    authenticationManagedIdentity,
    checkHeader,
    ipFilter,
    validateAzureAdToken,
    validateJwt,
    // Request and response shaping.
    cors,
    mockResponse,
    retry,
    returnResponse,
    rewriteUri,
    setBackendService,
    setBody,
    setMethod,
    setQueryParameter,
    setStatus,
    setVariable,
    trace,
    // Rate limits and quotas.
    quota,
    quotaByKey,
    rateLimit,
    rateLimitByKey,
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
