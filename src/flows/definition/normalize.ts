/**
 * @module flows/definition/normalize
 * One definition object (what every export form contains) to a `WorkflowDefinition`: type names matched
 * without case and written canonically, each trigger and action checked against its type's shape (unknown
 * members refused, as Azure refuses them), defaults made explicit (retry policy, audience, status code,
 * Foreach concurrency), parameters resolved to values. A type Lanyard does not run is refused by name with the
 * supported list; nothing is skipped. Graph rules (`runAfter`, references, placement) are validate.ts's.
 */
import { z } from 'zod';
import { parseRecurrence } from '../schedule/recurrence.ts';
import { parseDuration } from './duration.ts';
import { canonicalMembers } from './members.ts';
import { invalid, unsupported } from './problems.ts';
import { normalizeRetryPolicy } from './retry.ts';
import {
  ACTION_TYPES,
  type Action,
  type ActionType,
  type Common,
  DEFAULT_MSI_AUDIENCE,
  type Duration,
  HTTP_METHODS,
  type ManagedIdentityAuthentication,
  OPERATION_OPTIONS,
  type OperationOption,
  PARAMETER_TYPES,
  type ParameterType,
  REQUEST_KINDS,
  RUN_AFTER_STATUSES,
  type RunAfterEntry,
  type RunAfterStatus,
  TERMINATE_STATUSES,
  TRIGGER_TYPES,
  type Trigger,
  type TriggerType,
  VARIABLE_TYPES,
  type VariableType,
  WORKFLOW_SCHEMA,
  type WorkflowDefinition,
  type WorkflowOutput,
  type WorkflowParameter,
} from './types.ts';

export interface DefinitionLimits {
  /** Actions in the whole workflow, nested ones included (Azure: 500). */
  readonly maxActions: number;
  /** Containers (If, Scope, Foreach) an action may sit inside (Azure: nesting depth 8). */
  readonly maxNesting: number;
  /** Azure: 80 characters. */
  readonly maxNameLength: number;
  /** Azure allows 10 in code view; Lanyard hosts one trigger per workflow. */
  readonly maxTriggers: number;
  readonly maxParameters: number;
  readonly maxOutputs: number;
}

export const DEFAULT_LIMITS: DefinitionLimits = {
  maxActions: 500,
  maxNesting: 8,
  maxNameLength: 80,
  maxTriggers: 1,
  maxParameters: 50,
  maxOutputs: 10,
};

/** A parameter value given with the workflow, and where it was found (for messages). */
export interface GivenValue {
  readonly value: unknown;
  /** Standard's `parameters.json` declares as it gives: `{ "type", "value" }`. */
  readonly type?: unknown;
  readonly path: string;
}

const HIGHEST_TIMEOUT_MS = 90 * 86_400_000;
const REQUEST_METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'];
const UAMI_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
const CONDITION_LEAVES = [
  'equals',
  'greater',
  'greaterOrEquals',
  'less',
  'lessOrEquals',
  'contains',
  'startsWith',
  'endsWith',
];
/** Where each operation option means something; elsewhere it is refused rather than ignored. */
const OPTION_PLACES: Record<OperationOption, readonly string[]> = {
  DisableAsyncPattern: ['Http', 'Response'],
  EnableSchemaValidation: ['Request'],
  IncludeAuthorizationHeadersInOutputs: ['Request'],
  Sequential: ['Foreach'],
  SingleInstance: ['Request', 'Recurrence'],
  SuppressWorkflowHeaders: ['Http'],
  SuppressWorkflowHeadersOnResponse: ['Request'],
};

/** Members Azure knows on a trigger or action that change how it runs, and Lanyard does not implement. */
const UNSUPPORTED_MEMBERS: Record<string, string> = {
  splitOn: 'a run per item of the trigger output (splitOn)',
  correlation: 'a client tracking id taken from the trigger (correlation)',
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON string Azure evaluates: starts with `@` (not `@@`), or holds an `@{…}` piece. */
export function isExpression(value: unknown): boolean {
  return (
    typeof value === 'string' && ((value.startsWith('@') && !value.startsWith('@@')) || value.includes('@{'))
  );
}

function canonical<T extends string>(list: readonly T[], text: unknown): T | undefined {
  if (typeof text !== 'string') return undefined;
  const lower = text.toLowerCase();
  return list.find((t) => t.toLowerCase() === lower);
}

function opt<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** `value` with the members of `schema`'s objects, at every depth the schema describes, canonically spelled. */
function canonicalFor(schema: z.ZodType, value: unknown, path: string): unknown {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (s instanceof z.ZodArray && Array.isArray(value))
    return value.map((v, i) => canonicalFor(s.element as z.ZodType, v, `${path}[${i}]`));
  if (!(s instanceof z.ZodObject) || !isRecord(value)) return value;
  const shape = s.shape as Record<string, z.ZodType>;
  const out = canonicalMembers(value, Object.keys(shape), path) as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    const member = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (member) out[key] = canonicalFor(member, out[key], path === '' ? key : `${path}.${key}`);
  }
  return out;
}

