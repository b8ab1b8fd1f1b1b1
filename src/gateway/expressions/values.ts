/**
 * @module gateway/expressions/values
 * The run-time values that JavaScript has no exact match for. Strings, ints and doubles (JS numbers), bools
 * and null are themselves; `DateTime`, `TimeSpan` and `Guid` are small tagged classes so a value read back out
 * of `context.Variables` (typed `object`) can be cast and compared as C# would; `byte[]` is a Uint8Array.
 * Also: turning any value into text as C#'s `ToString()` does (`True`, `1E+15`, ISO dates), which `+`,
 * interpolation, `string.Format` and `string.Concat` use.
 */

export class DateTimeValue {
  /** Milliseconds since the Unix epoch, UTC (API Management's clock is UTC). */
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

export class TimeSpanValue {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

export class GuidValue {
  /** Lower-case `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, as `Guid.ToString()` prints it. */
  readonly text: string;
  constructor(text: string) {
    this.text = text.toLowerCase();
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `DateTime.ToString(format)` for the formats policies use; `undefined` when the format is not one of them. */
export function formatDateTime(d: DateTimeValue, format: string | undefined): string | undefined {
  const t = new Date(d.ms);
  const date = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  switch (format) {
    case 'o':
    case 'O':
      // round-trip: seven fractional digits and the UTC marker
      return `${date}T${time}.${pad(t.getUTCMilliseconds(), 3)}0000Z`;
    case 's':
      return `${date}T${time}`;
    case 'u':
      return `${date} ${time}Z`;
    case 'r':
    case 'R':
      return t.toUTCString();
    case undefined:
      // the invariant culture's general format ("G")
      return `${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/${t.getUTCFullYear()} ${time}`;
    default:
      return undefined;
  }
}

/** `TimeSpan.ToString()`: `[-][d.]hh:mm:ss[.fffffff]`. */
export function formatTimeSpan(s: TimeSpanValue): string {
  const sign = s.ms < 0 ? '-' : '';
  let ms = Math.abs(s.ms);
  const days = Math.floor(ms / 86_400_000);
  ms -= days * 86_400_000;
  const h = Math.floor(ms / 3_600_000);
  ms -= h * 3_600_000;
  const m = Math.floor(ms / 60_000);
  ms -= m * 60_000;
  const sec = Math.floor(ms / 1000);
  const frac = Math.round((ms - sec * 1000) * 10_000);
  return `${sign}${days ? `${days}.` : ''}${pad(h)}:${pad(m)}:${pad(sec)}${frac ? `.${pad(frac, 7)}` : ''}`;
}

/** `double.ToString()`: the shortest round-trip digits, with .NET's exponent form (`1E+15`, `1E-05`). */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return 'Infinity';
  if (n === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const abs = Math.abs(n);
  if (abs >= 1e15 || abs < 1e-4) {
    const [mantissa, exp] = n.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mantissa}E${e < 0 ? '-' : '+'}${pad(Math.abs(e))}`;
  }
  return String(n);
}

/**
 * A value as C#'s `ToString()` prints it. `isDouble` matters for numbers only: a JS number does not know
 * whether it was an int. Model objects print their C# type name, as they would in API Management.
 */
export function toText(value: unknown, isDouble = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    const int = !isDouble && Number.isInteger(value) && Math.abs(value) <= 2147483648;
    return int ? String(value) : formatDouble(value);
  }
  if (value instanceof DateTimeValue) return formatDateTime(value, undefined)!;
  if (value instanceof TimeSpanValue) return formatTimeSpan(value);
  if (value instanceof GuidValue) return value.text;
  if (value instanceof Uint8Array) return 'System.Byte[]';
  if (Array.isArray(value)) return 'System.String[]';
  return 'System.Object';
}
