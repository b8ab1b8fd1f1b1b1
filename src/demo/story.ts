/**
 * @module demo/story
 * What every seed story of the demo is given and gives back: a way to start `lanyard` commands on the demo's
 * data folder (as a user's shell would, with this Node), where to say what happened, and whether it went as the
 * seed says Azure behaves.
 */
import { LANYARD_BIN, runToEnd } from './processes.ts';

export interface StoryContext {
  /** The environment of every child: LANYARD_DATA_DIR, LANYARD_TENANT (and LANYARD_STORE when given). */
  readonly env: NodeJS.ProcessEnv;
  /** The local CA's certificate (what curl needs for the fronts). */
  readonly caPath: string;
  /** Prints one line of the story. */
  say(line: string): void;
}

export interface StoryResult {
  /** True when every step ended as the seed says it does in Azure. */
  ok: boolean;
  /** What did not, in words. */
  problems: string[];
}

/** `lanyard …args` as a user runs it; never rejects. */
export function lanyard(ctx: Pick<StoryContext, 'env'>, args: readonly string[], timeoutMs = 30_000) {
  return runToEnd(process.execPath, [LANYARD_BIN, ...args], { env: ctx.env, timeoutMs });
}

/** The argv that runs a program under `lanyard run --as <resource>`. */
export function lanyardRunArgv(resource: string): string[] {
  return [process.execPath, LANYARD_BIN, 'run', '--as', resource, '--'];
}

/** Collects expectations: `check(cond, why)` records `why` when `cond` is false. */
export function expectations(): { check(cond: boolean, why: string): boolean; result(): StoryResult } {
  const problems: string[] = [];
  return {
    check(cond, why) {
      if (!cond) problems.push(why);
      return cond;
    },
    result: () => ({ ok: problems.length === 0, problems }),
  };
}

/** A short form of an id for sentences: the first 8 characters and an ellipsis. */
export const short = (id: string | null | undefined): string => (id ? `${id.slice(0, 8)}…` : '(none)');