/** Parses with zod; the first issue becomes the message, at the path it points to. */
function parse<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(canonicalFor(schema, value, path));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = [path, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k}'`).join(', ');
    throw invalid(at, 'shape', `unknown member ${keys} (Azure refuses members it does not know)`);
  }
  throw invalid(at, 'shape', issue.message);
}

const required = (what: string) =>
  z.custom<unknown>((v) => v !== undefined, `${what} is required`) as z.ZodType<unknown>;
const text = (what: string) => z.string({ error: `${what} must be a string` });
const record = (what: string) =>
  z.custom<Record<string, unknown>>((v) => isRecord(v), `${what} must be an object`);

const runtimeConfigurationSchema = z.strictObject({
  concurrency: z
    .strictObject({
      runs: z.int().min(1).max(100).optional(),
      maximumWaitingRuns: z.int().min(10).max(100).optional(),
      repetitions: z.int().min(1).max(50).optional(),
    })
    .optional(),
  secureData: z.strictObject({ properties: z.array(z.enum(['inputs', 'outputs'])) }).optional(),
  staticResult: z.strictObject({ name: z.string(), staticResultOptions: z.string() }).optional(),
});

const commonShape = {
  type: z.string(),
  description: z.string().optional(),
  /** The designer's own notes; dropped. */
  metadata: z.unknown().optional(),
  trackedProperties: record('trackedProperties').optional(),
  runtimeConfiguration: z.unknown().optional(),
  operationOptions: z.string().optional(),
};

const actionShape = {
  ...commonShape,
  runAfter: z.unknown().optional(),
  limit: z.strictObject({ timeout: z.string().optional() }).optional(),
};

const conditionsSchema = z.array(z.strictObject({ expression: required('expression') })).max(10);

const SHAPES = {
  Request: z.strictObject({
    ...commonShape,
    kind: z.string().optional(),
    inputs: z
      .strictObject({
        method: z.string().optional(),
        relativePath: z.string().max(256).optional(),
        schema: record('schema').optional(),
      })
      .optional(),
    conditions: conditionsSchema.optional(),
  }),
  Recurrence: z.strictObject({
    ...commonShape,
    recurrence: required('recurrence'),
    conditions: conditionsSchema.optional(),
  }),
  Http: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({
      method: text('method'),
      uri: text('uri').min(1, 'uri must not be empty'),
      headers: z.unknown().optional(),
      queries: z.unknown().optional(),
      body: z.unknown().optional(),
      cookie: z.unknown().optional(),
      authentication: z.unknown().optional(),
      retryPolicy: z.unknown().optional(),
    }),
  }),
  Compose: z.strictObject({ ...actionShape, inputs: required('inputs') }),
  ParseJson: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({ content: required('content'), schema: required('schema') }),
  }),
  InitializeVariable: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({
      variables: z
        .array(
          z.strictObject({
            name: text('name').min(1),
            type: z.string(),
            value: z.unknown().optional(),
          }),
        )
        .length(1, 'an InitializeVariable action declares exactly one variable'),
    }),
  }),
  SetVariable: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({ name: text('name').min(1), value: required('value') }),
  }),
  IncrementVariable: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({ name: text('name').min(1), value: z.unknown().optional() }),
  }),
  AppendToArrayVariable: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({ name: text('name').min(1), value: required('value') }),
  }),
  If: z.strictObject({
    ...actionShape,
    expression: required('expression'),
    actions: z.unknown().optional(),
    else: z.strictObject({ actions: z.unknown().optional() }).optional(),
  }),
  Scope: z.strictObject({ ...actionShape, actions: z.unknown().optional() }),
  Foreach: z.strictObject({ ...actionShape, foreach: required('foreach'), actions: z.unknown().optional() }),
  Response: z.strictObject({
    ...actionShape,
    kind: z.string().optional(),
    inputs: z.strictObject({
      statusCode: z.union([z.int(), z.string()]).optional(),
      headers: z.unknown().optional(),
      body: z.unknown().optional(),
      schema: z.unknown().optional(),
    }),
  }),
  Terminate: z.strictObject({
    ...actionShape,
    inputs: z.strictObject({
      runStatus: z.string(),
      runError: z.strictObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
    }),
  }),
} as const;

interface Context {
  readonly limits: DefinitionLimits;
  actions: number;
  /** Lower-cased name → path of its first use: names are unique across the workflow. */
  readonly names: Map<string, string>;
}

