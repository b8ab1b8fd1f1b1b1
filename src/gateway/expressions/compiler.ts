/**
 * @module gateway/expressions/compiler
 * Type-checks the syntax tree against the allow-list (`members.ts`) and turns it into a tree of closures that
 * the runtime calls: an interpreter, with every name, member and overload resolved once at load time. No
 * JavaScript is generated or evaluated; a closure only ever calls the implementations in the allow-list.
 *
 * C# semantics kept: static types (a missing member or `"a" == 1` is a load-time error); `==` on strings is
 * ordinal; int arithmetic truncates and wraps, and divides by zero with an exception; `?.` short-circuits the
 * whole chain after it; `&&`, `||`, `??` and `?:` evaluate only what they need.
 */
import type { Arg, Expr, Program, Stmt, TypeRef } from './ast.ts';
import { RuntimeFault, SyntaxFault } from './faults.ts';
import { ELEMENT_PARAM, membersOf, type Overload, type Param, STATIC_NAMES } from './members.ts';
import type { Runtime } from './runtime.ts';
import {
  acceptsNull,
  elementOf,
  hasRuntimeType,
  isAssignable,
  isCastable,
  isNumeric,
  isValueType,
  liftNullable,
  resolveTypeName,
  runtimeTypeName,
  type TypeName,
  underlying,
} from './types.ts';
import { DateTimeValue, GuidValue, TimeSpanValue, toText } from './values.ts';

type Run = (rt: Runtime) => unknown;

export interface Compiled {
  type: TypeName;
  run: Run;
}

/** What `a?.b` yields inside a chain when `a` is null: the rest of the chain is skipped. */
const SHORT = Symbol('short-circuit');

interface Local {
  slot: number;
  type: TypeName;
}

class Scope {
  private readonly names = new Map<string, Local>();
  readonly parent: Scope | null;
  constructor(parent: Scope | null) {
    this.parent = parent;
  }
  find(name: string): Local | undefined {
    return this.names.get(name) ?? this.parent?.find(name);
  }
  declare(name: string, local: Local): void {
    this.names.set(name, local);
  }
}

/** Types with no members a policy can name as a value (`Convert`, `string` used alone). */
const isStatic = (t: TypeName) => t.startsWith('static ');
const display = (t: TypeName) => (isStatic(t) ? t.slice(7) : t);

/** Names that exist in C# but are deliberately out of reach, for a clearer refusal. */
const FORBIDDEN_ROOTS = new Set([
  'System',
  'File',
  'Directory',
  'Path',
  'Process',
  'Environment',
  'WebClient',
  'HttpClient',
  'Activator',
  'Type',
  'Assembly',
  'AppDomain',
  'GC',
  'Thread',
  'Task',
  'Console',
  'Reflection',
  'Marshal',
]);

const RESERVED_MEMBERS = new Set(['constructor', '__proto__', 'prototype', 'GetType', 'ReferenceEquals']);

export interface CompiledProgram {
  /** The static type of the value (for a block, of its return statements when they agree, else `object`). */
  type: TypeName;
  slots: number;
  run: Run;
}

export function compileProgram(program: Program): CompiledProgram {
  const c = new Compiler();
  const scope = new Scope(null);
  if (program.kind === 'expression') {
    const e = c.value(program.expr, scope);
    return { type: e.type, slots: c.slotCount, run: e.run };
  }
  const body = c.block(program.body, new Scope(scope), 0);
  if (!definitelyReturns(program.body)) {
    throw new SyntaxFault('not all code paths return a value: a block expression must end with "return"', 1);
  }
  // the block's type: what all its returns convert to (`string` for `return s;` and `return null;`)
  let type: TypeName | undefined = c.returnTypes[0];
  for (const t of c.returnTypes) type = type === undefined ? undefined : unify(type, t);
  if (type === undefined || type === 'null') type = 'object';
  return {
    type,
    slots: c.slotCount,
    run: (rt) => {
      const r = body(rt);
      if (r === undefined)
        throw new RuntimeFault('InvalidOperationException', 'the block ended without a return', 1);
      return r.value;
    },
  };
}

function definitelyReturns(body: readonly Stmt[]): boolean {
  return body.some(returns);
}
function returns(s: Stmt): boolean {
  if (s.kind === 'return') return true;
  if (s.kind === 'block') return definitelyReturns(s.body);
  if (s.kind === 'if') return s.otherwise !== null && returns(s.then) && returns(s.otherwise);
  return false;
}

type StmtRun = (rt: Runtime) => { value: unknown } | undefined;

