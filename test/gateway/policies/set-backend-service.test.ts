import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLoadError, policyDoc as doc, fakeBackend, runPolicies } from '../policy-harness.ts';

const backends = new Map([['orders-v2', { url: 'http://v2.backend.test/api/v2' }]]);
const services = { backendEntity: (id: string) => backends.get(id) };

describe('set-backend-service', () => {
  it('base-url: only the base changes; the operation path and query stay (APIM’s version routing example)', async () => {
    const b = fakeBackend();
    const ctx = await runPolicies(
      {
        global: doc({ backend: '<forward-request />' }),
        api: doc({
          inbound: `<choose>
              <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;version&quot;) == &quot;2013-05&quot;)"><set-backend-service base-url="http://contoso.com/api/8.2/" /></when>
              <when condition="@(context.Request.Url.Query.GetValueOrDefault(&quot;version&quot;) == &quot;2014-03&quot;)"><set-backend-service base-url="http://contoso.com/api/9.1/" /></when>
            </choose><base />`,
        }),
      },
      {
        url: 'https://contoso.azure-api.net/api/partners/15?version=2013-05&subscription-key=abcdef',
        backendUrl: 'http://contoso.com/api/10.4/partners/15?version=2013-05&subscription-key=abcdef',
        apiPath: 'api',
      },
      { services: { backend: b.backend } },
    );
    assert.equal(
      ctx.request.url.href,
      'http://contoso.com/api/8.2/partners/15?version=2013-05&subscription-key=abcdef',
    );
    assert.equal(
      b.sent[0]?.url,
      'http://contoso.com/api/8.2/partners/15?version=2013-05&subscription-key=abcdef',
    );
  });

  it('backend-id: the entity’s URL as the base; expressions for either attribute', async () => {
    const ctx = await runPolicies(
      { api: doc({ inbound: '<set-backend-service backend-id="orders-v2" />' }) },
      {},
      { services },
    );
    assert.equal(ctx.request.url.href, 'http://v2.backend.test/api/v2/42?x=1');
    const computed = await runPolicies(
      {
        api: doc({
          inbound:
            '<set-backend-service backend-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-Backend&quot;, &quot;&quot;))" />',
        }),
      },
      { headers: { 'X-Backend': 'nope' } },
      { services },
    );
    assert.equal(computed.response?.status, 500);
    assert.match(computed.lastError?.message ?? '', /no backend named "nope"/);
    const url = await runPolicies({
      api: doc({ inbound: '<set-backend-service base-url="@("ftp://x")" />' }),
    });
    assert.equal(url.response?.status, 500);
  });

  it('refuses an unknown constant backend-id at load, both or neither attribute, bad URLs and Service Fabric', () => {
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service backend-id="missing" />' }) },
      /api\.xml:1:\d+: <set-backend-service> backend-id "missing" names no backend of this gateway/,
      /base-url/,
      { services },
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service backend-id="orders-v2" />' }) },
      /names no backend/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service />' }) },
      /exactly one of base-url and backend-id/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service base-url="http://a.test" backend-id="orders-v2" />' }) },
      /exactly one of/,
      undefined,
      { services },
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service base-url="file:///etc" />' }) },
      /must be http or https/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service base-url="http://u:p@a.test" />' }) },
      /must not carry credentials/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service base-url="http://a.test/?q=1" />' }) },
      /query or fragment/,
    );
    assertLoadError(
      { api: doc({ inbound: '<set-backend-service backend-id="orders-v2" sf-partition-key="1" />' }) },
      /sf-partition-key is not supported by Lanyard/,
      undefined,
      { services },
    );
    assertLoadError(
      { api: doc({ outbound: '<set-backend-service base-url="http://a.test" />' }) },
      /cannot stand in <outbound>/,
    );
  });
});
