/**
 * @module errors/codes
 * Every stable error code with its HTTP status. A code without a status does not compile; a code missing
 * from docs/errors.md fails test/errors/catalogue.test.ts. Codes are never reused once retired.
 */
export const ERROR_CODES = {
  // Input and generic
  ERR_VALIDATION: { status: 400, summary: 'The input does not satisfy the schema or a directory rule.' },
  ERR_NOT_FOUND: { status: 404, summary: 'The named object does not exist.' },
  ERR_CONFLICT: { status: 409, summary: 'The object would clash with one that already exists.' },
  ERR_IN_USE: { status: 409, summary: 'The object is still referenced by another object.' },
  ERR_READ_ONLY: { status: 409, summary: 'The object is managed by Lanyard and cannot be changed that way.' },
  ERR_INTERNAL: { status: 500, summary: 'An unexpected failure inside Lanyard.' },

  // Store
  ERR_STORE_CONFIG: { status: 500, summary: 'The store location or connection string is not usable.' },
  ERR_STORE_SCHEMA_NEWER: {
    status: 500,
    summary: 'The database was migrated by a newer Lanyard than this one.',
  },
  ERR_STORE_MIGRATION: { status: 500, summary: 'A schema migration failed; nothing was changed.' },

  // Crypto and data folder
  ERR_MASTER_KEY: { status: 500, summary: 'The master key is missing, malformed or has unsafe permissions.' },
  ERR_DECRYPT: { status: 500, summary: 'An encrypted record could not be decrypted with the master key.' },
  ERR_LOCAL_CA: {
    status: 500,
    summary: 'The local certificate authority in the data folder is incomplete, unreadable or expired.',
  },
  ERR_SIGNING: {
    status: 500,
    summary: 'A token could not be signed: a signing thread failed, or Lanyard is shutting down.',
  },

  // Admin API
  ERR_ADMIN_UNAUTHORIZED: { status: 401, summary: 'The admin API was called without a valid admin token.' },
  ERR_ADMIN_ROUTE: { status: 404, summary: 'No admin API route matches the method and path.' },
  ERR_ADMIN_METHOD: { status: 405, summary: 'The admin API route exists but not for this HTTP method.' },
  ERR_ADMIN_TOKEN: {
    status: 500,
    summary: 'The admin token (LANYARD_ADMIN_TOKEN or the admin.token file) is unusable or unsafe.',
  },
  ERR_ADMIN_READ_ONLY: {
    status: 403,
    summary: 'A read-only console session or token called an admin API route that changes Lanyard.',
  },
  ERR_ADMIN_CSRF: {
    status: 403,
    summary: "A console session's write lacked its CSRF token, or came from another origin.",
  },
  ERR_REQUEST_TOO_LARGE: { status: 413, summary: 'The request body is larger than the limit.' },
  ERR_BAD_JSON: { status: 400, summary: 'The request body is not valid JSON.' },

  // Manifest
  ERR_MANIFEST_SYNTAX: { status: 400, summary: 'The manifest is not valid YAML.' },
  ERR_MANIFEST_SCHEMA: { status: 400, summary: 'The manifest does not match the schema.' },
  ERR_MANIFEST_REFERENCE: { status: 400, summary: 'The manifest refers to an object it does not declare.' },
  ERR_MANIFEST_FILE: { status: 400, summary: 'The manifest file cannot be read.' },

  // CLI / server
  ERR_USAGE: { status: 400, summary: 'The command line is not valid.' },
  ERR_LISTEN: { status: 500, summary: 'A listener could not be opened.' },
  ERR_OVERLOADED: { status: 503, summary: 'The listener has as many open connections as it serves at once.' },

  // Console
  ERR_CONSOLE_SIGNIN: {
    status: 401,
    summary:
      'The token given to sign in to the console is neither the admin token nor a live read-only token.',
  },
  ERR_CONSOLE_SESSION: { status: 401, summary: 'The console session is missing, expired or signed out.' },
  ERR_CONSOLE_THROTTLED: { status: 429, summary: 'Too many failed console sign-ins from this address.' },

  // Gateway (API Management policies)
  ERR_GATEWAY_POLICY: {
    status: 400,
    summary: 'A policy document is malformed, or uses an unknown policy, attribute or value.',
  },
  ERR_GATEWAY_POLICY_RUNTIME: {
    status: 500,
    summary: 'A policy failed while a request was being processed.',
  },
  ERR_GATEWAY_POLICY_EXPRESSION: {
    status: 400,
    summary: 'A policy expression is malformed or uses C# the gateway does not support.',
  },
  ERR_GATEWAY_EXPRESSION_EVALUATION: {
    status: 500,
    summary: 'A policy expression failed while a request was being processed.',
  },
  ERR_GATEWAY_COUNTERS: {
    status: 500,
    summary: 'The rate-limit and quota counters (Redis) are unreachable or their settings are not valid.',
  },

  // Azure RBAC (management plane)
  ERR_RBAC_SCOPE: {
    status: 400,
    summary: 'An ARM scope id is malformed or of a kind Lanyard does not support.',
  },
  ERR_RBAC_ACTION: {
    status: 400,
    summary: 'An operation string or a role permission pattern is malformed.',
  },
  ERR_RBAC_ROLE_DEFINITION: {
    status: 400,
    summary: 'A role definition is malformed (GUID, name, assignable scopes, permissions or a condition).',
  },
  ERR_RBAC_ASSIGNMENT: {
    status: 400,
    summary: 'A role assignment cannot be made: unknown role, scope not assignable, or a condition.',
  },
  ERR_RBAC_ASSIGNMENT_EXISTS: {
    status: 409,
    summary: 'The principal already holds that role at that scope under another assignment.',
  },

  // Vault (Key Vault secrets)
  ERR_VAULT_BAD_PARAMETER: {
    status: 400,
    summary:
      'A secret name, version, attribute, tag, content type or vault setting is malformed or out of bounds.',
  },
  ERR_VAULT_VALUE_TOO_LARGE: { status: 413, summary: 'A secret value is larger than 25 KB.' },
  ERR_VAULT_SECRET_NOT_FOUND: { status: 404, summary: 'The secret, or that version of it, does not exist.' },
  ERR_VAULT_DELETED_SECRET_NOT_FOUND: {
    status: 404,
    summary: 'No deleted secret of that name is recoverable.',
  },
  ERR_VAULT_SECRET_DELETED: {
    status: 409,
    summary: 'The secret is deleted but recoverable: its name can only be recovered or purged.',
  },
  ERR_VAULT_SECRET_EXISTS: { status: 409, summary: 'A restore names a secret that already exists.' },
  ERR_VAULT_SECRET_DISABLED: {
    status: 403,
    summary: 'The secret version is disabled: its value cannot be read.',
  },
  ERR_VAULT_PURGE_PROTECTED: {
    status: 403,
    summary: 'Purge protection keeps the deleted secret until its retention period ends.',
  },
  ERR_VAULT_BACKUP_INVALID: {
    status: 400,
    summary:
      'A secret backup is malformed, altered, or sealed under a master key this Lanyard does not hold.',
  },

  // Flows (Logic Apps workflows)
  ERR_FLOW_EXPRESSION: {
    status: 400,
    summary: 'A workflow expression is malformed, too large, or calls a function that does not exist.',
  },
  ERR_FLOW_EXPRESSION_EVALUATION: {
    status: 400,
    summary: "A workflow expression failed while a run evaluated it (Azure's InvalidTemplate).",
  },
  ERR_FLOW_DEFINITION: {
    status: 400,
    summary:
      'A workflow definition is malformed, breaks a rule of the definition language, or exceeds a bound.',
  },
  ERR_FLOW_UNSUPPORTED: {
    status: 400,
    summary: 'A workflow uses a trigger, action, authentication or option Lanyard does not run.',
  },
  ERR_FLOW_SCHEDULE: {
    status: 400,
    summary: 'A Recurrence, NCRONTAB or TimeSpan schedule, or its time zone, is malformed or out of bounds.',
  },

  // Flows (Automation runbooks)
  ERR_FLOW_RUNBOOK: {
    status: 400,
    summary: 'A runbook is malformed: its name, command, variables or timeout.',
  },
  ERR_FLOW_JOB_RUNNING: {
    status: 409,
    summary: 'A job of the runbook is still running; one job of a runbook runs at a time.',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
