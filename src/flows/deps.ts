/**
 * @module flows/deps
 * What the flows plane takes from the host: what starting a program with a resource's identity needs (the
 * managed-identity service, workloads, the directory, signing keys, the data folder and envelope for the CA —
 * identity/deps.ts), and the audit log. Declared here, as the plane needs it; the host's runtime satisfies it.
 */
import type { IdentityDeps } from '../identity/deps.ts';

export type FlowsDeps = IdentityDeps;
