/**
 * @module test/compat/arm-stand-in
 * The one Azure Resource Manager call `az login` makes, answered on HTTPS for a custom cloud: `GET
 * /subscriptions?api-version=…` → `{"value":[]}` (with `--allow-no-subscriptions`, az then records a tenant-level
 * account). Lanyard has no management plane yet, and az cannot log in without this call. The stand-in verifies
 * the bearer token like ARM would (discovery → JWKS → signature, `aud` = the cloud's management resource) and
 * keeps what it saw, so the test can assert which identity az presented. Anything else answers 404.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { JWTPayload } from 'jose';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';
import type { CompatServer } from './compat-server.ts';

export const MANAGEMENT_RESOURCE = 'https://management.core.windows.net/';

export interface ArmCall {
  path: string;
  /** The verified token's claims, or the reason it was refused. */
  claims?: JWTPayload;
  refused?: string;
}

export interface ArmStandIn {
  url: string;
  calls: ArmCall[];
  close(): Promise<void>;
}

export async function startArmStandIn(s: CompatServer): Promise<ArmStandIn> {
  const ca = await ensureLocalCa({ dataDir: s.dataDir, envelope: s.runtime.envelope });
  const cert = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
  const calls: ArmCall[] = [];
  const server = https.createServer({ key: cert.keyPem, cert: cert.chainPem }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || path !== '/subscriptions') {
      calls.push({ path, refused: 'not served' });
      reply(404, { error: { code: 'NotFound', message: `${req.method} ${path} is not served here.` } });
      return;
    }
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      calls.push({ path, refused: 'no bearer token' });
      reply(401, { error: { code: 'AuthenticationFailed', message: 'No bearer token.' } });
      return;
    }
    s.verify(token, { version: 1, audience: MANAGEMENT_RESOURCE }).then(
      ({ payload }) => {
        calls.push({ path, claims: payload });
        reply(200, { value: [] });
      },
      (err: Error) => {
        calls.push({ path, refused: err.message });
        reply(401, { error: { code: 'InvalidAuthenticationToken', message: err.message } });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://localhost:${port}/`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