function checkName(name: string, path: string, ctx: Context): void {
  if (name.length === 0) throw invalid(path, 'name', 'a name must not be empty');
  if (name.length > ctx.limits.maxNameLength)
    throw invalid(path, 'name', `the name is longer than ${ctx.limits.maxNameLength} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw invalid(path, 'name', 'a name must not hold control characters');
  if (name.endsWith('.')) throw invalid(path, 'name', 'a name must not end with "."');
  const key = name.toLowerCase();
  const first = ctx.names.get(key);
  if (first !== undefined)
    throw invalid(
      path,
      'name',
      `the name '${name}' is already used by ${first}; trigger and action names are unique in a workflow, without regard to case`,
    );
  ctx.names.set(key, path);
}

function operationOptions(raw: string | undefined, place: string, path: string): OperationOption[] {
  if (raw === undefined) return [];
  const out: OperationOption[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (name === '') continue;
    const option = canonical(OPERATION_OPTIONS, name);
    if (option === undefined)
      throw invalid(
        `${path}.operationOptions`,
        'shape',
        `'${name}' is not an operation option; Azure's are ${OPERATION_OPTIONS.join(', ')}`,
      );
    if (!OPTION_PLACES[option].includes(place))
      throw invalid(`${path}.operationOptions`, 'shape', `'${option}' does not apply to a ${place}`);
    if (!out.includes(option)) out.push(option);
  }
  return out;
}

interface RuntimeConfiguration {
  secureInputs: boolean;
  secureOutputs: boolean;
  concurrency:
    | { runs?: number | undefined; maximumWaitingRuns?: number | undefined; repetitions?: number | undefined }
    | undefined;
}

function runtimeConfiguration(raw: unknown, path: string): RuntimeConfiguration {
  const at = `${path}.runtimeConfiguration`;
  if (raw === undefined) return { secureInputs: false, secureOutputs: false, concurrency: undefined };
  if (!isRecord(raw)) throw invalid(at, 'shape', 'must be an object');
  const known = ['concurrency', 'secureData', 'staticResult'];
  const members = canonicalMembers(raw, known, at) as Record<string, unknown>;
  for (const key of Object.keys(members)) {
    if (!known.includes(key)) throw unsupported(`${at}.${key}`, 'runtime configuration', key, known);
  }
  const config = parse(runtimeConfigurationSchema, members, at);
  if (config.staticResult && config.staticResult.staticResultOptions.toLowerCase() === 'enabled')
    throw unsupported(
      `${at}.staticResult`,
      'option',
      'staticResult',
      [],
      ' (static results replace a run with a mock)',
    );
  const properties = config.secureData?.properties ?? [];
  return {
    secureInputs: properties.includes('inputs'),
    secureOutputs: properties.includes('outputs'),
    concurrency: config.concurrency,
  };
}

function common(
  name: string,
  path: string,
  place: string,
  raw: {
    description?: string | undefined;
    trackedProperties?: Record<string, unknown> | undefined;
    operationOptions?: string | undefined;
  },
  config: RuntimeConfiguration,
): Common {
  return {
    name,
    path,
    ...opt('description', raw.description),
    operationOptions: operationOptions(raw.operationOptions, place, path),
    secureInputs: config.secureInputs,
    secureOutputs: config.secureOutputs,
    ...opt('trackedProperties', raw.trackedProperties),
  };
}

function refuseUnsupportedMembers(raw: Record<string, unknown>, path: string, what: string): void {
  for (const [key, meaning] of Object.entries(UNSUPPORTED_MEMBERS)) {
    if (key in raw) throw unsupported(`${path}.${key}`, `${what} member`, key, [], `: ${meaning}`);
  }
}

/** Every fixed member a trigger or action may have, for spelling them canonically before anything reads them. */
const MEMBERS = [
  'type',
  'kind',
  'inputs',
  'runAfter',
  'description',
  'metadata',
  'trackedProperties',
  'runtimeConfiguration',
  'operationOptions',
  'limit',
  'expression',
  'actions',
  'else',
  'foreach',
  'recurrence',
  'conditions',
  ...Object.keys(UNSUPPORTED_MEMBERS),
];

function typeOf<T extends string>(
  value: unknown,
  path: string,
  what: 'trigger' | 'action',
  list: readonly T[],
): { raw: Record<string, unknown>; type: T } {
  if (!isRecord(value)) throw invalid(path, 'shape', `a ${what} must be an object`);
  const raw = canonicalMembers(value, MEMBERS, path) as Record<string, unknown>;
  if (typeof raw.type !== 'string' || raw.type === '')
    throw invalid(`${path}.type`, 'shape', `a ${what} needs a type`);
  const type = canonical(list, raw.type);
  if (type === undefined) throw unsupported(path, `${what} type`, raw.type, list);
  return { raw, type };
}

