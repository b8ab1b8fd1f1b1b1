/**
 * @module test/compat/clients/mi-credentials
 * A program that uses @azure/identity exactly as its documentation shows — ManagedIdentityCredential (system,
 * { clientId }, { resourceId }, { objectId }) or DefaultAzureCredential — configured only by the environment
 * its launcher gives it (`lanyard run`, or nothing). argv[2] is a JSON list of cases `{ label, credential:
 * 'mi' | 'dac', options? }`, argv[3] the scope. Each case calls getToken twice; Node's own HTTP diagnostics
 * channel counts the requests that left the process meanwhile (observation only: nothing of the client is
 * changed). COMPAT_IDENTITY_PACKAGE names the package (default `@azure/identity`). Prints one `MI_RESULT <json>`
 * line and ends on its own.
 */
import dc from 'node:diagnostics_channel';

// The package under test: @azure/identity (4.x), or the 3.x line installed as @azure/identity-v3.
const { DefaultAzureCredential, ManagedIdentityCredential } = await import(
  process.env.COMPAT_IDENTITY_PACKAGE ?? '@azure/identity'
);

const cases = JSON.parse(process.argv[2] ?? '[]');
const scope = process.argv[3] ?? 'api://orders/.default';

const requests = [];
dc.subscribe('http.client.request.start', ({ request }) => {
  requests.push(`${request.method} ${request.host}${request.path}`);
});

const results = [];
for (const c of cases) {
  const from = requests.length;
  const started = Date.now();
  try {
    const credential =
      c.credential === 'dac'
        ? new DefaultAzureCredential(c.options)
        : new ManagedIdentityCredential(c.options);
    const first = await credential.getToken(scope);
    const second = await credential.getToken(scope);
    results.push({
      label: c.label,
      ok: true,
      started,
      requests: requests.slice(from),
      tokens: [first, second].map((t) => ({
        token: t.token,
        expiresOnTimestamp: t.expiresOnTimestamp,
        refreshAfterTimestamp: t.refreshAfterTimestamp,
        tokenType: t.tokenType,
      })),
    });
  } catch (err) {
    results.push({
      label: c.label,
      ok: false,
      started,
      requests: requests.slice(from),
      error: { name: err?.name, message: String(err?.message ?? err) },
    });
  }
}
process.stdout.write(`MI_RESULT ${JSON.stringify(results)}\n`);
