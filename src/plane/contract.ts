/**
 * @module plane/contract
 * What a plane is to the host. Each plane folder (directory, issuer, identity, easyauth; next gateway,
 * management, vault, flows, console) exports one `Plane` from its `plane.ts`, and `src/host/registry.ts` lists
 * them, in order, one `PlaneEntry` each: the plane's CLI nouns and a loader (`host/planes.ts` loads them).
 * The host iterates that list to migrate the store, mount routes on the main listener, start the planes' own
 * listeners and react to changes; nothing in the host names a plane's internals. docs/architecture.md shows
 * how to add one.
 *
 * `D` is what the plane needs from the host, declared by the plane itself (e.g. `EasyAuthDeps`); the host's
 * runtime satisfies every plane's `D` as it is, so a plane never imports the host. `M` is the handle its
 * manifest section plans and applies through: the host's choice (its Directory, bound to apply's transaction).
 */
import type { Command } from 'commander';
import type { Migration } from 'kysely';
import type { ListenerLimits } from '../http/listener.ts';
import type { Logger } from '../http/logger.ts';
import type { RouteGroup } from '../http/route-group.ts';
import type { ManifestSection } from '../manifest/section.ts';
import type { AdminAuthenticator, AdminRoutes } from './admin-kit.ts';
import type { CliKit } from './cli-kit.ts';

/** What the host passes when it starts a plane's listeners. */
export interface StartContext {
  readonly logger: Logger;
  /** Overrides of the listener limits, for every listener the plane starts (tests shorten them). */
  readonly limits?: Partial<ListenerLimits> | undefined;
  /** Settings given on the command line or by the caller; each plane reads its own. */
  readonly settings: HostSettings;
  /** The main listener's URL (the issuer's origin), e.g. `https://localhost:8443`; undefined when none runs. */
  readonly mainUrl?: string | undefined;
}

/** The host's settings that planes read; every one optional. */
export interface HostSettings {
  /** Port of the managed-identity endpoint (0: a free one). */
  readonly identityPort?: number | undefined;
  /** Requests per second per workload at the managed-identity endpoint (0: unlimited; benches). */
  readonly identityRateLimit?: number | undefined;
  /** Replaces an Easy Auth front's upstream (the demo starts its example apps on free ports). */
  readonly easyAuthUpstream?: ((tenantId: string, resourceName: string) => string | undefined) | undefined;
  /**
   * Replaces a gateway API's service URL (the demo points an API at an Easy Auth front or an example app on a
   * free port); read when the gateway is compiled.
   */
  readonly gatewayServiceUrl?:
    | ((tenantId: string, gateway: string, api: string) => string | undefined)
    | undefined;
}

/** One listener a running plane serves, as `lanyard status` shows it. */
export interface RunningListener {
  /** What it is, e.g. `managed-identity` or `easyauth`. */
  readonly kind: string;
  /** Which one, e.g. the app resource an Easy Auth front protects. */
  readonly name: string;
  /** Where callers reach it. */
  readonly url: string;
  /** Where it forwards accepted requests, for a front. */
  readonly upstream?: string | undefined;
}

/** A running part of a plane: one listener or several, with what `lanyard up` prints about it. */
export interface Started {
  /** Lines for people, e.g. `managed-identity endpoint: http://127.0.0.1:41741/msi/token`. */
  readonly lines: readonly string[];
  /** Facts other parts need (written to `server.json`), e.g. `{ identityEndpoint: … }`. */
  readonly info?: Readonly<Record<string, string>> | undefined;
  /**
   * The listeners it serves now, for `server.json` and `lanyard status`; asked again after each change it
   * applies, since a plane may start or stop listeners while running (Easy Auth's fronts).
   */
  listeners?(): readonly RunningListener[];
  /** Called when a change the plane subscribed to was committed (`Plane.watches`). */
  changed?(topic: string): Promise<void>;
  close(): Promise<void>;
}

export interface Plane<D = unknown, M = unknown> {
  /** Folder name, audit `plane` value and change-feed topic, e.g. `easyauth`. */
  readonly name: string;
  /** One line: what the plane owns. */
  readonly owns: string;
  /**
   * The plane's migrations, keyed by their stable names (`NNNN-<what>`). The host runs every plane's
   * together, in name order; a released name is never renamed or edited.
   */
  readonly migrations?: Readonly<Record<string, Migration>>;
  /** The audit actions the plane records (shown in docs and filters). */
  readonly auditActions?: readonly string[];
  /** Route groups the plane serves on the main HTTPS listener. */
  routes?(deps: D): readonly RouteGroup[];
  /** Starts the plane's own listeners (after the main listener); `undefined` when it has none. */
  start?(deps: D, ctx: StartContext): Promise<Started | undefined>;
  /** Change-feed topics whose commits the running plane applies without a restart (`Started.changed`). */
  readonly watches?: readonly string[];
  /** Its routes of the admin API (`/admin/…`, admin token required; plane/admin-kit.ts). */
  admin?(routes: AdminRoutes<D>): void;
  /**
   * Another credential the admin API accepts besides the admin token (the console's session cookie), asked
   * before routing for requests without an Authorization header (plane/admin-kit.ts, `AdminAuthenticator`).
   */
  adminAuth?(deps: D): AdminAuthenticator;
  /**
   * Its part of `lanyard.yaml`: where it sits, schema, checks, reading and planning (manifest/section.ts); a
   * plane with several keys (the flows plane's `runbooks:` and `workflows:`) lists its sections in order.
   */
  readonly manifest?: ManifestSection<M> | readonly ManifestSection<M>[] | undefined;
}

/**
 * A plane as the registry (host/registry.ts) lists it: its name, its nouns of the `lanyard` CLI and how to load
 * the plane. The nouns are registered on the root program for every command, so their module stays light (it
 * imports a heavy module inside the action that needs it, never at the top); the plane itself, its migrations,
 * routes, listeners and manifest section, loads only when a command opens the runtime or the host starts.
 */
export interface PlaneEntry<D = unknown, M = unknown> {
  /** The plane's name; the loaded plane must carry the same. */
  readonly name: string;
  /** Its nouns and verbs of the `lanyard` CLI, registered on the root program (plane/cli-kit.ts). */
  commands?(program: Command, kit: CliKit<D>): void;
  /** Imports the plane (`<plane>/plane.ts`). */
  load(): Promise<Plane<D, M>>;
}

/** Every plane's migrations in one map, in name order; refuses two planes claiming one name. */
export function collectMigrations(planes: readonly Plane<never>[]): Record<string, Migration> {
  const all: [string, Migration][] = [];
  const owner = new Map<string, string>();
  for (const plane of planes) {
    for (const [name, migration] of Object.entries(plane.migrations ?? {})) {
      const other = owner.get(name);
      if (other) throw new TypeError(`Migration ${name} is declared by both ${other} and ${plane.name}.`);
      owner.set(name, plane.name);
      all.push([name, migration]);
    }
  }
  all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(all);
}
