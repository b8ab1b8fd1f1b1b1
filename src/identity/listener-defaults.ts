/**
 * @module identity/listener-defaults
 * The managed-identity endpoint's default port, apart from the listener so the commands that show it in
 * their help (`up`, `demo`, `workload issue`) do not load the HTTP stack for every `lanyard` start.
 */
export const DEFAULT_IDENTITY_PORT = 41741;
