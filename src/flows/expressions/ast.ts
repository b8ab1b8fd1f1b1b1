/**
 * @module flows/expressions/ast
 * The parsed form of one expression. Three node kinds cover the language: literals, function calls and
 * property or index selection (`.p`, `['p']`, `[0]`, and their null-safe `?` forms). Offsets are positions in
 * the JSON string the expression came from.
 */
import type { Value } from './values.ts';

export interface LiteralNode {
  type: 'literal';
  value: Value;
  start: number;
  end: number;
}

export interface CallNode {
  type: 'call';
  /** The function name as written (`triggerbody`). */
  name: string;
  /** Lower case: function names are case-insensitive. */
  key: string;
  args: Node[];
  start: number;
  end: number;
}

export interface AccessNode {
  type: 'access';
  target: Node;
  /** A string literal for `.p`; any expression inside `[…]`. */
  key: Node;
  /** `?.p` / `?[…]`: a null target or a missing property gives null instead of an error. */
  optional: boolean;
  start: number;
  end: number;
}

export type Node = LiteralNode | CallNode | AccessNode;
