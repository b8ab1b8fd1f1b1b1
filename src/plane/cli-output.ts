/**
 * @module plane/cli-output
 * How the CLI prints, for the host's commands and every plane's (`PlaneEntry.commands`): `--output table`
 * (default) for people, `--output json` for scripts, `--output tsv` (values only, tab-separated, one row a
 * line) for shell pipelines, as `az` does. Errors print their code, message and hint to stderr and set a
 * non-zero exit code; with json output the error is JSON too. Also the small parsing and quoting helpers
 * commands share (`collect`, `shellQuote`).
 */
import { isLanyardError } from '../errors/lanyard-error.ts';

export type OutputFormat = 'table' | 'json' | 'tsv';

function renderTsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  return rows.map((r) => columns.map((c) => cell(c.value(r)).replace(/[\t\n]/g, ' ')).join('\t')).join('\n');
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Renders rows as an aligned text table, like `az … --output table`. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (parts: string[]) =>
    parts
      .map((p, i) => p.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

export function print<T>(data: T | readonly T[], format: OutputFormat, columns: readonly Column<T>[]): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const rows = (Array.isArray(data) ? data : [data]) as readonly T[];
  process.stdout.write(`${format === 'tsv' ? renderTsv(rows, columns) : renderTable(rows, columns)}\n`);
}

/**
 * Renders one object as aligned label/value lines. An array value takes one line per item; a field whose value
 * is undefined (it does not apply to this object) is left out.
 */
export function renderRecord<T>(data: T, fields: readonly Column<T>[]): string {
  const width = Math.max(...fields.map((f) => f.header.length));
  const lines: string[] = [];
  for (const field of fields) {
    const value = field.value(data);
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value.map(cell) : [cell(value)];
    if (items.length === 0) items.push('');
    items.forEach((item, i) => {
      lines.push(`${(i === 0 ? field.header : '').padEnd(width)}  ${item}`.trimEnd());
    });
  }
  return lines.join('\n');
}

/** Prints one object: label/value lines for people (`show`, `create`), the object itself as JSON. */
export function printRecord<T>(data: T, format: OutputFormat, fields: readonly Column<T>[]): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  if (format === 'tsv') {
    process.stdout.write(`${renderTsv([data], fields)}\n`);
    return;
  }
  process.stdout.write(`${renderRecord(data, fields)}\n`);
}

/** Reports a finished write with nothing else to show: a sentence for people, `json` for scripts. */
export function printDone(message: string, format: OutputFormat, json: unknown): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${message}\n`);
}

/** Prints an error for a person (or as JSON) and sets the exit code; never prints a stack for expected errors. */
export function printError(err: unknown, format: OutputFormat): void {
  process.exitCode = 1;
  if (isLanyardError(err)) {
    if (format === 'json') {
      process.stderr.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
      return;
    }
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (format === 'json') {
    process.stderr.write(`${JSON.stringify({ error: { code: 'ERR_INTERNAL', message } }, null, 2)}\n`);
  } else {
    process.stderr.write(`error ERR_INTERNAL: ${message}\n`);
    if (process.env.LANYARD_DEBUG && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
  }
}

/** Commander argument parser for repeatable options: `--role a --role b` gives `['a', 'b']`. */
export function collect(value: string, previous: string[] | boolean | undefined): string[] {
  return [...(Array.isArray(previous) ? previous : []), value];
}

/**
 * `value` as one POSIX shell word: bare when it is plainly safe, else single-quoted. For the `export …` and
 * command lines that `up`, `demo` and the CLI print.
 */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
