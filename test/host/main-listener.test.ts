/**
 * @module test/server/main-listener.test
 * The HTTPS listener itself: TLS trust through the data folder's CA only, per-name certificates for
 * `*.localhost`, the default dual loopback binding, header limits, a clear error for a taken port, and close.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { startServer } from '../../src/host/main-listener.ts';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import { createLogger } from '../../src/http/logger.ts';
import { tempDir } from '../helpers/stores.ts';
import { ADMIN_TOKEN } from './harness.ts';

const silent = createLogger({ level: 'silent' });

function peerCertificate(port: number, host: string, servername: string, ca?: string) {
  return new Promise<{ authorized: boolean; error?: string; cn?: string; san?: string }>(
    (resolve, reject) => {
      const socket = tls.connect(
        { host, port, servername, ...(ca ? { ca } : {}), rejectUnauthorized: false },
        () => {
          const cert = socket.getPeerCertificate();
          resolve({
            authorized: socket.authorized,
            ...(socket.authorizationError ? { error: String(socket.authorizationError) } : {}),
            cn: cert.subject?.CN as string,
            ...(cert.subjectaltname ? { san: cert.subjectaltname } : {}),
          });
          socket.end();
        },
      );
      socket.on('error', reject);
    },
  );
}

describe('main HTTPS listener', () => {
  let dataDir: string;
  let runtime: Runtime;
  before(async () => {
    dataDir = tempDir('lanyard-listener-');
    runtime = await openRuntime({ dataDir, store: 'sqlite::memory:', env: {} });
  });
  after(async () => {
    await runtime?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and ::1 for localhost, verifies with the CA file, fails without it', async () => {
    const server = await startServer(runtime, { port: 0, adminToken: ADMIN_TOKEN, logger: silent });
    try {
      assert.equal(server.url, `https://localhost:${server.port}`);
      assert.ok(server.port > 0);
      assert.ok(server.addresses.includes('127.0.0.1'));
      const ca = fs.readFileSync(server.caCertPath, 'utf8');
      assert.equal(server.caCertPath, `${dataDir}/ca/ca.pem`);

      for (const host of server.addresses) {
        const origin = `https://${net.isIPv6(host) ? `[${host}]` : host}:${server.port}`;
        const trusted = new Agent({ connect: { ca } });
        const res = await request(`${origin}/healthz`, { dispatcher: trusted });
        assert.equal(res.statusCode, 200, host);
        assert.deepEqual(await res.body.json(), { status: 'ok' });
        await trusted.close();
      }
      const viaName = new Agent({ connect: { ca } });
      const named = await request(`${server.url}/healthz`, { dispatcher: viaName });
      assert.equal(named.statusCode, 200);
      await named.body.dump();
      await viaName.close();

      const untrusting = new Agent();
      await assert.rejects(
        request(`https://127.0.0.1:${server.port}/healthz`, { dispatcher: untrusting }),
        (err: NodeJS.ErrnoException) => /CERT|SIGNATURE|certificate/i.test(`${err.code} ${err.message}`),
      );
      await untrusting.close();

      const withCa = await peerCertificate(server.port, '127.0.0.1', 'localhost', ca);
      assert.equal(withCa.authorized, true, withCa.error);
      assert.match(withCa.san ?? '', /DNS:localhost/);
      assert.match(withCa.san ?? '', /IP Address:127\.0\.0\.1/);
      const withoutCa = await peerCertificate(server.port, '127.0.0.1', 'localhost');
      assert.equal(withoutCa.authorized, false);
    } finally {
      await server.close();
    }
  });

  it('gives each <name>.localhost a certificate of its own through SNI', async () => {
    const server = await startServer(runtime, {
      host: '127.0.0.1',
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger: silent,
    });
    try {
      const ca = fs.readFileSync(server.caCertPath, 'utf8');
      const app = await peerCertificate(server.port, '127.0.0.1', 'orders.localhost', ca);
      assert.equal(app.authorized, true, app.error);
      assert.equal(app.cn, 'orders.localhost');
      const other = await peerCertificate(server.port, '127.0.0.1', 'example.com', ca);
      assert.equal(other.cn, 'localhost', 'names outside *.localhost get the default certificate');
      assert.equal(other.authorized, false);
    } finally {
      await server.close();
    }
  });

  it('answers 431 to more than 16 KiB of headers', async () => {
    const server = await startServer(runtime, {
      host: '127.0.0.1',
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger: silent,
    });
    try {
      const ca = fs.readFileSync(server.caCertPath, 'utf8');
      const agent = new Agent({ connect: { ca } });
      const res = await agent.request({
        origin: server.url,
        path: '/healthz',
        method: 'GET',
        headers: { 'x-padding': 'a'.repeat(17 * 1024) },
      });
      assert.equal(res.statusCode, 431);
      await res.body.dump();
      await agent.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a taken port with ERR_LISTEN naming the port', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        startServer(runtime, { host: '127.0.0.1', port, adminToken: ADMIN_TOKEN, logger: silent }),
        (err: unknown) => {
          assert.ok(isLanyardError(err));
          assert.equal(err.code, 'ERR_LISTEN');
          assert.equal(err.status, 500);
          assert.match(err.message, new RegExp(`port ${port} is in use; pass --port`));
          assert.ok(err.hint);
          return true;
        },
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('answers an unexpected failure with a generic 500 and keeps the detail in the log only', async () => {
    const dir = tempDir('lanyard-listener-');
    const broken = await openRuntime({ dataDir: dir, store: 'sqlite::memory:', env: {} });
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => logs.push(l) } });
    const server = await startServer(broken, { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logger });
    const agent = new Agent({ connect: { ca: fs.readFileSync(server.caCertPath, 'utf8') } });
    try {
      await broken.close(); // the store goes away under a running server
      const res = await request(`${server.url}/admin/tenants`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(res.statusCode, 500);
      const body = (await res.body.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'ERR_INTERNAL');
      assert.doesNotMatch(body.error.message, /destroy|driver|sqlite/i);
      const errorLine = logs.map((l) => JSON.parse(l)).find((l) => l.level === 50);
      assert.ok(errorLine?.err?.message, 'the cause is logged');
    } finally {
      await agent.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port out of range', async () => {
    await assert.rejects(
      startServer(runtime, { port: 70000, adminToken: ADMIN_TOKEN, logger: silent }),
      (err: unknown) => isLanyardError(err) && err.code === 'ERR_USAGE',
    );
  });

  it('close() frees the port and ends open keep-alive connections', async () => {
    const server = await startServer(runtime, {
      host: '127.0.0.1',
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger: silent,
    });
    const ca = fs.readFileSync(server.caCertPath, 'utf8');
    const agent = new Agent({ connect: { ca }, keepAliveTimeout: 60_000 });
    const res = await request(`${server.url}/healthz`, { dispatcher: agent });
    await res.body.dump();
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 2_000, 'an idle keep-alive connection does not hold close() up');
    await server.close(); // idempotent
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(server.port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => again.close(resolve));
    await agent.close();
  });
});
