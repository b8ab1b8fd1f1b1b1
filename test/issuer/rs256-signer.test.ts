import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createRs256Signer, signingThreadsFromEnv } from '../../src/issuer/rs256-signer.ts';

const keyA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyB = generateKeyPairSync('rsa', { modulusLength: 2048 });

const verifies = (input: string, signature: string, publicKey: KeyObject) =>
  verify('sha256', Buffer.from(input, 'ascii'), publicKey, Buffer.from(signature, 'base64url'));

const inputs = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `eyJhbGciOiJSUzI1NiJ9.${tag}-${i}`);

for (const threads of [0, 2]) {
  describe(`RS256 signer, ${threads === 0 ? 'on the event loop' : `${threads} signing threads`}`, () => {
    it('signs every request of one turn, each with its own key, in batches', async () => {
      const signer = createRs256Signer({ threads, maxBatch: 8 });
      try {
        assert.equal(signer.mode, threads === 0 ? 'inline' : 'threads');
        const a = inputs(20, 'a');
        const b = inputs(6, 'b');
        // Interleaved keys, as during a rotation: a batch never mixes keys.
        const jobs = [...a.map((i) => ['a', i] as const), ...b.map((i) => ['b', i] as const)].sort(() =>
          Math.random() < 0.5 ? -1 : 1,
        );
        const signatures = await Promise.all(
          jobs.map(([k, input]) =>
            signer.sign(input, k === 'a' ? 'kid-a' : 'kid-b', k === 'a' ? keyA.privateKey : keyB.privateKey),
          ),
        );
        jobs.forEach(([k, input], i) => {
          assert.ok(verifies(input, signatures[i]!, k === 'a' ? keyA.publicKey : keyB.publicKey), input);
          assert.ok(!verifies(input, signatures[i]!, k === 'a' ? keyB.publicKey : keyA.publicKey));
        });
        assert.equal(signer.stats.signatures, 26);
        // Gathered: fewer batches than signatures, none over 8.
        assert.ok(signer.stats.batches >= 4 && signer.stats.batches < 26, `batches: ${signer.stats.batches}`);
        // Later requests reuse the key the thread already holds.
        const late = 'eyJhbGciOiJSUzI1NiJ9.late';
        assert.ok(verifies(late, await signer.sign(late, 'kid-a', keyA.privateKey), keyA.publicKey));
      } finally {
        await signer.close();
      }
    });

    it('refuses one request whose key cannot sign, and signs the others of its batch', async () => {
      const signer = createRs256Signer({ threads });
      try {
        const good = signer.sign('x.good', 'kid-a', keyA.privateKey);
        // A public key cannot sign: that request alone fails, with a stable code.
        const bad = signer.sign('x.bad', 'kid-pub', keyB.publicKey);
        await assert.rejects(bad, (err: Error & { code?: string }) => {
          assert.equal(err.code, 'ERR_SIGNING');
          assert.match(err.message, /could not be signed/);
          return true;
        });
        assert.ok(verifies('x.good', await good, keyA.publicKey));
      } finally {
        await signer.close();
      }
    });

    it('signs what is queued before close resolves, and refuses requests after it', async () => {
      const signer = createRs256Signer({ threads });
      const pending = inputs(10, 'c').map((i) => signer.sign(i, 'kid-a', keyA.privateKey));
      await signer.close();
      const signatures = await Promise.all(pending);
      assert.equal(signatures.length, 10);
      await assert.rejects(signer.sign('x.late', 'kid-a', keyA.privateKey), /the signer is closed/);
    });
  });
}

describe('RS256 signer: a signing thread that dies', () => {
  const failing = new URL('./fixtures/failing-sign-worker.ts', import.meta.url);
  for (const how of ['exit', 'throw'] as const) {
    it(`refuses the batch in flight when its thread ${how === 'exit' ? 'exits' : 'throws'}, then signs on a new thread`, async () => {
      const signer = createRs256Signer({ threads: 1, workerScript: failing });
      try {
        const ok = await signer.sign('x.before', 'kid-a', keyA.privateKey);
        assert.ok(verifies('x.before', ok, keyA.publicKey));
        // One batch: both requests go down with the thread.
        const doomed = [
          signer.sign(`${how}:now`, 'kid-a', keyA.privateKey),
          signer.sign('x.same', 'kid-a', keyA.privateKey),
        ];
        for (const p of doomed) {
          await assert.rejects(p, (err: Error & { code?: string }) => {
            assert.equal(err.code, 'ERR_SIGNING');
            assert.match(
              err.message,
              how === 'exit' ? /exited with code 3/ : /failed \(the signing thread broke\)/,
            );
            return true;
          });
        }
        // A new thread takes over, and is given the key again.
        const after = await signer.sign('x.after', 'kid-a', keyA.privateKey);
        assert.ok(verifies('x.after', after, keyA.publicKey));
      } finally {
        await signer.close();
      }
    });
  }
});

describe('RS256 signer threads and the process lifetime', () => {
  const run = (code: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 20_000,
    });

  it('keeps the process alive while a signature is in flight, and lets it exit once idle (no close needed)', () => {
    const result = run(`
      import { generateKeyPairSync } from 'node:crypto';
      import { createRs256Signer } from './src/issuer/rs256-signer.ts';
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const signer = createRs256Signer({ threads: 1 });
      // Nothing else holds the event loop open: only the thread with work in flight may.
      signer.sign('a.b', 'k', privateKey).then((s) => console.log('signed', s.length));
    `);
    assert.equal(result.signal, null, 'the process exited by itself (no timeout)');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^signed 342$/m);
  });
});

describe('LANYARD_SIGNING_THREADS', () => {
  it('is a whole number from 0 to 4, or unset', () => {
    assert.equal(signingThreadsFromEnv({}), undefined);
    assert.equal(signingThreadsFromEnv({ LANYARD_SIGNING_THREADS: '' }), undefined);
    assert.equal(signingThreadsFromEnv({ LANYARD_SIGNING_THREADS: '0' }), 0);
    assert.equal(signingThreadsFromEnv({ LANYARD_SIGNING_THREADS: '3' }), 3);
    for (const bad of ['5', '-1', '1.5', 'two']) {
      assert.throws(
        () => signingThreadsFromEnv({ LANYARD_SIGNING_THREADS: bad }),
        (err: Error & { code?: string }) => err.code === 'ERR_VALIDATION' && /0 to 4/.test(err.message),
        bad,
      );
    }
  });
});
