/**
 * @module manifest/load
 * Reads `lanyard.yaml` and checks it against a composed schema and the sections' checks (manifest/compose
 * builds both from the planes' sections). YAML is parsed keeping node ranges so that every error — syntax,
 * schema, duplicate, dangling reference — says `file:line:column key.path: what is wrong`, and all schema
 * problems are reported at once (details.issues), not one per run. Inputs are bounded: files over 1 MiB and
 * alias expansion bombs are refused before anything is built from them.
 */
import fs from 'node:fs/promises';
import { isAlias, LineCounter, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import type { ErrorCode } from '../errors/codes.ts';
import { LanyardError } from '../errors/lanyard-error.ts';
import type { ManifestProblem } from './problems.ts';
import type { DeclaredManifest } from './section.ts';
import {
  formatPath,
  type KeyPath,
  type ManifestSource,
  positionOf,
  rememberSource,
  type SourcePosition,
} from './source.ts';

/** What a manifest is checked against: the composed schema, then every section's checks. */
export interface ManifestRules {
  readonly schema: z.ZodType<DeclaredManifest>;
  check(manifest: DeclaredManifest): ManifestProblem[];
}

export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Alias expansions allowed while building the data (yaml's guard against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;
const MAX_LISTED_ISSUES = 50;

const DOCS_HINT = 'The manifest format is described in docs/manifest.md.';

export interface ManifestIssue {
  path: string;
  line: number;
  column: number;
  message: string;
}

function tooLarge(fileName: string, bytes: number): LanyardError {
  return new LanyardError(
    'ERR_MANIFEST_FILE',
    `${fileName}: the manifest is ${bytes} bytes; the limit is ${MAX_MANIFEST_BYTES} (1 MiB).`,
    { hint: 'A manifest declares directory objects; split very large ones per tenant.' },
  );
}

/** Reads and checks a manifest file. Every failure is a LanyardError whose message starts `file:line:col`. */
export async function loadManifestWith(rules: ManifestRules, file: string): Promise<DeclaredManifest> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) {
      throw new LanyardError('ERR_MANIFEST_FILE', `${file}: not a file.`, {
        hint: 'Pass the manifest file with -f <file>.',
      });
    }
    if (stat.size > MAX_MANIFEST_BYTES) throw tooLarge(file, stat.size);
    const bytes = await fs.readFile(file);
    if (bytes.length > MAX_MANIFEST_BYTES) throw tooLarge(file, bytes.length);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof LanyardError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new LanyardError('ERR_MANIFEST_FILE', `${file}: cannot read the manifest: ${why}.`, {
      hint: 'Pass the manifest file with -f <file> (default: lanyard.yaml in the current folder).',
      cause: err,
    });
  }
  return parseManifestWith(rules, text, file);
}

function manifestError(
  code: ErrorCode,
  issues: ManifestIssue[],
  fileName: string,
  hint = DOCS_HINT,
): LanyardError {
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  // The message stays readable however broken the file; details.issues keeps every problem.
  const lines = issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((i) => `${fileName}:${i.line}:${i.column} ${i.path}: ${i.message}`);
  const more =
    issues.length > MAX_LISTED_ISSUES
      ? `\n(${issues.length} problems; the first ${MAX_LISTED_ISSUES} are shown)`
      : issues.length > 1
        ? `\n(${issues.length} problems)`
        : '';
  return new LanyardError(code, `${lines.join('\n')}${more}`, { hint, details: { file: fileName, issues } });
}

function issueAt(
  source: ManifestSource,
  path: KeyPath,
  message: string,
  options: { key?: boolean; at?: KeyPath } = {},
): ManifestIssue {
  const pos: SourcePosition = positionOf(source, options.at ?? path, options);
  return { path: formatPath(path), line: pos.line, column: pos.column, message };
}

// ---- schema issues in words a manifest author acts on ----