const nullFault = (what: string, at: number): never => {
  throw new RuntimeFault('NullReferenceException', `${what} is null`, at);
};

class Compiler {
  slotCount = 0;
  readonly returnTypes: TypeName[] = [];

  private newSlot(): number {
    return this.slotCount++;
  }

  private typeOf(ref: TypeRef): TypeName {
    const t = resolveTypeName(ref.name);
    if (t === undefined) {
      throw new SyntaxFault(`the type "${ref.name}" is not available in policy expressions`, ref.start);
    }
    return t;
  }

  // ---- statements ---------------------------------------------------------------------------------------

  block(body: readonly Stmt[], scope: Scope, _depth: number): StmtRun {
    const runs = body.map((s) => this.statement(s, scope));
    return (rt) => {
      for (const run of runs) {
        const r = run(rt);
        if (r !== undefined) return r;
      }
      return undefined;
    };
  }

  private declareLocal(scope: Scope, name: string, type: TypeName, at: number): Local {
    if (name === 'context' || scope.find(name) !== undefined) {
      throw new SyntaxFault(`a local named "${name}" is already defined in this scope`, at);
    }
    const local = { slot: this.newSlot(), type };
    scope.declare(name, local);
    return local;
  }

  private statement(s: Stmt, scope: Scope): StmtRun {
    switch (s.kind) {
      case 'block':
        return this.block(s.body, new Scope(scope), 0);
      case 'declare': {
        let type: TypeName;
        let init: Compiled | null = null;
        if (s.type === 'var') {
          init = this.value(s.init!, scope);
          if (init.type === 'null')
            throw new SyntaxFault('cannot infer the type of "var" from null', s.start);
          type = init.type;
        } else {
          type = this.typeOf(s.type);
          if (s.init) init = this.convert(this.value(s.init, scope), type, s.init.start);
        }
        const local = this.declareLocal(scope, s.name, type, s.start);
        const initial = isValueType(type) ? defaultValue(type) : null;
        const run = init?.run;
        return (rt) => {
          rt.step(s.start);
          rt.slots[local.slot] = run ? run(rt) : initial;
          return undefined;
        };
      }
      case 'assign': {
        const local = scope.find(s.name);
        if (local === undefined) {
          throw new SyntaxFault(
            s.name === 'context'
              ? 'the context cannot be assigned: policy expressions only read it'
              : `"${s.name}" is not a local variable: only locals can be assigned`,
            s.start,
          );
        }
        const value = this.convert(this.value(s.value, scope), local.type, s.value.start);
        return (rt) => {
          rt.step(s.start);
          rt.slots[local.slot] = value.run(rt);
          return undefined;
        };
      }
      case 'if': {
        const test = this.condition(s.test, scope);
        const then = this.statement(s.then, new Scope(scope));
        const otherwise = s.otherwise ? this.statement(s.otherwise, new Scope(scope)) : null;
        return (rt) => {
          rt.step(s.start);
          if (test.run(rt) === true) return then(rt);
          return otherwise ? otherwise(rt) : undefined;
        };
      }
      case 'return': {
        const value = this.value(s.value, scope);
        this.returnTypes.push(value.type);
        return (rt) => {
          rt.step(s.start);
          return { value: value.run(rt) };
        };
      }
      case 'foreach': {
        const source = this.value(s.source, scope);
        const element = elementOf(source.type);
        if (element === undefined) {
          throw new SyntaxFault(
            `foreach needs an array or a sequence, not ${display(source.type)}`,
            s.source.start,
          );
        }
        const inner = new Scope(scope);
        let type = element;
        if (s.type !== 'var') {
          type = this.typeOf(s.type);
          if (!isCastable(element, type)) {
            throw new SyntaxFault(`cannot convert ${element} to ${type}`, s.type.start);
          }
        }
        const local = this.declareLocal(inner, s.name, type, s.start);
        const body = this.statement(s.body, inner);
        const check = type !== element && !isAssignable(element, type);
        return (rt) => {
          const items = source.run(rt);
          if (items === null) nullFault('the foreach collection', s.source.start);
          const list = items instanceof Uint8Array ? Array.from(items) : (items as readonly unknown[]);
          for (const item of list) {
            rt.step(s.start);
            if (check && item !== null && !hasRuntimeType(item, type)) {
              throw new RuntimeFault(
                'InvalidCastException',
                `a ${runtimeTypeName(item)} is not a ${type}`,
                s.start,
              );
            }
            rt.slots[local.slot] = item;
            const r = body(rt);
            if (r !== undefined) return r;
          }
          return undefined;
        };
      }
      case 'expr': {
        if (s.expr.kind !== 'call') {
          throw new SyntaxFault('only a method call can stand as a statement', s.start);
        }
        const e = this.expr(s.expr, scope);
        return (rt) => {
          e.run(rt);
          return undefined;
        };
      }
    }
  }

