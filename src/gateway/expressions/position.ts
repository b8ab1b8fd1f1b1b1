/**
 * @module gateway/expressions/position
 * Where an expression sits in its policy file. The loader knows where each `@` is; the lexer only knows
 * offsets inside the expression, so every error converts one into the other here, counting the newlines a
 * block expression spans, so a message points at the line a person sees in their editor.
 */

/** Line and column (both 1-based) of an expression's `@` in its policy file. */
export interface SourcePosition {
  file?: string | undefined;
  line: number;
  column: number;
}

/** The absolute position of `offset` inside `source`, an expression (or text) that starts at `at`. */
export function positionAt(at: SourcePosition, source: string, offset: number): SourcePosition {
  let line = at.line;
  let column = at.column;
  const end = Math.min(Math.max(offset, 0), source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return at.file === undefined ? { line, column } : { file: at.file, line, column };
}

/** `file:line:column`, or `line:column` when the file is not known. */
export function formatPosition(p: SourcePosition): string {
  return `${p.file === undefined ? '' : `${p.file}:`}${p.line}:${p.column}`;
}
