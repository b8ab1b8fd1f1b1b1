/**
 * @module flows/expressions/datetime
 * Timestamps as Azure's date functions read and write them: .NET `DateTime` text with seven fractional digits.
 *
 * Reading: ISO 8601 (`2018-03-15`, `2018-03-15T13:00:00`, `…:00.1234567Z`, `…+02:00`) and the invariant
 * culture's `03/15/2018 13:00:00` (with `AM`/`PM`). A `Z` makes the timestamp UTC; an offset is converted to
 * UTC; no zone leaves it unspecified, and then the round-trip format prints no zone, as .NET does.
 *
 * Writing: the standard formats `o`/`O`, `s`, `u`, `r`/`R`, and the en-US ones Azure's examples show (`D` is
 * `Sunday, April 15, 2018`): `d`, `D`, `f`, `F`, `g`, `G`, `t`, `T`, `M`/`m`, `Y`/`y`, `U`; and custom patterns
 * of `yyyy`/`yy`/`y`, `MMMM`/`MMM`/`MM`/`M`, `dddd`/`ddd`/`dd`/`d`, `HH`/`H`, `hh`/`h`, `mm`/`m`, `ss`/`s`,
 * `f`…`fffffff`, `F`…`FFFFFFF`, `tt`/`t`, `K`, `z`/`zz`/`zzz`, quoted text, `\` escapes and `%`. The era `g`
 * and any other single-letter format are refused with the reason.
 */
import { MONTHS, WEEK_DAYS } from '../calendar-names.ts';

export interface Timestamp {
  /** Milliseconds since the Unix epoch; an unspecified time is placed as if it were UTC. */
  ms: number;
  /** The 100-nanosecond ticks below the millisecond, 0–9999. */
  sub: number;
  /** False when the text named no zone. */
  utc: boolean;
}

function yearStart(year: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, 0, 1);
  return d.getTime();
}

/** .NET's DateTime spans years 1 to 9999. */
const MIN_MS = yearStart(1);
const MAX_MS = yearStart(10000) - 1;

function inRange(ms: number): boolean {
  return ms >= MIN_MS && ms <= MAX_MS;
}

const ISO =
  /^\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?\s*$/;
const INVARIANT =
  /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:\s*([AaPp][Mm]))?)?\s*$/;

