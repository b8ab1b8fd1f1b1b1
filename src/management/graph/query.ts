/**
 * @module management/graph/query
 * The OData query options Graph clients send, applied to the Graph-shaped objects a list answers with:
 * `$filter` (the subset clients use: `eq`, `ne`, `in`, `startswith`, `endswith`, `any(x:x eq …)` on a
 * collection, joined with `and`/`or`/`not` and parentheses; property names and string values compared
 * without case, as Entra does), `$select` (those properties plus `id`), `$count=true`, and paging (`$top`, the
 * default page of 100, `@odata.nextLink` back at Lanyard with an opaque `$skiptoken`). `$search`, `$orderby`
 * and `ConsistencyLevel` are tolerated and ignored. A filter Lanyard cannot evaluate is refused, not ignored:
 * a silently unfiltered answer would make a script act on the wrong object.
 */
import { badRequest, unsupportedQuery } from './errors.ts';

export type GraphObject = Record<string, unknown>;
type Test = (o: GraphObject) => boolean;
type Literal = string | number | boolean | null;

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: string };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      // OData doubles a quote inside a string.
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw badFilter(text);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      out.push({ kind: 'string', value });
    } else if ('(),:/'.includes(c)) {
      out.push({ kind: 'punct', value: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_.@$-]+/.exec(text.slice(i));
      if (!m) throw badFilter(text);
      const word = m[0];
      i += word.length;
      if (/^-?\d+(\.\d+)?$/.test(word)) out.push({ kind: 'number', value: Number(word) });
      else out.push({ kind: 'word', value: word });
    }
  }
  return out;
}

const badFilter = (text: string) =>
  badRequest(
    `Invalid filter clause: '${text.slice(0, 200)}'.`,
    "Lanyard understands eq, ne, in, startswith, endswith and any(x:x eq '…'), joined with and, or, not.",
  );

/** A property of the object, found without regard to case. */
function property(o: GraphObject, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function same(a: unknown, b: Literal): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return (a ?? null) === b;
}

class Parser {
  readonly #tokens: Token[];
  readonly #text: string;
  readonly #properties: ReadonlySet<string>;
  readonly #entity: string;
  #at = 0;

  constructor(text: string, entity: string, properties: ReadonlySet<string>) {
    this.#text = text;
    this.#tokens = tokenize(text);
    this.#entity = entity;
    this.#properties = properties;
  }

  parse(): Test {
    const t = this.#or();
    if (this.#at !== this.#tokens.length) throw badFilter(this.#text);
    return t;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #next(): Token {
    const t = this.#tokens[this.#at++];
    if (!t) throw badFilter(this.#text);
    return t;
  }

  #isWord(value: string): boolean {
    const t = this.#peek();
    return t?.kind === 'word' && t.value.toLowerCase() === value;
  }

  #expect(value: string): void {
    const t = this.#next();
    if (t.kind !== 'punct' || t.value !== value) throw badFilter(this.#text);
  }

  #or(): Test {
    const parts = [this.#and()];
    while (this.#isWord('or')) {
      this.#at++;
      parts.push(this.#and());
    }
    return parts.length === 1 ? parts[0]! : (o) => parts.some((p) => p(o));
  }

  #and(): Test {
    const parts = [this.#unary()];
    while (this.#isWord('and')) {
      this.#at++;
      parts.push(this.#unary());
    }
    return parts.length === 1 ? parts[0]! : (o) => parts.every((p) => p(o));
  }

  #unary(): Test {
    if (this.#isWord('not')) {
      this.#at++;
      const inner = this.#unary();
      return (o) => !inner(o);
    }
    const t = this.#peek();
    if (t?.kind === 'punct' && t.value === '(') {
      this.#at++;
      const inner = this.#or();
      this.#expect(')');
      return inner;
    }
    return this.#primary();
  }

  #literal(): Literal {
    const t = this.#next();
    if (t.kind === 'string' || t.kind === 'number') return t.value;
    if (t.kind === 'word') {
      const w = t.value.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      // An unquoted GUID, as some scripts write them.
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t.value)) return t.value;
    }
    throw badFilter(this.#text);
  }

  #propertyName(): string {
    const t = this.#next();
    if (t.kind !== 'word') throw badFilter(this.#text);
    if (!this.#properties.has(t.value.toLowerCase())) {
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${t.value}' of resource '${this.#entity}'.`,
        `Lanyard filters ${this.#entity} on ${[...this.#properties].join(', ')}.`,
      );
    }
    return t.value;
  }