  // ---- expressions --------------------------------------------------------------------------------------

  /** An expression used as a value: not a type name, not a lambda, not void. */
  value(e: Expr, scope: Scope): Compiled {
    const c = this.expr(e, scope);
    if (isStatic(c.type)) throw new SyntaxFault(`"${display(c.type)}" is a type, not a value`, e.start);
    if (c.type === 'void') throw new SyntaxFault('the expression has no value', e.start);
    return c;
  }

  private condition(e: Expr, scope: Scope): Compiled {
    const c = this.value(e, scope);
    if (c.type !== 'bool') {
      throw new SyntaxFault(`a condition must be a bool, not ${c.type}`, e.start);
    }
    return c;
  }

  /** `c` as a `to` (implicit conversion), or a load-time error. */
  private convert(c: Compiled, to: TypeName, at: number): Compiled {
    if (!isAssignable(c.type, to)) {
      throw new SyntaxFault(`cannot implicitly convert ${display(c.type)} to ${to}`, at);
    }
    if (c.type === 'char' && isNumeric(to) && underlying(to) !== 'char') {
      return { type: to, run: (rt) => charCode(c.run(rt)) };
    }
    return { type: to, run: c.run };
  }

  private expr(e: Expr, scope: Scope): Compiled {
    switch (e.kind) {
      case 'literal': {
        const value = e.value;
        return { type: e.type, run: () => value };
      }
      case 'interpolated':
        return this.interpolated(e, scope);
      case 'name':
        return this.name(e, scope);
      case 'member':
      case 'index':
      case 'call': {
        const chain = this.chain(e, scope);
        if (!chain.lifted) return { type: chain.type, run: chain.run };
        const run = chain.run;
        return {
          type: liftNullable(chain.type),
          run: (rt) => {
            const v = run(rt);
            return v === SHORT ? null : v;
          },
        };
      }
      case 'unary':
        return this.unary(e, scope);
      case 'binary':
        return this.binary(e, scope);
      case 'conditional': {
        const test = this.condition(e.test, scope);
        const a = this.value(e.then, scope);
        const b = this.value(e.otherwise, scope);
        const type = unify(a.type, b.type);
        if (type === undefined) {
          throw new SyntaxFault(`the branches of ?: have different types: ${a.type} and ${b.type}`, e.start);
        }
        const ta = this.convert(a, type, e.then.start).run;
        const tb = this.convert(b, type, e.otherwise.start).run;
        return {
          type,
          run: (rt) => {
            rt.step(e.start);
            return test.run(rt) === true ? ta(rt) : tb(rt);
          },
        };
      }
      case 'cast':
        return this.cast(e.operand, this.typeOf(e.type), scope, e.start);
      case 'as': {
        const operand = this.value(e.operand, scope);
        const type = this.typeOf(e.type);
        if (isValueType(type)) {
          throw new SyntaxFault(`"as" needs a reference or nullable type, not ${type}`, e.type.start);
        }
        if (!isCastable(operand.type, type)) {
          throw new SyntaxFault(`cannot convert ${display(operand.type)} to ${type}`, e.start);
        }
        return {
          type,
          run: (rt) => {
            const v = operand.run(rt);
            return hasRuntimeType(v, type) ? v : null;
          },
        };
      }
      case 'is': {
        const operand = this.value(e.operand, scope);
        if (e.type === null) {
          if (!acceptsNull(operand.type)) throw new SyntaxFault(`${operand.type} is never null`, e.start);
          return { type: 'bool', run: (rt) => operand.run(rt) === null };
        }
        const type = this.typeOf(e.type);
        return { type: 'bool', run: (rt) => hasRuntimeType(operand.run(rt), type) };
      }
      case 'lambda':
        throw new SyntaxFault('a lambda is only allowed as an argument of a LINQ method', e.start);
      case 'array':
        return this.array(e, scope);
    }
  }

  private interpolated(e: Extract<Expr, { kind: 'interpolated' }>, scope: Scope): Compiled {
    const parts = e.parts.map((p) => {
      if (typeof p === 'string') return () => p;
      const c = this.value(p, scope);
      const isDouble = underlying(c.type) === 'double';
      return (rt: Runtime) => toText(c.run(rt), isDouble);
    });
    return {
      type: 'string',
      run: (rt) => {
        rt.step(e.start);
        let out = '';
        for (const part of parts) {
          const s = part(rt);
          rt.checkLength(out.length + s.length, e.start);
          out += s;
        }
        return rt.text(out, e.start);
      },
    };
  }

