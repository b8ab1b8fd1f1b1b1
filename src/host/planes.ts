/**
 * @module host/planes
 * The plane registry: every plane Lanyard runs, in the order the host starts them (and the reverse of the
 * order it stops them). Adding a plane is its folder plus one line here (docs/architecture.md).
 */
import { directoryPlane } from '../directory/plane.ts';
import { easyAuthPlane } from '../easyauth/plane.ts';
import { identityPlane } from '../identity/plane.ts';
import { issuerPlane } from '../issuer/plane.ts';
import { collectMigrations, type Plane } from '../plane/contract.ts';

/** In start order. host/start-host.ts checks at compile time that the runtime meets each plane's needs. */
export const PLANES = [directoryPlane, issuerPlane, identityPlane, easyAuthPlane] as const;

/** Every plane's migrations, in name order: what opening a store runs. */
export const MIGRATIONS = collectMigrations(PLANES as readonly Plane<never>[]);
