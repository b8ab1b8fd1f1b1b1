import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failure, run } from './helpers.ts';

test("base64: the UTF-8 bytes of the value's text", () => {
  assert.equal(run("@base64('hello')"), 'aGVsbG8=');
  assert.equal(run("@base64('')"), '');
  assert.equal(run("@base64('héllo ✓')"), Buffer.from('héllo ✓').toString('base64'));
  assert.equal(run('@base64(json(\'{"a":1}\'))'), Buffer.from('{"a":1}').toString('base64'));
});

test('base64ToString and decodeBase64: back to text; not base64 fails', () => {
  assert.equal(run("@base64ToString('aGVsbG8=')"), 'hello');
  assert.equal(run("@decodeBase64('aGVsbG8=')"), 'hello');
  assert.equal(run("@base64ToString(base64('héllo ✓'))"), 'héllo ✓');
  assert.equal(run("@base64ToString(' aGVs bG8= ')"), 'hello', 'white space is ignored');
  for (const bad of ['aGVsbG8', 'aGVs*G8=', '====']) {
    assert.equal(
      failure(`@base64ToString('${bad}')`),
      "The template language function 'base64ToString' was invoked with a parameter that is not valid. The value cannot be converted to the target type.",
      bad,
    );
  }
});

test('uriComponent and encodeUriComponent: everything but unreserved characters escaped', () => {
  assert.equal(run("@uriComponent('https://contoso.com')"), 'https%3A%2F%2Fcontoso.com');
  assert.equal(run("@encodeUriComponent('https://contoso.com')"), 'https%3A%2F%2Fcontoso.com');
  assert.equal(run("@uriComponent('a b!''()*~-_.')"), 'a%20b%21%27%28%29%2A~-_.');
  assert.equal(run("@uriComponent('é')"), '%C3%A9');
  assert.equal(run('@uriComponent(42)'), '42');
});