  private name(e: Extract<Expr, { kind: 'name' }>, scope: Scope): Compiled {
    const local = scope.find(e.name);
    if (local) {
      const slot = local.slot;
      return { type: local.type, run: (rt) => rt.slots[slot] };
    }
    if (e.name === 'context') return { type: 'IProxyRequestContext', run: (rt) => rt.context };
    const statics = STATIC_NAMES.get(e.name);
    if (statics) return { type: statics, run: () => null };
    if (FORBIDDEN_ROOTS.has(e.name) || /^[A-Z]/.test(e.name)) {
      throw new SyntaxFault(`"${e.name}" is not available in policy expressions`, e.start);
    }
    throw new SyntaxFault(`the name "${e.name}" does not exist in this context`, e.start);
  }

  /** A member access, indexer or call, with the links before it: `lifted` when a `?.` may short-circuit. */
  private chain(e: Expr, scope: Scope): Compiled & { lifted: boolean } {
    if (e.kind !== 'member' && e.kind !== 'index' && e.kind !== 'call') {
      return { ...this.expr(e, scope), lifted: false };
    }
    const target = this.chain(e.target, scope);
    const lifted = target.lifted || e.conditional;
    const targetType = target.type;
    if (targetType === 'void') throw new SyntaxFault('the expression has no value', e.target.start);
    if (targetType === 'null') throw new SyntaxFault('null has no members', e.target.start);
    // a static type has no instance; a nullable value's own members (HasValue, Value) work on null
    const staticTarget = isStatic(targetType) || (targetType.endsWith('?') && !e.conditional);
    const members = membersOf(targetType);
    const at = e.start;
    const getTarget = target.run;
    const conditional = e.conditional;
    // Evaluates the target, short-circuiting `?.` and refusing null otherwise.
    const before = (rt: Runtime, what: string): unknown => {
      rt.step(at);
      const t = getTarget(rt);
      if (t === SHORT) return SHORT;
      if (t === null && !staticTarget) return conditional ? SHORT : nullFault(what, at);
      return t;
    };

    if (e.kind === 'member') {
      const name = e.name;
      const prop = members?.properties.get(name);
      if (prop === undefined || RESERVED_MEMBERS.has(name)) {
        if (members?.methods.has(name)) {
          throw new SyntaxFault(`${display(targetType)}.${name} is a method: call it with ()`, at);
        }
        throw new SyntaxFault(`${display(targetType)} has no member "${name}" a policy can use`, at);
      }
      const type = typeof prop.type === 'function' ? prop.type(targetType) : prop.type;
      const get = prop.get;
      return {
        type,
        lifted,
        run: (rt) => {
          const t = before(rt, `the target of .${name}`);
          return t === SHORT ? SHORT : get(t, rt, at);
        },
      };
    }

    if (e.kind === 'index') {
      const indexer = members?.indexer;
      if (indexer === undefined) throw new SyntaxFault(`${display(targetType)} has no indexer`, at);
      const key = this.convert(this.value(e.index, scope), indexer.key, e.index.start);
      const type = typeof indexer.type === 'function' ? indexer.type(targetType) : indexer.type;
      const get = indexer.get;
      return {
        type,
        lifted,
        run: (rt) => {
          const t = before(rt, 'the indexed value');
          if (t === SHORT) return SHORT;
          return get(t, key.run(rt), rt, at);
        },
      };
    }

    // a call
    const name = e.name;
    const overloads = RESERVED_MEMBERS.has(name) ? undefined : members?.methods.get(name);
    if (overloads === undefined) {
      if (members?.properties.has(name))
        throw new SyntaxFault(`${display(targetType)}.${name} is not a method`, at);
      throw new SyntaxFault(`${display(targetType)} has no method "${name}" a policy can use`, at);
    }
    const resolved = this.resolveCall(e, targetType, overloads, scope);
    const { overload, args, typeArgs, argTypes, returns } = resolved;
    const call = overload.call;
    return {
      type: returns,
      lifted,
      run: (rt) => {
        const t = before(rt, `the target of .${name}()`);
        if (t === SHORT) return SHORT;
        const values = args.map((a) => a(rt));
        return call({ rt, target: t, args: values, at, typeArgs, argTypes, targetType });
      },
    };
  }