function concurrencyOf(
  config: RuntimeConfiguration,
  path: string,
  allowed: 'runs' | 'repetitions' | 'none',
): { runs?: number; maximumWaitingRuns?: number } | undefined {
  const c = config.concurrency;
  if (c === undefined) return undefined;
  const at = `${path}.runtimeConfiguration.concurrency`;
  if (allowed !== 'runs' && (c.runs !== undefined || c.maximumWaitingRuns !== undefined))
    throw invalid(at, 'shape', 'runs and maximumWaitingRuns apply to triggers only');
  if (allowed !== 'repetitions' && c.repetitions !== undefined)
    throw invalid(at, 'shape', 'repetitions applies to Foreach only');
  if (allowed !== 'runs') return undefined;
  return { ...opt('runs', c.runs), ...opt('maximumWaitingRuns', c.maximumWaitingRuns) };
}

function normalizeTrigger(name: string, value: unknown, path: string, ctx: Context): Trigger {
  checkName(name, path, ctx);
  const { raw, type } = typeOf<TriggerType>(value, path, 'trigger', TRIGGER_TYPES);
  refuseUnsupportedMembers(raw, path, 'trigger');
  const config = runtimeConfiguration(raw.runtimeConfiguration, path);
  const concurrency = concurrencyOf(config, path, 'runs');
  if (type === 'Request') {
    const t = parse(SHAPES.Request, raw, path);
    const kind = canonical(REQUEST_KINDS, t.kind ?? 'Http');
    if (kind === undefined)
      throw unsupported(`${path}.kind`, 'Request trigger kind', String(t.kind), REQUEST_KINDS);
    const inputs = t.inputs ?? {};
    let method: string | undefined;
    if (inputs.method !== undefined) {
      method = inputs.method.toUpperCase();
      if (!REQUEST_METHODS.includes(method))
        throw invalid(
          `${path}.inputs.method`,
          'shape',
          `'${inputs.method}' is not one of ${REQUEST_METHODS.join(', ')}`,
        );
    }
    let relativePath: string | undefined;
    if (inputs.relativePath !== undefined) {
      if (method === undefined)
        throw invalid(`${path}.inputs`, 'shape', 'a relativePath needs a method, as Azure requires');
      relativePath = inputs.relativePath.replace(/^\/+/, '');
      if (/[?#]/.test(relativePath))
        throw invalid(`${path}.inputs.relativePath`, 'shape', 'must be a path without "?" or "#"');
    }
    const base = common(name, path, 'Request', t, config);
    return {
      ...base,
      type: 'Request',
      kind,
      inputs: {
        ...opt('method', method),
        ...opt('relativePath', relativePath),
        ...opt('schema', inputs.schema),
      },
      schemaValidation: base.operationOptions.includes('EnableSchemaValidation'),
      conditions: (t.conditions ?? []).map((c) => c.expression),
      ...opt('concurrency', concurrency),
    };
  }
  if ('inputs' in raw) throw invalid(`${path}.inputs`, 'shape', 'a Recurrence trigger takes no inputs');
  const t = parse(SHAPES.Recurrence, raw, path);
  return {
    ...common(name, path, 'Recurrence', t, config),
    type: 'Recurrence',
    // The schedule module's rules, errors (ERR_FLOW_SCHEDULE) and result: one reading of a recurrence.
    recurrence: parseRecurrence(t.recurrence, `${path}.recurrence`),
    conditions: (t.conditions ?? []).map((c) => c.expression),
    ...opt('concurrency', concurrency),
  };
}

function runAfterOf(raw: unknown, path: string): RunAfterEntry[] {
  const at = `${path}.runAfter`;
  if (raw === undefined) return [];
  if (!isRecord(raw))
    throw invalid(
      at,
      'run-after',
      'must be an object mapping a preceding action to statuses, such as { "A": ["Succeeded"] }',
    );
  const out: RunAfterEntry[] = [];
  for (const action of Object.keys(raw)) {
    const list = raw[action];
    if (!Array.isArray(list) || list.length === 0)
      throw invalid(`${at}.${action}`, 'run-after', 'must be a non-empty array of statuses');
    const statuses: RunAfterStatus[] = [];
    for (const s of list) {
      const status = canonical(RUN_AFTER_STATUSES, s);
      if (status === undefined)
        throw invalid(
          `${at}.${action}`,
          'run-after',
          `'${String(s)}' is not a status runAfter can name; use ${RUN_AFTER_STATUSES.join(', ')}`,
        );
      if (!statuses.includes(status)) statuses.push(status);
    }
    out.push({ action, statuses });
  }
  return out;
}

function timeoutOf(limit: { timeout?: string | undefined } | undefined, path: string): Duration | undefined {
  if (limit?.timeout === undefined) return undefined;
  const at = `${path}.limit.timeout`;
  const d = parseDuration(limit.timeout);
  if (!d) throw invalid(at, 'duration', `'${limit.timeout}' is not an ISO 8601 duration (such as "PT30S")`);
  if (d.ms <= 0 || d.ms > HIGHEST_TIMEOUT_MS)
    throw invalid(at, 'duration', 'must be longer than zero and at most P90D, the longest run');
  return d;
}

function authenticationOf(raw: unknown, path: string): ManagedIdentityAuthentication | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw))
    throw invalid(path, 'authentication', 'must be an object such as { "type": "ManagedServiceIdentity" }');
  const type = (canonicalMembers(raw, ['type'], path) as Record<string, unknown>).type;
  if (typeof type !== 'string' || type.toLowerCase() !== 'managedserviceidentity')
    throw unsupported(
      `${path}.type`,
      'authentication type',
      String(type),
      ['ManagedServiceIdentity'],
      ": Http actions authenticate with the workflow's managed identity only, for now",
    );
  const a = parse(
    z.strictObject({
      type: z.string(),
      identity: text('identity').optional(),
      audience: text('audience').min(1, 'audience must not be empty').optional(),
      authority: z.string().optional(),
    }),
    raw,
    path,
  );
  let identity = a.identity;
  if (identity !== undefined && identity.toLowerCase() === 'systemassigned') identity = undefined;
  if (identity !== undefined && !UAMI_ID.test(identity))
    throw invalid(
      `${path}.identity`,
      'authentication',
      `'${identity}' is not a user-assigned identity's resource id (/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}); omit it for the system-assigned identity`,
    );
  return {
    type: 'ManagedServiceIdentity',
    ...opt('identity', identity),
    audience: a.audience ?? DEFAULT_MSI_AUDIENCE,
    ...opt('authority', a.authority),
  };
}

