/**
 * @module gateway/policies/set-body
 * `<set-body>text or @(expression)</set-body>` (every section): replaces the body of the backend request
 * (`inbound`, `backend`) or of the answer (`outbound`, `on-error`, and inside `return-response` the answer it
 * builds). The new body is the UTF-8 bytes of the text or of the expression's value (as C#'s `ToString()`
 * writes it; null is an empty body), at most `MAX_POLICY_BODY`. The message's `Content-Length` and
 * `Transfer-Encoding` go with the old body; the sender frames the bytes when it writes them. `Content-Type` is
 * left as it is (set it with `set-header`).
 *
 * The text is taken as written, whitespace included. An XML body written as child elements is refused: APIM
 * reads it only through Liquid; write it escaped or in CDATA. `template="liquid"` is refused — Lanyard has no
 * Liquid engine — with the place and the way out. `xsi-nil` and `parse-date` are accepted: they change only
 * how Liquid and `Body.As<JObject>()` read a body, which Lanyard does not do here.
 */
import { bool, oneOf, onlyChildren, readAttributes, readText, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { bodyBytes, setBody as replaceBody, textOf } from './message.ts';

export const setBody = definePolicy({
  name: 'set-body',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const templateRaw = element.attributes.get('template');
    if (templateRaw !== undefined) {
      const at = element.valuePositions.get('template') ?? element.position;
      if (templateRaw.trim().toLowerCase() === 'liquid') {
        throw new PolicyLoadError(
          at,
          '<set-body template="liquid"> is not supported by Lanyard: there is no Liquid engine',
          'Build the body with a policy expression instead: <set-body>@{ … return text; }</set-body>.',
        );
      }
      throw new PolicyLoadError(
        at,
        `<set-body> template is ${JSON.stringify(templateRaw.slice(0, 40))}; the only template APIM knows is liquid`,
      );
    }
    readAttributes(
      element,
      { template: str(), 'xsi-nil': oneOf(['blank', 'null'] as const), 'parse-date': bool() },
      cc,
    );
    if (element.children.length > 0) {
      throw new PolicyLoadError(
        element.children[0]!.position,
        `<set-body> holds the element <${element.children[0]!.name}>; a body is text`,
        'Escape the markup (&lt;…&gt;) or wrap it in <![CDATA[ … ]]>.',
      );
    }
    onlyChildren(element, []);
    const text = readText(element, str({ expressions: true }), cc) ?? {
      kind: 'constant' as const,
      value: '',
      secret: false,
    };
    // A literal body is checked against the bound once, now; a computed one on each request.
    const literal = text.kind === 'constant' ? bodyBytes(text.value, '<set-body>') : undefined;
    return {
      run(ctx) {
        replaceBody(ctx, literal ?? bodyBytes(textOf(text, ctx, cc), 'set-body'));
      },
    };
  },
});