  private resolveCall(
    e: Extract<Expr, { kind: 'call' }>,
    targetType: TypeName,
    overloads: readonly Overload[],
    scope: Scope,
  ): { overload: Overload; args: Run[]; typeArgs: TypeName[]; argTypes: TypeName[]; returns: TypeName } {
    const written = e.typeArgs.map((t) => this.typeOf(t));
    // Plain arguments are typed first; lambdas and `out` wait until an overload gives them their types.
    const plain = e.args.map((a) =>
      a.kind === 'value' && a.expr.kind !== 'lambda' ? this.value(a.expr, scope) : null,
    );
    const candidates: string[] = [];
    for (const overload of overloads) {
      if ((overload.typeArgs ?? 0) !== written.length && !(overload.typeArgs && written.length === 0))
        continue;
      const fixed = overload.params.length;
      if (e.args.length < fixed || (overload.rest === undefined && e.args.length > fixed)) continue;
      let typeArgs = written;
      if (overload.typeArgs && written.length === 0) {
        // infer T from the argument in a T position (GetValueOrDefault("x", "default") → string)
        const i = overload.params.indexOf(ELEMENT_PARAM);
        const inferred = i >= 0 ? plain[i]?.type : undefined;
        if (inferred === undefined || inferred === 'null') continue;
        typeArgs = [inferred];
      }
      const paramAt = (i: number): Param => (i < fixed ? overload.params[i]! : (overload.rest as TypeName));
      const resolveParam = (p: TypeName): TypeName =>
        p === ELEMENT_PARAM ? (overload.typeArgs ? typeArgs[0]! : elementOf(targetType)!) : p;
      const fits = e.args.every((a, i) => {
        const p = paramAt(i);
        if (a.kind === 'out') return typeof p === 'object' && 'out' in p;
        if (a.expr.kind === 'lambda') return typeof p === 'object' && 'lambda' in p;
        return typeof p === 'string' && isAssignable(plain[i]!.type, resolveParam(p));
      });
      if (!fits) continue;
      // the overload fits: compile lambdas and out arguments against it
      const argTypes: TypeName[] = [];
      const args = e.args.map((a, i): Run => {
        const p = paramAt(i);
        if (a.kind === 'out') {
          const t = (p as { out: TypeName }).out;
          argTypes.push(t);
          return this.outArg(a, t, scope);
        }
        if (a.expr.kind === 'lambda') {
          const l = this.lambda(a.expr, targetType, (p as { lambda: 'bool' | 'any' }).lambda, scope);
          argTypes.push(l.type);
          return l.run;
        }
        const converted = this.convert(plain[i]!, resolveParam(p as TypeName), a.expr.start);
        argTypes.push(plain[i]!.type);
        return converted.run;
      });
      let returns: TypeName;
      try {
        returns =
          typeof overload.returns === 'function'
            ? overload.returns({ target: targetType, typeArgs, args: argTypes })
            : overload.returns;
      } catch (err) {
        // a member that refuses its type arguments (Body.As<int>)
        throw new SyntaxFault((err as Error).message, e.start);
      }
      return { overload, args, typeArgs, argTypes, returns };
    }
    for (const o of overloads)
      candidates.push(`(${o.params.map(paramName).join(', ')}${o.rest ? `, params ${o.rest}[]` : ''})`);
    const given = e.args.map((a, i) =>
      a.kind === 'out' ? 'out' : a.expr.kind === 'lambda' ? 'lambda' : display(plain[i]!.type),
    );
    throw new SyntaxFault(
      `no overload of ${display(targetType)}.${e.name}${written.length ? `<${written.join(', ')}>` : ''} takes (${given.join(', ')}); it takes ${candidates.join(' or ')}`,
      e.start,
    );
  }

  private outArg(a: Extract<Arg, { kind: 'out' }>, type: TypeName, scope: Scope): Run {
    let local: Local;
    if (a.declare === null) {
      const found = scope.find(a.name);
      if (found === undefined)
        throw new SyntaxFault(`the name "${a.name}" does not exist in this context`, a.start);
      if (found.type !== type)
        throw new SyntaxFault(`the out argument must be a ${type}, not ${found.type}`, a.start);
      local = found;
    } else {
      if (a.declare !== 'var') {
        const declared = this.typeOf(a.declare);
        if (declared !== type)
          throw new SyntaxFault(`the out argument must be a ${type}, not ${declared}`, a.start);
      }
      local = this.declareLocal(scope, a.name, type, a.start);
    }
    const slot = local.slot;
    return (rt) => (v: unknown) => {
      rt.slots[slot] = v;
    };
  }

