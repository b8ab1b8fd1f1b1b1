/**
 * @module bench/gateway/definition
 * What the gateway benchmarks run: one API `api` (operation `GET /data`) in front of an upstream, its policy
 * `validate-jwt` (the RSA key as n/e, audience and issuer checked) + `set-header` + `rate-limit-by-key` (counter
 * key: the Authorization header, a limit never reached) or a subset of them. server.ts serves it over HTTP;
 * pipeline.ts runs its compiled pipelines in-process.
 */
import type { GatewayDefinition } from '../../src/gateway/model.ts';
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY } from '../../src/gateway/model.ts';

export interface GatewayFixture {
  n: string;
  e: string;
  kid: string;
  issuer: string;
  audience: string;
}

export const ALL_POLICIES: readonly string[] = ['validate-jwt', 'set-header', 'rate-limit-by-key'];

/** The API policy every authenticating phase applies (the HAProxy config in run.ts mirrors it). */
export function benchPolicy(f: GatewayFixture, only = ALL_POLICIES): string {
  const parts: Record<string, string> = {
    'validate-jwt': `<validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401">
      <issuer-signing-keys><key id="${f.kid}" n="${f.n}" e="${f.e}" /></issuer-signing-keys>
      <audiences><audience>${f.audience}</audience></audiences>
      <issuers><issuer>${f.issuer}</issuer></issuers>
    </validate-jwt>`,
    'set-header': `<set-header name="X-Bench-Gateway" exists-action="override"><value>lanyard</value></set-header>`,
    'rate-limit-by-key': `<rate-limit-by-key calls="100000000" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;, &quot;&quot;))" />`,
  };
  return `<policies>
  <inbound>
    <base />
    ${only.map((p) => parts[p] ?? '').join('\n    ')}
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`;
}

/** The gateway: the global policy forwards; the API's policy is `apiPolicy` (none: the front alone). */
export function benchDefinition(name: string, upstream: string, apiPolicy?: string): GatewayDefinition {
  return {
    resourceId: 'bench',
    tenantId: 'bench',
    name,
    policy: {
      xml: '<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>',
    },
    apis: [
      {
        name: 'api',
        displayName: 'Bench API',
        path: 'api',
        serviceUrl: `${upstream}/api`,
        protocols: ['http', 'https'],
        subscriptionRequired: false,
        subscriptionKeyHeader: DEFAULT_KEY_HEADER,
        subscriptionKeyQuery: DEFAULT_KEY_QUERY,
        ...(apiPolicy === undefined ? {} : { policy: { xml: apiPolicy } }),
        operations: [{ name: 'data', displayName: 'Data', method: 'GET', urlTemplate: '/data' }],
      },
    ],
    products: [],
    subscriptions: [],
    namedValues: [],
    backends: [],
  };
}
