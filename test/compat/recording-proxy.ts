/**
 * @module test/compat/recording-proxy
 * An HTTPS pass-through in front of Lanyard that records what a client sends: method, path, headers and form
 * body. It keeps the client's `Host` header, so Lanyard's discovery names the proxy's origin and the client
 * never learns another address; tests then read the wire (MSAL's extra parameters, a certificate assertion's
 * header) without touching Lanyard's code.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import type { Envelope } from '../../src/crypto/envelope.ts';
import { ensureLocalCa } from '../../src/crypto/local-ca.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RecordingProxy {
  /** `https://localhost:<port>`: give this to the client as its authority host. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(o: {
  target: string;
  dataDir: string;
  envelope: Envelope;
  /** Path of the CA file that Lanyard's certificate chains to. */
  caPath: string;
}): Promise<RecordingProxy> {
  const localCa = await ensureLocalCa({ dataDir: o.dataDir, envelope: o.envelope });
  const cert = await localCa.issueServerCertificate(['localhost', '127.0.0.1']);
  const agent = new Agent({ connect: { ca: fs.readFileSync(o.caPath, 'utf8'), servername: 'localhost' } });
  const requests: RecordedRequest[] = [];
  const server = https.createServer({ key: cert.keyPem, cert: cert.chainPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
      });
      const { host, connection, 'transfer-encoding': _te, ...rest } = req.headers;
      request(`${o.target}${req.url ?? '/'}`, {
        dispatcher: agent,
        method: (req.method ?? 'GET') as 'GET',
        headers: { ...rest, host: host ?? '' },
        ...(body.length > 0 ? { body } : {}),
      }).then(
        async (up) => {
          const text = await up.body.text();
          res.writeHead(up.statusCode, {
            'content-type': String(up.headers['content-type'] ?? 'text/plain'),
          });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}
