/**
 * @module bench/gateway/pipeline
 * The policies alone, in-process: the compiled pipeline of bench/gateway's API run on a request context with a
 * backend that answers at once, for each policy set, against the empty pipeline (no API policy: the global
 * forward-request only) run in the same invocation. No HTTP, so what it prints is what the policies cost —
 * CPU µs per run and the difference to the empty pipeline — apart from the front and the network.
 *
 *   node_modules/.bin/node bench/gateway/pipeline.ts [--runs 100000]
 *     [--sets "validate-jwt;set-header;rate-limit-by-key;validate-jwt,set-header,rate-limit-by-key"]
 */
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { compileGateway } from '../../src/gateway/compile-gateway.ts';
import type { GatewayServices } from '../../src/gateway/policy/services.ts';
import { createTokenServices } from '../../src/gateway/policy/token-keys.ts';
import type { GatewayContext } from '../../src/gateway/runtime/context.ts';
import { createMemoryCounters } from '../../src/gateway/runtime/counters-memory.ts';
import { HeaderMap } from '../../src/gateway/runtime/headers.ts';
import { newPipelineState } from '../../src/http/pipeline.ts';
import { ALL_POLICIES, benchDefinition, benchPolicy } from './definition.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    sets: { type: 'string', default: `${ALL_POLICIES.join(';')};${ALL_POLICIES.join(',')}` },
  },
});
const runs = Math.min(Math.max(Math.round(Number(args.runs)), 1000), 2_000_000);

const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwk = await exportJWK(publicKey);
const fixture = {
  n: jwk.n!,
  e: jwk.e!,
  kid: 'bench',
  issuer: 'https://issuer.bench.invalid/',
  audience: 'api://bench-gateway',
};
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'RS256', kid: fixture.kid, typ: 'JWT' })
  .setIssuer(fixture.issuer)
  .setAudience(fixture.audience)
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey);
const now = () => Date.now();
const services: GatewayServices = {
  now,
  tokens: createTokenServices({ now }),
  managedIdentityToken: () => Promise.reject(new Error('no managed identity in this bench')),
  counters: createMemoryCounters({ now }),
  backend: {
    send: async () => ({ status: 200, reason: '', headers: new HeaderMap(), body: { kind: 'none' } }),
  },
};
/**
 * The request's raw headers, as new strings each time: a request brings its own copy of the token, and a
 * string's hash (Map lookups by token, counter keys) is computed once per string object.
 */
const fresh = () => [
  'Host',
  '127.0.0.1:8080',
  'User-Agent',
  'wrk',
  'Authorization',
  `Bearer ${token.slice(0, 1)}${token.slice(1)}`,
  'Accept',
  '*/*',
];

/** CPU µs per run of the pipeline for `policies` (undefined: no API policy). */
async function measure(policies: readonly string[] | undefined): Promise<number> {
  const definition = benchDefinition(
    'bench',
    'http://127.0.0.1:9',
    policies ? benchPolicy(fixture, policies) : undefined,
  );
  const gateway = compileGateway(definition, { services });
  const api = gateway.matchApi('/api/data')!;
  const match = gateway.matchOperation(api.api, 'GET', api.rest)!;
  const pipeline = match.operation.pipelines.get('')!;
  const context = (): GatewayContext => ({
    pipeline: newPipelineState(false),
    requestId: 'bench',
    startedAt: 0,
    timestamp: new Date(),
    clientIp: '127.0.0.1',
    originalUrl: new URL('http://127.0.0.1:8080/api/data'),
    originalMethod: 'GET',
    gateway: { name: 'bench', region: 'local' },
    api: { id: 'api', name: 'Bench API', path: 'api' },
    operation: { id: 'data', name: 'Data', method: 'GET', urlTemplate: '/data' },
    product: undefined,
    subscription: undefined,
    matchedParameters: match.parameters,
    request: {
      method: 'GET',
      url: new URL('http://127.0.0.1:9/api/data'),
      headers: HeaderMap.fromRaw(fresh()),
      body: { kind: 'none' },
    },
    response: undefined,
    variables: new Map(),
    lastError: undefined,
    trace: undefined,
  });
  const first = context();
  await pipeline.run(first);
  if (first.response?.status !== 200) {
    throw new Error(`the pipeline answered ${first.response?.status}: ${first.lastError?.message}`);
  }
  for (let i = 0; i < Math.min(runs, 20_000); i++) await pipeline.run(context());
  const start = process.cpuUsage();
  for (let i = 0; i < runs; i++) await pipeline.run(context());
  const used = process.cpuUsage(start);
  return (used.user + used.system) / runs;
}

const empty = await measure(undefined);
const rows: [string, number][] = [];
for (const set of args.sets.split(';')) {
  const policies = set.split(',').filter(Boolean);
  rows.push([policies.join(' + '), await measure(policies)]);
}
console.log(`${runs} runs each, node ${process.version}\n`);
console.log('| API policy | CPU µs/run | over the empty pipeline |');
console.log('|---|---:|---:|');
console.log(`| none (global forward-request only) | ${empty.toFixed(2)} | — |`);
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(2)} | +${(us - empty).toFixed(2)} µs |`);
