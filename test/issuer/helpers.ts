/**
 * @module test/issuer/helpers
 * What the issuer tests share: a small directory (a tenant, a client app with a secret, v1 and v2 resource apps,
 * one that requires assignment, a user-assigned identity), token requests as form posts over the harness's
 * HTTPS, and one check for every refusal — Entra's error shape, no token, exactly one `issuer token.refuse`
 * audit event with the AADSTS reason, and the presented secret nowhere in the audit trail or the log.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject, webcrypto } from 'node:crypto';
import https from 'node:https';
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import type { StoredAuditEvent } from '../../src/audit/audit-log.ts';
import { type CertificateBundle, createSelfSignedCertificate } from '../../src/crypto/local-ca.ts';
import type { Runtime } from '../../src/host/runtime.ts';
import type { Reply, TestServer } from '../host/harness.ts';

export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';

export interface Seed {
  tenantId: string;
  client: { appId: string; spId: string; secret: string; name: string };
  v1: { appId: string; uri: string; name: string };
  v2: { appId: string; uri: string; name: string };
  locked: { appId: string; uri: string; name: string };
  identity: { clientId: string; principalId: string; name: string };
}

/** A tenant `contoso` with the apps every token test needs. */
export async function seedDirectory(runtime: Runtime): Promise<Seed> {
  const d = runtime.directory;
  const tenant = await d.createTenant({ name: 'contoso', domains: [TENANT_DOMAIN] });
  const client = await d.createApp('contoso', { name: 'caller', displayName: 'Caller' });
  const secret = await d.addClientSecret('contoso', 'caller', { displayName: 'test' });
  const v1 = await d.createApp('contoso', {
    name: 'orders',
    displayName: 'Orders API',
    identifierUris: ['api://orders'],
    appRoles: [
      { value: 'Orders.Read', allowedMemberTypes: ['Application'] },
      { value: 'Orders.Write', allowedMemberTypes: ['Application'] },
      { value: 'Orders.Admin', allowedMemberTypes: ['User'] },
    ],
  });
  const v2 = await d.createApp('contoso', {
    name: 'billing',
    displayName: 'Billing API',
    identifierUris: ['api://billing'],
    accessTokenAcceptedVersion: 2,
    appRoles: [{ value: 'Billing.Read', allowedMemberTypes: ['Application'] }],
  });
  const locked = await d.createApp('contoso', {
    name: 'vault-api',
    displayName: 'Locked API',
    identifierUris: ['api://locked'],
    appRoleAssignmentRequired: true,
    appRoles: [{ value: 'Locked.Call', allowedMemberTypes: ['Application'] }],
  });
  await d.assignRole('contoso', { principal: 'app:caller', app: 'orders', role: 'Orders.Read' });
  await d.assignRole('contoso', { principal: 'app:caller', app: 'billing', role: 'Billing.Read' });
  const identity = await d.createIdentity('contoso', { name: 'mi-worker' });
  return {
    tenantId: tenant.id,
    client: {
      appId: client.appId,
      spId: client.servicePrincipalId,
      secret: secret.secretText,
      name: 'caller',
    },
    v1: { appId: v1.appId, uri: 'api://orders', name: 'orders' },
    v2: { appId: v2.appId, uri: 'api://billing', name: 'billing' },
    locked: { appId: locked.appId, uri: 'api://locked', name: 'vault-api' },
    identity: { clientId: identity.clientId, principalId: identity.principalId, name: 'mi-worker' },
  };
}

export interface FormOptions {
  headers?: Record<string, string>;
  /** Appended to the path as is, e.g. `?client-request-id=…`. */
  query?: string;
}

/** POSTs a form to a token endpoint, as MSAL does (no admin token). */
export function postForm(
  t: TestServer,
  path: string,
  params: Record<string, string> | [string, string][] | string,
  options: FormOptions = {},
): Promise<Reply> {
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  return t.call('POST', `${path}${options.query ?? ''}`, {
    token: null,
    rawBody: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...options.headers },
  });
}

/**
 * A request with headers the harness's client would not send as given (a Host of our choosing), optionally from
 * another loopback address: node:https, the TLS name still checked as `localhost`.
 */
export function rawRequest(
  t: TestServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  /** The client's loopback address (e.g. 127.0.0.2), for what the server counts per source address. */
  localAddress?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: t.server.port,
        ...(localAddress === undefined ? {} : { localAddress }),
        method,
        path,
        ca: t.ca,
        servername: 'localhost',
        agent: false,
        headers,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Verifies a token against the JWKS the discovery document of `tenant` (v1 or v2) points at. */
export async function verifyViaDiscovery(
  t: TestServer,
  token: string,
  tenant: string,
  version: 1 | 2,
): Promise<{ payload: JWTPayload; header: ReturnType<typeof decodeProtectedHeader> }> {
  const docPath =
    version === 2
      ? `/${tenant}/v2.0/.well-known/openid-configuration`
      : `/${tenant}/.well-known/openid-configuration`;
  const doc = await t.call('GET', docPath, { token: null });
  assert.equal(doc.status, 200);
  const jwksUrl = new URL(doc.json.jwks_uri as string);
  assert.equal(jwksUrl.origin, t.server.url);
  const jwks = await t.call('GET', jwksUrl.pathname, { token: null });
  assert.equal(jwks.status, 200);
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.json), { algorithms: ['RS256'] });
  return { payload, header: decodeProtectedHeader(token) };
}

