/**
 * @module directory/deps
 * What the directory plane takes from the host: its `Directory`, for the admin routes and the CLI nouns.
 * Declared here, as the plane needs it; the host's runtime satisfies it as it is.
 */
import type { Directory } from './directory.ts';

export interface DirectoryDeps {
  readonly directory: Directory;
}
