/**
 * @module console/ttl
 * A read-only token's lifetime as people write it (`--ttl 8h`, `"ttl": "30m"`): a whole number of seconds,
 * minutes, hours or days (`3600s`, `90m`, `8h`, `7d`; a bare number is seconds).
 */
import { LanyardError } from '../errors/lanyard-error.ts';

const UNIT_MS = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseTtl(text: string): number {
  const m = /^(\d{1,7})\s*([smhd]?)$/.exec(text.trim());
  if (!m) {
    throw new LanyardError('ERR_VALIDATION', `"${text.slice(0, 40)}" is not a lifetime.`, {
      hint: 'Use forms like 30m, 8h or 7d.',
    });
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