export async function issuerEvents(t: TestServer): Promise<StoredAuditEvent[]> {
  return t.runtime.audit.list({ plane: 'issuer', limit: 1000 });
}

export interface RefusalExpectation {
  status: number;
  error: string;
  code: number;
  /** A credential the request presented: it must appear in no audit row and no log line. */
  secret?: string | undefined;
  /** Text the description must contain. */
  mentions?: readonly string[] | undefined;
}

/**
 * Runs `request` and checks it was refused as Entra would refuse it, that no token was issued, and that
 * exactly one refusal was audited with the AADSTS code as its reason.
 */
export async function expectRefusal(
  t: TestServer,
  request: () => Promise<Reply>,
  expected: RefusalExpectation,
): Promise<Reply & { event: StoredAuditEvent }> {
  const before = new Set((await issuerEvents(t)).map((e) => e.id));
  const logsBefore = t.logs.length;
  const reply = await request();
  const label = `AADSTS${expected.code}`;
  assert.equal(reply.status, expected.status, `${label}: status (body ${reply.text})`);
  const body = reply.json;
  assert.ok(body && typeof body === 'object', `${label}: a JSON body`);
  assert.equal(body.error, expected.error, `${label}: error`);
  assert.deepEqual(body.error_codes, [expected.code], `${label}: error_codes`);
  const description = body.error_description as string;
  assert.ok(
    description.startsWith(`${label}: `),
    `${label}: description starts with the code: ${description}`,
  );
  assert.match(
    description,
    /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [^\r\n]+\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
  );
  assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.match(body.trace_id, /^[0-9a-f-]{36}$/);
  assert.equal(typeof body.correlation_id, 'string');
  assert.equal(body.error_uri, `https://login.microsoftonline.com/error?code=${expected.code}`);
  for (const m of expected.mentions ?? [])
    assert.ok(description.includes(m), `${label}: mentions ${m}: ${description}`);
  assert.equal(body.access_token, undefined, `${label}: no token in the body`);
  assert.ok(!reply.text.includes('eyJ'), `${label}: nothing JWT-like in the body`);

  const events = await issuerEvents(t);
  const fresh = events.filter((e) => !before.has(e.id));
  assert.equal(fresh.filter((e) => e.action === 'token.issue').length, 0, `${label}: no token.issue event`);
  assert.equal(fresh.length, 1, `${label}: exactly one new issuer event: ${JSON.stringify(fresh)}`);
  const event = fresh[0]!;
  assert.equal(event.action, 'token.refuse');
  assert.equal(event.outcome, 'failure');
  assert.equal(event.reason, label);
  if (expected.secret !== undefined) {
    assert.ok(!JSON.stringify(events).includes(expected.secret), `${label}: the secret is in no audit row`);
    assert.ok(!t.logs.join('\n').includes(expected.secret), `${label}: the secret is in no log line`);
  }
  const newLogs = t.logs.slice(logsBefore).map((l) => JSON.parse(l) as { audit?: StoredAuditEvent });
  assert.ok(
    newLogs.some((l) => l.audit?.id === event.id),
    `${label}: the audit event is also a log line`,
  );
  return { ...reply, event };
}

/** Checks a success: one `token.issue` event appeared, naming the kid the token carries. */
export async function expectIssued(
  t: TestServer,
  request: () => Promise<Reply>,
): Promise<Reply & { event: StoredAuditEvent }> {
  const before = new Set((await issuerEvents(t)).map((e) => e.id));
  const reply = await request();
  assert.equal(reply.status, 200, `token request failed: ${reply.text}`);
  assert.equal(typeof reply.json.access_token, 'string');
  const fresh = (await issuerEvents(t)).filter((e) => !before.has(e.id));
  assert.equal(fresh.length, 1, `one new issuer event: ${JSON.stringify(fresh)}`);
  const event = fresh[0]!;
  assert.equal(event.action, 'token.issue');
  assert.equal(event.outcome, 'success');
  assert.equal(event.details?.kid, decodeProtectedHeader(reply.json.access_token).kid);
  assert.ok(!JSON.stringify(event).includes(reply.json.access_token), 'the token is not audited');
  assert.ok(!t.logs.join('\n').includes(reply.json.access_token), 'the token is not logged');
  return { ...reply, event };
}

export interface RsaCredential {
  cert: CertificateBundle;
  /** The same private key, usable for RS256 and PS256. */
  key: KeyObject;
}

/** A self-signed RSA-2048 certificate and its private key: a client's certificate credential, or a test IdP's. */
export async function rsaCredential(cn: string): Promise<RsaCredential> {
  const keys = (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as webcrypto.CryptoKeyPair;
  const cert = await createSelfSignedCertificate({ subjectCn: cn, keys, days: 30 });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { cert, key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
}
