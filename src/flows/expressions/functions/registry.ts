/**
 * @module flows/expressions/functions/registry
 * Every function Lanyard's expressions know, by lower-case name (Azure's function names are
 * case-insensitive: `@triggerbody()`, `@utcnow()`). A name missing here is refused when the definition is
 * saved, naming the function and its position.
 */
import { COLLECTION_FUNCTIONS } from './collections.ts';
import { CONVERSION_FUNCTIONS } from './conversion.ts';
import { DATE_FUNCTIONS } from './dates.ts';
import { ENCODING_FUNCTIONS } from './encoding.ts';
import { LOGIC_FUNCTIONS } from './logic.ts';
import { MATH_FUNCTIONS } from './math.ts';
import { STRING_FUNCTIONS } from './strings.ts';
import type { FunctionDef } from './types.ts';
import { WORKFLOW_FUNCTIONS } from './workflow.ts';

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(
  [
    ...WORKFLOW_FUNCTIONS,
    ...LOGIC_FUNCTIONS,
    ...CONVERSION_FUNCTIONS,
    ...STRING_FUNCTIONS,
    ...COLLECTION_FUNCTIONS,
    ...MATH_FUNCTIONS,
    ...DATE_FUNCTIONS,
    ...ENCODING_FUNCTIONS,
  ].map((def) => [def.name.toLowerCase(), def]),
);