/** The timestamp `text` names, or undefined when it is not one Lanyard reads. */
export function parseTimestamp(text: string): Timestamp | undefined {
  let year: number;
  let month: number;
  let day: number;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = '';
  let utc = false;
  let offset = 0;
  const iso = ISO.exec(text);
  if (iso !== null) {
    [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    if (iso[4] !== undefined) [hour, minute] = [Number(iso[4]), Number(iso[5])];
    if (iso[6] !== undefined) second = Number(iso[6]);
    fraction = iso[7] ?? '';
    if (iso[8] !== undefined) utc = true;
    if (iso[9] !== undefined) {
      const hours = Number(iso[10]);
      const minutes = Number(iso[11]);
      if (hours > 14 || minutes > 59) return undefined;
      utc = true;
      offset = (iso[9] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
    }
  } else {
    const inv = INVARIANT.exec(text);
    if (inv === null) return undefined;
    [month, day, year] = [Number(inv[1]), Number(inv[2]), Number(inv[3])];
    if (inv[4] !== undefined) [hour, minute] = [Number(inv[4]), Number(inv[5])];
    if (inv[6] !== undefined) second = Number(inv[6]);
    fraction = inv[7] ?? '';
    const meridiem = inv[8]?.toUpperCase();
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
    }
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const digits = fraction.slice(0, 7).padEnd(7, '0');
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  d.setUTCHours(hour, minute, second, Number(digits.slice(0, 3)));
  const ms = d.getTime() - offset;
  if (!inRange(ms)) return undefined;
  return { ms, sub: Number(digits.slice(3)), utc };
}

const DAYS = WEEK_DAYS;

/** The standard formats, as the custom patterns they stand for (en-US, Azure's culture). */
const STANDARD: Record<string, string> = {
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
  r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  U: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  M: 'MMMM d',
  m: 'MMMM d',
  Y: 'MMMM yyyy',
  y: 'MMMM yyyy',
};

type Piece = string | { field: string; count: number };

/** A format, checked and split once; formats are nearly always literals, so they are kept. */
const compiled = new Map<string, Piece[] | string>();
const MAX_KEPT = 256;

const FIELDS = 'dfFhHKmMstyzg';

function split(format: string): Piece[] | string {
  if (format === 'o' || format === 'O') format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffffK";
  else if (format.length === 1) {
    const standard = STANDARD[format];
    if (standard === undefined) return `'${format}' is not a standard date and time format`;
    format = standard;
  }
  const pieces: Piece[] = [];
  let i = 0;
  while (i < format.length) {
    const ch = format[i]!;
    if (ch === "'" || ch === '"') {
      const close = format.indexOf(ch, i + 1);
      if (close < 0) return `the quoted text starting at character ${i} is not closed`;
      pieces.push(format.slice(i + 1, close));
      i = close + 1;
    } else if (ch === '\\') {
      if (i + 1 >= format.length) return 'it ends with a lone backslash';
      pieces.push(format[i + 1]!);
      i += 2;
    } else if (ch === '%') {
      const next = format[i + 1];
      if (next === undefined || next === '%') return "'%' must be followed by a format specifier";
      i++;
      if (FIELDS.includes(next)) {
        pieces.push({ field: next, count: 1 });
        i++;
      }
    } else if (FIELDS.includes(ch)) {
      let count = 1;
      while (format[i + count] === ch) count++;
      if (ch === 'g') return "the era specifier 'g' is not supported";
      if ((ch === 'f' || ch === 'F') && count > 7)
        return `'${ch.repeat(count)}' has more than seven fractional digits`;
      pieces.push({ field: ch, count });
      i += count;
    } else {
      pieces.push(ch);
      i++;
    }
  }
  return pieces;
}

function piecesOf(format: string): Piece[] | string {
  let pieces = compiled.get(format);
  if (pieces === undefined) {
    pieces = split(format);
    if (compiled.size >= MAX_KEPT) compiled.clear();
    compiled.set(format, pieces);
  }
  return pieces;
}

/** Why Lanyard cannot format with `format`, or undefined when it can. */
export function formatProblem(format: string): string | undefined {
  const pieces = piecesOf(format);
  return typeof pieces === 'string' ? pieces : undefined;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** `t` in `format`; the format must have passed `formatProblem`. */
export function formatTimestamp(t: Timestamp, format: string): string {
  const pieces = piecesOf(format);
  if (typeof pieces === 'string') throw new Error(`unchecked date format: ${pieces}`);
  const d = new Date(t.ms);
  const fraction = pad(d.getUTCMilliseconds(), 3) + pad(t.sub, 4);
  let out = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      out += piece;
      continue;
    }
    const n = piece.count;
    switch (piece.field) {
      case 'y': {
        const year = d.getUTCFullYear();
        out += n <= 2 ? pad(year % 100, n) : pad(year, n);
        break;
      }
      case 'M': {
        const month = d.getUTCMonth();
        out += n <= 2 ? pad(month + 1, n) : n === 3 ? MONTHS[month]!.slice(0, 3) : MONTHS[month];
        break;
      }
      case 'd': {
        out +=
          n <= 2 ? pad(d.getUTCDate(), n) : n === 3 ? DAYS[d.getUTCDay()]!.slice(0, 3) : DAYS[d.getUTCDay()];
        break;
      }
      case 'H':
        out += pad(d.getUTCHours(), Math.min(n, 2));
        break;
      case 'h':
        out += pad(d.getUTCHours() % 12 || 12, Math.min(n, 2));
        break;
      case 'm':
        out += pad(d.getUTCMinutes(), Math.min(n, 2));
        break;
      case 's':
        out += pad(d.getUTCSeconds(), Math.min(n, 2));
        break;
      case 'f':
        out += fraction.slice(0, n);
        break;
      case 'F': {
        const digits = fraction.slice(0, n).replace(/0+$/, '');
        // .NET drops the decimal point too when nothing follows it
        if (digits === '' && out.endsWith('.')) out = out.slice(0, -1);
        out += digits;
        break;
      }
      case 't': {
        const pm = d.getUTCHours() >= 12;
        out += n === 1 ? (pm ? 'P' : 'A') : pm ? 'PM' : 'AM';
        break;
      }
      case 'K':
        out += t.utc ? 'Z' : '';
        break;
      case 'z':
        // Azure's clock is UTC, so local and universal offsets are both zero
        out += n === 1 ? '+0' : n === 2 ? '+00' : '+00:00';
        break;
    }
  }
  return out;
}

/** `t` moved by `ms` milliseconds, or undefined outside years 1–9999. */
export function addMilliseconds(t: Timestamp, ms: number): Timestamp | undefined {
  const moved = t.ms + ms;
  return inRange(moved) ? { ms: moved, sub: t.sub, utc: t.utc } : undefined;
}
