/**
 * @module host/listener-defaults
 * Where the main listener binds unless told otherwise. Apart from main-listener.ts so that the CLI can show
 * the defaults in `--help` without loading the TLS and certificate code.
 */
export const DEFAULT_PORT = 8443;
export const DEFAULT_HOST = 'localhost';
