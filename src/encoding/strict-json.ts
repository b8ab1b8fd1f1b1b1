/**
 * @module encoding/strict-json
 * JSON.parse takes the last of two equal member names; another component parsing the same bytes may take the
 * first. A token whose header or claims repeat a name (`"alg":"none","alg":"RS256"`) is a parser-differential
 * attack, so repeated names are refused at every depth; the depth is bounded so a deeply nested token cannot
 * exhaust the stack.
 */

export class StrictJsonError extends Error {}

const MAX_DEPTH = 16;
/** Sticky: matched at `lastIndex` in the whole text, without slicing it. */
const LITERAL = /-?[0-9][0-9eE+.-]*|true|false|null/y;

/**
 * Throws StrictJsonError when `text` is not JSON, nests deeper than `maxDepth` (16 unless given), or repeats a
 * member name.
 */
export function assertNoDuplicateNames(text: string, maxDepth = MAX_DEPTH): void {
  let i = 0;
  const fail = (why: string): never => {
    throw new StrictJsonError(why);
  };
  const ws = () => {
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++i);
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    let escaped = false;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) {
        escaped = true;
        i += 2;
      } else if (c === 0x22) {
        i++;
        // Decode escapes so `"a"` and `"\u0061"` count as the same name; most strings have none, and then the
        // text between the quotes is the value (JSON.parse per string was a fifth of a token's parse time).
        return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
      } else if (c < 0x20) {
        return fail('a control character in a string');
      } else i++;
    }
    return fail('unterminated string');
  };
  const value = (depth: number): void => {
    if (depth > maxDepth) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const names = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const name = string();
        if (names.has(name)) fail(`the member name "${name.slice(0, 40)}" appears twice`);
        names.add(name);
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('expected "," or "}"');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('expected "," or "]"');
      }
    } else if (c === '"') {
      string();
    } else {
      // number, true, false, null: JSON.parse checks their spelling afterwards
      LITERAL.lastIndex = i;
      const m = LITERAL.exec(text);
      if (!m) fail('unexpected character');
      if (m![0].length > 64) fail('a number longer than 64 characters');
      i += m![0].length;
    }
  };
  value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
}

/**
 * Members in JSON text: one `:` outside strings per member, and nothing else puts a `:` there. Also bounds a
 * literal's length (64 characters), as the scanner does. Only for text JSON.parse has accepted.
 */
function membersInText(text: string): number {
  let members = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: the next quote not escaped by an odd number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        // Unreachable for text JSON.parse accepted; a count of -1 sends the caller to the naming scanner.
        if (j < 0) return -1;
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      i = j;
      run = 0;
    } else if (c === 0x3a) {
      members++;
      run = 0;
    } else if (c <= 0x20 || c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d) {
      run = 0;
    } else if (++run > 64) {
      throw new StrictJsonError('a number longer than 64 characters');
    }
  }
  return members;
}

/** Members of every object in a parsed value; refuses nesting deeper than maxDepth below it. */
function membersInValue(value: unknown, depth: number, maxDepth: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth > maxDepth) throw new StrictJsonError('nested too deeply');
  let members = 0;
  if (Array.isArray(value)) {
    for (const v of value) members += membersInValue(v, depth + 1, maxDepth);
    return members;
  }
  for (const name of Object.keys(value)) {
    members++;
    members += membersInValue((value as Record<string, unknown>)[name], depth + 1, maxDepth);
  }
  return members;
}

/**
 * Parses a JSON object strictly: duplicates refused, depth bounded, and the result must be a plain object.
 * JSON.parse (native) first; JSON.parse keeps one member per distinct name, so a repeated name shows as fewer
 * members in the result than in the text — only then does the scanner above run, to name it. A third of the
 * cost of scanning every token first. Tokens keep the default depth (16); documents such as workflow
 * definitions, which nest deeper by design, pass their own bound.
 */
export function parseStrictObject(text: string, maxDepth = MAX_DEPTH): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StrictJsonError('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new StrictJsonError('not a JSON object');
  if (membersInValue(parsed, 0, maxDepth) !== membersInText(text)) {
    assertNoDuplicateNames(text, maxDepth);
    throw new StrictJsonError('a member name appears twice');
  }
  return parsed as Record<string, unknown>;
}