function checkUri(uri: string, path: string): void {
  if (isExpression(uri)) return;
  if (uri.length > 2048) throw invalid(path, 'shape', 'a URI is at most 2 KB');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(path, 'shape', `'${uri.slice(0, 100)}' is not an absolute URI`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid(path, 'shape', `'${url.protocol}' URIs are not callable; use http or https`);
}

function checkCondition(value: unknown, path: string, depth: number): void {
  if (depth > 32) throw invalid(path, 'shape', 'the condition nests too deeply');
  if (typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (isExpression(value)) return;
    throw invalid(path, 'shape', 'a condition string must be an expression starting with "@"');
  }
  const keys = isRecord(value) ? Object.keys(value) : [];
  if (keys.length !== 1)
    throw invalid(
      path,
      'shape',
      'a condition is an "@" expression or an object with one operator, such as { "equals": [a, b] }',
    );
  const key = keys[0]!;
  const operand = (value as Record<string, unknown>)[key];
  const op = key.toLowerCase();
  const at = `${path}.${key}`;
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(operand) || operand.length === 0)
      throw invalid(at, 'shape', `'${key}' takes a non-empty array of conditions`);
    operand.forEach((c, i) => {
      checkCondition(c, `${at}[${i}]`, depth + 1);
    });
    return;
  }
  if (op === 'not') {
    checkCondition(operand, at, depth + 1);
    return;
  }
  if (!CONDITION_LEAVES.some((l) => l.toLowerCase() === op))
    throw invalid(
      at,
      'shape',
      `'${key}' is not a condition operator; use and, or, not, ${CONDITION_LEAVES.join(', ')}`,
    );
  if (!Array.isArray(operand) || operand.length !== 2)
    throw invalid(at, 'shape', `'${key}' takes an array of two values`);
}

function checkVariableValue(type: VariableType, value: unknown, path: string): void {
  if (value === undefined || isExpression(value)) return;
  const ok =
    (type === 'Integer' && Number.isInteger(value)) ||
    (type === 'Float' && typeof value === 'number') ||
    (type === 'Boolean' && typeof value === 'boolean') ||
    (type === 'String' && typeof value === 'string') ||
    (type === 'Array' && Array.isArray(value)) ||
    (type === 'Object' && isRecord(value));
  if (!ok)
    throw invalid(
      path,
      'variable',
      `the value ${JSON.stringify(value)?.slice(0, 60)} is not of type ${type}`,
    );
}

function statusCodeOf(raw: number | string | undefined, path: string): number | string {
  if (raw === undefined) return 200;
  if (typeof raw === 'string' && isExpression(raw)) return raw;
  const code = typeof raw === 'number' ? raw : /^\d{3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(code) || code < 200 || code > 599 || (code >= 300 && code < 400))
    throw invalid(
      path,
      'shape',
      `${JSON.stringify(raw)} is not a status code a Response may send (2xx, 4xx or 5xx)`,
    );
  return code;
}

