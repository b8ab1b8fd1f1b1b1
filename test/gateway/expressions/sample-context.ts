/** A request context like the gateway runtime builds, for the expression tests. */
import type { ExpressionContext, PolicyContext, UrlModel } from '../../../src/gateway/expressions/index.ts';
import { jwtFromParts } from '../../../src/gateway/expressions/index.ts';

export const NOW = Date.UTC(2026, 11, 5, 1, 30, 0);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned-looking compact token (AsJwt never checks the signature). */
export function token(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
) {
  return `${b64(header)}.${b64(payload)}.c2lnbmF0dXJl`;
}

export const CLAIMS = {
  sub: 'user-1',
  iss: 'https://login.microsoftonline.com/tenant/v2.0',
  aud: ['api://orders', 'orders'],
  exp: NOW / 1000 + 3600,
  iat: NOW / 1000 - 60,
  jti: 'id-1',
  group: ['finance', 'ops'],
  roles: ['Orders.Read'],
  scp: 'read write',
};

const url = (path: string, query: Record<string, string[]>): UrlModel => ({
  Scheme: 'https',
  Host: 'api.contoso.com',
  Port: 443,
  Path: path,
  QueryString: Object.keys(query).length
    ? `?${Object.entries(query)
        .flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`))
        .join('&')}`
    : '',
  Query: new Map(Object.entries(query)),
});

export function sampleContext(overrides: Partial<PolicyContext> = {}): PolicyContext {
  return {
    Request: {
      Method: 'POST',
      Url: url('/orders/42', { 'api-version': ['2024-01-01'], tag: ['a', 'b'] }),
      OriginalUrl: url('/shop/orders/42', { 'api-version': ['2024-01-01'] }),
      Headers: new Map([
        ['Authorization', [`Bearer ${token(CLAIMS)}`]],
        ['Accept', ['application/json', 'text/plain']],
        ['X-Forwarded-For', ['10.0.0.1']],
      ]),
      IpAddress: '203.0.113.9',
      MatchedParameters: new Map([['id', '42']]),
      Body: { text: '{"amount":10}' },
    },
    Response: {
      StatusCode: 401,
      StatusReason: 'Unauthorized',
      Headers: new Map([['Content-Type', ['application/json']]]),
    },
    Variables: new Map<string, unknown>([
      ['jwt', jwtFromParts({ alg: 'RS256', typ: 'JWT' }, CLAIMS)],
      ['x', 'value-of-x'],
      ['count', 3],
      ['ratio', 0.5],
      ['flag', true],
      ['maxAge', '120'],
    ]),
    Subscription: { Id: 'sub-1', Key: 'k1', Name: 'Gold', PrimaryKey: 'k1', SecondaryKey: 'k2' },
    Product: { Id: 'starter', Name: 'Starter' },
    Api: { Id: 'orders-api', Name: 'Orders', Path: 'shop' },
    Operation: { Id: 'get-order', Name: 'Get order', Method: 'GET', UrlTemplate: '/orders/{id}' },
    User: null,
    LastError: null,
    Deployment: { Region: 'West Europe', ServiceName: 'contoso-apim' },
    RequestId: '0F8FAD5B-D9CB-469F-A165-70867728950E',
    Timestamp: NOW - 250,
    ...overrides,
  };
}

export function sample(overrides: Partial<PolicyContext> = {}): ExpressionContext {
  return {
    context: sampleContext(overrides),
    now: () => NOW,
    newGuid: () => '11111111-2222-3333-4444-555555555555',
  };
}
