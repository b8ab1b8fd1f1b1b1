import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpressionSyntaxError } from '../../../src/flows/expressions/errors.ts';
import { Lexer, type Token } from '../../../src/flows/expressions/lexer.ts';

function tokens(text: string, start = 0): Token[] {
  const lexer = new Lexer(text, start);
  const out: Token[] = [];
  for (;;) {
    const t = lexer.next();
    out.push(t);
    if (t.kind === 'EndOfData') return out;
  }
}

const kinds = (text: string) => tokens(text).map((t) => t.kind);

function lexError(text: string): ExpressionSyntaxError {
  try {
    tokens(text);
  } catch (e) {
    assert.ok(e instanceof ExpressionSyntaxError);
    return e;
  }
  assert.fail(`${text} lexed`);
}

test('punctuation, names and the end carry Azure token names', () => {
  assert.deepEqual(kinds("body('x')?['a'].b[0]}"), [
    'Identifier',
    'LeftParenthesis',
    'StringLiteral',
    'RightParenthesis',
    'QuestionMark',
    'LeftSquareBracket',
    'StringLiteral',
    'RightSquareBracket',
    'Dot',
    'Identifier',
    'LeftSquareBracket',
    'IntegerLiteral',
    'RightSquareBracket',
    'RightCurlyBracket',
    'EndOfData',
  ]);
});

test('offsets are positions in the whole string, from where the lexer starts', () => {
  const [name, open] = tokens("@{ concat('a') }", 2);
  assert.deepEqual([name!.start, name!.end, name!.text], [3, 9, 'concat']);
  assert.equal(open!.start, 9);
});

test('white space between tokens is skipped: spaces, tabs and line breaks', () => {
  assert.deepEqual(kinds(" \t\r\nconcat ( 'a' ,\n1 ) "), [
    'Identifier',
    'LeftParenthesis',
    'StringLiteral',
    'Comma',
    'IntegerLiteral',
    'RightParenthesis',
    'EndOfData',
  ]);
});

test("string literals are single-quoted and '' is one quote", () => {
  const [s] = tokens("'don''t worry'");
  assert.equal(s!.text, "don't worry");
  assert.equal(tokens("''")[0]!.text, '');
  assert.equal(tokens("''''")[0]!.text, "'");
  assert.equal(tokens("'}@{\"'")[0]!.text, '}@{"', 'braces, @ and double quotes are plain text inside');
});

test('an unterminated string literal is refused at its opening quote', () => {
  const e = lexError("concat('abc");
  assert.equal(e.azureMessage, "the string literal starting at position '7' is not terminated.");
  assert.equal(e.position, 7);
  assert.equal(lexError("'it''s").position, 0);
});

test('integers: digits with an optional sign', () => {
  for (const [text, value] of [
    ['1', 1],
    ['-51', -51],
    ['+54', 54],
    ['0', 0],
    ['9007199254740991', 9007199254740991],
  ] as const) {
    const [t] = tokens(text);
    assert.equal(t!.kind, 'IntegerLiteral', text);
    assert.equal(t!.number, value, text);
  }
});

test('floats: a fraction or an exponent, with or without digits before the point', () => {
  for (const [text, value] of [
    ['0.5', 0.5],
    ['+.5', 0.5],
    ['.3', 0.3],
    ['+1.', 1],
    ['+15.75', 15.75],
    ['-01.0', -1],
    ['3e1', 30],
    ['3.2e1', 32],
    ['0.9e+1', 9],
    ['3.2e-1', 0.32],
    ['1E3', 1000],
  ] as const) {
    const [t] = tokens(text);
    assert.equal(t!.kind, 'FloatLiteral', text);
    assert.equal(t!.number, value, text);
  }
});

test('malformed numbers are refused', () => {
  assert.equal(lexError('+').azureMessage, "the number literal '+' at position '0' is not complete.");
  assert.equal(lexError('1e').azureMessage, "the number literal '1e' at position '0' is not complete.");
  assert.equal(lexError('1e+').azureMessage, "the number literal '1e+' at position '0' is not complete.");
  assert.equal(lexError('++1').azureMessage, "the string character '+' at position '1' is not expected.");
  assert.equal(lexError('--1').azureMessage, "the string character '-' at position '1' is not expected.");
  assert.equal(lexError('1ex').azureMessage, "the string character 'x' at position '2' is not expected.");
});

test('an integer JavaScript cannot hold exactly is refused rather than rounded', () => {
  assert.match(lexError('9007199254740993').azureMessage, /outside the range Lanyard represents exactly/);
});

test('a character outside the language is refused with its position (Azure: "the string character")', () => {
  const e = lexError("concat('a'; 'b')");
  assert.equal(e.azureMessage, "the string character ';' at position '10' is not expected.");
  assert.equal(e.quoted, false);
  assert.equal(lexError('@x').azureMessage, "the string character '@' at position '0' is not expected.");
  assert.equal(lexError('"a"').azureMessage, `the string character '"' at position '0' is not expected.`);
});

test('names: letters, digits and underscores, not starting with a digit; Unicode letters count', () => {
  assert.equal(tokens('_a1_B')[0]!.text, '_a1_B');
  assert.equal(tokens('名前x')[0]!.text, '名前x');
  assert.deepEqual(kinds('a-1').slice(0, 2), ['Identifier', 'IntegerLiteral'], '- starts a number');
  assert.deepEqual(kinds('a1.b').slice(0, 3), ['Identifier', 'Dot', 'Identifier']);
});
