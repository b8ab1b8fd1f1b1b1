/**
 * @module gateway/runtime/routing
 * Which API and operation a request is for, as API Management matches them: the API whose path suffix is the
 * longest prefix of the request path (segment by segment), then, within it, the operation whose method and URL
 * template match what follows. Template literals compare case-insensitively; `{name}` takes one segment and
 * `{*name}` the rest of the path. When several templates match, the one with more literal segments wins (so
 * `/orders/latest` beats `/orders/{id}`). No match is APIM's 404 `Resource not found`.
 */

export interface TemplatePart {
  readonly literal?: string;
  readonly param?: string;
  readonly rest?: boolean;
}

export interface CompiledTemplate {
  readonly parts: readonly TemplatePart[];
  readonly literals: number;
}

/** `/orders/{id}/lines/{*rest}` → parts; the query part of a template is ignored for matching. */
export function compileTemplate(template: string): CompiledTemplate {
  const path = template.split('?')[0] ?? '';
  const parts: TemplatePart[] = [];
  const segments = path.split('/').filter((s) => s !== '');
  segments.forEach((s, i) => {
    const m = /^\{(\*?)([A-Za-z0-9_.-]{1,64})\}$/.exec(s);
    if (m) {
      if (m[1] && i !== segments.length - 1)
        throw new TypeError(`{*${m[2]}} must be the last segment of ${template}`);
      parts.push({ param: m[2]!, rest: m[1] === '*' });
    } else {
      if (s.includes('{') || s.includes('}'))
        throw new TypeError(`"${s}" mixes text and a {parameter} in ${template}`);
      parts.push({ literal: safeDecode(s).toLowerCase() });
    }
  });
  return { parts, literals: parts.filter((p) => p.literal !== undefined).length };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The parameters when `segments` (decoded) match the template, else undefined. */
export function matchTemplate(
  t: CompiledTemplate,
  segments: readonly string[],
): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = 0;
  for (const part of t.parts) {
    if (part.rest) {
      params.set(part.param!, segments.slice(i).join('/'));
      return params;
    }
    const seg = segments[i];
    if (seg === undefined) return undefined;
    if (part.literal !== undefined) {
      if (seg.toLowerCase() !== part.literal) return undefined;
    } else {
      params.set(part.param!, seg);
    }
    i++;
  }
  return i === segments.length ? params : undefined;
}

/** The path's segments, percent-decoded (a segment that does not decode is kept as sent). */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode);
}

/** Whether `apiPath` (no slashes at the ends, '' for the root) is a segment prefix of `segments`. */
export function apiPathLength(apiPath: string, segments: readonly string[]): number | undefined {
  const own = apiPath.split('/').filter((s) => s !== '');
  if (own.length > segments.length) return undefined;
  for (let i = 0; i < own.length; i++)
    if (own[i]!.toLowerCase() !== segments[i]!.toLowerCase()) return undefined;
  return own.length;
}
