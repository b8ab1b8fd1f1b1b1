/**
 * @module gateway/expressions/members
 * The allow-list: for each type a policy can hold, the properties, methods and indexer it may use, each with
 * its static type (for the compiler) and its implementation. Nothing else is reachable: the compiler looks
 * names up in these Maps only (never on a JavaScript object), so `constructor`, `__proto__` or any property
 * the runtime objects happen to carry do not exist for a policy.
 *
 * The object model's members are API Management's (IProxyRequestContext, IRequest, IUrl, IMessageHeaders, Jwt,
 * …); string, LINQ and static members are the .NET ones the policies in the wild use. Failures raise the .NET
 * exception a policy would see in API Management (by name, in the message).
 */
import type {
  ApiModel,
  BodyModel,
  DeploymentModel,
  LastErrorModel,
  MultiValueMap,
  OperationModel,
  PolicyContext,
  ProductModel,
  RequestModel,
  ResponseModel,
  SubscriptionModel,
  UrlModel,
  UserModel,
} from './context.ts';
import { RuntimeFault } from './faults.ts';
import { type Jwt, parseJwt } from './jwt.ts';
import type { Runtime } from './runtime.ts';
import { elementOf, hasRuntimeType, runtimeTypeName, type TypeName } from './types.ts';
import { DateTimeValue, formatDateTime, formatTimeSpan, GuidValue, TimeSpanValue, toText } from './values.ts';

/** A parameter: a type, a lambda over the target's elements (`bool` predicate or any result), or `out T`. */
export type Param = TypeName | { lambda: 'bool' | 'any' } | { out: TypeName };

export interface CallInfo {
  rt: Runtime;
  // biome-ignore lint/suspicious/noExplicitAny: the compiler has checked the target's type against this table
  target: any;
  args: unknown[];
  at: number;
  typeArgs: TypeName[];
  argTypes: TypeName[];
  targetType: TypeName;
}

export interface Overload {
  params: Param[];
  /** `params T[]`: any number of trailing arguments of this type. */
  rest?: TypeName;
  /** Number of type arguments (`GetValueOrDefault<T>`). */
  typeArgs?: number;
  returns: TypeName | ((c: { target: TypeName; typeArgs: TypeName[]; args: TypeName[] }) => TypeName);
  call(c: CallInfo): unknown;
}

export interface Property {
  type: TypeName | ((target: TypeName) => TypeName);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  get(target: any, rt: Runtime, at: number): unknown;
}

export interface Indexer {
  key: TypeName;
  type: TypeName | ((target: TypeName) => TypeName);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  get(target: any, key: any, rt: Runtime, at: number): unknown;
}

export interface TypeDef {
  properties: ReadonlyMap<string, Property>;
  methods: ReadonlyMap<string, readonly Overload[]>;
  indexer?: Indexer | undefined;
}

/**
 * A parameter of type `T`: the element type of the target sequence (`Contains(T)`), or the method's type
 * argument (`GetValueOrDefault<T>(name, T)`, where C# infers `T` from the argument when it is not written).
 */
export const ELEMENT_PARAM = 'T';

const fault = (exception: string, message: string, at: number): never => {
  throw new RuntimeFault(exception, message, at);
};

function def(
  properties: Record<string, Property>,
  methods: Record<string, Overload[]> = {},
  indexer?: Indexer,
): TypeDef {
  return {
    properties: new Map(Object.entries(properties)),
    methods: new Map(Object.entries(methods)),
    indexer,
  };
}

/** A property reading one field of a model object; absent fields read as null. */
function field<T>(type: TypeName, read: (t: T) => unknown): Property {
  return { type, get: (t: T) => read(t) ?? null };
}

const toStringMethod = (print: (v: unknown) => string): Overload[] => [
  { params: [], returns: 'string', call: (c) => c.rt.text(print(c.target), c.at) },
];

// ---- strings ---------------------------------------------------------------------------------------------

type Comparison =
  | 'Ordinal'
  | 'OrdinalIgnoreCase'
  | 'InvariantCulture'
  | 'InvariantCultureIgnoreCase'
  | 'CurrentCulture'
  | 'CurrentCultureIgnoreCase';
const STRING_COMPARISONS: readonly Comparison[] = [
  'Ordinal',
  'OrdinalIgnoreCase',
  'InvariantCulture',
  'InvariantCultureIgnoreCase',
  'CurrentCulture',
  'CurrentCultureIgnoreCase',
];

/** Culture-aware comparisons are approximated by ordinal ones (API Management runs the invariant culture). */
const fold = (s: string, how: unknown): string => (String(how).endsWith('IgnoreCase') ? s.toUpperCase() : s);

function requireArg(value: unknown, name: string, at: number): void {
  if (value === null || value === undefined) fault('ArgumentNullException', `${name} is null`, at);
}

/** An argument that must not be null (ArgumentNullException otherwise). */
function arg<T>(value: unknown, name: string, at: number): T {
  requireArg(value, name, at);
  return value as T;
}

function checkIndex(i: number, max: number, what: string, at: number): void {
  if (!Number.isInteger(i) || i < 0 || i > max)
    fault('ArgumentOutOfRangeException', `${what} ${i} is out of range`, at);
}

const WHITESPACE = /^[\s\u0085]+|[\s\u0085]+$/g;

