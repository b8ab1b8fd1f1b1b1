/**
 * @module host/planes
 * The registry's planes, loaded (host/registry.ts lists them): what the host migrates, mounts and starts.
 * Importing this module loads every plane; the CLI imports it only once a command opens the runtime.
 */
import { collectMigrations, type Plane } from '../plane/contract.ts';
import { REGISTRY } from './registry.ts';

async function loadPlanes() {
  const planes = await Promise.all(REGISTRY.map((e) => e.load()));
  planes.forEach((plane, i) => {
    if (plane.name !== REGISTRY[i]!.name) {
      throw new TypeError(`The registry's line ${REGISTRY[i]!.name} loads the plane ${plane.name}.`);
    }
  });
  return planes;
}

/** In start order. host/start-host.ts checks at compile time that the runtime meets each plane's needs. */
export const PLANES = await loadPlanes();

/** Every plane's migrations, in name order: what opening a store runs. */
export const MIGRATIONS = collectMigrations(PLANES as readonly Plane<never>[]);