/** The schema that validates the value at `path`, to list the keys an object allows. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  const unwrap = (x: z.ZodType): z.ZodType => {
    let cur = x;
    for (;;) {
      if (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
      else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
      else return cur;
    }
  };
  for (const seg of path) {
    if (!s) return undefined;
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return undefined;
  }
  return s ? unwrap(s) : undefined;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

const isDefaultMessage = (message: string): boolean =>
  /^(Invalid input|Invalid option|Invalid string|Too small|Too big|Invalid element|Unrecognized key)/.test(
    message,
  );

function schemaIssues(
  manifestSchema: z.ZodType,
  source: ManifestSource,
  data: unknown,
  issues: z.core.$ZodIssue[],
): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    switch (issue.code) {
      case 'unrecognized_keys': {
        const target = schemaAt(manifestSchema, path);
        const allowed = target instanceof z.ZodObject ? Object.keys(target.shape) : [];
        for (const key of issue.keys) {
          out.push(
            issueAt(
              source,
              [...path, key],
              `unknown key "${key}"${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`,
              { key: true },
            ),
          );
        }
        break;
      }
      case 'invalid_type': {
        const value = valueAt(data, path);
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        if (value === undefined && path.length > 0) {
          out.push(issueAt(source, path, 'is required', { at: path.slice(0, -1) }));
        } else {
          out.push(issueAt(source, path, `must be ${expected}, not ${typeName(value)}`));
        }
        break;
      }
      case 'invalid_value':
        out.push(
          issueAt(
            source,
            path,
            isDefaultMessage(issue.message)
              ? `must be one of ${issue.values.map((v) => String(v)).join(', ')}`
              : issue.message,
          ),
        );
        break;
      case 'too_small':
      case 'too_big': {
        let message = issue.message;
        if (isDefaultMessage(message)) {
          const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
          const word = issue.code === 'too_small' ? 'at least' : 'at most';
          if (issue.origin === 'array') message = `must have ${word} ${bound} item${bound === 1 ? '' : 's'}`;
          else if (issue.origin === 'string')
            message =
              bound === 1 && issue.code === 'too_small'
                ? 'must not be empty'
                : `must be ${word} ${bound} characters`;
          else message = `must be ${word} ${bound}`;
        }
        out.push(issueAt(source, path, message));
        break;
      }
      case 'invalid_format':
        out.push(
          issueAt(source, path, isDefaultMessage(issue.message) ? 'has an invalid format' : issue.message),
        );
        break;
      default:
        out.push(issueAt(source, path, issue.message));
    }
  }
  return out;
}

/**
 * Parses manifest text. `fileName` is what error messages name (loadManifestWith passes the path as given).
 * Throws ERR_MANIFEST_SYNTAX, ERR_MANIFEST_SCHEMA, ERR_MANIFEST_REFERENCE or ERR_MANIFEST_FILE.
 */
export function parseManifestWith(
  rules: ManifestRules,
  text: string,
  fileName = 'lanyard.yaml',
): DeclaredManifest {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) throw tooLarge(fileName, bytes);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source: ManifestSource = { fileName, doc, lineCounter };
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { path: '(yaml)', line, column: col, message: e.message.split('\n')[0]! };
    });
    throw manifestError('ERR_MANIFEST_SYNTAX', issues, fileName, 'Fix the YAML syntax at the line shown.');
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    let first: SourcePosition = { line: 1, column: 1 };
    visit(doc, {
      Alias(_key, node) {
        if (isAlias(node) && node.range) {
          const { line, col } = lineCounter.linePos(node.range[0]);
          first = { line, column: col };
        }
        return visit.BREAK;
      },
    });
    throw manifestError(
      'ERR_MANIFEST_SYNTAX',
      [
        {
          path: '(yaml)',
          ...first,
          message: `aliases expand too much (${(err as Error).message}); at most ${MAX_ALIAS_COUNT} expansions are allowed`,
        },
      ],
      fileName,
      'Write the repeated values out instead of nesting aliases (*name).',
    );
  }

  const parsed = rules.schema.safeParse(data);
  if (!parsed.success) {
    throw manifestError(
      'ERR_MANIFEST_SCHEMA',
      schemaIssues(rules.schema, source, data, parsed.error.issues),
      fileName,
    );
  }

  const problems = rules.check(parsed.data);
  const toIssue = (p: ManifestProblem) => issueAt(source, p.path, p.message);
  const schemaProblems = problems.filter((p) => p.kind === 'schema');
  if (schemaProblems.length > 0) {
    throw manifestError('ERR_MANIFEST_SCHEMA', schemaProblems.map(toIssue), fileName);
  }
  if (problems.length > 0) {
    throw manifestError(
      'ERR_MANIFEST_REFERENCE',
      problems.map(toIssue),
      fileName,
      'Declare the object in the same tenant, or fix the name (names are the stable keys).',
    );
  }
  rememberSource(parsed.data, source);
  return parsed.data;
}
