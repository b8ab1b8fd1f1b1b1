/**
 * @module test/adversarial/oidc-issuer
 * A real https OpenID issuer for the tests of DiscoveryKeySource and of an Easy Auth front configured with a
 * foreign `openIdIssuer`: a discovery document and a JWKS served on 127.0.0.1 with a certificate from a
 * Lanyard local CA, keys it can sign with, and switches to misbehave (outage, redirect, HTML, oversized or
 * hostile key sets). Every request is recorded, so a test can assert how often keys were fetched — and, used
 * as a sinkhole, that a token's `jku`/`x5u` made no outbound request at all.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LocalCa } from '../../src/crypto/local-ca.ts';
import { attackerEc, attackerRsa, signJwt } from './forge.ts';

export interface Hit {
  method: string;
  host: string;
  path: string;
}

export interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

/** How the JWKS endpoint answers: the normal key set, or something hostile. */
export type JwksMode =
  | { kind: 'keys' }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string }
  | { kind: 'body'; body: string; contentType?: string | undefined };

export interface TestIssuer {
  origin: string;
  /** `${origin}/tenant-x`: the issuer string its tokens carry and its discovery document names. */
  issuer: string;
  hits: Hit[];
  /** Requests whose path starts with `prefix` (all when omitted). */
  count(prefix?: string): number;
  jwksCount(): number;
  keys: IssuerKey[];
  addRsaKey(kid?: string, bits?: number): IssuerKey;
  addEcKey(kid?: string): IssuerKey;
  removeKey(kid: string): void;
  /** Extra raw JWK entries published after the real ones (hostile entries). */
  extraJwks: Record<string, unknown>[];
  jwksMode: JwksMode;
  /** Overrides fields of the discovery document (issuer, jwks_uri …). */
  discoveryOverride: Record<string, unknown>;
  /** A token signed by one of its keys, `iss` = its issuer. */
  sign(claims: Record<string, unknown>, key?: IssuerKey, header?: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startOidcIssuer(ca: LocalCa, tenantPath = 'tenant-x'): Promise<TestIssuer> {
  const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const hits: Hit[] = [];
  const keys: IssuerKey[] = [];
  let origin = '';
  const state = {
    jwksMode: { kind: 'keys' } as JwksMode,
    discoveryOverride: {} as Record<string, unknown>,
    extraJwks: [] as Record<string, unknown>[],
  };
  const json = (res: http.ServerResponse, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': text.length });
    res.end(text);
  };
  const server = https.createServer({ key: cert.keyPem, cert: cert.chainPem }, (req, res) => {
    const path = req.url ?? '';
    hits.push({ method: req.method ?? '', host: req.headers.host ?? '', path });
    if (path === `/${tenantPath}/.well-known/openid-configuration`) {
      json(res, {
        issuer: `${origin}/${tenantPath}`,
        jwks_uri: `${origin}/${tenantPath}/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        ...state.discoveryOverride,
      });
      return;
    }
    if (path === `/${tenantPath}/keys`) {
      const mode = state.jwksMode;
      if (mode.kind === 'keys') {
        json(res, { keys: [...keys.map((k) => k.jwk), ...state.extraJwks] });
      } else if (mode.kind === 'status') {
        res.writeHead(mode.status, { 'content-type': 'application/json' });
        res.end('{"error":"unavailable"}');
      } else if (mode.kind === 'redirect') {
        res.writeHead(302, { location: mode.location });
        res.end();
      } else {
        res.writeHead(200, mode.contentType === undefined ? {} : { 'content-type': mode.contentType });
        res.end(mode.body);
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  origin = `https://127.0.0.1:${port}`;

  const addKey = (
    made: { privateKey: KeyObject; jwk: Record<string, unknown> },
    kid: string,
    alg: IssuerKey['alg'],
  ) => {
    const key: IssuerKey = {
      kid,
      alg,
      privateKey: made.privateKey,
      jwk: { ...made.jwk, kid, use: 'sig', alg },
    };
    keys.push(key);
    return key;
  };

  const issuer: TestIssuer = {
    origin,
    issuer: `${origin}/${tenantPath}`,
    hits,
    count: (prefix = '') => hits.filter((h) => h.path.startsWith(prefix)).length,
    jwksCount: () => hits.filter((h) => h.path === `/${tenantPath}/keys`).length,
    keys,
    addRsaKey: (kid = randomUUID(), bits = 2048) => addKey(attackerRsa(bits, `issuer:${kid}`), kid, 'RS256'),
    addEcKey: (kid = randomUUID()) => addKey(attackerEc(`issuer:${kid}`), kid, 'ES256'),
    removeKey(kid) {
      const i = keys.findIndex((k) => k.kid === kid);
      if (i >= 0) keys.splice(i, 1);
    },
    get extraJwks() {
      return state.extraJwks;
    },
    set extraJwks(v) {
      state.extraJwks = v;
    },
    get jwksMode() {
      return state.jwksMode;
    },
    set jwksMode(v) {
      state.jwksMode = v;
    },
    get discoveryOverride() {
      return state.discoveryOverride;
    },
    set discoveryOverride(v) {
      state.discoveryOverride = v;
    },
    sign(claims, key = keys[0]!, header = {}) {
      return signJwt(
        { alg: key.alg, typ: 'JWT', kid: key.kid, ...header },
        { iss: `${origin}/${tenantPath}`, ...claims },
        key.privateKey,
        key.alg,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return issuer;
}

/**
 * A TCP listener that only counts connections (http or https alike) and hangs up: where a `jku`, `x5u` or a
 * redirect would point. Any connection at all is an outbound request that must not have happened.
 */
export async function startSinkhole(): Promise<{
  url: string;
  connections(): number;
  close(): Promise<void>;
}> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