function trimChars(s: string, chars: readonly string[], start: boolean, end: boolean): string {
  if (chars.length === 0) {
    if (start && end) return s.replace(WHITESPACE, '');
    return start ? s.replace(/^[\s\u0085]+/, '') : s.replace(/[\s\u0085]+$/, '');
  }
  let i = 0;
  let j = s.length;
  if (start) while (i < j && chars.includes(s[i]!)) i++;
  if (end) while (j > i && chars.includes(s[j - 1]!)) j--;
  return s.slice(i, j);
}

function split(c: CallInfo, separators: readonly string[], options: number): string[] {
  const s = c.target as string;
  let parts: string[];
  if (separators.length === 0 || separators.every((x) => x === '')) {
    parts = s.split(/[\s\u0085]/);
  } else {
    parts = [];
    let from = 0;
    let i = 0;
    while (i <= s.length - 1) {
      const sep = separators.find((x) => x !== '' && s.startsWith(x, i));
      if (sep === undefined) {
        i++;
        continue;
      }
      parts.push(s.slice(from, i));
      i += sep.length;
      from = i;
    }
    parts.push(s.slice(from));
  }
  // StringSplitOptions: 1 RemoveEmptyEntries, 2 TrimEntries
  if (options & 2) parts = parts.map((p) => p.replace(WHITESPACE, ''));
  if (options & 1) parts = parts.filter((p) => p !== '');
  c.rt.step(c.at, parts.length);
  return Object.freeze(parts) as string[];
}

function replace(c: CallInfo): string {
  const s = c.target as string;
  const [from, to] = c.args as [string | null, string | null];
  requireArg(from, 'oldValue', c.at);
  if (from === '') fault('ArgumentException', 'oldValue is the empty string', c.at);
  const by = to ?? '';
  // size the result before building it, so a replacement cannot blow past the cap first
  let count = 0;
  for (let i = s.indexOf(from!); i >= 0; i = s.indexOf(from!, i + from!.length)) count++;
  c.rt.produce(s.length + count * (by.length - from!.length), c.at);
  return s.split(from!).join(by);
}

function pad(c: CallInfo, left: boolean): string {
  const s = c.target as string;
  const width = c.args[0] as number;
  const ch = (c.args[1] as string | undefined) ?? ' ';
  if (width < 0) fault('ArgumentOutOfRangeException', 'totalWidth is negative', c.at);
  if (width <= s.length) return s;
  c.rt.produce(width, c.at);
  return left ? s.padStart(width, ch) : s.padEnd(width, ch);
}

function indexOf(c: CallInfo, last: boolean): number {
  const s = c.target as string;
  const needle = c.args[0] as string;
  requireArg(needle, 'value', c.at);
  const second = c.args[1];
  if (typeof second === 'string') {
    // a StringComparison
    return last
      ? fold(s, second).lastIndexOf(fold(needle, second))
      : fold(s, second).indexOf(fold(needle, second));
  }
  if (typeof second === 'number') {
    checkIndex(second, s.length, 'startIndex', c.at);
    return last ? s.lastIndexOf(needle, second) : s.indexOf(needle, second);
  }
  return last ? s.lastIndexOf(needle) : s.indexOf(needle);
}

/** `Contains`, `StartsWith`, `EndsWith`: a string or a char, ordinal unless a StringComparison says otherwise. */
function textTest(op: 'includes' | 'startsWith' | 'endsWith'): Overload[] {
  return [
    {
      params: ['string'],
      returns: 'bool',
      call: (c) => (c.target as string)[op](arg<string>(c.args[0], 'value', c.at)),
    },
    { params: ['char'], returns: 'bool', call: (c) => (c.target as string)[op](c.args[0] as string) },
    {
      params: ['string', 'StringComparison'],
      returns: 'bool',
      call: (c) => fold(c.target, c.args[1])[op](fold(arg<string>(c.args[0], 'value', c.at), c.args[1])),
    },
  ];
}

