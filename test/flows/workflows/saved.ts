/**
 * @module test/flows/workflows/saved
 * Workflows and run records for the tests of workflows at rest (store, callback URLs, manifest, admin API,
 * CLI): a Request-triggered workflow whose Http action uses the system-assigned identity, as the Consumption
 * code view exports it, and a run record of the shape the engine writes.
 */
import type { RunRecord, RunStatus } from '../../../src/flows/workflows/records.ts';

export const SCHEMA =
  'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#';

/**
 * A definition: `manual` (Request, POST, relative path when given) → Call (Http, MSI) → Reply (Response); or
 * `hourly` (Recurrence) → Call.
 */
export function definition(
  o: { identity?: string; relativePath?: string; method?: string; recurrence?: boolean } = {},
): Record<string, unknown> {
  const trigger = o.recurrence
    ? { type: 'Recurrence', recurrence: { frequency: 'Hour', interval: 1 } }
    : {
        type: 'Request',
        kind: 'Http',
        inputs: {
          schema: {},
          ...(o.method ? { method: o.method } : {}),
          ...(o.relativePath ? { relativePath: o.relativePath } : {}),
        },
      };
  return {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: {
      baseUrl: { type: 'String', defaultValue: 'https://example.invalid' },
      apiKey: { type: 'SecureString', defaultValue: '' },
    },
    triggers: { [o.recurrence ? 'hourly' : 'manual']: trigger },
    actions: {
      Call: {
        runAfter: {},
        type: 'Http',
        inputs: {
          method: 'GET',
          uri: "@{parameters('baseUrl')}/api/status",
          headers: { 'x-api-key': "@parameters('apiKey')" },
          authentication: {
            type: 'ManagedServiceIdentity',
            audience: 'api://get-creds',
            ...(o.identity ? { identity: o.identity } : {}),
          },
        },
      },
      // A Response answers a Request trigger only.
      ...(o.recurrence
        ? {}
        : {
            Reply: {
              runAfter: { Call: ['Succeeded'] },
              type: 'Response',
              kind: 'Http',
              inputs: { statusCode: 200, body: "@body('Call')" },
            },
          }),
    },
    outputs: {},
  };
}

/** The code view (`{ definition, parameters }`) as JSON text. */
export function codeView(
  o: Parameters<typeof definition>[0] = {},
  baseUrl = 'https://api.localhost',
): string {
  return JSON.stringify(
    {
      definition: definition(o),
      parameters: { baseUrl: { value: baseUrl }, apiKey: { value: 'k3y-value-not-shown' } },
    },
    null,
    2,
  );
}

/** A run id: 20 digits, CU, 2 digits. */
export const runName = (n: number): string =>
  `${(8584999999999999999n - BigInt(n)).toString().padStart(20, '0')}CU${String(n % 100).padStart(2, '0')}`;

export function runRecord(
  w: { tenantId: string; resourceId: string; name: string; version: string },
  name: string,
  startTime: string,
  status: RunStatus = 'Running',
): RunRecord {
  return {
    name,
    tenantId: w.tenantId,
    resourceId: w.resourceId,
    workflow: w.name,
    version: w.version,
    status,
    startTime,
    ...(status === 'Running' ? {} : { endTime: startTime }),
    correlation: { clientTrackingId: name },
    trigger: {
      name: 'manual',
      type: 'Request',
      startTime,
      endTime: startTime,
      status: 'Succeeded',
      code: 'OK',
      correlation: { clientTrackingId: name },
    },
    actions: [
      {
        name: 'Call',
        type: 'Http',
        path: 'actions.Call',
        status: status === 'Running' ? 'Running' : 'Succeeded',
        code: status === 'Running' ? '' : 'OK',
        startTime,
        trackingId: `${name}-call`,
        correlation: { actionTrackingId: `${name}-call`, clientTrackingId: name },
      },
    ],
    outputs: {},
  };
}
