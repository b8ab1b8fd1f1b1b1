/**
 * @module bench/issuer/ceiling
 * The ceiling a token endpoint cannot beat on one core: how many RS256 signatures per second Node's crypto makes
 * with a 2048-bit key over a JWT-sized signing input, with nothing else going on. Run by run.ts in its own
 * process, pinned to the same core as the servers; prints one `BENCH_RESULT <json>` line with the rate (wall
 * clock) and the CPU time per signature (`process.cpuUsage()`: user + system of this process). On a shared core
 * the wall clock also counts the time other processes ran, so only the CPU figure compares with the servers'.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const seconds = Number(process.argv[2] ?? '5');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
// The shape and size of a Lanyard v2 app-only token's signing input (about 1 KB).
const now = Math.floor(Date.now() / 1000);
const signingInput = Buffer.from(
  `${b64({ alg: 'RS256', typ: 'JWT', kid: randomBytes(20).toString('base64url') })}.${b64({
    aud: '00000000-0000-0000-0000-000000000001',
    iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0',
    iat: now,
    nbf: now,
    exp: now + 3599,
    aio: randomBytes(36).toString('base64url'),
    idp: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0',
    idtyp: 'app',
    oid: '00000000-0000-0000-0000-000000000003',
    rh: `0.${randomBytes(48).toString('base64url')}.`,
    sub: '00000000-0000-0000-0000-000000000003',
    tid: '00000000-0000-0000-0000-000000000002',
    uti: randomBytes(16).toString('base64url'),
    ver: '2.0',
    roles: ['Data.Read'],
    azp: '00000000-0000-0000-0000-000000000004',
    azpacr: '1',
  })}`,
);

// Warm up (JIT, OpenSSL caches), then count signatures for the requested time.
for (let i = 0; i < 200; i++) sign('sha256', signingInput, privateKey);
let count = 0;
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const stopAt = started + BigInt(Math.round(seconds * 1e9));
let t = started;
while (t < stopAt) {
  for (let i = 0; i < 50; i++) sign('sha256', signingInput, privateKey);
  count += 50;
  t = process.hrtime.bigint();
}
const cpu = process.cpuUsage(cpuBefore);
const elapsed = Number(t - started) / 1e9;
const cpuUs = (cpu.user + cpu.system) / count;
process.stdout.write(
  `BENCH_RESULT ${JSON.stringify({ rps: count / elapsed, cpuUs, signatures: count, seconds: elapsed, inputBytes: signingInput.length })}\n`,
);
