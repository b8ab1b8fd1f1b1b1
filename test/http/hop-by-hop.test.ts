import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOP_BY_HOP, namedByConnection } from '../../src/http/hop-by-hop.ts';

describe('hop-by-hop headers', () => {
  it('lists the connection-level headers', () => {
    for (const h of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
      assert.ok(HOP_BY_HOP.has(h));
    assert.equal(HOP_BY_HOP.has('authorization'), false);
  });

  it('reads the names a Connection header lists, in any case and spacing, from one value or several', () => {
    assert.equal(namedByConnection(undefined), undefined);
    assert.equal(namedByConnection('keep-alive'), undefined);
    assert.equal(namedByConnection('close'), undefined);
    assert.deepEqual(
      [...namedByConnection(' Keep-Alive ,X-Secret,, x-other ')!],
      ['keep-alive', 'x-secret', 'x-other'],
    );
    assert.deepEqual([...namedByConnection(['close', 'X-A'])!], ['close', 'x-a']);
  });
});