interface ActionCommonRaw {
  description?: string | undefined;
  trackedProperties?: Record<string, unknown> | undefined;
  operationOptions?: string | undefined;
  runAfter?: unknown;
  limit?: { timeout?: string | undefined } | undefined;
}

function normalizeAction(name: string, value: unknown, path: string, nesting: number, ctx: Context): Action {
  checkName(name, path, ctx);
  if (++ctx.actions > ctx.limits.maxActions)
    throw invalid(path, 'limit', `the workflow has more than ${ctx.limits.maxActions} actions`);
  const { raw, type } = typeOf<ActionType>(value, path, 'action', ACTION_TYPES);
  refuseUnsupportedMembers(raw, path, 'action');
  const config = runtimeConfiguration(raw.runtimeConfiguration, path);
  concurrencyOf(config, path, type === 'Foreach' ? 'repetitions' : 'none');
  const baseOf = (a: ActionCommonRaw) => ({
    ...common(name, path, type, a, config),
    runAfter: runAfterOf(a.runAfter, path),
    ...opt('timeout', timeoutOf(a.limit, path)),
  });
  const inputsPath = `${path}.inputs`;
  switch (type) {
    case 'Http': {
      const a = parse(SHAPES.Http, raw, path);
      const i = a.inputs;
      const method = isExpression(i.method) ? i.method : i.method.toUpperCase();
      if (!isExpression(method) && !(HTTP_METHODS as readonly string[]).includes(method))
        throw invalid(
          `${inputsPath}.method`,
          'shape',
          `'${i.method}' is not one of ${HTTP_METHODS.join(', ')}`,
        );
      checkUri(i.uri, `${inputsPath}.uri`);
      return {
        ...baseOf(a),
        type,
        inputs: {
          method,
          uri: i.uri,
          ...opt('headers', i.headers),
          ...opt('queries', i.queries),
          ...opt('body', i.body),
          ...opt('cookie', i.cookie),
          ...opt('authentication', authenticationOf(i.authentication, `${inputsPath}.authentication`)),
          retryPolicy: normalizeRetryPolicy(i.retryPolicy, `${inputsPath}.retryPolicy`),
        },
      };
    }
    case 'Compose': {
      const a = parse(SHAPES.Compose, raw, path);
      return { ...baseOf(a), type, inputs: a.inputs };
    }
    case 'ParseJson': {
      const a = parse(SHAPES.ParseJson, raw, path);
      const i = a.inputs;
      if (!isRecord(i.schema) && !isExpression(i.schema))
        throw invalid(`${inputsPath}.schema`, 'shape', 'must be a JSON Schema object');
      return { ...baseOf(a), type, inputs: { content: i.content, schema: i.schema } };
    }
    case 'InitializeVariable': {
      const a = parse(SHAPES.InitializeVariable, raw, path);
      const v = a.inputs.variables[0]!;
      const at = `${inputsPath}.variables[0]`;
      const varType = canonical(VARIABLE_TYPES, v.type);
      if (varType === undefined)
        throw invalid(
          `${at}.type`,
          'variable',
          `'${v.type}' is not a variable type; use ${VARIABLE_TYPES.join(', ')}`,
        );
      checkVariableValue(varType, v.value, `${at}.value`);
      return { ...baseOf(a), type, inputs: { name: v.name, type: varType, ...opt('value', v.value) } };
    }
    case 'SetVariable':
    case 'AppendToArrayVariable': {
      const a = parse(SHAPES[type], raw, path);
      return { ...baseOf(a), type, inputs: { name: a.inputs.name, value: a.inputs.value } };
    }
    case 'IncrementVariable': {
      const a = parse(SHAPES.IncrementVariable, raw, path);
      const i = a.inputs;
      if (i.value !== undefined && typeof i.value !== 'number' && !isExpression(i.value))
        throw invalid(`${inputsPath}.value`, 'variable', 'must be a number or an expression');
      return { ...baseOf(a), type, inputs: { name: i.name, ...opt('value', i.value) } };
    }
    case 'If': {
      const i = parse(SHAPES.If, raw, path);
      checkCondition(i.expression, `${path}.expression`, 0);
      return {
        ...baseOf(i),
        type,
        expression: i.expression,
        actions: normalizeContainer(i.actions, `${path}.actions`, nesting + 1, ctx),
        else: normalizeContainer(i.else?.actions, `${path}.else.actions`, nesting + 1, ctx),
      };
    }
    case 'Scope': {
      const i = parse(SHAPES.Scope, raw, path);
      return {
        ...baseOf(i),
        type,
        actions: normalizeContainer(i.actions, `${path}.actions`, nesting + 1, ctx),
      };
    }
    case 'Foreach': {
      const i = parse(SHAPES.Foreach, raw, path);
      if (!isExpression(i.foreach) && !Array.isArray(i.foreach))
        throw invalid(`${path}.foreach`, 'shape', 'must be an expression giving an array, or an array');
      const repetitions = config.concurrency?.repetitions;
      const base = baseOf(i);
      const sequential = base.operationOptions.includes('Sequential');
      if (sequential && repetitions !== undefined)
        throw invalid(
          path,
          'shape',
          'Sequential and runtimeConfiguration.concurrency.repetitions cannot both be set, as Azure refuses',
        );
      return {
        ...base,
        type,
        foreach: i.foreach,
        actions: normalizeContainer(i.actions, `${path}.actions`, nesting + 1, ctx),
        concurrency: sequential ? 1 : (repetitions ?? 20),
      };
    }
    case 'Response': {
      const i = parse(SHAPES.Response, raw, path);
      if (i.kind !== undefined && i.kind.toLowerCase() !== 'http')
        throw unsupported(`${path}.kind`, 'Response kind', i.kind, ['Http']);
      return {
        ...baseOf(i),
        type,
        inputs: {
          statusCode: statusCodeOf(i.inputs.statusCode, `${inputsPath}.statusCode`),
          ...opt('headers', i.inputs.headers),
          ...opt('body', i.inputs.body),
          ...opt('schema', i.inputs.schema),
        },
      };
    }
    case 'Terminate': {
      const a = parse(SHAPES.Terminate, raw, path);
      const i = a.inputs;
      const runStatus = canonical(TERMINATE_STATUSES, i.runStatus);
      if (runStatus === undefined)
        throw invalid(
          `${inputsPath}.runStatus`,
          'shape',
          `'${i.runStatus}' is not a status Terminate can set; use ${TERMINATE_STATUSES.join(', ')}`,
        );
      if (i.runError !== undefined && runStatus !== 'Failed')
        throw invalid(
          `${inputsPath}.runError`,
          'shape',
          `a runError goes with runStatus Failed, not ${runStatus}`,
        );
      const runError = i.runError && {
        ...opt('code', i.runError.code),
        ...opt('message', i.runError.message),
      };
      return { ...baseOf(a), type, inputs: { runStatus, ...opt('runError', runError) } };
    }
  }
}

