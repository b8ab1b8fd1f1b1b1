/**
 * @module http/router
 * A tiny router: a route is a method and a pattern of literal segments and `:params`, matched against the
 * already-decoded path segments from `parseTarget`, so a parameter may hold an encoded identifier URI and is
 * decoded exactly once. A path that matches some route but not the method yields the methods it does allow,
 * for a 405 with `Allow`.
 */

export type Params = Readonly<Record<string, string>>;

export interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  readonly handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; handler: H; params: Params; route: Route<H> }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

interface CompiledRoute<H> extends Route<H> {
  parts: readonly ({ literal: string } | { param: string })[];
}

export interface RouterOptions {
  /** Literal segments compare without regard to case (Resource Manager's paths); parameters keep theirs. */
  readonly ignoreCase?: boolean;
}

export class Router<H> {
  readonly #routes: CompiledRoute<H>[] = [];
  readonly #ignoreCase: boolean;

  constructor(options: RouterOptions = {}) {
    this.#ignoreCase = options.ignoreCase === true;
  }

  add(method: string, pattern: string, handler: H): this {
    if (!pattern.startsWith('/')) throw new Error(`Route pattern must start with "/": ${pattern}`);
    const parts = pattern
      .slice(1)
      .split('/')
      .map((p) =>
        p.startsWith(':') ? { param: p.slice(1) } : { literal: this.#ignoreCase ? p.toLowerCase() : p },
      );
    this.#routes.push({ method: method.toUpperCase(), pattern, handler, parts });
    return this;
  }

  get routes(): readonly Route<H>[] {
    return this.#routes;
  }

  match(method: string, segments: readonly string[]): RouteMatch<H> {
    const allow = new Set<string>();
    for (const route of this.#routes) {
      const params = matchParts(route.parts, segments, this.#ignoreCase);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params, route };
      allow.add(route.method);
    }
    return allow.size > 0 ? { kind: 'method', allow: [...allow].sort() } : { kind: 'none' };
  }
}

function matchParts(
  parts: CompiledRoute<unknown>['parts'],
  segments: readonly string[],
  ignoreCase: boolean,
): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if ('literal' in part) {
      if (part.literal !== (ignoreCase ? segment.toLowerCase() : segment)) return undefined;
    } else {
      if (segment === '') return undefined;
      params[part.param] = segment;
    }
  }
  return params;
}
