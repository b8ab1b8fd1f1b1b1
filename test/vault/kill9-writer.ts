/**
 * @module test/vault/kill9-writer
 * The child process of kill9.test.ts: opens the runtime the way `lanyard up` does (data folder, store
 * location), then runs WRITERS concurrent writers through the vault's write batcher, each writing its own
 * secrets over and over, and prints `ack <name> <version> <seq>` once a write's promise has resolved — after
 * its COMMIT. It runs until killed (or for at most 30 s). Values follow from run, name and seq (`expectedValue`), so
 * the test can check each one it saw acknowledged.
 *
 *   node test/vault/kill9-writer.ts <dataDir> <storeLocation> <run> [writers]
 */
import { openRuntime } from '../../src/host/runtime.ts';
import { createWriteBatcher } from '../../src/vault/group-commit.ts';
import { resolveVault, setSecret } from '../../src/vault/store.ts';

export const SECRETS_PER_WRITER = 3;

export const secretName = (writer: number, seq: number) => `w${writer}-s${seq % SECRETS_PER_WRITER}`;

/** Sizes vary (0–~900 bytes of padding) so WAL frames and pages vary too. */
export const expectedValue = (run: number, name: string, seq: number) =>
  `${run}|${name}|${seq}|${'x'.repeat((seq * 97 + run * 13) % 900)}`;

async function main(): Promise<void> {
  const [dataDir, store, runArg, writersArg] = process.argv.slice(2);
  if (!dataDir || !store || !runArg)
    throw new Error('usage: kill9-writer.ts <dataDir> <store> <run> [writers]');
  const run = Number(runArg);
  const writers = Number(writersArg ?? 32);
  const runtime = await openRuntime({ dataDir, store, env: {}, signingThreads: 0, warn: () => {} });
  const vault = await resolveVault(runtime.directory, 'contoso', 'kv');
  const batcher = createWriteBatcher(runtime.directory);
  setTimeout(() => process.exit(3), 30_000).unref();
  process.stdout.write('ready\n');
  const writer = async (w: number) => {
    for (let seq = 0; ; seq++) {
      const name = secretName(w, seq);
      const written = await batcher.run((t) =>
        setSecret(t, vault, name, { value: expectedValue(run, name, seq) }),
      );
      // stdout is a pipe: written synchronously on Linux, so a line printed is a line the test can read.
      process.stdout.write(`ack ${name} ${written.version} ${seq}\n`);
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
}

if (import.meta.main) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