function normalizeContainer(raw: unknown, path: string, nesting: number, ctx: Context): Action[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) throw invalid(path, 'shape', 'must be an object mapping action names to actions');
  const names = Object.keys(raw);
  if (names.length > 0 && nesting > ctx.limits.maxNesting)
    throw invalid(path, 'limit', `actions nest deeper than ${ctx.limits.maxNesting} containers`);
  return names.map((name) => normalizeAction(name, raw[name], `${path}.${name}`, nesting, ctx));
}

function typeMatches(type: ParameterType, value: unknown): boolean {
  switch (type) {
    case 'int':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number';
    case 'string':
    case 'securestring':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
    case 'secureobject':
      return isRecord(value);
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function parameterType(raw: unknown, path: string): ParameterType {
  const type = canonical(PARAMETER_TYPES, raw);
  if (type === undefined)
    throw invalid(
      path,
      'parameter',
      `'${String(raw)}' is not a parameter type; use ${PARAMETER_TYPES.join(', ')}`,
    );
  return type;
}

const parameterSchema = z.strictObject({
  type: z.string(),
  defaultValue: z.unknown().optional(),
  allowedValues: z.array(z.unknown()).optional(),
  metadata: z.unknown().optional(),
});

function normalizeParameters(
  raw: unknown,
  given: ReadonlyMap<string, GivenValue>,
  ctx: Context,
): WorkflowParameter[] {
  const declared = raw === undefined ? {} : raw;
  if (!isRecord(declared))
    throw invalid('parameters', 'shape', 'must be an object of parameter declarations');
  const entries: { name: string; path: string; declaration: unknown }[] = Object.keys(declared).map(
    (name) => ({
      name,
      path: `parameters.${name}`,
      declaration: declared[name],
    }),
  );
  for (const [name, g] of given) {
    if (Object.hasOwn(declared, name)) continue;
    if (g.type === undefined)
      throw invalid(
        g.path,
        'parameter',
        `a value is given for '${name}', which the definition does not declare`,
        {
          hint: 'Declare it under definition.parameters (or give its type with the value, as parameters.json does).',
        },
      );
    entries.push({ name, path: g.path, declaration: { type: g.type } });
  }
  if (entries.length > ctx.limits.maxParameters)
    throw invalid(
      'parameters',
      'limit',
      `a workflow declares at most ${ctx.limits.maxParameters} parameters`,
    );
  return entries.map(({ name, path, declaration }) => {
    const p = parse(parameterSchema, declaration, path);
    const type = parameterType(p.type, `${path}.type`);
    const g = given.get(name);
    if (g?.type !== undefined && parameterType(g.type, `${g.path}.type`) !== type)
      throw invalid(
        `${g.path}.type`,
        'parameter',
        `'${name}' is declared as ${type}, and its value is given as ${String(g.type)}`,
      );
    const value = g !== undefined ? g.value : p.defaultValue;
    const where = g?.path ?? `${path}.defaultValue`;
    if (value === undefined)
      throw invalid(
        path,
        'parameter',
        `'${name}' has no value: give it a defaultValue, or a value with the workflow`,
      );
    if (!typeMatches(type, value))
      throw invalid(where, 'parameter', `the value of '${name}' is not of type ${type}`);
    if (p.allowedValues !== undefined && !p.allowedValues.some((v) => deepEqual(v, value)))
      throw invalid(where, 'parameter', `the value of '${name}' is not one of its allowedValues`);
    return {
      name,
      type,
      value,
      secure: type === 'securestring' || type === 'secureobject',
      ...opt('allowedValues', p.allowedValues),
    };
  });
}

function normalizeOutputs(raw: unknown, ctx: Context): WorkflowOutput[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) throw invalid('outputs', 'shape', 'must be an object of outputs');
  const names = Object.keys(raw);
  if (names.length > ctx.limits.maxOutputs)
    throw invalid('outputs', 'limit', `a workflow has at most ${ctx.limits.maxOutputs} outputs`);
  return names.map((name) => {
    const path = `outputs.${name}`;
    const o = parse(
      z.strictObject({ type: z.string(), value: required('value'), metadata: z.unknown().optional() }),
      raw[name],
      path,
    );
    return { name, type: parameterType(o.type, `${path}.type`), value: o.value };
  });
}

function schemaOf(raw: unknown): string {
  if (raw === undefined) return WORKFLOW_SCHEMA;
  const bare = WORKFLOW_SCHEMA.slice(0, -1).toLowerCase();
  if (typeof raw !== 'string' || raw.replace(/#$/, '').toLowerCase() !== bare)
    throw invalid(
      '$schema',
      'schema',
      `'${String(raw)}' is not the workflow definition schema; Lanyard reads ${WORKFLOW_SCHEMA} (the 2016-06-01 language), with or without "#"`,
    );
  return WORKFLOW_SCHEMA;
}

const DEFINITION_KEYS = [
  '$schema',
  'contentVersion',
  'parameters',
  'triggers',
  'actions',
  'outputs',
  'staticResults',
  'description',
  'metadata',
];

/** Normalizes one definition object. `given` are parameter values from outside the definition. */
export function normalizeDefinition(
  value: unknown,
  given: ReadonlyMap<string, GivenValue> = new Map(),
  limits: DefinitionLimits = DEFAULT_LIMITS,
): WorkflowDefinition {
  if (!isRecord(value)) throw invalid('', 'shape', 'the definition must be a JSON object');
  const raw = canonicalMembers(value, DEFINITION_KEYS, '') as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!DEFINITION_KEYS.includes(key))
      throw invalid(
        key,
        'shape',
        `unknown member '${key}' of a definition; it has ${DEFINITION_KEYS.join(', ')}`,
      );
  }
  if (raw.contentVersion !== undefined && typeof raw.contentVersion !== 'string')
    throw invalid('contentVersion', 'shape', 'must be a string such as "1.0.0.0"');
  if (raw.staticResults !== undefined && !isRecord(raw.staticResults))
    throw invalid('staticResults', 'shape', 'must be an object');
  const ctx: Context = { limits, actions: 0, names: new Map() };
  const schema = schemaOf(raw.$schema);
  const parameters = normalizeParameters(raw.parameters, given, ctx);
  const triggersRaw = raw.triggers ?? {};
  if (!isRecord(triggersRaw))
    throw invalid('triggers', 'shape', 'must be an object mapping names to triggers');
  const triggerNames = Object.keys(triggersRaw);
  if (triggerNames.length === 0 || triggerNames.length > limits.maxTriggers)
    throw invalid(
      'triggers',
      'limit',
      triggerNames.length === 0
        ? 'the workflow has no trigger; Lanyard starts runs from a Request or Recurrence trigger'
        : `the workflow has ${triggerNames.length} triggers; Lanyard runs workflows with at most ${limits.maxTriggers}`,
    );
  const triggers = triggerNames.map((name) =>
    normalizeTrigger(name, triggersRaw[name], `triggers.${name}`, ctx),
  );
  const actions = normalizeContainer(raw.actions, 'actions', 0, ctx);
  return {
    schema,
    contentVersion: typeof raw.contentVersion === 'string' ? raw.contentVersion : '1.0.0.0',
    parameters,
    triggers,
    actions,
    outputs: normalizeOutputs(raw.outputs, ctx),
  };
}
