/**
 * @module bench/lib/report
 * How the benches summarise their rounds and print them: the median of a list (the mean of the two middle
 * values for an even count), the round whose rate is the median (the one whose latencies are shown), and a
 * plain-text table (first column left-aligned, the others right-aligned, two spaces apart). One copy, so that
 * every bench's medians and tables read alike.
 */

/** The median; the mean of the two middle values when there is an even number of them. */
export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The round whose rate is the median (the lower middle one for an even number of rounds). */
export function medianRound<T extends { readonly rps: number }>(list: readonly T[]): T {
  return [...list].sort((a, b) => a.rps - b.rps)[Math.floor((list.length - 1) / 2)]!;
}

/** The lines of a table: the head, then a line a row, each column as wide as its widest cell. */
export function tableLines(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}
