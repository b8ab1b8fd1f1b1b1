/**
 * @module gateway/policies/set-variable
 * `<set-variable name="…" value="…"/>`: stores a value in `context.Variables` for later policies and
 * expressions. `name` is a constant (APIM takes no expression there). `value` is text — a constant is stored
 * as a string, as APIM does — or an expression, whose value is stored with its type (a bool stays a bool, so
 * `(bool)context.Variables["isMobile"]` works). APIM allows only simple types there (bool, numbers, char,
 * string, Guid, DateTime, TimeSpan and their nullable forms, plus JSON tokens): a statically known other type
 * (a `Jwt`, an array) is refused at load; a value typed `object` is checked when it runs.
 */
import { LanyardError } from '../../errors/lanyard-error.ts';
import { DateTimeValue, GuidValue, TimeSpanValue } from '../expressions/index.ts';
import { onlyChildren, readAttributes, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';

/** Static types an expression may have here (the `?` forms are allowed too). */
const ALLOWED = new Set([
  'bool',
  'int',
  'double',
  'char',
  'string',
  'Guid',
  'DateTime',
  'TimeSpan',
  'object',
  'null',
]);
const MAX_NAME = 256;

function allowedAtRuntime(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    typeof v === 'string' ||
    typeof v === 'number' ||
    typeof v === 'boolean' ||
    v instanceof DateTimeValue ||
    v instanceof TimeSpanValue ||
    v instanceof GuidValue
  );
}

export const setVariable = definePolicy({
  name: 'set-variable',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(
      element,
      { name: str({ required: true }), value: str({ required: true, expressions: true }) },
      cc,
    );
    onlyChildren(element, []);
    const name = a.name.kind === 'constant' ? a.name.value : '';
    if (name.trim() === '' || name.length > MAX_NAME) {
      throw new PolicyLoadError(
        element.valuePositions.get('name') ?? element.position,
        `<set-variable> name must be 1–${MAX_NAME} characters`,
      );
    }
    const value = a.value;
    if (value.kind === 'expression') {
      const type = value.expression.type.replace(/\?$/, '');
      if (!ALLOWED.has(type)) {
        throw new PolicyLoadError(
          element.valuePositions.get('value') ?? element.position,
          `<set-variable> cannot store a value of type ${value.expression.type}`,
          'A variable holds a bool, a number, a char, a string, a Guid, a DateTime or a TimeSpan; convert it (ToString()) first.',
        );
      }
    }
    return {
      run(ctx) {
        if (value.kind === 'constant') {
          ctx.variables.set(name, value.value);
          return;
        }
        const v = value.expression.evaluate(cc.expressions(ctx));
        if (!allowedAtRuntime(v)) {
          throw new LanyardError(
            'ERR_GATEWAY_POLICY_RUNTIME',
            `set-variable ${name}: the expression gave a value of a type a variable cannot hold`,
          );
        }
        ctx.variables.set(name, v ?? null);
      },
    };
  },
});
