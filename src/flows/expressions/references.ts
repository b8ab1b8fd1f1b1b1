/**
 * @module flows/expressions/references
 * What expressions refer to, found without running them, so a definition validator can refuse `body('X')`
 * when there is no action X, or `parameters('p')` when p is not declared, and say which expression and where.
 */
import type { Node } from './ast.ts';
import { type CompiledExpression, type CompiledValue, compileValue } from './compile.ts';
import type { ValuePath } from './errors.ts';
import type { JsonValue } from './values.ts';

export type ReferenceKind = 'action' | 'parameter' | 'variable' | 'trigger' | 'item' | 'items' | 'workflow';

const KINDS: Record<string, ReferenceKind> = {
  actions: 'action',
  outputs: 'action',
  body: 'action',
  actionoutputs: 'action',
  actionbody: 'action',
  result: 'action',
  parameters: 'parameter',
  variables: 'variable',
  trigger: 'trigger',
  triggeroutputs: 'trigger',
  triggerbody: 'trigger',
  item: 'item',
  items: 'items',
  workflow: 'workflow',
};

export interface Reference {
  kind: ReferenceKind;
  /** The function as written (`triggerbody`). */
  function: string;
  /** The name given as a literal (`'Get_user'`); null when the function takes none or it is computed. */
  name: string | null;
  /** True when the name is computed at run time (`body(variables('step'))`), so it cannot be checked. */
  dynamic: boolean;
  /** The expression the call is in, as Azure quotes it. */
  expression: string;
  /** The JSON string the expression is in. */
  text: string;
  /** Offset of the call in `text`. */
  position: number;
  /** Where `text` is in the compiled value (member names and indexes). */
  path: ValuePath;
}

function walk(node: Node, e: CompiledExpression, path: ValuePath, out: Reference[]): void {
  if (node.type === 'access') {
    walk(node.target, e, path, out);
    walk(node.key, e, path, out);
    return;
  }
  if (node.type !== 'call') return;
  const kind = KINDS[node.key];
  if (kind !== undefined) {
    const arg = node.args[0];
    const literal = arg?.type === 'literal' && typeof arg.value === 'string' ? arg.value : null;
    out.push({
      kind,
      function: node.name,
      name: literal,
      dynamic: arg !== undefined && literal === null,
      expression: e.source,
      text: e.text,
      position: node.start,
      path,
    });
  }
  for (const arg of node.args) walk(arg, e, path, out);
}

/** The references of one compiled expression, in the order they appear. */
export function expressionReferences(e: CompiledExpression, path: ValuePath = []): Reference[] {
  const out: Reference[] = [];
  walk(e.node, e, path, out);
  return out;
}

function collect(compiled: CompiledValue, path: (string | number)[], out: Reference[]): void {
  switch (compiled.kind) {
    case 'literal':
      return;
    case 'expression':
      walk(compiled.node, compiled, [...path], out);
      return;
    case 'template':
      for (const part of compiled.parts) if (typeof part !== 'string') walk(part.node, part, [...path], out);
      return;
    case 'array':
      compiled.items.forEach((item, i) => {
        path.push(i);
        collect(item, path, out);
        path.pop();
      });
      return;
    case 'object':
      for (const entry of compiled.entries) {
        path.push(entry.name);
        if (typeof entry.key !== 'string') collect(entry.key, path, out);
        collect(entry.value, path, out);
        path.pop();
      }
  }
}

/** Every reference in a compiled value, with the path of the string each is in. */
export function listReferences(compiled: CompiledValue): Reference[] {
  const out: Reference[] = [];
  collect(compiled, [], out);
  return out;
}

/** The names a value's expressions read, each once, in the shape flows/definition's validator takes. */
export interface NamesReferenced {
  actions: string[];
  variables: string[];
  parameters: string[];
}

/**
 * What the expressions in a definition's value (`unknown`, as the validator holds it; JSON) read by literal
 * name. Names computed at run time are left out, since nothing can check them before the run. Throws
 * ExpressionSyntaxError when a string does not compile.
 */
export function namesReferenced(value: unknown): NamesReferenced {
  const actions = new Set<string>();
  const variables = new Set<string>();
  const parameters = new Set<string>();
  for (const ref of listReferences(compileValue(value as JsonValue))) {
    if (ref.name === null) continue;
    if (ref.kind === 'action') actions.add(ref.name);
    else if (ref.kind === 'variable') variables.add(ref.name);
    else if (ref.kind === 'parameter') parameters.add(ref.name);
  }
  return { actions: [...actions], variables: [...variables], parameters: [...parameters] };
}
