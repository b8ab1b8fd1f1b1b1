/**
 * @module gateway/policy/parse-xml
 * API Management policy XML → a tree of `PolicyElement`s with positions.
 *
 * APIM accepts documents that are not well-formed XML: a policy expression keeps its C# quotes and operators
 * inside an attribute (`condition="@(context.Request.Method == "POST")"`, `GetValueOrDefault<string>(…)`) or in
 * element text (`@{ if (a && b) … }`). So before the XML parser sees the document, each expression that starts a
 * value is cut out and replaced by a placeholder of the same length (line breaks kept, so every line and column
 * after it stays right); after parsing, the placeholders are put back. Exported documents also carry the escaped
 * form (`@(… &quot;Authorization&quot; …)`): entities inside an expression are decoded when it is restored.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { expressionEnd } from '../expressions/scan.ts';
import {
  type PolicyDocument,
  type PolicyElement,
  type PolicyPosition,
  SECTIONS,
  type Section,
} from './element.ts';
import { PolicyLoadError } from './errors.ts';

/** APIM's own limit for one policy document. */
export const MAX_POLICY_BYTES = 256 * 1024;
const MAX_ELEMENTS = 10_000;
const MAX_DEPTH = 32;
/** Placeholder characters (Unicode private use): marker, then one character naming the expression, then filler. */
const MARK = '\uE000';
const FILL = '\uE001';
const INDEX_BASE = 0xe100;
const MAX_EXPRESSIONS = 4096;

interface CutExpression {
  source: string;
  position: PolicyPosition;
}

/** Line starts of a text, for offset → line:column. */
function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function positionAt(starts: readonly number[], offset: number, file: string | undefined): PolicyPosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** Where a value may start: right after an attribute's opening quote, or after a tag's `>`. */
function startsValue(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n')) i--;
  const c = text[i];
  return c === '"' || c === "'" || c === '>';
}

/** Replaces every expression that starts a value by a same-length placeholder; returns the cut expressions. */
function cutExpressions(
  text: string,
  starts: readonly number[],
  file: string | undefined,
): { text: string; cut: CutExpression[] } {
  const cut: CutExpression[] = [];
  // The scan for an expression's end reads C#: in the escaped form a string literal is `&quot;…&quot;`, and
  // `//` inside one (`&quot;api://&quot;`) would read as a comment. The scan runs on a view where each `&quot;`
  // is a `"` padded to the same length, so every offset is the document's.
  const scanView = text.includes('&quot;') ? text.replaceAll('&quot;', '"     ') : text;
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '<') {
      // Comments, CDATA and processing instructions are passed over whole.
      const close = text.startsWith('<!--', i)
        ? '-->'
        : text.startsWith('<![CDATA[', i)
          ? ']]>'
          : text.startsWith('<?', i)
            ? '?>'
            : undefined;
      if (close) {
        const end = text.indexOf(close, i);
        i = end === -1 ? text.length : end + close.length;
        continue;
      }
    } else if (c === '@' && (text[i + 1] === '(' || text[i + 1] === '{') && startsValue(text, i)) {
      const position = positionAt(starts, i, file);
      let end: number;
      try {
        end = expressionEnd(scanView, i);
      } catch (err) {
        throw new PolicyLoadError(
          position,
          `the policy expression starting here is not closed (${(err as Error).message})`,
          'Balance its parentheses and braces, and close every string literal.',
        );
      }
      if (cut.length >= MAX_EXPRESSIONS) {
        throw new PolicyLoadError(
          position,
          `more than ${MAX_EXPRESSIONS} policy expressions in one document`,
        );
      }
      const source = text.slice(i, end);
      let placeholder = MARK + String.fromCharCode(INDEX_BASE + cut.length);
      for (let k = 2; k < source.length; k++) placeholder += source[k] === '\n' ? '\n' : FILL;
      cut.push({ source, position });
      out += text.slice(last, i) + placeholder;
      last = end;
      i = end;
      continue;
    }
    i++;
  }
  return { text: out + text.slice(last), cut };
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name] ?? whole;
  });
}

/** Puts the cut expressions back into a parsed value; reports where the first one starts. */
function restore(
  value: string,
  cut: readonly CutExpression[],
): { value: string; expression: PolicyPosition | undefined } {
  if (!value.includes(MARK)) return { value, expression: undefined };
  let expression: PolicyPosition | undefined;
  let out = '';
  let i = 0;
  for (let at = value.indexOf(MARK); at !== -1; at = value.indexOf(MARK, i)) {
    const e = cut[value.charCodeAt(at + 1) - INDEX_BASE];
    if (!e) throw new TypeError('policy placeholder without its expression');
    expression ??= e.position;
    out += value.slice(i, at) + decodeEntities(e.source);
    i = at + e.source.length;
  }
  return { value: out + value.slice(i), expression };
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  captureMetaData: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
});
const META = XMLParser.getMetaDataSymbol() as unknown as string;

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** The attribute's `name=` position inside the start tag at `tagStart`, or the tag's position. */
function attributeOffset(text: string, tagStart: number, name: string): number {
  const tagEnd = text.indexOf('>', tagStart);
  const tag = text.slice(tagStart, tagEnd === -1 ? undefined : tagEnd);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`\\s${escaped}\\s*=`).exec(tag);
  return m ? tagStart + m.index + 1 : tagStart;
}

