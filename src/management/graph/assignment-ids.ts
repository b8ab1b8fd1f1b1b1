/**
 * @module management/graph/assignment-ids
 * Graph's app role assignment ids are opaque 43-character base64url strings, not GUIDs; the directory's are
 * GUIDs (what `lanyard role list` shows). Lanyard's Graph id is the base64url of 32 bytes: the principal's
 * object id then the directory's assignment id, each in the byte order .NET's `Guid.ToByteArray` uses, which
 * is how Graph's own ids begin with the principal. So one assignment has one Graph id, derived without storing
 * anything, and a Graph id leads back to the directory's row. A directory id is accepted where Graph takes an
 * id, too, so an id copied from `lanyard role list` works in a DELETE.
 */

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The 16 bytes of a GUID, first three groups little-endian (as .NET stores them). */
function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

function guidOf(bytes: Buffer): string {
  const b = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8, 16),
  ]).toString('hex');
  return `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`;
}

/** The Graph id of the directory's assignment `assignmentId` held by `principalId`. */
export function graphAssignmentId(principalId: string, assignmentId: string): string {
  return Buffer.concat([guidBytes(principalId), guidBytes(assignmentId)]).toString('base64url');
}

/** What a Graph id (or a directory id) names: the directory's assignment id, and the principal if it says. */
export function parseAssignmentId(
  id: string,
): { assignmentId: string; principalId: string | undefined } | undefined {
  if (GUID_RE.test(id)) return { assignmentId: id.toLowerCase(), principalId: undefined };
  if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 32) return undefined;
  return { principalId: guidOf(bytes.subarray(0, 16)), assignmentId: guidOf(bytes.subarray(16, 32)) };
}
