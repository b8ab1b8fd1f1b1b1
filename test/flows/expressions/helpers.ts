/** Shared by the expression tests: evaluate a string against a small fixed run, or get its failure. */
import assert from 'node:assert/strict';
import {
  type ContextData,
  compileValue,
  createContext,
  type ExpressionContext,
  ExpressionEvaluationError,
  ExpressionSyntaxError,
  evaluateValue,
  type JsonValue,
} from '../../../src/flows/expressions/index.ts';

/** 2018-04-15T13:00:00Z, the "now" of Azure's utcNow() examples. */
export const NOW = Date.UTC(2018, 3, 15, 13, 0, 0);
export const GUID = 'c2ecc88d-88c8-4096-912c-d6f2e2b138ce';

export function sampleData(): ContextData {
  return {
    trigger: {
      name: 'manual',
      startTime: '2018-04-15T12:59:59.1234567Z',
      outputs: {
        headers: { 'Content-Type': 'application/json' },
        body: { name: 'Sophia Owen', age: 42, address: null, tags: ['a', 'b'], empty: [] },
      },
      status: 'Succeeded',
    },
    actions: {
      Get_user: {
        name: 'Get_user',
        status: 'Succeeded',
        outputs: { statusCode: 200, headers: {}, body: { FullName: 'Contoso Corporation', Id: 283541717 } },
      },
      No_outputs: { name: 'No_outputs', status: 'Succeeded' },
    },
    parameters: { age: 42, customerName: 'Sophia', items: [1, 2, 3], flag: true },
    variables: { counter: 20, text: 'abc' },
    workflow: {
      name: 'wf',
      type: 'Microsoft.Logic/workflows',
      run: { name: '08586676746934337772206998657CU22' },
      tags: {},
    },
    now: () => NOW,
    newGuid: () => GUID,
  };
}

export function sample(extra: Partial<ContextData> = {}): ExpressionContext {
  return createContext({ ...sampleData(), ...extra });
}

export function run(value: JsonValue, ctx: ExpressionContext = sample()): JsonValue {
  return evaluateValue(compileValue(value), ctx);
}

/** The inner message (Azure's text) of the run-time failure of `value`. */
export function failure(value: JsonValue, ctx: ExpressionContext = sample()): string {
  const compiled = compileValue(value);
  try {
    evaluateValue(compiled, ctx);
  } catch (e) {
    assert.ok(e instanceof ExpressionEvaluationError, `not an evaluation error: ${e}`);
    assert.equal(e.code, 'ERR_FLOW_EXPRESSION_EVALUATION');
    assert.equal(e.azureCode, 'InvalidTemplate');
    return e.inner;
  }
  assert.fail(`${JSON.stringify(value)} evaluated without failing`);
}

/** The save-time error of `value`. */
export function refusal(value: JsonValue): ExpressionSyntaxError {
  try {
    compileValue(value);
  } catch (e) {
    assert.ok(e instanceof ExpressionSyntaxError, `not a syntax error: ${e}`);
    assert.equal(e.code, 'ERR_FLOW_EXPRESSION');
    return e;
  }
  assert.fail(`${JSON.stringify(value)} compiled`);
}
