/**
 * @module host/manifest
 * `lanyard.yaml` as the registry makes it: every plane's manifest section (`Plane.manifest`) composed, in
 * registry order, with the host's Directory as the handle each section reads and writes through (bound to
 * apply's one transaction; a plane's steps use its `db` for their own tables). `lanyard plan|apply`,
 * `lanyard up -f` and the demo use these functions; `manifestOf` is how they are made, for tests that add a
 * plane of their own.
 */
import type { Directory } from '../directory/directory.ts';
import type { DirectoryManifest } from '../directory/manifest/schema.ts';
import { composeManifest } from '../manifest/compose.ts';
import type { DeclaredManifest, ManifestSection } from '../manifest/section.ts';
import type { Plan, PlanOptions } from '../manifest/types.ts';
import type { Plane } from '../plane/contract.ts';
import { PLANES } from './planes.ts';

export { formatPending, formatPlan } from '../manifest/format.ts';
export type { Plan, PlanChange, PlanObject, PlanOptions, PlanPending } from '../manifest/types.ts';

/**
 * A loaded manifest, typed as the directory (the base section) declares it; the keys other sections add
 * (`easyAuth` on resources, a tenant's `gateways`) are there too, each read by its own section.
 */
export type Manifest = DirectoryManifest;

export interface HostManifest {
  /** The composed schema: the directory's tenant and resource with every plane's keys. */
  readonly schema: ReturnType<typeof composeManifest<Directory>>['schema'];
  /** Parses manifest text; `fileName` is what errors name. Every failure names `file:line:column key.path`. */
  parseManifest(text: string, fileName?: string): Manifest;
  /** Reads and checks a manifest file (at most 1 MiB). */
  loadManifest(file: string): Promise<Manifest>;
  /** What apply would change; reads only. */
  planManifest(directory: Directory, manifest: Manifest, options?: PlanOptions): Promise<Plan>;
  /** Makes the store match the manifest in one transaction; returns the plan carried out. */
  applyManifest(directory: Directory, manifest: Manifest, options?: PlanOptions): Promise<Plan>;
}

/** The manifest of these planes, in their order (the directory's section is the base). */
export function manifestOf(planes: readonly Plane<never, Directory>[]): HostManifest {
  const sections: ManifestSection<Directory>[] = planes.flatMap((p) =>
    p.manifest === undefined ? [] : 'place' in p.manifest ? [p.manifest] : [...p.manifest],
  );
  const composed = composeManifest<Directory>(sections);
  const declared = (m: Manifest) => m as unknown as DeclaredManifest;
  const typed = (m: DeclaredManifest) => m as unknown as Manifest;
  return {
    schema: composed.schema,
    parseManifest: (text, fileName) => typed(composed.parse(text, fileName)),
    loadManifest: async (file) => typed(await composed.load(file)),
    planManifest: async (directory, manifest, options) =>
      (await composed.plan(directory, declared(manifest), options)).plan,
    applyManifest: (directory, manifest, options) =>
      composed.apply((fn) => directory.transaction(fn), declared(manifest), options),
  };
}

const REGISTERED = manifestOf(PLANES);

/** The manifest schema of the registered planes (tests walk it; docs/manifest.md documents every key). */
export const manifestSchema = REGISTERED.schema;
export const { parseManifest, loadManifest, planManifest, applyManifest } = REGISTERED;
