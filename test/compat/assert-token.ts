/**
 * @module test/compat/assert-token
 * The checks a resource server makes on a token a real client obtained: signature against Lanyard's JWKS (via
 * discovery), then the app-only claims Entra would put in it for this caller and this resource.
 */
import assert from 'node:assert/strict';
import type { JWTPayload } from 'jose';
import type { CompatServer } from './compat-server.ts';

export interface ExpectedToken {
  version: 1 | 2;
  /** v1: the identifier as requested; v2: the resource appId. */
  audience: string;
  /** The caller's client id (`appid` in v1, `azp` in v2). */
  clientId: string;
  /** The caller's service principal object id (`oid`, `sub`). */
  objectId: string;
  /** `appidacr`/`azpacr`: "1" secret, "2" certificate or federated assertion. */
  acr: '1' | '2';
  roles?: string[] | undefined;
}

export async function assertToken(s: CompatServer, token: string, e: ExpectedToken): Promise<JWTPayload> {
  const { payload, protectedHeader } = await s.verify(token, { version: e.version, audience: e.audience });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(typeof protectedHeader.kid, 'string');
  assert.equal(payload.tid, s.seed.tenantId);
  assert.equal(payload.oid, e.objectId);
  assert.equal(payload.sub, e.objectId);
  // idtyp is an optional claim: only api-x (whose v2 aud is its appId) asks for it in the compat seed.
  assert.equal(payload.idtyp, e.audience === s.seed.apiX.appId ? 'app' : undefined);
  assert.equal(payload.idp, e.version === 1 ? payload.iss : undefined, 'idp in v1 tokens only');
  if (e.version === 2) {
    assert.equal(payload.ver, '2.0');
    assert.equal(payload.azp, e.clientId);
    assert.equal(payload.azpacr, e.acr);
    assert.equal(payload.appid, undefined);
  } else {
    assert.equal(payload.ver, '1.0');
    assert.equal(payload.appid, e.clientId);
    assert.equal(payload.appidacr, e.acr);
    assert.equal(protectedHeader.x5t, protectedHeader.kid);
  }
  assert.deepEqual(payload.roles, e.roles);
  return payload;
}
