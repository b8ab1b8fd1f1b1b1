/**
 * @module identity/deps
 * What the managed-identity plane takes from the host: the managed-identity service and the audit log for its
 * endpoint, and for its CLI commands (`run`, `workload`, `token`) the workload store, the directory, the
 * signing keys (made ready before a program starts) and the data folder and envelope (for the local CA).
 * Declared here, as the plane needs it; the host's runtime satisfies it as it is.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Directory } from '../directory/directory.ts';
import type { KeyManager } from '../issuer/signing-keys.ts';
import type { ManagedIdentityService } from './mi-service.ts';
import type { WorkloadStore } from './workloads.ts';

export interface IdentityDeps {
  readonly identity: ManagedIdentityService;
  readonly audit: AuditLog;
  readonly workloads: WorkloadStore;
  readonly directory: Directory;
  readonly keys: Pick<KeyManager, 'ensureReady'>;
  readonly dataDir: string;
  readonly envelope: Envelope;
}
