/**
 * @module gateway/policies/choose
 * `<choose><when condition="@(…)">…</when>+<otherwise>…</otherwise>?</choose>`: runs the policies of the first
 * `when` whose condition is true, else those of `otherwise`. Conditions are expressions (or a constant
 * true/false); the inner policies follow the rules of the section the `choose` stands in.
 */
import { bool, onlyChildren, readAttributes, resolve } from '../policy/attributes.ts';
import { ALL_SECTIONS, type CompiledPolicy, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';

export const choose = definePolicy({
  name: 'choose',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    readAttributes(element, {}, cc);
    onlyChildren(element, ['when', 'otherwise']);
    const whens = element.children.filter((c) => c.name === 'when');
    const otherwise = element.children.filter((c) => c.name === 'otherwise');
    if (whens.length === 0) {
      throw new PolicyLoadError(element.position, '<choose> needs at least one <when condition="…">');
    }
    if (otherwise.length > 1) throw new PolicyLoadError(otherwise[1]!.position, '<otherwise> appears twice');
    const last = element.children.at(-1);
    if (otherwise.length === 1 && last !== otherwise[0]) {
      throw new PolicyLoadError(otherwise[0]!.position, '<otherwise> must come after every <when>');
    }
    const branches = whens.map((w) => ({
      condition: readAttributes(w, { condition: bool({ required: true, expressions: true }) }, cc).condition,
      body: cc.compileBlock(w.children),
    }));
    if (otherwise[0]) readAttributes(otherwise[0], {}, cc);
    const fallback: CompiledPolicy | undefined = otherwise[0]
      ? cc.compileBlock(otherwise[0].children)
      : undefined;
    return {
      run(ctx) {
        const view = () => cc.expressions(ctx);
        for (const b of branches) if (resolve(b.condition, view)) return b.body.run(ctx);
        return fallback?.run(ctx);
      },
    };
  },
});