const STRING: TypeDef = def(
  {
    Length: { type: 'int', get: (s: string) => s.length },
  },
  {
    Contains: textTest('includes'),
    StartsWith: textTest('startsWith'),
    EndsWith: textTest('endsWith'),
    Equals: [
      { params: ['string'], returns: 'bool', call: (c) => c.target === c.args[0] },
      {
        params: ['string', 'StringComparison'],
        returns: 'bool',
        call: (c) => c.args[0] !== null && fold(c.target, c.args[1]) === fold(c.args[0] as string, c.args[1]),
      },
    ],
    IndexOf: [
      { params: ['string'], returns: 'int', call: (c) => indexOf(c, false) },
      { params: ['char'], returns: 'int', call: (c) => indexOf(c, false) },
      { params: ['string', 'int'], returns: 'int', call: (c) => indexOf(c, false) },
      { params: ['char', 'int'], returns: 'int', call: (c) => indexOf(c, false) },
      { params: ['string', 'StringComparison'], returns: 'int', call: (c) => indexOf(c, false) },
    ],
    LastIndexOf: [
      { params: ['string'], returns: 'int', call: (c) => indexOf(c, true) },
      { params: ['char'], returns: 'int', call: (c) => indexOf(c, true) },
      { params: ['string', 'StringComparison'], returns: 'int', call: (c) => indexOf(c, true) },
    ],
    Substring: [
      {
        params: ['int'],
        returns: 'string',
        call: (c) => {
          const s = c.target as string;
          checkIndex(c.args[0] as number, s.length, 'startIndex', c.at);
          return s.slice(c.args[0] as number);
        },
      },
      {
        params: ['int', 'int'],
        returns: 'string',
        call: (c) => {
          const s = c.target as string;
          const [start, length] = c.args as [number, number];
          checkIndex(start, s.length, 'startIndex', c.at);
          checkIndex(length, s.length - start, 'length', c.at);
          return s.slice(start, start + length);
        },
      },
    ],
    Replace: [
      { params: ['string', 'string'], returns: 'string', call: replace },
      {
        params: ['char', 'char'],
        returns: 'string',
        call: (c) => (c.target as string).replaceAll(c.args[0] as string, c.args[1] as string),
      },
    ],
    Split: [
      { params: [], rest: 'char', returns: 'string[]', call: (c) => split(c, c.args as string[], 0) },
      {
        params: ['char', 'StringSplitOptions'],
        returns: 'string[]',
        call: (c) => split(c, [c.args[0] as string], c.args[1] as number),
      },
      {
        params: ['string'],
        returns: 'string[]',
        call: (c) => split(c, [(c.args[0] as string | null) ?? ''], 0),
      },
      {
        params: ['string', 'StringSplitOptions'],
        returns: 'string[]',
        call: (c) => split(c, [(c.args[0] as string | null) ?? ''], c.args[1] as number),
      },
    ],
    ToLower: [{ params: [], returns: 'string', call: (c) => (c.target as string).toLowerCase() }],
    ToUpper: [{ params: [], returns: 'string', call: (c) => (c.target as string).toUpperCase() }],
    ToLowerInvariant: [{ params: [], returns: 'string', call: (c) => (c.target as string).toLowerCase() }],
    ToUpperInvariant: [{ params: [], returns: 'string', call: (c) => (c.target as string).toUpperCase() }],
    Trim: [
      {
        params: [],
        rest: 'char',
        returns: 'string',
        call: (c) => trimChars(c.target, c.args as string[], true, true),
      },
    ],
    TrimStart: [
      {
        params: [],
        rest: 'char',
        returns: 'string',
        call: (c) => trimChars(c.target, c.args as string[], true, false),
      },
    ],
    TrimEnd: [
      {
        params: [],
        rest: 'char',
        returns: 'string',
        call: (c) => trimChars(c.target, c.args as string[], false, true),
      },
    ],
    PadLeft: [
      { params: ['int'], returns: 'string', call: (c) => pad(c, true) },
      { params: ['int', 'char'], returns: 'string', call: (c) => pad(c, true) },
    ],
    PadRight: [
      { params: ['int'], returns: 'string', call: (c) => pad(c, false) },
      { params: ['int', 'char'], returns: 'string', call: (c) => pad(c, false) },
    ],
    ToString: [{ params: [], returns: 'string', call: (c) => c.target }],
    AsJwt: [{ params: [], returns: 'Jwt', call: (c) => parseJwt(c.target) }],
    TryParseJwt: [
      {
        params: [{ out: 'Jwt' }],
        returns: 'bool',
        call: (c) => {
          const jwt = parseJwt(c.target);
          (c.args[0] as (v: unknown) => void)(jwt);
          return jwt !== null;
        },
      },
    ],
  },
  {
    key: 'int',
    type: 'char',
    get: (s: string, i: number, _rt, at) => {
      if (i < 0 || i >= s.length) fault('IndexOutOfRangeException', `index ${i} is outside the string`, at);
      return s[i];
    },
  },
);

// ---- sequences (arrays and IEnumerable<T>) ----------------------------------------------------------------

type Fn = (v: unknown) => unknown;

/** Runs a predicate lambda; it must yield a bool (the compiler has checked its type). */
const test = (f: unknown, v: unknown): boolean => (f as Fn)(v) === true;

const defaultOf = (t: TypeName): unknown => (t === 'int' || t === 'double' ? 0 : t === 'bool' ? false : null);

const seqType = (c: { target: TypeName }) => `IEnumerable<${elementOf(c.target)}>`;
const elemType = (c: { target: TypeName }) => elementOf(c.target)!;

function requireSeq(c: CallInfo): readonly unknown[] {
  const items = c.target as readonly unknown[] | Uint8Array;
  c.rt.step(c.at, items.length);
  return items instanceof Uint8Array ? Array.from(items) : items;
}

