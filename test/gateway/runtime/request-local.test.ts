import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayContext } from '../../../src/gateway/runtime/context.ts';
import { HeaderMap } from '../../../src/gateway/runtime/headers.ts';
import { RequestLocal } from '../../../src/gateway/runtime/request-local.ts';

const ctx = () => ({}) as GatewayContext;

describe('RequestLocal', () => {
  it('keeps one value per request and per slot, and nothing before the first write', () => {
    const a = new RequestLocal<number>();
    const b = new RequestLocal<string>();
    const one = ctx();
    const two = ctx();
    assert.equal(a.get(one), undefined);
    assert.equal(a.has(one), false);
    assert.equal(one.locals, undefined);
    a.set(one, 1);
    b.set(one, 'x');
    a.set(two, 2);
    assert.equal(a.get(one), 1);
    assert.equal(b.get(one), 'x');
    assert.equal(a.get(two), 2);
    assert.equal(b.has(two), false);
    assert.equal(a.delete(one), true);
    assert.equal(a.has(one), false);
    assert.equal(b.get(one), 'x');
    assert.equal(a.delete(one), false);
  });
});

describe('HeaderMap fast paths', () => {
  it('fromParsed keeps every value and leaves out what skip names', () => {
    const h = HeaderMap.fromParsed(
      { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], connection: 'close', gone: undefined },
      (name) => name === 'connection',
    );
    assert.deepEqual(h.get('Set-Cookie'), ['a=1', 'b=2']);
    assert.equal(h.joined('content-type'), 'text/plain');
    assert.equal(h.has('connection'), false);
    assert.equal(h.has('gone'), false);
  });

  it('flatWithout lists name, value pairs in the first spelling, repeated headers repeated', () => {
    const h = HeaderMap.fromRaw(['X-A', '1', 'Host', 'h', 'x-a', '2', 'Accept', '*/*']);
    assert.deepEqual(
      h.flatWithout((n) => n === 'host'),
      ['X-A', '1', 'X-A', '2', 'Accept', '*/*'],
    );
  });
});
