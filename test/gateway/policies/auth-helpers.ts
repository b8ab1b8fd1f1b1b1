/**
 * What the authentication policy tests share: a document with one inbound policy followed by a marker
 * (`X-Reached`), so a test sees whether the request would go on to the backend; the outcome of a run (status,
 * exact JSON body, LastError, the hint header, whether it went on); and load refusals with their positions.
 */
import assert from 'node:assert/strict';
import { PolicyLoadError } from '../../../src/gateway/policy/errors.ts';
import type { GatewayContext } from '../../../src/gateway/runtime/context.ts';
import {
  bodyText,
  compileDocuments,
  type HarnessOptions,
  type RequestInit,
  runPolicies,
} from '../policy-harness.ts';

export const MARK = '<set-header name="X-Reached"><value>yes</value></set-header>';

/** An API-scope document whose inbound is `policy` then the marker. */
export const inbound = (policy: string) => `<policies><inbound>${policy}${MARK}</inbound></policies>`;

export interface Outcome {
  /** Whether the policies after it ran (the request would go on to the backend). */
  wentOn: boolean;
  status: number | undefined;
  body: unknown;
  reason: string | undefined;
  source: string | undefined;
  hint: string | undefined;
  ctx: GatewayContext;
}

export async function run(policy: string, r: RequestInit = {}, o: HarnessOptions = {}): Promise<Outcome> {
  const ctx = await runPolicies({ api: inbound(policy) }, r, o);
  const text = bodyText(ctx);
  return {
    wentOn: ctx.request.headers.joined('x-reached') === 'yes' && ctx.lastError === undefined,
    status: ctx.response?.status,
    body: text === undefined ? undefined : JSON.parse(text),
    reason: ctx.lastError?.reason,
    source: ctx.lastError?.source,
    hint: ctx.response?.headers.joined('x-lanyard-hint'),
    ctx,
  };
}

/** Asserts a refusal: status, APIM's exact body, LastError.Reason, and that nothing after it ran. */
export function assertRefused(out: Outcome, status: number, message: string, reason: string): void {
  assert.equal(out.wentOn, false, 'the request must not go on');
  assert.equal(out.status, status);
  assert.deepEqual(out.body, { statusCode: status, message });
  assert.equal(out.reason, reason);
}

export function assertPassed(out: Outcome): void {
  assert.equal(
    out.wentOn,
    true,
    `expected to pass, got ${out.status} ${JSON.stringify(out.body)} ${out.reason} (${out.hint})`,
  );
  assert.equal(out.ctx.response, undefined);
}

/** Asserts compiling refuses with a PolicyLoadError matching `pattern` at `line:column` of api.xml. */
export function assertLoadRefused(
  policy: string,
  pattern: RegExp,
  at?: { line: number; column?: number },
  o: HarnessOptions = {},
): void {
  assert.throws(
    () => compileDocuments({ api: inbound(policy) }, o),
    (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError, String(err));
      assert.match(err.message, pattern);
      assert.equal(err.position.file, 'api.xml');
      if (at) {
        assert.equal(err.position.line, at.line);
        if (at.column !== undefined) assert.equal(err.position.column, at.column);
      }
      return true;
    },
  );
}
