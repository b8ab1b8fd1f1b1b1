/**
 * @module flows/workflows/engine/parse-json
 * The ParseJson action: its content (text is parsed as JSON; anything else is taken as it is) checked against
 * the action's schema. The schema keywords the designer generates ("Use sample payload") are checked — `type`
 * (one or a list, `integer` meaning a whole number), `properties`, `required`, `items`, `enum` — and others
 * are ignored, as a schema tool would ignore keywords it does not know. A mismatch fails the action with
 * `ValidationFailed`, listing where and why.
 */
import type { JsonValue } from '../../expressions/values.ts';

export class ParseJsonError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const MAX_PROBLEMS = 10;

function typeMatches(type: string, value: JsonValue): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

function kindOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function check(schema: unknown, value: JsonValue, at: string, problems: string[], depth: number): void {
  if (problems.length >= MAX_PROBLEMS || depth > 64) return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const s = schema as Record<string, unknown>;
  const types = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? (s.type as string[]) : [];
  if (types.length > 0 && !types.some((t) => typeMatches(t, value))) {
    problems.push(`${at || '(root)'}: expected ${types.join(' or ')}, got ${kindOf(value)}`);
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    problems.push(`${at || '(root)'}: not one of the allowed values`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (Array.isArray(s.required)) {
      for (const name of s.required) {
        if (typeof name === 'string' && !Object.hasOwn(value, name))
          problems.push(`${at ? `${at}.` : ''}${name}: required property is missing`);
      }
    }
    if (typeof s.properties === 'object' && s.properties !== null) {
      for (const [name, sub] of Object.entries(s.properties as Record<string, unknown>)) {
        if (Object.hasOwn(value, name))
          check(sub, value[name] as JsonValue, at ? `${at}.${name}` : name, problems, depth + 1);
      }
    }
  }
  if (Array.isArray(value) && s.items !== undefined) {
    value.forEach((v, i) => {
      check(s.items, v, `${at}[${i}]`, problems, depth + 1);
    });
  }
}

/** Where `value` does not match `schema` (at most ten problems); empty when it matches. */
export function schemaProblems(schema: unknown, value: JsonValue): string[] {
  const problems: string[] = [];
  check(schema, value, '', problems, 0);
  return problems;
}

/** The action's `body`: the content parsed and checked. Throws ParseJsonError. */
export function parseJsonContent(content: JsonValue | undefined, schema: unknown): JsonValue {
  if (content === undefined || content === null)
    throw new ParseJsonError(
      'InvalidTemplate',
      "Required property 'content' expects a value but got null. Path ''.",
    );
  let value: JsonValue = content;
  if (typeof content === 'string') {
    try {
      value = JSON.parse(content) as JsonValue;
    } catch (err) {
      throw new ParseJsonError(
        'InvalidJSON',
        `The 'content' property of actions of type 'ParseJson' must be valid JSON. The provided value cannot be parsed: '${(err as Error).message}'.`,
      );
    }
  }
  const problems = schemaProblems(schema, value);
  if (problems.length > 0)
    throw new ParseJsonError('ValidationFailed', `The schema validation failed: ${problems.join('; ')}.`);
  return value;
}
