/**
 * @module gateway/policies/trace
 * `<trace source="…" severity="verbose|information|error"><message>…</message><metadata name value/>*</trace>`
 * (every section): adds an entry to the request's trace — only when the request is traced (`ctx.trace`);
 * otherwise nothing is evaluated. The entry's source is the attribute, its message the `<message>` text or
 * expression, its data the severity (default `verbose`) and the metadata as name → value (both may be
 * expressions). A value built from a secret named value is masked (`***`) in the entry. Message and values are
 * cut at 8 KiB each.
 */
import { oneOf, onlyChildren, readAttributes, readText, str } from '../policy/attributes.ts';
import { ALL_SECTIONS, definePolicy } from '../policy/contract.ts';
import { PolicyLoadError } from '../policy/errors.ts';
import { traceStep } from '../runtime/context.ts';
import { textOf } from './message.ts';

const MAX_TEXT = 8 * 1024;
const MAX_METADATA = 50;

export const trace = definePolicy({
  name: 'trace',
  sections: ALL_SECTIONS,
  compile(element, cc) {
    const a = readAttributes(
      element,
      {
        source: str({ required: true }),
        severity: oneOf(['verbose', 'information', 'error'] as const),
      },
      cc,
    );
    onlyChildren(element, ['message', 'metadata']);
    const messages = element.children.filter((c) => c.name === 'message');
    if (messages.length === 0) throw new PolicyLoadError(element.position, '<trace> needs a <message>');
    if (messages.length > 1)
      throw new PolicyLoadError(messages[1]!.position, '<trace> holds <message> twice');
    const messageEl = messages[0]!;
    readAttributes(messageEl, {}, cc);
    onlyChildren(messageEl, []);
    const message = readText(messageEl, str({ expressions: true }), cc) ?? {
      kind: 'constant' as const,
      value: '',
      secret: false,
    };
    const metadataEls = element.children.filter((c) => c.name === 'metadata');
    if (metadataEls.length > MAX_METADATA) {
      throw new PolicyLoadError(
        metadataEls[MAX_METADATA]!.position,
        `<trace> holds more than ${MAX_METADATA} <metadata>`,
      );
    }
    const metadata = metadataEls.map((m) => {
      onlyChildren(m, []);
      return readAttributes(
        m,
        {
          name: str({ required: true, expressions: true }),
          value: str({ required: true, expressions: true }),
        },
        cc,
      );
    });
    const source = a.source.kind === 'constant' ? a.source.value : '';
    const severity = a.severity?.kind === 'constant' ? a.severity.value : 'verbose';
    const shown = (d: typeof message, ctx: Parameters<typeof textOf>[1]) =>
      d.secret ? '***' : textOf(d, ctx, cc).slice(0, MAX_TEXT);
    return {
      run(ctx) {
        if (!ctx.trace) return;
        const data: Record<string, unknown> = { severity };
        if (metadata.length > 0) {
          data.metadata = Object.fromEntries(metadata.map((m) => [shown(m.name, ctx), shown(m.value, ctx)]));
        }
        traceStep(ctx, source, shown(message, ctx), data);
      },
    };
  },
});
