/**
 * The masker hides tokens, a job's workload secret and secure values in text and inside JSON, keeps the rest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, Masker } from '../../src/flows/masking.ts';

const TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly94In0.c2lnbmF0dXJlLXBhcnQtd2l0aC1lbm91Z2gtYnl0ZXM';

describe('masking', () => {
  it('hides a JWT wherever it stands, and nothing else', () => {
    const m = new Masker();
    assert.equal(
      m.text(`{"access_token":"${TOKEN}","expires_in":"86399"}`),
      `{"access_token":"${MASK}","expires_in":"86399"}`,
    );
    assert.equal(m.text(`Authorization: Bearer ${TOKEN}`), `Authorization: Bearer ${MASK}`);
    assert.equal(m.text('status 200, body {"ok":true}'), 'status 200, body {"ok":true}');
  });

  it('hides given values, the longer first, and ignores values too short to mask', () => {
    const m = new Masker(['s3cret-value', 's3cret-value-and-more', 'ab']);
    assert.equal(m.text('a s3cret-value-and-more b s3cret-value c'), `a ${MASK} b ${MASK} c`);
    assert.equal(m.text('ab stays'), 'ab stays');
    assert.equal(m.with(['another-one']).text('another-one'), MASK);
  });

  it('masks every string inside a JSON value and keeps its shape', () => {
    const m = new Masker(['hunter22']);
    assert.deepEqual(m.json({ a: ['x', 'pw=hunter22'], b: { t: TOKEN, n: 3, z: null } }), {
      a: ['x', `pw=${MASK}`],
      b: { t: MASK, n: 3, z: null },
    });
  });
});
