/**
 * @module test/compat/external-issuer
 * A tiny real OIDC issuer standing in for a Kubernetes service-account issuer (or GitHub Actions): HTTPS on
 * 127.0.0.1 with a certificate from the data folder's local CA, serving `/.well-known/openid-configuration`
 * and its JWKS, and signing RS256 tokens. Workload-identity tests write one of its tokens to the file named by
 * AZURE_FEDERATED_TOKEN_FILE; Lanyard fetches its keys to check the signature.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT } from 'jose';
import type { Envelope } from '../../src/crypto/envelope.ts';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';

export interface ExternalIssuer {
  /** `https://localhost:<port>`: the `iss` of its tokens and the federated credential's issuer. */
  issuer: string;
  /** Signs a token for `subject` (default audience `api://AzureADTokenExchange`, lifetime 10 minutes). */
  sign(subject: string, options?: { audience?: string; lifetimeSeconds?: number }): Promise<string>;
  /** Requests served so far (discovery and keys). */
  requests: string[];
  close(): Promise<void>;
}

export async function startExternalIssuer(o: {
  dataDir: string;
  envelope: Envelope;
}): Promise<ExternalIssuer> {
  const ca = await ensureLocalCa({ dataDir: o.dataDir, envelope: o.envelope });
  const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const requests: string[] = [];
  let issuer = '';
  const server = https.createServer({ key: cert.keyPem, cert: cert.chainPem }, (req, res) => {
    requests.push(req.url ?? '');
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      send({
        issuer,
        jwks_uri: `${issuer}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (req.url === '/openid/v1/jwks') {
      send({ keys: [jwk] });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    requests,
    sign: (subject, options = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(options.audience ?? 'api://AzureADTokenExchange')
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(`${options.lifetimeSeconds ?? 600}s`)
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
