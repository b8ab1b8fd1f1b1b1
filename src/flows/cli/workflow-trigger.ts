/**
 * @module flows/cli/workflow-trigger
 * `lanyard workflow trigger <workflow>`: presses the button. When a Lanyard serves the data folder, a Request
 * trigger is called exactly as a phone's Flow button or a curl would call it — a POST to its signed callback URL
 * — and the caller's answer is printed (the Response, or 202 with the run id); another trigger (a Recurrence
 * fired by hand) is fired in that server through the admin API. With no server running, the run happens in this
 * process, in the foreground, and its end is printed. Exit status: 0 when the answer is 2xx (or the run
 * Succeeded), 1 otherwise.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { LanyardError } from '../../errors/lanyard-error.ts';
import type { CliKit } from '../../plane/cli-kit.ts';
import type { FlowsDeps } from '../deps.ts';

const HELP_WORKFLOW = 'the workflow resource (name or id)';

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function postCallback(
  url: string,
  caPem: Buffer | undefined,
  body: string | undefined,
): Promise<Answer> {
  const { Agent } = await import('undici');
  const agent = new Agent({ connect: caPem ? { ca: caPem } : {} });
  try {
    const u = new URL(url);
    const res = await agent.request({
      origin: u.origin,
      path: u.pathname + u.search,
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
      // The server waits up to 120 s for the Response; a little more here.
      headersTimeout: 130_000,
      bodyTimeout: 130_000,
    });
    const text = await res.body.text();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
    return { status: res.statusCode, headers, text };
  } finally {
    await agent.close();
  }
}

function readBody(o: { body?: string; bodyFile?: string }, kit: CliKit<FlowsDeps>): string | undefined {
  if (o.body !== undefined && o.bodyFile !== undefined)
    throw new LanyardError('ERR_USAGE', 'Give --body or --body-file, not both.');
  const text = o.bodyFile === undefined ? o.body : fs.readFileSync(kit.userPath(o.bodyFile), 'utf8');
  if (text === undefined) return undefined;
  try {
    JSON.parse(text);
  } catch (err) {
    throw new LanyardError('ERR_USAGE', `The trigger body is not JSON: ${(err as Error).message}.`, {
      hint: `E.g. --body '{"group":"rg1"}'.`,
    });
  }
  return text;
}

function printAnswer(a: Answer, output: string): void {
  if (output === 'json') {
    let body: unknown = a.text;
    try {
      body = a.text === '' ? undefined : JSON.parse(a.text);
    } catch {}
    process.stdout.write(
      `${JSON.stringify({ status: a.status, runId: a.headers['x-ms-workflow-run-id'], body }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${a.status} — run ${a.headers['x-ms-workflow-run-id'] ?? '(none)'}\n`);
  if (a.text !== '') process.stdout.write(`${a.text}\n`);
}

export function workflowTriggerCommand(workflow: Command, kit: CliKit<FlowsDeps>): void {
  workflow
    .command('trigger')
    .description(
      'Fire a workflow’s trigger (the button): a POST to its callback URL when a Lanyard runs, else a run in the foreground.',
    )
    .argument('<workflow>', HELP_WORKFLOW)
    .option('--trigger <name>', 'the trigger (default: the workflow’s Request trigger, or its only one)')
    .option('--body <json>', 'the JSON body the trigger receives')
    .option('--body-file <file>', 'a file holding that JSON body')
    .addHelpText(
      'after',
      '\nExit status: 0 when the answer is 2xx (or the run Succeeded), 1 otherwise.\n\nExample:\n  lanyard workflow trigger hello-flow',
    )
    .action((name: string, o: { trigger?: string; body?: string; bodyFile?: string }, cmd: Command) =>
      kit.withTenant(cmd, async (deps, tenant, opts) => {
        const body = readBody(o, kit);
        const [s, c, r] = await Promise.all([
          import('../workflows/store.ts'),
          import('../workflows/callback.ts'),
          import('../workflows/runtime.ts'),
        ]);
        const w = await s.getWorkflow(deps.directory, tenant, name);
        const trigger = r.pickTrigger(w, o.trigger);
        const serving = await kit.runningServer(cmd);

        if (serving && trigger.type === 'Request') {
          const keys = await s.workflowAccessKeys(deps.directory, deps.envelope, tenant, w.resourceId);
          const url = c.callbackUrl(new URL(serving.url).origin, w, trigger.name, keys.primary);
          const ca = serving.caCertPath === undefined ? undefined : fs.readFileSync(serving.caCertPath);
          const answer = await postCallback(url, ca, body);
          printAnswer(answer, opts.output);
          if (answer.status < 200 || answer.status > 299) process.exitCode = 1;
          return;
        }
        if (serving) {
          const path = `/admin/tenants/${encodeURIComponent(tenant)}/workflows/${encodeURIComponent(w.name)}/triggers/${encodeURIComponent(trigger.name)}/run`;
          const answer = (await kit.adminApi(cmd, 'POST', path)) as { run: { name: string } };
          if (opts.output === 'json') process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
          else
            process.stdout.write(
              `Fired ${trigger.name}: run ${answer.run.name} (lanyard workflow run show ${w.name} ${answer.run.name})\n`,
            );
          return;
        }

        // No server: the run happens here, in the foreground.
        const [{ ensureLocalCa }, { workflowDispatcher }] = await Promise.all([
          import('../../crypto/local-ca.ts'),
          import('../workflows/http-client.ts'),
        ]);
        const ca = await ensureLocalCa({ dataDir: deps.dataDir, envelope: deps.envelope });
        const dispatcher = workflowDispatcher({ caPem: ca.caCertPem });
        const { createLogger } = await import('../../http/logger.ts');
        const runtime = new r.WorkflowRuntime(deps, {
          logger: createLogger({ level: 'silent' }),
          dispatcher,
        });
        try {
          const fired = await runtime.fire({
            tenant,
            workflow: w.resourceId,
            trigger: trigger.name,
            outputs: { headers: {}, ...(body === undefined ? {} : { body: JSON.parse(body) }) },
            wait: true,
          });
          const record = await fired.done;
          if (opts.output === 'json') {
            process.stdout.write(
              `${JSON.stringify({ run: s.summaryOf(record), response: record.response }, null, 2)}\n`,
            );
          } else {
            process.stdout.write(
              `Run ${record.name}: ${record.status}${record.error ? ` — ${record.error.code}: ${record.error.message}` : ''}\n`,
            );
            if (record.response)
              process.stdout.write(
                `Response ${record.response.statusCode}: ${JSON.stringify(record.response.body ?? '')}\n`,
              );
            process.stdout.write(`(lanyard workflow run show ${w.name} ${record.name})\n`);
          }
          if (record.status !== 'Succeeded') process.exitCode = 1;
        } finally {
          await runtime.close();
          await dispatcher.close();
        }
      }),
    );
}
