/**
 * @module manifest/section
 * A plane's part of `lanyard.yaml`. (Being reshaped: the manifest framework — load, source positions, plan
 * types, apply — knows no plane; each plane declares its section and the host composes them.)
 */

// biome-ignore lint/correctness/noUnusedVariables: D is the plane's dependencies, used by the full section type
export interface ManifestSection<D> {
  /** The key it owns: of each tenant (`gateways`) or of each resource (`easyAuth`). */
  readonly key: string;
}
