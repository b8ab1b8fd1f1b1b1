/**
 * @module test/easyauth/reconfigure
 * A running front given a new config: swapped in for the next requests on the same listener (keep-alive
 * connections included), the old one kept when the new one does not compile or cannot be bound, a new
 * upstream used at once, a new listen port served by a new listener before the old one closes, and requests
 * in flight on the old listener allowed to finish.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLanyardError } from '../../src/errors/lanyard-error.ts';
import { rawGet } from '../http/slow-client.ts';
import { openWorld, type World } from './world.ts';

/** An upstream that answers `{ name }` after `delayMs`. */
function namedUpstream(name: string, delayMs = 0): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name }));
    }, delayMs);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Easy Auth front: reconfigure', () => {
  let w: World;
  before(async () => {
    w = await openWorld('sqlite');
  });
  after(() => w.cleanup());

  it('swaps the config for the next requests on the same listener and connection', async () => {
    const front = await w.front({});
    const port = front.port;
    assert.equal((await w.call(front, '/open')).status, 401);
    const result = await front.reconfigure(w.config({ globalValidation: { excludedPaths: ['/open'] } }));
    assert.deepEqual(result, { restarted: false });
    assert.equal(front.port, port);
    assert.deepEqual(front.config.globalValidation.excludedPaths, ['/open']);
    // The agent reuses its keep-alive connection: the same listener, the new config.
    assert.equal((await w.call(front, '/open')).status, 200);
    assert.equal((await w.call(front, '/closed')).status, 401);
    await front.reconfigure(w.config({ globalValidation: { unauthenticatedClientAction: 'Return404' } }));
    assert.equal((await w.call(front, '/open')).status, 404);
  });

  it('a config that does not compile is refused, and the old one keeps serving', async () => {
    const front = await w.front({ globalValidation: { excludedPaths: ['/open'] } });
    const before = front.config;
    await assert.rejects(
      front.reconfigure({ ...w.config(), upstream: 'ftp://127.0.0.1:21' }),
      (err: unknown) => {
        assert.ok(isLanyardError(err));
        assert.equal(err.code, 'ERR_VALIDATION');
        assert.match(err.message, /upstream/);
        return true;
      },
    );
    await assert.rejects(
      front.reconfigure(w.config({ aad: { registration: { clientId: 'no-such-app' } } })),
      (err: unknown) => isLanyardError(err),
    );
    assert.equal(front.config, before, 'nothing changed');
    assert.equal((await w.call(front, '/open')).status, 200);
    // A later good config still applies: a failed one does not block the queue.
    await front.reconfigure(w.config());
    assert.equal((await w.call(front, '/open')).status, 401);
  });

  it('a new upstream takes the next request', async () => {
    const blue = await namedUpstream('blue');
    const green = await namedUpstream('green');
    try {
      const front = await w.front({ upstream: blue.url, globalValidation: { excludedPaths: ['/who'] } });
      assert.equal(JSON.parse((await w.call(front, '/who')).text).name, 'blue');
      await front.reconfigure({
        ...w.config({ globalValidation: { excludedPaths: ['/who'] } }),
        upstream: green.url,
      });
      assert.equal(front.upstream, green.url);
      assert.equal(JSON.parse((await w.call(front, '/who')).text).name, 'green');
    } finally {
      await Promise.all([blue.close(), green.close()]);
    }
  });

  it('calls are applied one at a time, in order', async () => {
    const front = await w.front({});
    const first = front.reconfigure(w.config({ globalValidation: { excludedPaths: ['/a'] } }));
    const second = front.reconfigure(w.config({ globalValidation: { excludedPaths: ['/b'] } }));
    await Promise.all([first, second]);
    assert.deepEqual(front.config.globalValidation.excludedPaths, ['/b']);
    assert.equal((await w.call(front, '/a')).status, 401);
    assert.equal((await w.call(front, '/b')).status, 200);
  });

  it('a new listen port: a new listener serves it, the old one closes after its requests finish', async () => {
    const slow = await namedUpstream('slow', 400);
    try {
      const front = await w.front({ upstream: slow.url, globalValidation: { excludedPaths: ['/*'] } });
      const oldPort = front.port;
      const oldUrl = front.url;
      const inFlight = w.call(front, '/slow');
      await sleep(100);
      const target = await freePort();
      const result = await front.reconfigure({
        ...w.config({ globalValidation: { excludedPaths: ['/*'] } }),
        upstream: slow.url,
        listen: { port: target },
      });
      assert.deepEqual(result, { restarted: true });
      assert.equal(front.port, target);
      assert.equal(front.url, oldUrl.replace(`:${oldPort}`, `:${target}`));
      assert.equal(front.loopbackUrl, `https://127.0.0.1:${target}`);
      const done = await inFlight;
      assert.equal(done.status, 200, 'the request in flight on the old listener finished');
      assert.equal(JSON.parse(done.text).name, 'slow');
      assert.equal((await w.call(front, '/x')).status, 200);
      await assert.rejects(rawGet({ port: oldPort, ca: w.ca, servername: 'protected-func.localhost' }), {
        code: 'ECONNREFUSED',
      });
      // Port 0 means any free port: the one bound already is one, so no restart.
      const again = await front.reconfigure({ ...w.config(), upstream: slow.url, listen: { port: 0 } });
      assert.deepEqual(again, { restarted: false });
      assert.equal(front.port, target);
    } finally {
      await slow.close();
    }
  });

  it('a listen port that cannot be bound: rejected with ERR_LISTEN, the old listener keeps serving', async () => {
    const front = await w.front({ globalValidation: { excludedPaths: ['/open'] } });
    const other = await w.front({}, 'caller-func');
    const port = front.port;
    await assert.rejects(
      front.reconfigure(w.config({ listen: { port: other.port, host: '127.0.0.1' } })),
      (err: unknown) => {
        assert.ok(isLanyardError(err));
        assert.equal(err.code, 'ERR_LISTEN');
        assert.match(err.message, /easyAuth\.listen\.port/);
        return true;
      },
    );
    assert.equal(front.port, port);
    assert.deepEqual(front.config.globalValidation.excludedPaths, ['/open']);
    assert.equal((await w.call(front, '/open')).status, 200);
  });

  it('a closed front refuses to be reconfigured', async () => {
    const front = await w.front({});
    await front.close();
    await assert.rejects(front.reconfigure(w.config()), /closed/);
  });
});