  private lambda(
    e: Extract<Expr, { kind: 'lambda' }>,
    targetType: TypeName,
    result: 'bool' | 'any',
    scope: Scope,
  ): Compiled {
    if (e.params.length !== 1) throw new SyntaxFault('a lambda here takes exactly one parameter', e.start);
    const element = elementOf(targetType);
    if (element === undefined) throw new SyntaxFault(`${targetType} is not a sequence`, e.start);
    const inner = new Scope(scope);
    const param = this.declareLocal(inner, e.params[0]!, element, e.start);
    const body = this.value(e.body, inner);
    if (result === 'bool' && body.type !== 'bool') {
      throw new SyntaxFault(`the lambda must return a bool, not ${body.type}`, e.body.start);
    }
    const slot = param.slot;
    const run = body.run;
    return {
      type: body.type,
      run: (rt) => (v: unknown) => {
        rt.step(e.start);
        rt.slots[slot] = v;
        return run(rt);
      },
    };
  }

  private array(e: Extract<Expr, { kind: 'array' }>, scope: Scope): Compiled {
    const items = e.items.map((i) => this.value(i, scope));
    let element: TypeName | undefined;
    if (e.elementType) element = this.typeOf(e.elementType);
    else {
      element = items[0]?.type;
      for (const i of items) element = element === undefined ? undefined : unify(element, i.type);
      if (element === undefined || element === 'null') {
        throw new SyntaxFault('no best type for the array elements: write new string[] { … }', e.start);
      }
    }
    const type = `${element}[]`;
    if (resolveTypeName(type) === undefined)
      throw new SyntaxFault(`arrays of ${element} are not supported`, e.start);
    const runs = items.map((i, n) => this.convert(i, element!, e.items[n]!.start).run);
    return {
      type,
      run: (rt) => {
        rt.step(e.start, runs.length);
        return Object.freeze(runs.map((r) => r(rt)));
      },
    };
  }

  private unary(e: Extract<Expr, { kind: 'unary' }>, scope: Scope): Compiled {
    const operand = this.value(e.operand, scope);
    const run = operand.run;
    if (e.op === '!') {
      if (operand.type !== 'bool') throw new SyntaxFault(`"!" needs a bool, not ${operand.type}`, e.start);
      return {
        type: 'bool',
        run: (rt) => {
          rt.step(e.start);
          return run(rt) !== true;
        },
      };
    }
    if (!isNumeric(operand.type))
      throw new SyntaxFault(`"${e.op}" needs a number, not ${operand.type}`, e.start);
    const base = underlying(operand.type);
    const type = base === 'double' ? operand.type : operand.type.endsWith('?') ? 'int?' : 'int';
    const isChar = base === 'char';
    return {
      type,
      run: (rt) => {
        rt.step(e.start);
        const v = run(rt);
        if (v === null) return null;
        const n = isChar ? charCode(v) : (v as number);
        if (e.op === '+') return n;
        return base === 'double' ? -n : -n | 0;
      },
    };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): Compiled {
    const left = this.value(e.left, scope);
    const right = this.value(e.right, scope);
    const l = left.run;
    const r = right.run;
    const at = e.start;
    const lt = left.type;
    const rtype = right.type;
    const mismatch = (): never => {
      throw new SyntaxFault(
        `operator "${e.op}" cannot be applied to ${display(lt)} and ${display(rtype)}`,
        at,
      );
    };
    switch (e.op) {
      case '&&':
      case '||': {
        if (lt !== 'bool' || rtype !== 'bool') mismatch();
        const and = e.op === '&&';
        return {
          type: 'bool',
          run: (rt) => {
            rt.step(at);
            const a = l(rt) === true;
            if (and ? !a : a) return a;
            return r(rt) === true;
          },
        };
      }
      case '??': {
        if (!acceptsNull(lt) && !lt.endsWith('?')) {
          throw new SyntaxFault(`the left side of "??" is a ${lt}, which is never null`, at);
        }
        const type = isAssignable(rtype, underlying(lt))
          ? rtype.endsWith('?') || rtype === 'null'
            ? lt
            : underlying(lt)
          : isAssignable(lt, rtype)
            ? rtype
            : mismatch();
        return {
          type,
          run: (rt) => {
            rt.step(at);
            const a = l(rt);
            return a !== null ? a : r(rt);
          },
        };
      }
      case '==':
      case '!=': {
        const eq = this.equality(lt, rtype, at);
        const negate = e.op === '!=';
        return {
          type: 'bool',
          run: (rt) => {
            rt.step(at);
            return eq(l(rt), r(rt)) !== negate;
          },
        };
      }
      case '<':
      case '>':
      case '<=':
      case '>=': {
        const key = orderKey(lt, rtype) ?? mismatch();
        const op = e.op;
        return {
          type: 'bool',
          run: (rt) => {
            rt.step(at);
            const a = l(rt);
            const b = r(rt);
            if (a === null || b === null) return false; // lifted comparison: null compares false
            const x = key(a);
            const y = key(b);
            return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
          },
        };
      }
      case '+':
        if (lt === 'string' || rtype === 'string') {
          if (lt === 'void' || rtype === 'void') mismatch();
          const ld = underlying(lt) === 'double';
          const rd = underlying(rtype) === 'double';
          return {
            type: 'string',
            run: (rt) => {
              rt.step(at);
              const a = toText(l(rt), ld);
              const b = toText(r(rt), rd);
              rt.produce(a.length + b.length, at);
              return a + b;
            },
          };
        }
        return this.timeOrArithmetic(e.op, lt, rtype, l, r, at, mismatch);
      case '-':
      case '*':
      case '/':
      case '%':
        return this.timeOrArithmetic(e.op, lt, rtype, l, r, at, mismatch);
    }
  }

