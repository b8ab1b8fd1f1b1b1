/**
 * @module gateway/policies/set-query-parameter
 * `<set-query-parameter name="…" exists-action="override|skip|append|delete"><value>…</value>*</set-query-parameter>`
 * (inbound, backend): changes the query of the backend URL (`ctx.request.url`). Each `<value>` becomes one
 * `name=value` pair, so several values give the parameter several times (`a=1&a=2`), as APIM does.
 *
 * - `override` (the default): every existing `name` pair is removed, the values are added at the end.
 * - `skip`: nothing changes when the parameter is there; otherwise the values are added.
 * - `append`: the values are added after the existing pairs.
 * - `delete`: every `name` pair is removed (values, if any, are ignored).
 *
 * Names compare exactly (a URL's query is case-sensitive). Values are percent-encoded (a space as `%20`); the
 * other parameters keep the caller's encoding byte for byte. At least one `<value>` is needed unless the action
 * is `delete` (or computed per request).
 */
import { oneOf, onlyChildren, readAttributes, readText, str } from '../policy/attributes.ts';
import { definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { joinQuery, queryPiece, queryPieces, setBackendQuery } from './backend-url.ts';
import { textOf } from './message.ts';

const ACTIONS = ['override', 'skip', 'append', 'delete'] as const;
const MAX_VALUES = 100;

export const setQueryParameter = definePolicy({
  name: 'set-query-parameter',
  sections: ['inbound', 'backend'],
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        name: str({ required: true, expressions: true }),
        'exists-action': oneOf(ACTIONS, { expressions: true }),
      },
      cc,
    );
    onlyChildren(element, ['value']);
    if (element.children.length > MAX_VALUES) {
      throw new PolicyLoadError(
        element.children[MAX_VALUES]!.position,
        `more than ${MAX_VALUES} <value> elements`,
      );
    }
    const values = element.children.map((v) => {
      onlyChildren(v, []);
      return (
        readText(v, str({ expressions: true }), cc) ?? { kind: 'constant' as const, value: '', secret: false }
      );
    });
    if (a.name.kind === 'constant' && a.name.value === '') {
      throw new PolicyLoadError(
        element.valuePositions.get('name') ?? element.position,
        '<set-query-parameter> name is empty',
      );
    }
    const action = a['exists-action'];
    const constantAction =
      action === undefined ? 'override' : action.kind === 'constant' ? action.value : undefined;
    if (values.length === 0 && constantAction !== undefined && constantAction !== 'delete') {
      throw new PolicyLoadError(
        element.position,
        `<set-query-parameter> with exists-action="${constantAction}" needs at least one <value>`,
      );
    }
    return {
      run(ctx) {
        const view = () => cc.expressions(ctx);
        const name = textOf(a.name, ctx, cc);
        const act =
          constantAction ??
          (action?.kind === 'expression'
            ? (action.convert(action.expression.evaluate(view())) as (typeof ACTIONS)[number])
            : 'override');
        const pieces = queryPieces(ctx.request.url.search);
        const present = pieces.some((p) => p.name === name);
        if (act === 'skip' && present) return;
        const kept = act === 'append' ? pieces : pieces.filter((p) => p.name !== name);
        const added = act === 'delete' ? [] : values.map((v) => queryPiece(name, textOf(v, ctx, cc)));
        setBackendQuery(ctx, joinQuery([...kept, ...added]), 'set-query-parameter');
      },
    };
  },
});