const LINQ: Record<string, Overload[]> = {
  Any: [
    { params: [], returns: 'bool', call: (c) => (c.target as readonly unknown[]).length > 0 },
    {
      params: [{ lambda: 'bool' }],
      returns: 'bool',
      call: (c) => requireSeq(c).some((v) => test(c.args[0], v)),
    },
  ],
  All: [
    {
      params: [{ lambda: 'bool' }],
      returns: 'bool',
      call: (c) => requireSeq(c).every((v) => test(c.args[0], v)),
    },
  ],
  Where: [
    {
      params: [{ lambda: 'bool' }],
      returns: seqType,
      call: (c) => Object.freeze(requireSeq(c).filter((v) => test(c.args[0], v))),
    },
  ],
  Select: [
    {
      params: [{ lambda: 'any' }],
      returns: (c) => `IEnumerable<${c.args[0]}>`,
      call: (c) => Object.freeze(requireSeq(c).map((v) => (c.args[0] as Fn)(v))),
    },
  ],
  FirstOrDefault: [
    { params: [], returns: elemType, call: (c) => requireSeq(c)[0] ?? defaultOf(elementOf(c.targetType)!) },
    {
      params: [{ lambda: 'bool' }],
      returns: elemType,
      call: (c) => requireSeq(c).find((v) => test(c.args[0], v)) ?? defaultOf(elementOf(c.targetType)!),
    },
  ],
  First: [
    {
      params: [],
      returns: elemType,
      call: (c) => {
        const items = requireSeq(c);
        return items.length > 0
          ? items[0]
          : fault('InvalidOperationException', 'the sequence is empty', c.at);
      },
    },
    {
      params: [{ lambda: 'bool' }],
      returns: elemType,
      call: (c) => {
        const items = requireSeq(c);
        const i = items.findIndex((v) => test(c.args[0], v));
        return i >= 0 ? items[i] : fault('InvalidOperationException', 'no element matches', c.at);
      },
    },
  ],
  LastOrDefault: [
    {
      params: [],
      returns: elemType,
      call: (c) => {
        const items = requireSeq(c);
        return items.length > 0 ? items[items.length - 1] : defaultOf(elementOf(c.targetType)!);
      },
    },
  ],
  Last: [
    {
      params: [],
      returns: elemType,
      call: (c) => {
        const items = requireSeq(c);
        return items.length > 0
          ? items[items.length - 1]
          : fault('InvalidOperationException', 'the sequence is empty', c.at);
      },
    },
  ],
  Contains: [{ params: [ELEMENT_PARAM], returns: 'bool', call: (c) => requireSeq(c).includes(c.args[0]) }],
  Count: [
    { params: [], returns: 'int', call: (c) => (c.target as readonly unknown[]).length },
    {
      params: [{ lambda: 'bool' }],
      returns: 'int',
      call: (c) => requireSeq(c).filter((v) => test(c.args[0], v)).length,
    },
  ],
  ToArray: [{ params: [], returns: (c) => `${elementOf(c.target)}[]`, call: (c) => c.target }],
};

const SEQUENCE: TypeDef = def({}, LINQ);

const ARRAY: TypeDef = def({ Length: { type: 'int', get: (a: readonly unknown[]) => a.length } }, LINQ, {
  key: 'int',
  type: (t) => elementOf(t)!,
  get: (a: readonly unknown[], i: number, _rt, at) => {
    if (i < 0 || i >= a.length) fault('IndexOutOfRangeException', `index ${i} is outside the array`, at);
    return a[i];
  },
});

// ---- dictionaries ----------------------------------------------------------------------------------------

function lookup(map: MultiValueMap, name: string, ignoreCase: boolean): readonly string[] | undefined {
  const exact = map.get(name);
  if (exact !== undefined || !ignoreCase) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of map) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Header, query and claim values: `GetValueOrDefault` joins several values with commas. */
function multiValueDictionary(ignoreCase: boolean): TypeDef {
  const get = (c: CallInfo) => {
    requireArg(c.args[0], 'key', c.at);
    const values = lookup(c.target, c.args[0] as string, ignoreCase);
    return values === undefined
      ? ((c.args[1] as string | undefined) ?? null)
      : c.rt.text(values.join(','), c.at);
  };
  return def(
    {
      Count: { type: 'int', get: (m: MultiValueMap) => m.size },
      Keys: { type: 'IEnumerable<string>', get: (m: MultiValueMap) => Object.freeze([...m.keys()]) },
    },
    {
      GetValueOrDefault: [
        { params: ['string'], returns: 'string', call: get },
        { params: ['string', 'string'], returns: 'string', call: get },
      ],
      ContainsKey: [
        {
          params: ['string'],
          returns: 'bool',
          call: (c) => lookup(c.target, arg<string>(c.args[0], 'key', c.at), ignoreCase) !== undefined,
        },
      ],
      TryGetValue: [
        {
          params: ['string', { out: 'string[]' }],
          returns: 'bool',
          call: (c) => {
            requireArg(c.args[0], 'key', c.at);
            const values = lookup(c.target, c.args[0] as string, ignoreCase);
            (c.args[1] as (v: unknown) => void)(values === undefined ? null : Object.freeze([...values]));
            return values !== undefined;
          },
        },
      ],
    },
    {
      key: 'string',
      type: 'string[]',
      get: (m: MultiValueMap, k: string, _rt, at) => {
        requireArg(k, 'key', at);
        const values = lookup(m, k, ignoreCase);
        return values === undefined
          ? fault('KeyNotFoundException', `the key ${JSON.stringify(k)} is not present`, at)
          : Object.freeze([...values]);
      },
    },
  );
}

/** `context.Request.MatchedParameters`: one string per name. */
const STRING_DICTIONARY: TypeDef = def(
  { Count: { type: 'int', get: (m: ReadonlyMap<string, string>) => m.size } },
  {
    GetValueOrDefault: [
      { params: ['string'], returns: 'string', call: (c) => c.target.get(c.args[0]) ?? null },
      { params: ['string', 'string'], returns: 'string', call: (c) => c.target.get(c.args[0]) ?? c.args[1] },
    ],
    ContainsKey: [{ params: ['string'], returns: 'bool', call: (c) => c.target.has(c.args[0]) }],
  },
  {
    key: 'string',
    type: 'string',
    get: (m: ReadonlyMap<string, string>, k: string, _rt, at) =>
      m.get(k) ?? fault('KeyNotFoundException', `the key ${JSON.stringify(k)} is not present`, at),
  },
);