  private timeOrArithmetic(
    op: '+' | '-' | '*' | '/' | '%',
    lt: TypeName,
    rtype: TypeName,
    l: Run,
    r: Run,
    at: number,
    mismatch: () => never,
  ): Compiled {
    const a = underlying(lt);
    const b = underlying(rtype);
    const nullable = lt.endsWith('?') || rtype.endsWith('?');
    const lift = (t: TypeName) => (nullable ? `${t}?` : t);
    const time = (
      type: TypeName,
      f: (x: number, y: number) => number,
      make: (ms: number) => unknown,
    ): Compiled => ({
      type: lift(type),
      run: (rt) => {
        rt.step(at);
        const x = l(rt) as { ms: number } | null;
        const y = r(rt) as { ms: number } | null;
        return x === null || y === null ? null : make(f(x.ms, y.ms));
      },
    });
    const date = (ms: number) => new DateTimeValue(ms);
    const span = (ms: number) => new TimeSpanValue(ms);
    if (op === '+' && a === 'DateTime' && b === 'TimeSpan') return time('DateTime', (x, y) => x + y, date);
    if (op === '+' && a === 'TimeSpan' && b === 'TimeSpan') return time('TimeSpan', (x, y) => x + y, span);
    if (op === '-' && a === 'DateTime' && b === 'DateTime') return time('TimeSpan', (x, y) => x - y, span);
    if (op === '-' && a === 'DateTime' && b === 'TimeSpan') return time('DateTime', (x, y) => x - y, date);
    if (op === '-' && a === 'TimeSpan' && b === 'TimeSpan') return time('TimeSpan', (x, y) => x - y, span);
    if (!isNumeric(lt) || !isNumeric(rtype)) return mismatch();
    const isInt = a !== 'double' && b !== 'double';
    const lc = a === 'char';
    const rc = b === 'char';
    return {
      type: lift(isInt ? 'int' : 'double'),
      run: (rt) => {
        rt.step(at);
        const xv = l(rt);
        const yv = r(rt);
        if (xv === null || yv === null) return null;
        const x = lc ? charCode(xv) : (xv as number);
        const y = rc ? charCode(yv) : (yv as number);
        if (!isInt) {
          switch (op) {
            case '+':
              return x + y;
            case '-':
              return x - y;
            case '*':
              return x * y;
            case '/':
              return x / y;
            case '%':
              return x % y;
          }
        }
        switch (op) {
          case '+':
            return (x + y) | 0;
          case '-':
            return (x - y) | 0;
          case '*':
            return Math.imul(x, y);
          case '/':
            if (y === 0) throw new RuntimeFault('DivideByZeroException', 'division by zero', at);
            return Math.trunc(x / y) | 0;
          case '%':
            if (y === 0) throw new RuntimeFault('DivideByZeroException', 'division by zero', at);
            return (x % y) | 0;
        }
      },
    };
  }

