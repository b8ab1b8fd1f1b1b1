import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../../../src/gateway/policies/ip-filter.ts';
import { assertLoadRefused, assertPassed, assertRefused, run } from './auth-helpers.ts';

const allow = `<ip-filter action="allow">
  <address>13.66.201.169</address>
  <address-range from="13.66.140.128" to="13.66.140.143" />
  <address>2001:db8::1</address>
  <address-range from="2001:db8:1::" to="2001:db8:1::ffff" />
</ip-filter>`;

describe('ip-filter', () => {
  it('allow: listed IPv4 and IPv6 addresses and ranges pass (IPv4-mapped IPv6 counts as IPv4)', async () => {
    for (const ip of [
      '13.66.201.169',
      '13.66.140.128',
      '13.66.140.143',
      '::ffff:13.66.140.130',
      '2001:db8::1',
      '2001:0db8:0001::00ff',
    ]) {
      assertPassed(await run(allow, { ip }));
    }
  });

  it('allow: anything else is 403 CallerIpNotAllowed naming the address', async () => {
    for (const ip of ['13.66.140.144', '13.66.201.168', '2001:db8::2', '2001:db8:2::', '127.0.0.1']) {
      const out = await run(allow, { ip });
      assertRefused(out, 403, `Caller IP address ${ip} is not allowed. Access denied.`, 'CallerIpNotAllowed');
      assert.equal(out.source, 'ip-filter');
    }
  });

  it('forbid: a listed address is 403 CallerIpBlocked; others go on', async () => {
    const forbid =
      '<ip-filter action="forbid"><address-range from="10.0.0.0" to="10.255.255.255"/></ip-filter>';
    assertRefused(
      await run(forbid, { ip: '10.1.2.3' }),
      403,
      'Caller IP address is blocked. Access denied.',
      'CallerIpBlocked',
    );
    assertPassed(await run(forbid, { ip: '11.0.0.1' }));
    assertPassed(await run(forbid, { ip: '::1' }));
  });

  it('an unreadable caller address is 403 FailedToParseCallerIP', async () => {
    assertRefused(
      await run(allow, { ip: 'unknown' }),
      403,
      'Failed to establish IP address for the caller. Access denied.',
      'FailedToParseCallerIP',
    );
  });

  it('parses addresses of both families', () => {
    assert.deepEqual(parseIp('0.0.0.1'), { family: 4, value: 1n });
    assert.deepEqual(parseIp('::ffff:0.0.1.0'), { family: 4, value: 256n });
    assert.deepEqual(parseIp('::2'), { family: 6, value: 2n });
    assert.deepEqual(parseIp('1::'), { family: 6, value: 1n << 112n });
    assert.equal(parseIp('1.2.3'), undefined);
    assert.equal(parseIp('fe80::1%eth0'), undefined);
  });

  it('refuses at load: no action or another one, no address, CIDR, a bad or reversed range', () => {
    assertLoadRefused('<ip-filter><address>1.2.3.4</address></ip-filter>', /needs the attribute "action"/, {
      line: 1,
      column: 20,
    });
    assertLoadRefused(
      '<ip-filter action="deny"><address>1.2.3.4</address></ip-filter>',
      /one of allow, forbid/,
      { line: 1, column: 31 },
    );
    assertLoadRefused('<ip-filter action="allow"/>', /at least one <address>/);
    assertLoadRefused(
      '<ip-filter action="allow"><address>10.0.0.0/8</address></ip-filter>',
      /not an IPv4 or IPv6 address/,
      { line: 1, column: 46 },
    );
    assertLoadRefused(
      '<ip-filter action="allow"><address-range from="1.2.3.4" to="::1"/></ip-filter>',
      /mixes an IPv4 and an IPv6/,
    );
    assertLoadRefused(
      '<ip-filter action="allow"><address-range from="1.2.3.9" to="1.2.3.4"/></ip-filter>',
      /from after to/,
    );
    assertLoadRefused(
      '<ip-filter action="allow"><address-range from="1.2.3.4"/></ip-filter>',
      /needs the attribute "to"/,
    );
  });
});