function variable(c: CallInfo, type: TypeName, fallback: () => unknown): unknown {
  requireArg(c.args[0], 'key', c.at);
  const vars = c.target as ReadonlyMap<string, unknown>;
  if (!vars.has(c.args[0] as string)) return fallback();
  const value = vars.get(c.args[0] as string) ?? null;
  if (value === null || type === 'object' || hasRuntimeType(value, type)) return value;
  return fault(
    'InvalidCastException',
    `variable ${JSON.stringify(c.args[0])} holds a ${runtimeTypeName(value)}, not a ${type}`,
    c.at,
  );
}

const VARIABLES: TypeDef = def(
  { Count: { type: 'int', get: (m: ReadonlyMap<string, unknown>) => m.size } },
  {
    GetValueOrDefault: [
      { params: ['string'], returns: 'object', call: (c) => variable(c, 'object', () => null) },
      {
        params: ['string'],
        typeArgs: 1,
        returns: (c) => c.typeArgs[0]!,
        call: (c) => variable(c, c.typeArgs[0]!, () => defaultOf(c.typeArgs[0]!)),
      },
      {
        params: ['string', ELEMENT_PARAM],
        typeArgs: 1,
        returns: (c) => c.typeArgs[0]!,
        call: (c) => variable(c, c.typeArgs[0]!, () => c.args[1]),
      },
    ],
    ContainsKey: [{ params: ['string'], returns: 'bool', call: (c) => c.target.has(c.args[0]) }],
    TryGetValue: [
      {
        params: ['string', { out: 'object' }],
        returns: 'bool',
        call: (c) => {
          const found = (c.target as ReadonlyMap<string, unknown>).has(c.args[0] as string);
          (c.args[1] as (v: unknown) => void)(found ? (c.target.get(c.args[0]) ?? null) : null);
          return found;
        },
      },
    ],
  },
  {
    key: 'string',
    type: 'object',
    get: (m: ReadonlyMap<string, unknown>, k: string, _rt, at) => {
      requireArg(k, 'key', at);
      return m.has(k)
        ? (m.get(k) ?? null)
        : fault('KeyNotFoundException', `variable ${JSON.stringify(k)} is not set`, at);
    },
  },
);

// ---- the object model ------------------------------------------------------------------------------------

function urlText(u: UrlModel): string {
  const defaultPort = (u.Scheme === 'https' && u.Port === 443) || (u.Scheme === 'http' && u.Port === 80);
  return `${u.Scheme}://${u.Host}${defaultPort ? '' : `:${u.Port}`}${u.Path}${u.QueryString}`;
}

const URL: TypeDef = def(
  {
    Scheme: field('string', (u: UrlModel) => u.Scheme),
    Host: field('string', (u: UrlModel) => u.Host),
    Port: field('int', (u: UrlModel) => u.Port),
    Path: field('string', (u: UrlModel) => u.Path),
    QueryString: field('string', (u: UrlModel) => u.QueryString),
    Query: field('IQueryParameters', (u: UrlModel) => u.Query),
  },
  { ToString: [{ params: [], returns: 'string', call: (c) => c.rt.text(urlText(c.target), c.at) }] },
);

/** The body is read as text only (`As<string>()`); JSON and XML bodies are for later. */
function bodyAs(c: { typeArgs: TypeName[] }): TypeName {
  if (c.typeArgs[0] !== 'string') throw new Error('Body.As<T>() supports only T = string');
  return 'string';
}

const BODY: TypeDef = def(
  {},
  {
    As: [
      { params: [], typeArgs: 1, returns: bodyAs, call: (c) => (c.target as BodyModel).text },
      { params: ['bool'], typeArgs: 1, returns: bodyAs, call: (c) => (c.target as BodyModel).text },
    ],
  },
);

const REQUEST: TypeDef = def({
  Method: field('string', (r: RequestModel) => r.Method),
  Url: field('IUrl', (r: RequestModel) => r.Url),
  OriginalUrl: field('IUrl', (r: RequestModel) => r.OriginalUrl),
  Headers: field('IMessageHeaders', (r: RequestModel) => r.Headers),
  IpAddress: field('string', (r: RequestModel) => r.IpAddress),
  MatchedParameters: field('IMatchedParameters', (r: RequestModel) => r.MatchedParameters),
  Body: field('IMessageBody', (r: RequestModel) => r.Body),
});

const RESPONSE: TypeDef = def({
  StatusCode: field('int', (r: ResponseModel) => r.StatusCode),
  StatusReason: field('string', (r: ResponseModel) => r.StatusReason),
  Headers: field('IMessageHeaders', (r: ResponseModel) => r.Headers),
  Body: field('IMessageBody', (r: ResponseModel) => r.Body),
});

const CONTEXT: TypeDef = def({
  Request: field('IRequest', (c: PolicyContext) => c.Request),
  Response: field('IResponse', (c: PolicyContext) => c.Response),
  Variables: field('IVariables', (c: PolicyContext) => c.Variables),
  Subscription: field('ISubscription', (c: PolicyContext) => c.Subscription),
  Product: field('IProduct', (c: PolicyContext) => c.Product),
  Api: field('IApi', (c: PolicyContext) => c.Api),
  Operation: field('IOperation', (c: PolicyContext) => c.Operation),
  User: field('IUser', (c: PolicyContext) => c.User),
  LastError: field('ILastError', (c: PolicyContext) => c.LastError),
  Deployment: field('IDeployment', (c: PolicyContext) => c.Deployment),
  RequestId: field('Guid', (c: PolicyContext) => new GuidValue(c.RequestId)),
  Timestamp: field('DateTime', (c: PolicyContext) => new DateTimeValue(c.Timestamp)),
  Elapsed: {
    type: 'TimeSpan',
    get: (c: PolicyContext, rt: Runtime) => new TimeSpanValue(rt.now() - c.Timestamp),
  },
  Tracing: { type: 'bool', get: () => false },
});

