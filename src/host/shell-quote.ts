/** @module host/shell-quote — quoting for the `export …` and command lines that `up`, `demo` and the CLI print. */

/** `value` as one POSIX shell word: bare when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
