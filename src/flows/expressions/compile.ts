/**
 * @module flows/expressions/compile
 * Compiling a definition's values, once, when the definition is saved. A JSON string is one of:
 *
 * - a literal: no `@` at position 0 and no `@{` anywhere (`" @"` stays `" @"`);
 * - an escaped literal: it starts with `@@`, and is the rest of the string after one `@`, taken as it is;
 * - a whole-value expression: it starts with `@` (but not `@@` or `@{`); the value is the expression's, of any
 *   JSON type (`"@parameters('age')"` is the number 42); a lone `"@"` is a literal;
 * - a template: it contains `@{…}` somewhere; each interpolation's value is turned into text by `string()`'s
 *   rules and the result is always a string; `@@{` writes a literal `@{`.
 *
 * Object member names follow the same rules (Azure evaluates a name starting with `@`, so `"@@odata.type"` is
 * how a definition writes the name `@odata.type`). Function names, argument counts and literal formats are
 * checked here; the evaluator never meets an unknown function. Literal parts are copied and frozen, and handed
 * out as they are on every evaluation.
 */
import type { Node } from './ast.ts';
import { ExpressionSyntaxError } from './errors.ts';
import { FUNCTIONS } from './functions/registry.ts';
import type { FunctionDef } from './functions/types.ts';
import { type ParsedExpression, parseInterpolation, parseWhole } from './parser.ts';
import { type JsonObject, type JsonValue, setOwn } from './values.ts';

export interface CompiledLiteral {
  kind: 'literal';
  /** Frozen. */
  value: JsonValue;
}

export interface CompiledExpression {
  kind: 'expression';
  node: Node;
  /** The expression as Azure quotes it in messages (without `@`, or between `@{` and `}`). */
  source: string;
  /** Offset of `source` in `text`. */
  start: number;
  /** The JSON string the expression is in. */
  text: string;
}

export interface CompiledTemplate {
  kind: 'template';
  /** Literal text (escapes resolved) and interpolations, in order. */
  parts: (string | CompiledExpression)[];
  text: string;
}

export interface CompiledArray {
  kind: 'array';
  items: CompiledValue[];
}

export interface CompiledEntry {
  /** The member name as written in the definition (for paths and messages). */
  name: string;
  /** The member name to write: fixed, or computed on every evaluation. */
  key: string | CompiledExpression | CompiledTemplate;
  value: CompiledValue;
}

export interface CompiledObject {
  kind: 'object';
  entries: CompiledEntry[];
}

export type CompiledString = CompiledLiteral | CompiledExpression | CompiledTemplate;
export type CompiledValue = CompiledString | CompiledArray | CompiledObject;

/** JSON nesting of one value; deeper definitions are refused rather than risk the stack. */
export const MAX_VALUE_DEPTH = 128;

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five'];

function count(n: number): string {
  const word = NUMBER_WORDS[n] ?? String(n);
  return `${word} parameter${n === 1 ? '' : 's'}`;
}

function arity(def: FunctionDef): string {
  if (def.min === def.max) return count(def.min);
  if (def.max === Number.POSITIVE_INFINITY) return `at least ${count(def.min)}`;
  if (def.max === def.min + 1) return `${NUMBER_WORDS[def.min]} or ${count(def.max)}`;
  return `between ${def.min} and ${def.max} parameters`;
}

/** Every call names a known function with an acceptable number of arguments and acceptable literal ones. */
function bind(node: Node, text: string): void {
  if (node.type === 'access') {
    bind(node.target, text);
    bind(node.key, text);
    return;
  }
  if (node.type !== 'call') return;
  const def = FUNCTIONS.get(node.key);
  if (def === undefined) {
    throw new ExpressionSyntaxError(
      `The template function '${node.name}' is not defined or not valid.`,
      text,
      node.start,
    );
  }
  const n = node.args.length;
  if (n < def.min || n > def.max) {
    throw new ExpressionSyntaxError(
      `The template language function '${def.name}' expects ${arity(def)}. It was invoked with ${n}.`,
      text,
      node.start,
    );
  }
  for (let i = 0; i < n; i++) {
    const arg = node.args[i]!;
    if (arg.type === 'literal' && def.checkLiteral !== undefined) {
      const problem = def.checkLiteral(i, arg.value);
      if (problem !== undefined) throw new ExpressionSyntaxError(problem, text, arg.start);
    }
    bind(arg, text);
  }
}