  /** `startswith(x,'…')` / `endswith(x,'…')`, where x is a property or the lambda's variable. */
  #stringFunction(
    name: string,
    read: (o: GraphObject, variable: string) => unknown,
    variable?: string,
  ): Test {
    this.#expect('(');
    const target = this.#next();
    if (target.kind !== 'word') throw badFilter(this.#text);
    const isVariable = variable !== undefined && target.value === variable;
    if (!isVariable && !this.#properties.has(target.value.toLowerCase())) {
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${target.value}' of resource '${this.#entity}'.`,
      );
    }
    this.#expect(',');
    const value = this.#literal();
    this.#expect(')');
    if (typeof value !== 'string') throw badFilter(this.#text);
    const v = value.toLowerCase();
    return (o) => {
      const s = read(o, target.value);
      if (typeof s !== 'string') return false;
      return name === 'startswith' ? s.toLowerCase().startsWith(v) : s.toLowerCase().endsWith(v);
    };
  }

  /** A comparison of `read(o)` with a literal: `eq`, `ne`, `in (…)`. */
  #comparison(read: (o: GraphObject) => unknown): Test {
    const op = this.#next();
    if (op.kind !== 'word') throw badFilter(this.#text);
    const w = op.value.toLowerCase();
    if (w === 'eq' || w === 'ne') {
      const value = this.#literal();
      return w === 'eq' ? (o) => same(read(o), value) : (o) => !same(read(o), value);
    }
    if (w === 'in') {
      this.#expect('(');
      const values = [this.#literal()];
      while (this.#peek()?.kind === 'punct' && this.#peek()?.value === ',') {
        this.#at++;
        values.push(this.#literal());
      }
      this.#expect(')');
      return (o) => values.some((v) => same(read(o), v));
    }
    throw unsupportedQuery(`Unsupported query operator '${op.value}'.`, 'Lanyard understands eq, ne and in.');
  }

  #primary(): Test {
    const t = this.#peek();
    if (t?.kind !== 'word') throw badFilter(this.#text);
    const fn = t.value.toLowerCase();
    if ((fn === 'startswith' || fn === 'endswith') && this.#tokens[this.#at + 1]?.value === '(') {
      this.#at++;
      return this.#stringFunction(fn, (o, name) => property(o, name));
    }
    const name = this.#propertyName();
    const slash = this.#peek();
    if (slash?.kind === 'punct' && slash.value === '/') {
      // collection/any(v:v eq '…') or collection/all(…)
      this.#at++;
      const quantifier = this.#next();
      const q = quantifier.kind === 'word' ? quantifier.value.toLowerCase() : '';
      if (q !== 'any' && q !== 'all') throw badFilter(this.#text);
      this.#expect('(');
      const variable = this.#next();
      if (variable.kind !== 'word') throw badFilter(this.#text);
      this.#expect(':');
      const inner = this.#lambdaBody(variable.value);
      this.#expect(')');
      return (o) => {
        const items = property(o, name);
        if (!Array.isArray(items)) return false;
        return q === 'any' ? items.some((x) => inner(x)) : items.every((x) => inner(x));
      };
    }
    return this.#comparison((o) => property(o, name));
  }

  /** Inside `any(v: …)`: `v eq '…'`, `v in (…)`, `startswith(v,'…')`. */
  #lambdaBody(variable: string): (item: unknown) => boolean {
    const t = this.#next();
    if (t.kind !== 'word') throw badFilter(this.#text);
    const fn = t.value.toLowerCase();
    if (fn === 'startswith' || fn === 'endswith') {
      const test = this.#stringFunction(fn, (o) => o.item, variable);
      return (item) => test({ item });
    }
    if (t.value !== variable) throw badFilter(this.#text);
    const test = this.#comparison((o) => o.item);
    return (item) => test({ item });
  }
}

/** The test a `$filter` makes, over objects with these (lower-case) filterable properties. */
export function parseFilter(
  text: string | null,
  entity: string,
  properties: readonly string[],
): (o: GraphObject) => boolean {
  if (text === null || text.trim() === '') return () => true;
  return new Parser(text, entity, new Set(properties.map((p) => p.toLowerCase()))).parse();
}

/** `$select`'s properties (and `id`, always), or undefined for all. */
export function parseSelect(text: string | null): string[] | undefined {
  if (text === null || text.trim() === '') return undefined;
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.length === 0 ? undefined : names;
}

/** The object with only the selected properties (matched without case), `id` and `@odata.*` kept. */
export function select(o: GraphObject, names: readonly string[] | undefined): GraphObject {
  if (!names) return o;
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: GraphObject = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'id' || k.startsWith('@odata.') || wanted.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

/** Rows a page holds when `$top` does not say (Graph's default for directory objects). */
export const PAGE_SIZE = 100;

export interface Page<T> {
  readonly value: T[];
  /** The offset of the next page, if there is one. */
  readonly next: number | undefined;
}

/** The page `$top` and `$skiptoken` ask for. `$skiptoken` is Lanyard's own (an offset, encoded). */
export function pageOf<T>(items: readonly T[], query: URLSearchParams): Page<T> {
  const topText = query.get('$top');
  let size = PAGE_SIZE;
  if (topText !== null) {
    const top = Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      throw badRequest(
        `Invalid page size specified: '${topText}'. Must be between 1 and 999 inclusive.`,
        '$top is 1 to 999.',
      );
    }
    size = top;
  }
  const from = decodeSkipToken(query.get('$skiptoken'));
  const value = items.slice(from, from + size);
  return { value, next: from + size < items.length ? from + size : undefined };
}

export function encodeSkipToken(offset: number): string {
  return Buffer.from(`lanyard:${offset}`).toString('base64url');
}

function decodeSkipToken(token: string | null): number {
  if (token === null) return 0;
  const m = /^lanyard:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) {
    throw badRequest(
      "'$skiptoken' is invalid.",
      'Follow @odata.nextLink as given; its $skiptoken is opaque.',
    );
  }
  return Number(m[1]);
}
