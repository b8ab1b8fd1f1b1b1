/**
 * @module console/web/format
 * How values are written on the page: times, durations, lists, JSON. Pure functions (node:test covers them).
 */

/** `2025-01-02 03:04:05` in the browser's time zone, or the text as given when it is not a date. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** `HH:MM:SS` only, for lists of recent events. */
export function formatClock(iso: string): string {
  const full = formatTime(iso);
  return full.length > 11 ? full.slice(11) : full;
}

/** How long from start to end: `850 ms`, `2.4 s`, `3 min 5 s`; empty when either is missing. */
export function formatDuration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start || !end) return '';
  const ms = Date.parse(end) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  return `${min} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A claim or field value as one line: lists joined, objects as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => formatValue(v)).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Indented JSON for `<pre>` blocks. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? '';
}

/** `1 app`, `3 apps`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Comma- or newline-separated text as a list of trimmed, non-empty entries (form fields that take lists). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Case-insensitive "does any of these contain the query" (the filter boxes of tables and lists). */
export function matchesQuery(query: string, ...fields: (string | null | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  return fields.some((f) => f?.toLowerCase().includes(q) ?? false);
}