function expression(parsed: ParsedExpression, text: string): CompiledExpression {
  bind(parsed.node, text);
  return { kind: 'expression', node: parsed.node, source: parsed.source, start: parsed.start, text };
}

function template(text: string): CompiledString {
  const parts: (string | CompiledExpression)[] = [];
  let literal = '';
  let from = 0;
  for (;;) {
    const at = text.indexOf('@{', from);
    if (at < 0) break;
    if (at > from && text[at - 1] === '@') {
      // `@@{` is the escape for a literal `@{`
      literal += `${text.slice(from, at - 1)}@{`;
      from = at + 2;
      continue;
    }
    literal += text.slice(from, at);
    if (literal !== '') parts.push(literal);
    literal = '';
    const parsed = parseInterpolation(text, at);
    parts.push(expression(parsed, text));
    from = parsed.end;
  }
  literal += text.slice(from);
  if (literal !== '') parts.push(literal);
  if (parts.every((p) => typeof p === 'string')) return { kind: 'literal', value: parts.join('') };
  return { kind: 'template', parts, text };
}

/** One JSON string, classified and compiled. Throws ExpressionSyntaxError. */
export function compileString(text: string): CompiledString {
  if (text.charCodeAt(0) === 0x40 && text.length > 1) {
    const second = text[1];
    if (second === '@') return { kind: 'literal', value: text.slice(1) };
    if (second !== '{') return expression(parseWhole(text), text);
  }
  if (text.includes('@{')) return template(text);
  return { kind: 'literal', value: text };
}

function compileAt(value: JsonValue, path: (string | number)[], depth: number): CompiledValue {
  if (depth > MAX_VALUE_DEPTH) {
    throw new ExpressionSyntaxError(`The value nests deeper than ${MAX_VALUE_DEPTH} levels.`, '', 0, {
      path: [...path],
    });
  }
  if (typeof value === 'string') {
    try {
      return compileString(value);
    } catch (e) {
      throw e instanceof ExpressionSyntaxError ? e.at([...path]) : e;
    }
  }
  if (value === null || typeof value !== 'object') return { kind: 'literal', value };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => {
      path.push(i);
      const compiled = compileAt(item, path, depth + 1);
      path.pop();
      return compiled;
    });
    if (items.every((c) => c.kind === 'literal')) {
      return {
        kind: 'literal',
        value: Object.freeze(items.map((c) => (c as CompiledLiteral).value)) as JsonValue,
      };
    }
    return { kind: 'array', items };
  }
  const entries: CompiledEntry[] = [];
  for (const name of Object.keys(value)) {
    path.push(name);
    let key: CompiledString;
    try {
      key = compileString(name);
    } catch (e) {
      throw e instanceof ExpressionSyntaxError ? e.at([...path]) : e;
    }
    const compiled = compileAt(value[name]!, path, depth + 1);
    path.pop();
    entries.push({ name, key: key.kind === 'literal' ? (key.value as string) : key, value: compiled });
  }
  if (entries.every((e) => typeof e.key === 'string' && e.value.kind === 'literal')) {
    const literal: JsonObject = {};
    for (const e of entries) setOwn(literal, e.key as string, (e.value as CompiledLiteral).value);
    return { kind: 'literal', value: Object.freeze(literal) };
  }
  return { kind: 'object', entries };
}

/**
 * A definition's value (an action's `inputs`, a trigger's `conditions`…), compiled: every string parsed once.
 * Throws ExpressionSyntaxError with `path` set to where the failing string is.
 */
export function compileValue(value: JsonValue): CompiledValue {
  return compileAt(value, [], 0);
}

/** True when evaluating `compiled` gives the same value every time (it holds no expression). */
export function isConstant(compiled: CompiledValue): compiled is CompiledLiteral {
  return compiled.kind === 'literal';
}