  /** The equality test for two static types, or a load-time error when C# would not compare them. */
  private equality(a: TypeName, b: TypeName, at: number): (x: unknown, y: unknown) => boolean {
    const ua = underlying(a);
    const ub = underlying(b);
    const refuse = (): never => {
      throw new SyntaxFault(`operator "==" cannot be applied to ${display(a)} and ${display(b)}`, at);
    };
    if (isStatic(a) || isStatic(b)) refuse();
    if (a === 'null' || b === 'null') {
      const other = a === 'null' ? b : a;
      if (other !== 'null' && !acceptsNull(other) && !other.endsWith('?')) refuse();
      return (x, y) => x === null && y === null;
    }
    if (isNumeric(a) && isNumeric(b)) {
      const ca = ua === 'char';
      const cb = ub === 'char';
      return (x, y) =>
        x === null || y === null ? x === y : (ca ? charCode(x) : x) === (cb ? charCode(y) : y);
    }
    if (a === 'object' || b === 'object') return (x, y) => dynamicEquals(x, y, at);
    if (ua !== ub) {
      // arrays and sequences of one element type compare by reference, as in C#
      if (!(elementOf(ua) !== undefined && elementOf(ua) === elementOf(ub))) refuse();
      return (x, y) => x === y;
    }
    switch (ua) {
      case 'DateTime':
      case 'TimeSpan':
        return (x, y) =>
          x === null || y === null ? x === y : (x as { ms: number }).ms === (y as { ms: number }).ms;
      case 'Guid':
        return (x, y) =>
          x === null || y === null ? x === y : (x as GuidValue).text === (y as GuidValue).text;
      default:
        // strings (ordinal), bools, enum values, and reference equality for model objects
        return (x, y) => x === y;
    }
  }

  private cast(operandExpr: Expr, type: TypeName, scope: Scope, at: number): Compiled {
    const operand = this.value(operandExpr, scope);
    const from = operand.type;
    if (!isCastable(from, type) && !(from === 'null' && acceptsNull(type))) {
      throw new SyntaxFault(`cannot convert ${display(from)} to ${type}`, at);
    }
    const run = operand.run;
    const to = underlying(type);
    const nullable = type.endsWith('?') || acceptsNull(type);
    const fromNumeric = isNumeric(from) && from !== 'object';
    return {
      type,
      run: (rt) => {
        rt.step(at);
        const v = run(rt);
        if (v === null) {
          if (nullable) return null;
          throw new RuntimeFault('NullReferenceException', `cannot cast null to ${type}`, at);
        }
        if (fromNumeric && isNumeric(to)) {
          const n = underlying(from) === 'char' ? charCode(v) : (v as number);
          if (to === 'int') return Number.isFinite(n) ? Math.trunc(n) | 0 : -2147483648;
          if (to === 'char') return String.fromCharCode(n & 0xffff);
          return n;
        }
        if (!hasRuntimeType(v, type)) {
          throw new RuntimeFault(
            'InvalidCastException',
            `a ${runtimeTypeName(v)} cannot be cast to ${type}`,
            at,
          );
        }
        return v;
      },
    };
  }
}

function paramName(p: Param): string {
  if (typeof p === 'string') return p;
  return 'out' in p ? `out ${p.out}` : p.lambda === 'bool' ? 'predicate' : 'selector';
}

function charCode(v: unknown): number {
  return (v as string).charCodeAt(0);
}

function defaultValue(t: TypeName): unknown {
  switch (t) {
    case 'int':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'char':
      return '\0';
    default:
      return null;
  }
}

/** The type of `?:` branches or array elements: one converts to the other. */
function unify(a: TypeName, b: TypeName): TypeName | undefined {
  if (a === b) return a;
  if (a === 'null') return acceptsNull(b) ? b : isValueType(b) ? `${b}?` : undefined;
  if (b === 'null') return unify(b, a);
  if (isAssignable(a, b)) return b;
  if (isAssignable(b, a)) return a;
  return undefined;
}

/** How `<` compares two static types, or undefined when C# has no such operator. */
function orderKey(a: TypeName, b: TypeName): ((v: unknown) => number) | undefined {
  const ua = underlying(a);
  const ub = underlying(b);
  if (isNumeric(a) && isNumeric(b)) return (v) => (typeof v === 'string' ? charCode(v) : (v as number));
  if (ua === ub && (ua === 'DateTime' || ua === 'TimeSpan')) return (v) => (v as { ms: number }).ms;
  return undefined;
}

/** `==` where one side is only known as `object`: equal values of one type; different types are an error. */
function dynamicEquals(x: unknown, y: unknown, at: number): boolean {
  if (x === null || y === null) return x === y;
  const tx = runtimeTypeName(x);
  const ty = runtimeTypeName(y);
  const numeric = (t: string) => t === 'int' || t === 'double';
  if (tx !== ty && !(numeric(tx) && numeric(ty))) {
    throw new RuntimeFault('InvalidOperationException', `cannot compare a ${tx} with a ${ty}`, at);
  }
  if (x instanceof DateTimeValue || x instanceof TimeSpanValue) return x.ms === (y as { ms: number }).ms;
  if (x instanceof GuidValue) return x.text === (y as GuidValue).text;
  return x === y;
}
