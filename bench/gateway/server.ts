/**
 * @module bench/gateway/server
 * The Node processes of the gateway benchmark (run.ts starts them, on loopback only, plain HTTP):
 *
 *   server.ts proxy <upstream>              the baseline: a hand-written reverse proxy — node:http + an undici
 *                                           Pool with `pool.dispatch` and a streaming handler (as bench/easyauth's
 *                                           plain proxy, without TLS), hop-by-hop headers dropped both ways,
 *                                           X-Forwarded-* added; no authentication, no policy;
 *   server.ts gateway <upstream> <fixture>  Lanyard's gateway front (src/gateway/front.ts) for one API `api`
 *                                           (operation `GET /data`), compiled from a GatewayDefinition without a
 *                                           store, whose API policy is `validate-jwt` (the RSA key as n/e, the
 *                                           audience and issuer checked) + `set-header` + `rate-limit-by-key`
 *                                           (counter key: the Authorization header; a limit never reached).
 *                                           Counters from the environment as the host picks them: in memory,
 *                                           or Redis with LANYARD_GATEWAY_REDIS. <fixture> is a JSON file with
 *                                           { n, e, kid, issuer, audience } (run.ts writes it). With
 *                                           BENCH_GATEWAY_BARE=1 the API has no policy (no authentication):
 *                                           the front and forward-request alone. BENCH_GATEWAY_POLICIES
 *                                           (comma-separated) keeps only some of the three policies.
 *
 * Each prints `BENCH_READY <json>`, serves until SIGTERM, then exits.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardPlain, openPlainPool } from '../lib/plain-proxy.ts';
import { ALL_POLICIES, benchDefinition, benchPolicy, type GatewayFixture } from './definition.ts';

const ready = (info: object) => process.stdout.write(`BENCH_READY ${JSON.stringify(info)}\n`);
const onStop = (stop: () => Promise<void> | void) =>
  process.once('SIGTERM', () => {
    void (async () => {
      await stop();
      process.exit(0);
    })();
  });

const mode = process.argv[2];

if (mode === 'proxy') {
  const upstream = new URL(process.argv[3]!);
  const pool = openPlainPool(upstream.origin);
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) =>
    forwardPlain(pool, upstream.origin, req, res, { proto: 'http' }),
  );
  server.listen(0, '127.0.0.1', () => ready({ port: (server.address() as AddressInfo).port }));
  onStop(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await pool.destroy();
  });
} else if (mode === 'gateway') {
  const upstream = process.argv[3]!;
  const fixture = JSON.parse(fs.readFileSync(process.argv[4]!, 'utf8')) as GatewayFixture;
  const { compileGateway } = await import('../../src/gateway/compile-gateway.ts');
  const { startGatewayFront } = await import('../../src/gateway/front.ts');
  const { createBackendClient } = await import('../../src/gateway/runtime/backend-client.ts');
  const { countersFromEnv } = await import('../../src/gateway/runtime/counters.ts');
  const { createTokenServices } = await import('../../src/gateway/policy/token-keys.ts');
  const { createTraceStore } = await import('../../src/gateway/runtime/traces.ts');
  const { createLogger } = await import('../../src/http/logger.ts');

  const name = `bench-gw-${process.pid}`;
  // BENCH_GATEWAY_POLICIES: a subset of the three (run.ts --policies), to measure each one's cost.
  const policies = process.env.BENCH_GATEWAY_POLICIES?.split(',').filter(Boolean) ?? ALL_POLICIES;
  const logger = createLogger({ level: 'info' });
  const now = () => Date.now();
  const backend = createBackendClient();
  // Memory by default; Redis with LANYARD_GATEWAY_REDIS: as the host's gateway plane picks them (plane.ts).
  const counters = countersFromEnv(process.env, name, { now, logger });
  const services = {
    now,
    tokens: createTokenServices({ now }),
    managedIdentityToken: () => Promise.reject(new Error('no managed identity in this bench')),
    counters,
    backend,
  };
  // BENCH_GATEWAY_BARE=1: no policy of the API's own (the global forward-request only): what the front and its
  // forwarding cost before any policy runs.
  const definition = benchDefinition(
    name,
    upstream,
    process.env.BENCH_GATEWAY_BARE === '1' ? undefined : benchPolicy(fixture, policies),
  );
  const front = await startGatewayFront({
    compiled: compileGateway(definition, { services }),
    services,
    hashKey: (k) => k,
    host: '127.0.0.1',
    port: 0,
    logger,
    traces: createTraceStore(10),
  });
  ready({ port: Number(new URL(front.url).port), counters: counters.store });
  onStop(async () => {
    await front.close();
    await backend.close();
    await counters.close?.();
  });
} else {
  process.stderr.write('usage: server.ts proxy <upstream> | gateway <upstream> <fixture.json>\n');
  process.exit(2);
}