export interface ParsedElement extends PolicyElement {
  readonly children: readonly ParsedElement[];
  /** Where each attribute's value starts (the expression's `@` when the value holds one); `#text` for the text. */
  readonly valuePositions: ReadonlyMap<string, PolicyPosition>;
}

/**
 * Parses one policy document. `file` labels positions in errors. Refuses malformed XML, a root other than
 * `<policies>`, sections other than the four (each at most once), and documents past the size, depth or element
 * limits — each with the place and what is wrong.
 */
export function parsePolicyXml(
  raw: string,
  file?: string,
): PolicyDocument & {
  readonly sections: Readonly<Record<Section, ParsedElement | undefined>>;
} {
  const start: PolicyPosition = { file, line: 1, column: 1 };
  if (Buffer.byteLength(raw, 'utf8') > MAX_POLICY_BYTES) {
    throw new PolicyLoadError(start, `the document is larger than ${MAX_POLICY_BYTES / 1024} KiB`);
  }
  const text = raw.replace(/\r\n?/g, '\n');
  const starts = lineIndex(text);
  const marker = /[\uE000\uE001]/.exec(text);
  if (marker) {
    throw new PolicyLoadError(
      positionAt(starts, marker.index, file),
      'the private-use character U+E000/U+E001 is not allowed in a policy document',
    );
  }
  const { text: xml, cut } = cutExpressions(text, starts, file);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new PolicyLoadError(
      { file, line: valid.err.line, column: valid.err.col },
      `malformed XML: ${valid.err.msg}`,
      'Policy documents are XML: quote every attribute value and close every element.',
    );
  }
  const roots = (parser.parse(xml) as XmlNode[]).filter((n) => !('#comment' in n) && !isBlankText(n));
  let count = 0;

  const element = (node: XmlNode, depth: number): ParsedElement => {
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const offset = (node[META] as { startIndex: number } | undefined)?.startIndex ?? 0;
    const position = positionAt(starts, offset, file);
    if (++count > MAX_ELEMENTS) throw new PolicyLoadError(position, `more than ${MAX_ELEMENTS} elements`);
    if (depth > MAX_DEPTH) throw new PolicyLoadError(position, `elements nested deeper than ${MAX_DEPTH}`);
    const attributes = new Map<string, string>();
    const valuePositions = new Map<string, PolicyPosition>();
    for (const [attr, rawValue] of Object.entries(node[':@'] ?? {})) {
      const { value, expression } = restore(rawValue, cut);
      attributes.set(attr, value);
      valuePositions.set(attr, expression ?? positionAt(starts, attributeOffset(xml, offset, attr), file));
    }
    const children: ParsedElement[] = [];
    let textValue: string | undefined;
    let textExpression: PolicyPosition | undefined;
    for (const child of (node[name] as XmlNode[] | undefined) ?? []) {
      if ('#text' in child || '#cdata' in child) {
        const piece =
          '#text' in child
            ? restore(String(child['#text']), cut)
            : { value: cdataText(child['#cdata']), expression: undefined };
        textValue = (textValue ?? '') + piece.value;
        textExpression ??= piece.expression;
      } else if (!('#comment' in child)) {
        children.push(element(child, depth + 1));
      }
    }
    if (textValue !== undefined) valuePositions.set('#text', textExpression ?? position);
    return { name, attributes, children, text: textValue, position, valuePositions };
  };

  if (roots.length !== 1) {
    throw new PolicyLoadError(start, 'a policy document has exactly one root element, <policies>');
  }
  const root = element(roots[0]!, 0);
  if (root.name !== 'policies') {
    throw new PolicyLoadError(root.position, `the root element is <${root.name}>; it must be <policies>`);
  }
  if (root.text !== undefined && root.text.trim() !== '') {
    throw new PolicyLoadError(root.position, '<policies> holds text; it holds only its sections');
  }
  const sections: Record<Section, ParsedElement | undefined> = {
    inbound: undefined,
    backend: undefined,
    outbound: undefined,
    'on-error': undefined,
  };
  for (const child of root.children) {
    if (!(SECTIONS as readonly string[]).includes(child.name)) {
      throw new PolicyLoadError(
        child.position,
        `<${child.name}> is not a section of <policies>`,
        'The sections are <inbound>, <backend>, <outbound> and <on-error>; policies go inside them.',
      );
    }
    const section = child.name as Section;
    if (sections[section]) throw new PolicyLoadError(child.position, `<${section}> appears twice`);
    if (child.text !== undefined && child.text.trim() !== '') {
      throw new PolicyLoadError(child.position, `<${section}> holds text; it holds only policies`);
    }
    sections[section] = child;
  }
  return { sections, position: root.position };
}

function isBlankText(n: XmlNode): boolean {
  return '#text' in n && String(n['#text']).trim() === '';
}

function cdataText(v: unknown): string {
  return Array.isArray(v) ? v.map((x) => String((x as XmlNode)['#text'] ?? '')).join('') : String(v ?? '');
}