const stringFields = <T>(names: readonly (keyof T & string)[]): TypeDef =>
  def(Object.fromEntries(names.map((n) => [n, field<T>('string', (t) => t[n])])));

const JWT: TypeDef = def({
  Algorithm: field('string', (j: Jwt) => j.Algorithm),
  Audiences: field('IEnumerable<string>', (j: Jwt) => j.Audiences),
  Claims: field('IClaims', (j: Jwt) => j.Claims),
  ExpirationTime: field('DateTime?', (j: Jwt) => j.ExpirationTime),
  Id: field('string', (j: Jwt) => j.Id),
  Issuer: field('string', (j: Jwt) => j.Issuer),
  IssuedAt: field('DateTime?', (j: Jwt) => j.IssuedAt),
  NotBefore: field('DateTime?', (j: Jwt) => j.NotBefore),
  Subject: field('string', (j: Jwt) => j.Subject),
  Type: field('string', (j: Jwt) => j.Type),
});

// ---- value types -----------------------------------------------------------------------------------------

const addTo = (unit: number) => (c: CallInfo) => {
  const ms = (c.target as DateTimeValue).ms + (c.args[0] as number) * unit;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15)
    fault('ArgumentOutOfRangeException', 'the date is out of range', c.at);
  return new DateTimeValue(ms);
};

const DATE_TIME: TypeDef = def(
  {
    Year: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCFullYear() },
    Month: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCMonth() + 1 },
    Day: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCDate() },
    Hour: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCHours() },
    Minute: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCMinutes() },
    Second: { type: 'int', get: (d: DateTimeValue) => new Date(d.ms).getUTCSeconds() },
  },
  {
    AddMilliseconds: [{ params: ['double'], returns: 'DateTime', call: addTo(1) }],
    AddSeconds: [{ params: ['double'], returns: 'DateTime', call: addTo(1000) }],
    AddMinutes: [{ params: ['double'], returns: 'DateTime', call: addTo(60_000) }],
    AddHours: [{ params: ['double'], returns: 'DateTime', call: addTo(3_600_000) }],
    AddDays: [{ params: ['double'], returns: 'DateTime', call: addTo(86_400_000) }],
    Subtract: [
      {
        params: ['DateTime'],
        returns: 'TimeSpan',
        call: (c) => new TimeSpanValue((c.target as DateTimeValue).ms - (c.args[0] as DateTimeValue).ms),
      },
    ],
    ToString: [
      { params: [], returns: 'string', call: (c) => formatDateTime(c.target, undefined) },
      {
        params: ['string'],
        returns: 'string',
        call: (c) =>
          formatDateTime(c.target, c.args[0] as string) ??
          fault(
            'FormatException',
            `date format ${JSON.stringify(c.args[0])} is not supported (o, s, u, r)`,
            c.at,
          ),
      },
    ],
  },
);

const timeSpanPart = (unit: number, modulo: number) => (s: TimeSpanValue) => Math.trunc(s.ms / unit) % modulo;
const TIME_SPAN: TypeDef = def(
  {
    TotalMilliseconds: { type: 'double', get: (s: TimeSpanValue) => s.ms },
    TotalSeconds: { type: 'double', get: (s: TimeSpanValue) => s.ms / 1000 },
    TotalMinutes: { type: 'double', get: (s: TimeSpanValue) => s.ms / 60_000 },
    TotalHours: { type: 'double', get: (s: TimeSpanValue) => s.ms / 3_600_000 },
    TotalDays: { type: 'double', get: (s: TimeSpanValue) => s.ms / 86_400_000 },
    Milliseconds: { type: 'int', get: timeSpanPart(1, 1000) },
    Seconds: { type: 'int', get: timeSpanPart(1000, 60) },
    Minutes: { type: 'int', get: timeSpanPart(60_000, 60) },
    Hours: { type: 'int', get: timeSpanPart(3_600_000, 24) },
    Days: { type: 'int', get: (s: TimeSpanValue) => Math.trunc(s.ms / 86_400_000) },
  },
  { ToString: toStringMethod((v) => formatTimeSpan(v as TimeSpanValue)) },
);

function nullable(t: TypeName): TypeDef {
  return def({
    HasValue: { type: 'bool', get: (v: unknown) => v !== null },
    Value: {
      type: t.slice(0, -1),
      get: (v: unknown, _rt, at) =>
        v ?? fault('InvalidOperationException', 'the nullable value has no value', at),
    },
  });
}

// ---- static members --------------------------------------------------------------------------------------

