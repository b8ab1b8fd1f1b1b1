/**
 * @module flows/expressions
 * The workflow expression language of Logic Apps: `compileValue` when a definition is saved, `listReferences`
 * for its validator, `evaluateValue` on every run against an `ExpressionContext`, and Azure's error texts
 * (`actionInputsMessage`, `templateValidationMessage`). docs/flows.md, "Expressions", describes the language.
 */
export type { AccessNode, CallNode, LiteralNode, Node } from './ast.ts';
export {
  type CompiledArray,
  type CompiledEntry,
  type CompiledExpression,
  type CompiledLiteral,
  type CompiledObject,
  type CompiledString,
  type CompiledTemplate,
  type CompiledValue,
  compileString,
  compileValue,
  isConstant,
  MAX_VALUE_DEPTH,
} from './compile.ts';
export { type ContextData, createContext, type ExpressionContext } from './context.ts';
export {
  actionError,
  actionInputsMessage,
  ExpressionEvaluationError,
  ExpressionSyntaxError,
  formatPath,
  INVALID_TEMPLATE,
  templateValidationMessage,
  type ValuePath,
} from './errors.ts';
export { evaluateExpression, evaluateValue } from './evaluate.ts';
export { FUNCTIONS } from './functions/registry.ts';
export type { CallEnv, FunctionDef } from './functions/types.ts';
export { LIMITS } from './parser.ts';
export {
  expressionReferences,
  listReferences,
  type NamesReferenced,
  namesReferenced,
  type Reference,
  type ReferenceKind,
} from './references.ts';
export type { JsonObject, JsonValue } from './values.ts';
