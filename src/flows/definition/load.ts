/**
 * @module flows/definition/load
 * Reads a workflow as Azure exports it and returns one normalized definition (docs/flows.md, "Workflow
 * definitions"). The forms: a bare definition; the Consumption code view (`{ definition, parameters }`); an ARM
 * template holding one `Microsoft.Logic/workflows` resource, or that resource alone; a Standard
 * `workflow.json` (`{ definition, kind }`); a Power Automate package's `definition.json` or a solution's
 * workflow file (`properties.definition`). The text is parsed strictly (a repeated member name would silently
 * drop an action), sizes are bounded, then normalize.ts and validate.ts run.
 */
import { parseStrictObject, StrictJsonError } from '../../encoding/strict-json.ts';
import { LanyardError } from '../../errors/lanyard-error.ts';
import { ExpressionSyntaxError } from '../expressions/errors.ts';
import { namesReferenced } from '../expressions/references.ts';
import { canonicalMembers } from './members.ts';
import {
  DEFAULT_LIMITS,
  type DefinitionLimits,
  type GivenValue,
  isRecord,
  normalizeDefinition,
} from './normalize.ts';
import { invalid } from './problems.ts';
import type { ExportForm, LoadedWorkflow, WorkflowIdentity } from './types.ts';
import { type ReferenceLister, validateDefinition } from './validate.ts';

