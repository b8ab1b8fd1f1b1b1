/**
 * @module manifest/format
 * A plan as a person reads it, in the manner of terraform: one line per change (`+ create`, `~ update` with
 * its field changes indented, `- delete`), the objects the manifest does not manage, and a summary line.
 * What is left to a person (`pending`) is apart, as warnings: the CLI prints them on stderr, so the plan on
 * stdout reads the same whether or not a secret has been set.
 */
import type { Plan, PlanAction, PlanChange, PlanObject, PlanPending } from './types.ts';

const SYMBOL: Record<PlanAction, string> = { create: '+', update: '~', delete: '-' };

const where = (o: PlanObject): string => (o.kind === 'tenant' ? o.name : `${o.tenant}/${o.name}`);

function changeLines(change: PlanChange): string[] {
  const head = `${SYMBOL[change.action]} ${change.action} ${change.kind} ${where(change)}`;
  return [head, ...(change.changes ?? []).map((c) => `    ${c}`)];
}

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const change of plan.changes) out.push(...changeLines(change));
  if (plan.notManaged.length > 0) {
    if (out.length > 0) out.push('');
    out.push('Not managed (in the store but not in the manifest; apply with --prune to delete them):');
    for (const o of plan.notManaged) out.push(`  ${o.kind} ${where(o)}`);
  }
  if (out.length > 0) out.push('');
  const { create, update, delete: del } = plan.summary;
  if (plan.changes.length === 0) out.push('No changes. The directory matches the manifest.');
  else if (plan.applied) out.push(`Apply complete: ${create} created, ${update} updated, ${del} deleted.`);
  else out.push(`Plan: ${create} to create, ${update} to update, ${del} to delete.`);
  return out.join('\n');
}

/** The plan's pending items as `warning:` lines, each followed by its command, indented. */
export function formatPending(pending: readonly PlanPending[]): string[] {
  return pending.flatMap((p) => [
    `warning: ${p.kind} ${where(p)}: ${p.note}`,
    ...(p.command ? [`  ${p.command}`] : []),
  ]);
}