function format(c: CallInfo): string {
  const fmt = c.args[0] as string;
  requireArg(fmt, 'format', c.at);
  const values = c.args.slice(1);
  const types = c.argTypes.slice(1);
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if ((ch === '{' || ch === '}') && fmt[i + 1] === ch) {
      out += ch;
      i += 2;
      continue;
    }
    if (ch === '}') fault('FormatException', 'unmatched "}" in the format string', c.at);
    if (ch === '{') {
      const m = /^\{(\d+)\}/.exec(fmt.slice(i, i + 12));
      if (!m) fault('FormatException', 'only {n} placeholders are supported in the format string', c.at);
      const n = Number(m![1]);
      if (n >= values.length) fault('FormatException', `placeholder {${n}} has no argument`, c.at);
      out += toText(values[n], types[n] === 'double');
      c.rt.checkLength(out.length, c.at);
      i += m![0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return c.rt.text(out, c.at);
}

function join(c: CallInfo, items: readonly unknown[], types: readonly TypeName[] | TypeName): string {
  const sep = (c.args[0] as string | null) ?? '';
  c.rt.step(c.at, items.length);
  let length = 0;
  const texts = items.map((v, i) => {
    const t = toText(v, (typeof types === 'string' ? types : types[i]) === 'double');
    length += t.length + sep.length;
    c.rt.checkLength(length, c.at);
    return t;
  });
  return c.rt.text(texts.join(sep), c.at);
}

function parseInt32(c: CallInfo): number {
  const s = c.args[0] as string | null;
  requireArg(s, 's', c.at);
  const m = /^\s*([+-]?\d+)\s*$/.exec(s!);
  if (!m) return fault('FormatException', `${JSON.stringify(s!.slice(0, 40))} is not an integer`, c.at);
  const n = Number(m[1]);
  if (n > 2147483647 || n < -2147483648)
    fault('OverflowException', 'the value is out of range for int', c.at);
  return n;
}

const STATIC_STRING: TypeDef = def(
  { Empty: { type: 'string', get: () => '' } },
  {
    IsNullOrEmpty: [
      { params: ['string'], returns: 'bool', call: (c) => c.args[0] === null || c.args[0] === '' },
    ],
    IsNullOrWhiteSpace: [
      {
        params: ['string'],
        returns: 'bool',
        call: (c) => c.args[0] === null || /^[\s\u0085]*$/.test(c.args[0] as string),
      },
    ],
    Join: [
      {
        params: ['string', 'IEnumerable<string>'],
        returns: 'string',
        call: (c) => join(c, arg<string[]>(c.args[1], 'values', c.at), 'string'),
      },
      {
        params: ['string'],
        rest: 'object',
        returns: 'string',
        call: (c) => join(c, c.args.slice(1), c.argTypes.slice(1)),
      },
    ],
    Format: [{ params: ['string'], rest: 'object', returns: 'string', call: format }],
    Concat: [
      {
        params: ['IEnumerable<string>'],
        returns: 'string',
        call: (c) => join({ ...c, args: ['', ...c.args] }, (c.args[0] as string[] | null) ?? [], 'string'),
      },
      {
        params: [],
        rest: 'object',
        returns: 'string',
        call: (c) => join({ ...c, args: ['', ...c.args] }, c.args, c.argTypes),
      },
    ],
    Equals: [
      { params: ['string', 'string'], returns: 'bool', call: (c) => c.args[0] === c.args[1] },
      {
        params: ['string', 'string', 'StringComparison'],
        returns: 'bool',
        call: (c) =>
          c.args[0] === c.args[1] ||
          (c.args[0] !== null &&
            c.args[1] !== null &&
            fold(c.args[0] as string, c.args[2]) === fold(c.args[1] as string, c.args[2])),
      },
    ],
  },
);

const STATIC_INT: TypeDef = def(
  {
    MaxValue: { type: 'int', get: () => 2147483647 },
    MinValue: { type: 'int', get: () => -2147483648 },
  },
  {
    Parse: [{ params: ['string'], returns: 'int', call: parseInt32 }],
    TryParse: [
      {
        params: ['string', { out: 'int' }],
        returns: 'bool',
        call: (c) => {
          try {
            (c.args[1] as (v: unknown) => void)(parseInt32(c));
            return true;
          } catch (e) {
            if (!(e instanceof RuntimeFault)) throw e;
            (c.args[1] as (v: unknown) => void)(0);
            return false;
          }
        },
      },
    ],
  },
);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const STATIC_CONVERT: TypeDef = def(
  {},
  {
    ToBase64String: [
      {
        params: ['byte[]'],
        returns: 'string',
        call: (c) => {
          requireArg(c.args[0], 'inArray', c.at);
          const bytes = c.args[0] as Uint8Array;
          c.rt.produce(Math.ceil(bytes.length / 3) * 4, c.at);
          return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
        },
      },
    ],
    FromBase64String: [
      {
        params: ['string'],
        returns: 'byte[]',
        call: (c) => {
          requireArg(c.args[0], 's', c.at);
          const s = (c.args[0] as string).replace(/[ \t\r\n]/g, '');
          if (s.length % 4 !== 0 || !BASE64.test(s))
            fault('FormatException', 'the input is not valid Base-64', c.at);
          c.rt.produce(s.length, c.at);
          return new Uint8Array(Buffer.from(s, 'base64'));
        },
      },
    ],
    ToInt32: [{ params: ['string'], returns: 'int', call: (c) => (c.args[0] === null ? 0 : parseInt32(c)) }],
  },
);

const ENCODING_UTF8 = 'UTF8';
const STATIC_ENCODING: TypeDef = def({ UTF8: { type: 'Encoding', get: () => ENCODING_UTF8 } });
const ENCODING: TypeDef = def(
  {},
  {
    GetBytes: [
      {
        params: ['string'],
        returns: 'byte[]',
        call: (c) => {
          requireArg(c.args[0], 's', c.at);
          c.rt.produce(Buffer.byteLength(c.args[0] as string, 'utf8'), c.at);
          return new Uint8Array(Buffer.from(c.args[0] as string, 'utf8'));
        },
      },
    ],
    GetString: [
      {
        params: ['byte[]'],
        returns: 'string',
        call: (c) => {
          requireArg(c.args[0], 'bytes', c.at);
          const bytes = c.args[0] as Uint8Array;
          c.rt.produce(bytes.length, c.at);
          return new TextDecoder('utf-8').decode(bytes);
        },
      },
    ],
  },
);

const STATIC_DATE_TIME: TypeDef = def({
  UtcNow: { type: 'DateTime', get: (_: unknown, rt: Runtime) => new DateTimeValue(rt.now()) },
  // the gateway's clock is UTC
  Now: { type: 'DateTime', get: (_: unknown, rt: Runtime) => new DateTimeValue(rt.now()) },
});

const STATIC_GUID: TypeDef = def(
  { Empty: { type: 'Guid', get: () => new GuidValue('00000000-0000-0000-0000-000000000000') } },
  { NewGuid: [{ params: [], returns: 'Guid', call: (c) => new GuidValue(c.rt.newGuid()) }] },
);

const enumType = (type: TypeName, values: readonly string[] | Record<string, number>): TypeDef =>
  def(
    Object.fromEntries(
      (Array.isArray(values) ? values.map((v) => [v, v]) : Object.entries(values)).map(([name, value]) => [
        name,
        { type, get: () => value },
      ]),
    ),
  );

// ---- the table -------------------------------------------------------------------------------------------

const TYPES: ReadonlyMap<TypeName, TypeDef> = new Map<TypeName, TypeDef>([
  ['string', STRING],
  ['IProxyRequestContext', CONTEXT],
  ['IRequest', REQUEST],
  ['IResponse', RESPONSE],
  ['IUrl', URL],
  ['IMessageBody', BODY],
  ['IMessageHeaders', multiValueDictionary(true)],
  ['IQueryParameters', multiValueDictionary(false)],
  ['IClaims', multiValueDictionary(false)],
  ['IMatchedParameters', STRING_DICTIONARY],
  ['IVariables', VARIABLES],
  ['ISubscription', stringFields<SubscriptionModel>(['Id', 'Key', 'Name', 'PrimaryKey', 'SecondaryKey'])],
  ['IProduct', stringFields<ProductModel>(['Id', 'Name'])],
  ['IApi', stringFields<ApiModel>(['Id', 'Name', 'Path'])],
  ['IOperation', stringFields<OperationModel>(['Id', 'Name', 'Method', 'UrlTemplate'])],
  ['IUser', stringFields<UserModel>(['Id', 'Email', 'FirstName', 'LastName'])],
  [
    'ILastError',
    stringFields<LastErrorModel>(['Source', 'Reason', 'Message', 'Scope', 'Section', 'Path', 'PolicyId']),
  ],
  ['IDeployment', stringFields<DeploymentModel>(['Region', 'ServiceName'])],
  ['Jwt', JWT],
  ['DateTime', DATE_TIME],
  ['TimeSpan', TIME_SPAN],
  ['Guid', def({}, { ToString: toStringMethod((v) => (v as GuidValue).text) })],
  ['int', def({}, { ToString: toStringMethod((v) => toText(v)) })],
  ['double', def({}, { ToString: toStringMethod((v) => toText(v, true)) })],
  ['bool', def({}, { ToString: toStringMethod((v) => toText(v)) })],
  ['char', def({}, { ToString: toStringMethod((v) => v as string) })],
  ['object', def({}, { ToString: toStringMethod((v) => toText(v)) })],
  ['Encoding', ENCODING],
  ['static string', STATIC_STRING],
  ['static int', STATIC_INT],
  ['static Convert', STATIC_CONVERT],
  ['static Encoding', STATIC_ENCODING],
  ['static DateTime', STATIC_DATE_TIME],
  ['static Guid', STATIC_GUID],
  ['static StringComparison', enumType('StringComparison', STRING_COMPARISONS)],
  [
    'static StringSplitOptions',
    enumType('StringSplitOptions', { None: 0, RemoveEmptyEntries: 1, TrimEntries: 2 }),
  ],
]);

/** Names a policy can use as a type's static members (`string.Join`, `Convert.ToBase64String`, …). */
export const STATIC_NAMES: ReadonlyMap<string, TypeName> = new Map([
  ['string', 'static string'],
  ['String', 'static string'],
  ['int', 'static int'],
  ['Int32', 'static int'],
  ['Convert', 'static Convert'],
  ['Encoding', 'static Encoding'],
  ['DateTime', 'static DateTime'],
  ['Guid', 'static Guid'],
  ['StringComparison', 'static StringComparison'],
  ['StringSplitOptions', 'static StringSplitOptions'],
]);

/** The members of a type, or undefined when it has none a policy may use. */
export function membersOf(type: TypeName): TypeDef | undefined {
  const known = TYPES.get(type);
  if (known) return known;
  if (type.endsWith('?')) return nullable(type);
  if (type.endsWith('[]')) return ARRAY;
  if (type.startsWith('IEnumerable<')) return SEQUENCE;
  return undefined;
}
