/**
 * @module test/easyauth/slow-client
 * The Easy Auth front's listener limits, through `startEasyAuth`'s `limits` option (shortened here): a client
 * trickling its headers is cut off within the headers timeout plus the one-second sweep, answered 408 and
 * recorded like any parser refusal; past the connection cap a request is answered 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { idleConnection, rawGet, trickleHeaders } from '../http/slow-client.ts';
import { openWorld, type World } from './world.ts';

const SERVERNAME = 'protected-func.localhost';

describe('Easy Auth front: slow and surplus clients', () => {
  let w: World;
  before(async () => {
    w = await openWorld('sqlite');
  });
  after(() => w.cleanup());

  it('cuts off a client trickling its headers within the headers timeout plus one sweep, with a 408 and an audit row', async () => {
    const front = await w.front({}, undefined, { limits: { headersTimeout: 1_000 } });
    const target = { port: front.port, ca: w.ca, servername: SERVERNAME };
    const slow = await trickleHeaders(target, 100, 15_000);
    // Headers timeout 1 s, swept every second; the last second is room for a loaded machine.
    assert.ok(slow.closedAfterMs < 1_000 + 1_000 + 1_000, `closed after ${slow.closedAfterMs} ms`);
    assert.ok(slow.bytesSent >= 5, 'the client was still sending when cut off');
    assert.match(slow.received, /^HTTP\/1\.1 408 /);
    assert.match(slow.received, /content-type: text\/plain/i);
    let row: Awaited<ReturnType<typeof w.runtime.audit.list>>[number] | undefined;
    for (let i = 0; i < 50 && !row; i++) {
      const rows = await w.runtime.audit.list({ plane: 'easyauth', action: 'request.refuse' });
      row = rows.find((r) => r.reason === 'request_timeout');
      if (!row) await sleep(20);
    }
    assert.ok(row, 'the refusal is in the audit trail');
    assert.equal(row.target, 'protected-func');
    assert.equal(row.details?.status, 408);
    assert.equal(row.details?.parser, 'ERR_HTTP_REQUEST_TIMEOUT');
    // The front still serves everyone else.
    assert.match(await rawGet(target, '/'), /^HTTP\/1\.1 401 /);
  });

  it('answers 503 with Retry-After beyond the connection cap, and serves again once a connection closes', async () => {
    const front = await w.front({ globalValidation: { excludedPaths: ['/open'] } }, undefined, {
      limits: { maxConnections: 2 },
    });
    const target = { port: front.port, ca: w.ca, servername: SERVERNAME };
    const a = await idleConnection(target);
    const b = await idleConnection(target);
    // The server counts a connection once its side of the handshake is done, a moment after the client's.
    await sleep(50);
    const refused = await rawGet(target, '/open');
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.match(refused, /retry-after: 1/i);
    assert.match(refused, /connection: close/i);
    a.close();
    b.close();
    let answer = '';
    for (let i = 0; i < 50 && !/^HTTP\/1\.1 200 /.test(answer); i++) {
      await sleep(20);
      answer = await rawGet(target, '/open');
    }
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });
});
