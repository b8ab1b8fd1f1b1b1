/**
 * @module test/encoding/strict-json
 * The strict JSON reader the validator parses token headers and claims with: repeated member names refused at
 * every depth (also when spelled with escapes), depth bounded, only plain objects, nothing JSON.parse would
 * refuse let through, and no prototype pollution from `__proto__` members.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertNoDuplicateNames,
  parseStrictObject,
  StrictJsonError,
} from '../../src/encoding/strict-json.ts';

const refuses = (text: string, why?: RegExp) =>
  assert.throws(
    () => parseStrictObject(text),
    (err: unknown) => err instanceof StrictJsonError && (why === undefined || why.test(err.message)),
    text.slice(0, 80),
  );

describe('strict JSON', () => {
  it('parses ordinary token JSON like JSON.parse', () => {
    const text =
      '{"alg":"RS256","kid":"k\\u0031","n":[1,2.5e3,-0,true,false,null],"o":{"a":{"b":"\\"x\\""}}}';
    assert.deepEqual(parseStrictObject(text), JSON.parse(text));
    assert.deepEqual(parseStrictObject(' \t\r\n{ "a" : 1 } \n'), { a: 1 });
    assert.deepEqual(parseStrictObject('{}'), {});
  });

  it('refuses a repeated name at any depth, also when one spelling uses escapes', () => {
    refuses('{"alg":"none","alg":"RS256"}', /"alg" appears twice/);
    refuses('{"sub":"user","x":1,"sub":"admin"}', /"sub"/);
    refuses('{"a":{"b":1,"b":2}}', /"b"/);
    refuses('{"a":[{"c":1},{"c":1,"c":2}]}', /"c"/);
    refuses('{"sub":"user","\\u0073ub":"admin"}', /"sub"/);
    refuses('{"a\\/b":1,"a/b":2}');
    // Equal names in different objects are fine.
    assert.deepEqual(parseStrictObject('{"a":{"x":1},"b":{"x":2}}'), { a: { x: 1 }, b: { x: 2 } });
  });

  it('colons, quotes and backslashes inside strings are not members (no false repeat)', () => {
    for (const text of [
      '{"a:b":"c:d","e":"\\\\","f":"\\":\\"","g\\"":":"}',
      '{"url":"https://x:443/a?b=c:d","t":"\\\\\\"x:y"}',
      '{"a":["::",{"b":":"}],"c":{"d":"\\u003a"}}',
    ]) {
      assert.deepEqual(parseStrictObject(text), JSON.parse(text), text);
    }
  });

  it('refuses a literal longer than 64 characters', () => {
    refuses(`{"exp":${'9'.repeat(65)}}`, /longer than 64/);
    const twenty = `{"exp":${'9'.repeat(20)}}`;
    assert.deepEqual(parseStrictObject(twenty), JSON.parse(twenty));
  });

  it('bounds the depth (16 levels below the top object) and survives 50 000 levels without a stack overflow', () => {
    const nest = (n: number) => `{"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    assert.doesNotThrow(() => parseStrictObject(nest(16)));
    refuses(nest(17), /nested too deeply/);
    // No stack overflow, whatever the depth: the refusal is the bound's.
    refuses(nest(50_000), /nested too deeply/);
  });

  it('takes a deeper bound from a caller whose documents nest by design', () => {
    const nest = (n: number) => `{"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    assert.doesNotThrow(() => parseStrictObject(nest(40), 64));
    assert.throws(() => parseStrictObject(nest(65), 64), /nested too deeply/);
    assert.throws(() => parseStrictObject(`{"a":1,"a":2,"x":${nest(40)}}`, 64), /"a" appears twice/);
  });

  it('only objects: arrays, strings, numbers and null are refused', () => {
    for (const text of ['[1,2,3]', '[]', '"x"', '1', 'null', 'true']) refuses(text, /not a JSON object/);
  });

  it('refuses what JSON.parse refuses: trailing commas, comments, single quotes, trailing text, bad escapes', () => {
    for (const text of [
      '{"a":1,}',
      '{"a":1}/*c*/',
      "{'a':1}",
      '{"a":1}{"b":2}',
      '{"a":1} x',
      '{"a":"\\x41"}',
      '{"a":01}',
      '{"a":NaN}',
      '{"a":"unterminated}',
      '{"a"1}',
      '{a:1}',
      '',
      '{"a":"\u0001"}',
    ]) {
      assert.throws(() => parseStrictObject(text), text);
    }
  });

  it('a "__proto__" member stays an own property; Object.prototype is untouched', () => {
    const parsed = parseStrictObject('{"__proto__":{"admin":true},"sub":"u"}');
    assert.equal(Object.hasOwn(parsed, '__proto__'), true);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    assert.equal((parsed as { admin?: unknown }).admin, undefined);
  });

  it('assertNoDuplicateNames accepts any JSON value, not only objects', () => {
    assert.doesNotThrow(() => assertNoDuplicateNames('[{"a":1},{"a":1}]'));
    assert.throws(() => assertNoDuplicateNames('[{"a":1,"a":1}]'), StrictJsonError);
  });
});
