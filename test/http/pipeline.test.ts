import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  definePipeline,
  endPipeline,
  newPipelineState,
  type PipelineContext,
  type Step,
} from '../../src/http/pipeline.ts';

interface Ctx extends PipelineContext {
  log: string[];
}

const ctx = (trace = false): Ctx => ({ pipeline: newPipelineState(trace), log: [] });
const step = (name: string, f?: (c: Ctx) => void | Promise<void>): Step<Ctx> => ({
  name,
  run(c) {
    c.log.push(name);
    return f?.(c);
  },
});

describe('pipeline', () => {
  it('runs inbound, backend and outbound in order, awaiting asynchronous steps', async () => {
    const p = definePipeline<Ctx>('t', {
      inbound: [step('a'), step('b', async () => new Promise((r) => setTimeout(r, 5)))],
      backend: [step('c')],
      outbound: [step('d')],
      onError: [step('e')],
    });
    const c = ctx(true);
    await p.run(c);
    assert.deepEqual(c.log, ['a', 'b', 'c', 'd']);
    assert.deepEqual(c.pipeline.trace, ['inbound/a', 'inbound/b', 'backend/c', 'outbound/d']);
    assert.equal(c.pipeline.error, undefined);
  });

  it('a throw anywhere skips the rest and runs on-error once, naming the step and phase', async () => {
    const boom = new Error('boom');
    const audit = step('audit');
    const p = definePipeline<Ctx>('t', {
      inbound: [
        step('a'),
        step('b', () => {
          throw boom;
        }),
        step('c'),
      ],
      backend: [step('sign')],
      outbound: [audit],
      onError: [audit, step('send-error')],
    });
    const c = ctx();
    await p.run(c);
    assert.deepEqual(c.log, ['a', 'b', 'audit', 'send-error']);
    assert.equal(c.pipeline.error, boom);
    assert.equal(c.pipeline.failedStep, 'b');
    assert.equal(c.pipeline.failedPhase, 'inbound');
  });

  it('a rejection in outbound also goes to on-error', async () => {
    const p = definePipeline<Ctx>('t', {
      outbound: [step('send', async () => Promise.reject(new Error('socket gone')))],
      onError: [step('e')],
    });
    const c = ctx();
    await p.run(c);
    assert.deepEqual(c.log, ['send', 'e']);
    assert.equal(c.pipeline.failedPhase, 'outbound');
  });

  it('endPipeline skips the rest of inbound and backend; outbound still runs', async () => {
    const p = definePipeline<Ctx>('t', {
      inbound: [step('cached', (c) => endPipeline(c)), step('parse')],
      backend: [step('sign')],
      outbound: [step('send')],
    });
    const c = ctx();
    await p.run(c);
    assert.deepEqual(c.log, ['cached', 'send']);
  });

  it('endPipeline in outbound is a programming error, handled by on-error', async () => {
    const p = definePipeline<Ctx>('t', {
      outbound: [step('late', (c) => endPipeline(c))],
      onError: [step('e')],
    });
    const c = ctx();
    await p.run(c);
    assert.ok(c.pipeline.error instanceof TypeError);
    assert.deepEqual(c.log, ['late', 'e']);
  });

  it('an on-error step that throws rejects the run', async () => {
    const p = definePipeline<Ctx>('t', {
      inbound: [
        step('a', () => {
          throw new Error('first');
        }),
      ],
      onError: [
        step('e', () => {
          throw new Error('second');
        }),
      ],
    });
    await assert.rejects(p.run(ctx()), /second/);
  });

  it('describes its steps, refuses unnamed or repeated steps, and cannot be changed after definition', () => {
    const inbound = [step('a'), step('b')];
    const p = definePipeline<Ctx>('t', { inbound, outbound: [step('a')] });
    inbound.push(step('c'));
    assert.deepEqual(p.describe(), { inbound: ['a', 'b'], backend: [], outbound: ['a'], 'on-error': [] });
    assert.throws(() => definePipeline<Ctx>('t', { inbound: [step('a'), step('a')] }), /step a twice/);
    assert.throws(
      () => definePipeline<Ctx>('t', { inbound: [{ name: '', run() {} }] }),
      /needs a name and a run function/,
    );
  });
});
