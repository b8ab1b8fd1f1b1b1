/**
 * Callback URLs as Logic Apps writes them: the URL and `listCallbackUrl` answer of a Request trigger (`sp`
 * percent-encoded in the URL only, the signature 43 base64url characters of HMAC-SHA256 over
 * `<workflowId>\n<sp>\n<sv>`, a relative path with its parameters, the trigger's method); refused for a
 * Recurrence trigger and an unknown one; and the signature check, with each reason it refuses for.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadWorkflow } from '../../../src/flows/definition/load.ts';
import {
  CALLBACK_API_VERSION,
  type CallbackWorkflow,
  callbackOrigin,
  callbackUrl,
  DEFAULT_CALLBACK_ORIGIN,
  listCallbackUrl,
  signCallback,
  verifySignature,
} from '../../../src/flows/workflows/callback.ts';
import { tempDir } from '../../helpers/stores.ts';
import { definition } from './saved.ts';

const ID = '0f3c9a4e5b6d47e8a9b0c1d2e3f4a5b6';
const KEYS = { primary: 'primary-key-for-tests', secondary: 'secondary-key-for-tests' };
const ORIGIN = 'https://localhost:8443';

const workflow = (o: Parameters<typeof definition>[0] = {}): CallbackWorkflow => ({
  name: 'report-flow',
  workflowId: ID,
  definition: loadWorkflow(definition(o)).definition,
});

const code = (err: unknown) => (err as { code?: string }).code;

describe('callback URLs', () => {
  it("writes Azure's URL, signed with the key over the workflow id, sp and sv", () => {
    const url = callbackUrl(ORIGIN, workflow(), 'manual', KEYS.primary);
    const expected = createHmac('sha256', KEYS.primary)
      .update(`${ID}\n/triggers/manual/run\n1.0`)
      .digest('base64')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    assert.equal(
      url,
      `${ORIGIN}/workflows/${ID}/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${expected}`,
    );
    assert.equal(expected.length, 43);
    assert.equal(signCallback(KEYS.primary, ID, '/triggers/manual/run'), expected);
    const u = new URL(url);
    assert.equal(u.searchParams.get('sp'), '/triggers/manual/run');
  });

  it("answers listCallbackUrl as Azure does, with the trigger's method and relative path", () => {
    const plain = listCallbackUrl(`${ORIGIN}/`, workflow(), 'MANUAL', KEYS.secondary);
    assert.deepEqual(plain, {
      value: `${ORIGIN}/workflows/${ID}/triggers/manual/paths/invoke?api-version=${CALLBACK_API_VERSION}&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${plain.queries.sig}`,
      method: 'POST',
      basePath: `${ORIGIN}/workflows/${ID}/triggers/manual/paths/invoke`,
      queries: {
        'api-version': '2016-10-01',
        sp: '/triggers/manual/run',
        sv: '1.0',
        sig: signCallback(KEYS.secondary, ID, '/triggers/manual/run'),
      },
    });
    const withPath = listCallbackUrl(
      ORIGIN,
      workflow({ relativePath: '/customers/{customerId}/orders/{orderId}', method: 'GET' }),
      'manual',
      KEYS.primary,
    );
    assert.equal(withPath.method, 'GET');
    assert.equal(withPath.relativePath, 'customers/{customerId}/orders/{orderId}');
    assert.deepEqual(withPath.relativePathParameters, ['customerId', 'orderId']);
    assert.equal(withPath.basePath, `${ORIGIN}/workflows/${ID}/triggers/manual/paths/invoke`);
    assert.ok(
      withPath.value.startsWith(`${withPath.basePath}/customers/{customerId}/orders/{orderId}?api-version=`),
      withPath.value,
    );
    // The signature does not cover the path: the same as without one.
    assert.equal(withPath.queries.sig, signCallback(KEYS.primary, ID, '/triggers/manual/run'));
  });

  it('refuses a Recurrence trigger and a trigger the workflow does not have', () => {
    assert.throws(
      () => callbackUrl(ORIGIN, workflow({ recurrence: true }), 'hourly', KEYS.primary),
      (err: unknown) => {
        assert.equal(code(err), 'ERR_VALIDATION');
        assert.match(
          (err as Error).message,
          /hourly .* is a Recurrence trigger; only Request triggers have a callback URL/,
        );
        return true;
      },
    );
    assert.throws(
      () => callbackUrl(ORIGIN, workflow(), 'other', KEYS.primary),
      (err: unknown) =>
        code(err) === 'ERR_NOT_FOUND' && /Its triggers: manual/.test((err as { hint: string }).hint),
    );
  });

  it('checks signatures against both keys and says why it refuses one', () => {
    const url = new URL(callbackUrl(ORIGIN, workflow(), 'manual', KEYS.primary));
    const q = url.searchParams;
    assert.deepEqual(verifySignature(ID, q, KEYS, 'manual'), { ok: true, keyType: 'Primary' });
    assert.deepEqual(verifySignature(ID, q, { ...KEYS, primary: 'x' }, 'manual'), {
      ok: false,
      reason: 'wrong-signature',
      message:
        'The signature is not valid for this workflow: the URL was changed, or its key was regenerated.',
    });
    const reason = (query: URLSearchParams | Record<string, string | undefined>, trigger = 'manual') => {
      const r = verifySignature(ID, query, KEYS, trigger);
      return r.ok ? 'ok' : r.reason;
    };
    const without = (name: string) => {
      const c = new URLSearchParams(q);
      c.delete(name);
      return c;
    };
    const with_ = (name: string, value: string) => {
      const c = new URLSearchParams(q);
      c.set(name, value);
      return c;
    };
    assert.equal(reason(without('sig')), 'missing-signature');
    assert.equal(reason(without('sp')), 'missing-signature');
    assert.equal(reason(with_('sv', '2.0')), 'unsupported-version');
    assert.equal(reason(q, 'other'), 'other-trigger');
    assert.equal(reason(with_('sig', `${q.get('sig')}x`)), 'wrong-signature');
    assert.equal(reason(with_('sig', '')), 'missing-signature');
    // Another workflow's id: the same query is not valid there.
    assert.equal(verifySignature('1'.repeat(32), q, KEYS, 'manual').ok, false);
    // A plain object, parameter names in any case.
    assert.equal(reason({ SP: q.get('sp')!, Sv: '1.0', SIG: q.get('sig')! }), 'ok');
    // The trigger name is matched without case, as Logic Apps matches it.
    assert.equal(reason(q, 'Manual'), 'ok');
  });

  it("takes the origin from a running server's server.json, else the default", () => {
    const dir = tempDir();
    try {
      assert.equal(callbackOrigin(dir), DEFAULT_CALLBACK_ORIGIN);
      fs.writeFileSync(
        path.join(dir, 'server.json'),
        JSON.stringify({ url: 'https://localhost:9443/', identityEndpoint: '', pid: 1 }),
      );
      assert.equal(callbackOrigin(dir), 'https://localhost:9443');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
