/**
 * @module audit/tables
 * The audit trail's table, as Kysely sees it: one row per event, written by the audit log's writers and read
 * by `AuditLog.list`. No other folder names it in a query. (It was created by the issuer's migration
 * `0002-issuer`, released before tables had owners; the migration stays as it is.)
 */
import type { Selectable } from 'kysely';

export interface AuditEventsTable {
  id: string;
  at: string;
  plane: string;
  action: string;
  outcome: 'success' | 'failure';
  tenant_id: string | null;
  actor: string | null;
  target: string | null;
  reason: string | null;
  /** A JSON object. */
  details: string;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
}

export type AuditEventRow = Selectable<AuditEventsTable>;