export interface LoadOptions {
  /** Size of the JSON text (or of the object, serialized), in bytes. Default 1 MiB. */
  readonly maxBytes?: number;
  /** JSON nesting depth. Default 64. */
  readonly maxDepth?: number;
  readonly limits?: Partial<DefinitionLimits>;
  /**
   * Parameter values from outside the export (Standard's `parameters.json`), each `{ "value": … }`; they
   * override values the export carries.
   */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /**
   * What an expression refers to; default the expression module's own (expressions/references.ts), which also
   * refuses an expression that does not compile. `null`: references are not checked (tests of the shapes only).
   */
  readonly references?: ReferenceLister | null;
  /** An ARM template with several workflows: the one to load, by resource name. */
  readonly resourceName?: string;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

/** JSON values nested deeper than `max`, found without recursion (a hostile object must not exhaust the stack). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

function readSource(source: unknown, maxBytes: number, maxDepth: number): Record<string, unknown> {
  if (typeof source === 'string') {
    if (Buffer.byteLength(source, 'utf8') > maxBytes)
      throw invalid('', 'limit', `the definition is larger than ${maxBytes} bytes`);
    try {
      return parseStrictObject(source, maxDepth);
    } catch (err) {
      if (err instanceof StrictJsonError)
        throw invalid('', 'json', `the text is not a usable JSON object: ${err.message}`);
      throw err;
    }
  }
  if (!isRecord(source))
    throw invalid('', 'form', 'expected a JSON object (a workflow definition or an export)');
  if (deeperThan(source, maxDepth))
    throw invalid('', 'limit', `the JSON nests deeper than ${maxDepth} levels`);
  let text: string;
  try {
    text = JSON.stringify(source);
  } catch {
    throw invalid('', 'json', 'the object cannot be serialized as JSON');
  }
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    throw invalid('', 'limit', `the definition is larger than ${maxBytes} bytes`);
  // A copy the caller cannot change under the normalized definition, and nothing but JSON in it.
  return JSON.parse(text) as Record<string, unknown>;
}

function typeIs(value: unknown, type: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === type.toLowerCase();
}

/** Azure's parameter values are `{ "value": … }`; `$connections` only serves connectors Lanyard refuses. */
function givenValues(raw: unknown, path: string, into: Map<string, GivenValue>): void {
  if (raw === undefined) return;
  if (!isRecord(raw)) throw invalid(path, 'parameter', 'must be an object of { "value": … } entries');
  for (const name of Object.keys(raw)) {
    const at = `${path}.${name}`;
    const entry = raw[name];
    if (
      !isRecord(entry) ||
      !('value' in entry) ||
      Object.keys(entry).some((k) => k !== 'value' && k !== 'type')
    )
      throw invalid(at, 'parameter', 'a parameter value is written { "value": … }');
    into.set(name, {
      value: entry.value,
      ...(entry.type === undefined ? {} : { type: entry.type }),
      path: at,
    });
  }
}

function identityOf(value: unknown): WorkflowIdentity | undefined {
  const raw = canonicalMembers(value, ['type', 'userAssignedIdentities'], 'identity');
  if (!isRecord(raw) || typeof raw.type !== 'string') return undefined;
  const types = raw.type.split(',').map((t) => t.trim().toLowerCase());
  const ids = isRecord(raw.userAssignedIdentities) ? Object.keys(raw.userAssignedIdentities) : [];
  // Ids still written as ARM expressions are only known after deployment: nothing to check against.
  if (ids.some((id) => id.startsWith('['))) return undefined;
  return { systemAssigned: types.includes('systemassigned'), userAssigned: ids };
}

/** Strings an ARM deployment would evaluate (`[parameters('x')]`); `[[` is ARM's escape for a literal `[`. */
function armExpressionsResolved(value: unknown, path: string): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']'))
      throw invalid(
        path,
        'arm-expression',
        `'${value.slice(0, 80)}' is an ARM template expression, which only a deployment evaluates`,
        {
          hint: 'Deploy the template and export the resulting workflow, or replace the expression with its value.',
        },
      );
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => armExpressionsResolved(v, `${path}[${i}]`));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      // defineProperty: a member named __proto__ stays a member.
      Object.defineProperty(out, key, {
        value: armExpressionsResolved(value[key], path === '' ? key : `${path}.${key}`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** The template's own parameter default, for a resource named `[parameters('x')]` (what an export writes). */
function armName(name: unknown, template: Record<string, unknown>): string | undefined {
  if (typeof name !== 'string') return undefined;
  const m = /^\[parameters\('([^']+)'\)\]$/.exec(name);
  if (!m) return name.startsWith('[') ? undefined : name;
  const params = template.parameters;
  const p = isRecord(params) ? params[m[1]!] : undefined;
  return isRecord(p) && typeof p.defaultValue === 'string' ? p.defaultValue : undefined;
}

interface Located {
  form: ExportForm;
  definition: unknown;
  /** Parameter values the export carries. */
  values: Map<string, GivenValue>;
  name?: string | undefined;
  kind?: 'Stateful' | 'Stateless' | undefined;
  state?: string | undefined;
  identity?: WorkflowIdentity | undefined;
}

/** The envelope members the forms are told apart by, spelled canonically (Azure reads them without case). */
const ENVELOPE = [
  '$schema',
  'triggers',
  'actions',
  'definition',
  'parameters',
  'properties',
  'resources',
  'type',
  'kind',
  'name',
  'identity',
];
const PROPERTIES = ['definition', 'parameters', 'state', 'displayName'];

function fromResource(value: Record<string, unknown>, form: ExportForm, path: string): Located {
  const resource = canonicalMembers(value, ENVELOPE, path) as Record<string, unknown>;
  const properties = canonicalMembers(resource.properties, PROPERTIES, `${path}properties`);
  if (!isRecord(properties) || !isRecord(properties.definition))
    throw invalid(`${path}properties.definition`, 'form', 'the workflow resource has no definition');
  const values = new Map<string, GivenValue>();
  givenValues(properties.parameters, `${path}properties.parameters`, values);
  return {
    form,
    definition: properties.definition,
    values,
    name: typeof resource.name === 'string' ? resource.name : undefined,
    state: typeof properties.state === 'string' ? properties.state : undefined,
    identity: identityOf(resource.identity),
  };
}

function locate(root: Record<string, unknown>, resourceName: string | undefined): Located {
  const source = canonicalMembers(root, ENVELOPE, '') as Record<string, unknown>;
  if (Array.isArray(source.resources)) {
    const named = source.resources
      .map((r: unknown, index) => ({ r: canonicalMembers(r, ENVELOPE, `resources[${index}]`), index }))
      .filter(
        (w): w is { r: Record<string, unknown>; index: number } =>
          isRecord(w.r) && typeIs(w.r.type, 'Microsoft.Logic/workflows'),
      )
      .map(({ r, index }) => ({ r, index, name: armName(r.name, source) }));
    const chosen = resourceName === undefined ? named : named.filter((w) => w.name === resourceName);
    if (chosen.length !== 1)
      throw invalid(
        'resources',
        'form',
        chosen.length === 0
          ? resourceName === undefined
            ? 'the ARM template holds no Microsoft.Logic/workflows resource'
            : `the ARM template holds no workflow named '${resourceName}'`
          : `the ARM template holds ${chosen.length} workflows (${named.map((w) => w.name ?? '?').join(', ')}); name the one to load`,
      );
    const { r, index, name } = chosen[0]!;
    const located = fromResource(r, 'arm-template', `resources[${index}].`);
    // A template is what a deployment evaluates: the definition and its values must already be literal.
    located.definition = armExpressionsResolved(located.definition, '');
    for (const [key, g] of located.values) {
      if (key !== '$connections')
        located.values.set(key, { value: armExpressionsResolved(g.value, g.path), path: g.path });
    }
    return { ...located, name };
  }
  if (typeIs(source.type, 'Microsoft.Logic/workflows')) return fromResource(source, 'arm-resource', '');
  const properties = canonicalMembers(source.properties, PROPERTIES, 'properties');
  if (isRecord(properties) && 'definition' in properties) {
    const form: ExportForm = typeIs(source.type, 'Microsoft.Flow/flows')
      ? 'power-automate-package'
      : 'power-automate-solution';
    const name =
      typeof properties.displayName === 'string'
        ? properties.displayName
        : typeof source.name === 'string'
          ? source.name
          : undefined;
    return { form, definition: properties.definition, values: new Map(), name };
  }
  if ('definition' in source) {
    if ('kind' in source) {
      const kind = typeIs(source.kind, 'Stateful')
        ? 'Stateful'
        : typeIs(source.kind, 'Stateless')
          ? 'Stateless'
          : undefined;
      if (kind === undefined)
        throw invalid(
          'kind',
          'form',
          `a Standard workflow is Stateful or Stateless, not '${String(source.kind)}'`,
        );
      return { form: 'standard', definition: source.definition, values: new Map(), kind };
    }
    const values = new Map<string, GivenValue>();
    givenValues(source.parameters, 'parameters', values);
    return { form: 'code-view', definition: source.definition, values };
  }
  if ('triggers' in source || 'actions' in source || '$schema' in source)
    return { form: 'definition', definition: source, values: new Map() };
  throw invalid(
    '',
    'form',
    'this is not a workflow export: expected a definition, a code view ({ definition, parameters }), an ARM template or Microsoft.Logic/workflows resource, a Standard workflow.json ({ definition, kind }), or a Power Automate definition.json or solution file (properties.definition)',
  );
}

/** Loads any export form: normalized, validated, with what the export says about the workflow around it. */
export function loadWorkflow(source: unknown, options: LoadOptions = {}): LoadedWorkflow {
  const root = readSource(
    source,
    options.maxBytes ?? DEFAULT_MAX_BYTES,
    options.maxDepth ?? DEFAULT_MAX_DEPTH,
  );
  const located = locate(root, options.resourceName);
  givenValues(options.parameters, 'options.parameters', located.values);
  const definition = normalizeDefinition(located.definition, located.values, {
    ...DEFAULT_LIMITS,
    ...options.limits,
  });
  const references =
    options.references === undefined ? expressionReferences : (options.references ?? undefined);
  validateDefinition(definition, { references, identity: located.identity });
  return {
    form: located.form,
    ...(located.name === undefined ? {} : { name: located.name }),
    ...(located.kind === undefined ? {} : { kind: located.kind }),
    ...(located.state === undefined ? {} : { state: located.state }),
    ...(located.identity === undefined ? {} : { identity: located.identity }),
    definition,
  };
}

/**
 * The expression module's lister, with the place in the definition added to a syntax error's message: the
 * module knows where in the value the string is, the definition where the value is.
 */
const expressionReferences: ReferenceLister = (value, path) => {
  try {
    return namesReferenced(value);
  } catch (err) {
    if (!(err instanceof ExpressionSyntaxError)) throw err;
    const inner = err.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
    throw new LanyardError('ERR_FLOW_EXPRESSION', `${path}${inner}: ${err.message}`, {
      hint: err.hint,
      details: { ...err.details, path: `${path}${inner}` },
    });
  }
};
