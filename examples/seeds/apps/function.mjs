/**
 * A stand-in for an HTTP-triggered Azure Function behind Easy Auth: "SomeFunction" (seed 000) and
 * "ExclusiveFunction" (seed 001) are this program with another name. Like a function whose authorization level
 * is anonymous, it does no authentication of its own: Easy Auth in front of it has checked the caller's token
 * and tells it who called in `X-MS-CLIENT-PRINCIPAL` (base64 JSON of the token's claims) and
 * `X-MS-CLIENT-PRINCIPAL-ID`. It answers with what it was told, so the caller can see it.
 *
 *   FUNCTION_NAME=SomeFunction PORT=7071 node examples/seeds/apps/function.mjs
 *
 * Routes: `/api/<FUNCTION_NAME>` (any method, name in any case, as the Functions host routes) and `/` (alive).
 * Listens on 127.0.0.1 only: the app must be reachable only through its Easy Auth front, or anyone could send it
 * a made-up principal header. PORT=0 picks a free port. The first stdout line says where it listens; then one
 * line per call. Plain JavaScript, no dependencies: any Node ≥ 18 runs it. (LANYARD_DEMO_PID: set by
 * `lanyard demo`, which this app outlives by at most a second.)
 */
import http from 'node:http';

const name = process.env.FUNCTION_NAME || 'SomeFunction';
const port = Number(process.env.PORT ?? 7071);
const route = `/api/${name.toLowerCase()}`;

/** The principal Easy Auth forwarded, decoded; null when the request did not come through Easy Auth. */
function principalOf(req) {
  const header = req.headers['x-ms-client-principal'];
  if (typeof header !== 'string') return null;
  const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  const claim = (typ) => decoded.claims.find((c) => c.typ === typ)?.val;
  return {
    id: req.headers['x-ms-client-principal-id'] ?? null,
    name: req.headers['x-ms-client-principal-name'] ?? null,
    idp: req.headers['x-ms-client-principal-idp'] ?? null,
    // The claims a function usually looks at, by the names Easy Auth gives them.
    appid: claim('appid') ?? claim('azp') ?? null,
    oid: claim('http://schemas.microsoft.com/identity/claims/objectidentifier') ?? null,
    tid: claim('http://schemas.microsoft.com/identity/claims/tenantid') ?? null,
    aud: claim('aud') ?? null,
    roles: decoded.claims.filter((c) => c.typ === decoded.role_typ).map((c) => c.val),
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (path === '/') return send(200, { function: name, alive: true });
    if (path.toLowerCase() !== route && path.toLowerCase() !== `${route}/`) {
      return send(404, { error: `no function at ${path}; try /api/${name}` });
    }
    let principal;
    try {
      principal = principalOf(req);
    } catch {
      return send(400, { error: 'X-MS-CLIENT-PRINCIPAL is not base64 JSON' });
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body = text || null;
    try {
      if (text) body = JSON.parse(text);
    } catch {
      // Not JSON: echoed as text.
    }
    console.log(
      `${name}: ${req.method} ${path} from ${principal ? `principal ${principal.id} (appid ${principal.appid})` : 'an anonymous caller'}`,
    );
    // Whether a gateway subscription key reached the function (seed 003: the gateway removes it).
    const subscriptionKey = req.headers['ocp-apim-subscription-key'] !== undefined;
    send(200, { function: name, method: req.method, path, body, principal, subscriptionKey });
  });
});

server.once('error', (err) => {
  console.error(`${name}: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`);
  process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`${name} listening on http://127.0.0.1:${server.address().port}`);
});

// Stop at once when asked: idle keep-alive connections (the front pools them) are closed, a request still in
// flight gets a second to finish.
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

// Started by `lanyard demo` (npm start): stop when it is gone, even when it could not stop us (killed, crashed).
const demo = Number(process.env.LANYARD_DEMO_PID);
if (demo > 0) {
  setInterval(() => {
    try {
      process.kill(demo, 0);
    } catch (err) {
      if (err.code === 'ESRCH') stop();
    }
  }, 1_000).unref();
}
