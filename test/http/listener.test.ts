import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { logField, startListener } from '../../src/http/listener.ts';
import { createLogger } from '../../src/http/logger.ts';
import { idleConnection, rawGet, trickleHeaders } from './slow-client.ts';

const ok = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
};

describe('listener factory', () => {
  it('cuts off a client that trickles its headers, within the headers timeout plus one sweep', async () => {
    const listener = await startListener({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      limits: { headersTimeout: 1_000, requestTimeout: 60_000 },
      handler: ok,
    });
    try {
      const slow = await trickleHeaders({ port: listener.port }, 100, 15_000);
      assert.ok(slow.closedAfterMs < 3_000, `closed after ${slow.closedAfterMs} ms`);
      assert.ok(slow.bytesSent >= 5, 'the client was still sending when cut off');
      assert.match(slow.received, /^HTTP\/1\.1 408 /);
    } finally {
      await listener.close();
    }
  });

  it('answers 503 with Retry-After beyond the connection cap, and serves again once a connection closes', async () => {
    const listener = await startListener({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      limits: { maxConnections: 2 },
      handler: ok,
    });
    try {
      const a = await idleConnection({ port: listener.port });
      const b = await idleConnection({ port: listener.port });
      const refused = await rawGet({ port: listener.port });
      assert.match(refused, /^HTTP\/1\.1 503 /);
      assert.match(refused, /retry-after: 1/i);
      assert.match(refused, /connection: close/i);
      a.close();
      b.close();
      // The server sees the closes asynchronously.
      for (let i = 0; i < 50 && listener.connections() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(await rawGet({ port: listener.port }), /^HTTP\/1\.1 200 /);
    } finally {
      await listener.close();
    }
  });

  it('maps a taken port to ERR_LISTEN naming the listener and the setting that moves it', async () => {
    const first = await startListener({ name: 'first', host: '127.0.0.1', port: 0, handler: ok });
    try {
      await assert.rejects(
        startListener({
          name: 'managed-identity',
          host: '127.0.0.1',
          port: first.port,
          handler: ok,
          portSetting: '--identity-port',
        }),
        (err: unknown) => {
          assert.ok(isLanyardError(err));
          assert.equal(err.code, 'ERR_LISTEN');
          assert.match(err.message, /managed-identity listener/);
          assert.match(err.message, new RegExp(`port ${first.port} is in use; pass --identity-port`));
          return true;
        },
      );
    } finally {
      await first.close();
    }
  });

  it('refuses a port out of range and an empty host before binding anything', async () => {
    await assert.rejects(startListener({ name: 't', host: '127.0.0.1', port: 70_000, handler: ok }), {
      code: 'ERR_USAGE',
    });
    await assert.rejects(startListener({ name: 't', host: ' ', port: 0, handler: ok }), {
      code: 'ERR_USAGE',
    });
  });

  it('writes one request line with the path (never the query) and the fields a handler adds', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const listener = await startListener({
      name: 'test',
      host: '127.0.0.1',
      port: 0,
      handler: (req, res) => {
        logField(res, 'group', 'demo');
        ok(req, res);
      },
      requestLog: { logger, level: 'info', fields: { listener: 'test' } },
    });
    try {
      await rawGet({ port: listener.port }, '/a/b?secret=hunter2');
      for (let i = 0; i < 50 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const line = lines.find((l) => l.msg === 'request');
      assert.ok(line, 'a request line was written');
      assert.equal(line.path, '/a/b');
      assert.equal(line.group, 'demo');
      assert.equal(line.listener, 'test');
      assert.equal(line.status, 200);
      assert.doesNotMatch(JSON.stringify(lines), /hunter2/);
    } finally {
      await listener.close();
    }
  });

  it('close() ends idle keep-alive connections at once', async () => {
    const listener = await startListener({ name: 't', host: '127.0.0.1', port: 0, handler: ok });
    await idleConnection({ port: listener.port });
    const started = Date.now();
    await listener.close();
    assert.ok(Date.now() - started < 2_000);
  });

  it('close() waits for a response in flight, then ends its keep-alive connection at once', async () => {
    let release: () => void = () => {};
    const listener = await startListener({
      name: 't',
      host: '127.0.0.1',
      port: 0,
      shutdownGraceMs: 10_000,
      handler: (req, res) => {
        release = () => ok(req, res);
      },
    });
    const agent = new http.Agent({ keepAlive: true });
    const reply = new Promise<number>((resolve, reject) => {
      http
        .get({ port: listener.port, host: '127.0.0.1', path: '/', agent }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    while (listener.connections() === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const closed = listener.close();
    release();
    assert.equal(await reply, 200, 'the request in flight was answered');
    await closed;
    assert.ok(Date.now() - started < 2_000, `closed after ${Date.now() - started} ms, not the 10 s grace`);
    agent.destroy();
  });
});
