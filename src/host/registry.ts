/**
 * @module host/registry
 * The plane registry: every plane Lanyard runs, one line each, in the order the host starts them (and the
 * reverse of the order it stops them). Adding a plane is its folder plus one line here (docs/architecture.md).
 *
 * A line names the plane's CLI nouns, which every `lanyard` command registers and which therefore stay light,
 * and loads the plane itself only when asked (host/planes.ts), so `lanyard --help` does not load the store,
 * the listeners or the manifest schemas.
 */
import { consoleCommands } from '../console/cli/commands.ts';
import { directoryCommands } from '../directory/cli/commands.ts';
import { easyAuthCommands } from '../easyauth/cli/commands.ts';
import { flowsCommands } from '../flows/cli/commands.ts';
import { gatewayCommands } from '../gateway/cli/commands.ts';
import { identityCommands } from '../identity/cli/commands.ts';
import { issuerCommands } from '../issuer/cli/commands.ts';
import { managementCommands } from '../management/cli/commands.ts';
import type { PlaneEntry } from '../plane/contract.ts';
import { vaultCommands } from '../vault/cli/commands.ts';

/** Keeps each line's own `D` and `M` (the host checks them against its runtime when it loads the planes). */
const entry = <D, M>(e: PlaneEntry<D, M>): PlaneEntry<D, M> => e;

/** In start order. */
export const REGISTRY = [
  entry({
    name: 'directory',
    commands: directoryCommands,
    load: async () => (await import('../directory/plane.ts')).directoryPlane,
  }),
  entry({
    name: 'issuer',
    commands: issuerCommands,
    load: async () => (await import('../issuer/plane.ts')).issuerPlane,
  }),
  entry({
    name: 'identity',
    commands: identityCommands,
    load: async () => (await import('../identity/plane.ts')).identityPlane,
  }),
  entry({
    name: 'management',
    commands: managementCommands,
    load: async () => (await import('../management/plane.ts')).managementPlane,
  }),
  entry({
    name: 'vault',
    commands: vaultCommands,
    load: async () => (await import('../vault/plane.ts')).vaultPlane,
  }),
  entry({
    name: 'easyauth',
    commands: easyAuthCommands,
    load: async () => (await import('../easyauth/plane.ts')).easyAuthPlane,
  }),
  entry({
    name: 'gateway',
    commands: gatewayCommands,
    load: async () => (await import('../gateway/plane.ts')).gatewayPlane,
  }),
  // Last: its jobs call what the others serve.
  entry({
    name: 'flows',
    commands: flowsCommands,
    load: async () => (await import('../flows/plane.ts')).flowsPlane,
  }),
  // The console shows what all the others hold.
  entry({
    name: 'console',
    commands: consoleCommands,
    load: async () => (await import('../console/plane.ts')).consolePlane,
  }),
] as const;
