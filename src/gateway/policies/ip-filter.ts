/**
 * @module gateway/policies/ip-filter
 * `<ip-filter action="allow|forbid"><address>…</address>*<address-range from="…" to="…"/>*</ip-filter>`: the
 * caller's address (IPv4 or IPv6; an IPv4-mapped IPv6 address counts as its IPv4 address) against the listed
 * addresses and ranges, parsed at load (at least one; a range's ends of one family, `from` not after `to`; CIDR
 * is not APIM's syntax and is refused with a hint). `allow` refuses an address not listed, `forbid` one listed —
 * 403 with APIM's messages and reasons (`CallerIpNotAllowed`, `CallerIpBlocked`, `FailedToParseCallerIP`).
 */
import net from 'node:net';
import { oneOf, onlyChildren, readAttributes, readText, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import type { PolicyPosition } from '../policy/element.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { GatewayRefusal } from '../runtime/refusal.ts';

interface Address {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** An address as a number of its family; undefined when the text is not one address. */
export function parseIp(text: string): Address | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
  if (mapped) t = mapped[1]!;
  const family = net.isIP(t);
  if (family === 4) {
    return { family: 4, value: t.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n) };
  }
  if (family === 6) {
    if (t.includes('%')) return undefined;
    // Expand `::` and a trailing dotted IPv4 part into eight groups.
    let s = t;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (v4) {
      const n = v4[1]!.split('.').map(Number);
      s = `${s.slice(0, -v4[1]!.length)}${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`;
    }
    const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
    const h = head ? head.split(':') : [];
    const tl = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl];
    if (groups.length !== 8) return undefined;
    const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
    const asV4 = value >> 32n === 0xffffn ? value & 0xffffffffn : undefined;
    return asV4 !== undefined ? { family: 4, value: asV4 } : { family: 6, value };
  }
  return undefined;
}

function loadIp(text: string, at: PolicyPosition, what: string): Address {
  const ip = parseIp(text);
  if (ip) return ip;
  throw new PolicyLoadError(
    at,
    `${what} ${JSON.stringify(text.trim().slice(0, 80))} is not an IPv4 or IPv6 address`,
    text.includes('/')
      ? 'Give a range as <address-range from="…" to="…"/>; APIM takes no CIDR notation.'
      : undefined,
  );
}

export const ipFilter = definePolicy({
  name: 'ip-filter',
  sections: ['inbound'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      { action: oneOf(['allow', 'forbid'] as const, { required: true }) },
      cc,
    );
    onlyChildren(element, ['address', 'address-range']);
    const action = (a.action as { value: 'allow' | 'forbid' }).value;
    const ranges: { from: Address; to: Address }[] = [];
    for (const c of element.children) {
      onlyChildren(c, []);
      if (c.name === 'address') {
        readAttributes(c, {}, cc);
        const t = readText(c, str(), cc);
        const text = t?.kind === 'constant' ? t.value : '';
        const ip = loadIp(text, c.valuePositions.get('#text') ?? c.position, '<address>');
        ranges.push({ from: ip, to: ip });
      } else {
        const r = readAttributes(c, { from: str({ required: true }), to: str({ required: true }) }, cc);
        const from = loadIp(
          (r.from as { value: string }).value,
          c.valuePositions.get('from') ?? c.position,
          'from',
        );
        const to = loadIp((r.to as { value: string }).value, c.valuePositions.get('to') ?? c.position, 'to');
        if (from.family !== to.family) {
          throw new PolicyLoadError(c.position, '<address-range> mixes an IPv4 and an IPv6 address');
        }
        if (from.value > to.value) throw new PolicyLoadError(c.position, '<address-range> has from after to');
        ranges.push({ from, to });
      }
    }
    if (ranges.length === 0) {
      throw new PolicyLoadError(
        element.position,
        '<ip-filter> needs at least one <address> or <address-range>',
      );
    }
    return {
      run(ctx) {
        const ip = parseIp(ctx.clientIp);
        if (!ip) {
          throw new GatewayRefusal({
            status: 403,
            source: 'ip-filter',
            reason: 'FailedToParseCallerIP',
            message: 'Failed to establish IP address for the caller. Access denied.',
            hint: 'The connection has no usable remote address.',
          });
        }
        const listed = ranges.some(
          (r) => r.from.family === ip.family && r.from.value <= ip.value && ip.value <= r.to.value,
        );
        if (action === 'allow' && !listed) {
          throw new GatewayRefusal({
            status: 403,
            source: 'ip-filter',
            reason: 'CallerIpNotAllowed',
            message: `Caller IP address ${ctx.clientIp} is not allowed. Access denied.`,
            hint: `${ctx.clientIp} is not among the ${ranges.length} address(es) and range(s) this ip-filter allows.`,
          });
        }
        if (action === 'forbid' && listed) {
          throw new GatewayRefusal({
            status: 403,
            source: 'ip-filter',
            reason: 'CallerIpBlocked',
            message: 'Caller IP address is blocked. Access denied.',
            hint: `${ctx.clientIp} is within an address or range this ip-filter forbids.`,
          });
        }
      },
    };
  },
});
