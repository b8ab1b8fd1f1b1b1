/**
 * @module test/helpers/runtime
 * A whole Runtime on a store of its own (see stores.ts): a fresh data folder, the store of `kind` in it, and a
 * cleanup that closes the runtime, drops the store and removes the folder.
 */
import fs from 'node:fs';
import { openRuntime, type Runtime } from '../../src/host/runtime.ts';
import type { StoreDialect } from '../../src/store/open-store.ts';
import { tempDir, testLocation } from './stores.ts';

export async function openTestRuntime(
  kind: StoreDialect,
): Promise<{ runtime: Runtime; cleanup: () => Promise<void> }> {
  const dataDir = tempDir();
  const { location, drop } = testLocation(kind, dataDir);
  const runtime = await openRuntime({ dataDir, store: location, env: {} });
  return {
    runtime,
    cleanup: async () => {
      await runtime.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
