/**
 * @module console/web/workflows-view
 * `#/workflows`: Logic Apps workflows and Automation runbooks, as `lanyard workflow …` and `lanyard runbook …`
 * show them. A workflow: its state (enable, disable), its triggers, each with a Run button (seed 004's Flow
 * button: `POST …/triggers/:trigger/run?wait=true`, the answer shown and the run linked), its run history
 * and one run's record — the trigger and every action with status, code, error, retries, and which inputs or
 * outputs `secureData` hides. A runbook: start a job, its jobs and one job's output, enable or disable it.
 */
import { get, path, post, put } from './api.ts';
import {
  type Column,
  DataTable,
  ErrorNote,
  Facts,
  JsonBlock,
  Loading,
  ReadOnlyNote,
  SelectField,
  Status,
  SubNav,
  TextField,
} from './components.ts';
import { formatDuration, formatTime } from './format.ts';
import { FormButtons, FormError, useSubmit } from './forms.ts';
import { navigate, useLoad, useStore } from './hooks.ts';
import type {
  ActionRecord,
  Job,
  Runbook,
  RunRecord,
  RunSummary,
  TriggerRunAnswer,
  Workflow,
} from './models.ts';
import { hashFor, type Route } from './routes.ts';
import { canWrite } from './session.ts';
import { tenants } from './tenants.ts';
import { type Html, html, useState } from './vendor.ts';

const wfPath = (tenant: string, name: string) => path`/admin/tenants/${tenant}/workflows/${name}`;
const runHref = (workflow: string, run: string) => hashFor('workflows', [], { workflow, run });

function RunButton({
  tenant,
  workflow,
  trigger,
  onRan,
}: {
  tenant: string;
  workflow: Workflow;
  trigger: { name: string; type: string };
  onRan: () => void;
}): Html {
  const [body, setBody] = useState('');
  const [answer, setAnswer] = useState<TriggerRunAnswer | undefined>(undefined);
  const [bodyError, setBodyError] = useState<string | undefined>(undefined);
  const submit = useSubmit(async () => {
    setAnswer(undefined);
    let parsed: unknown;
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        setBodyError(`Not JSON: ${(err as Error).message}`);
        return;
      }
    }
    setBodyError(undefined);
    const url = `${wfPath(tenant, workflow.name)}/triggers/${encodeURIComponent(trigger.name)}/run`;
    setAnswer(
      await post<TriggerRunAnswer>(url, parsed === undefined ? {} : { body: parsed }, {
        query: { wait: true },
      }),
    );
    onRan();
  });
  return html`<form class="card form-card run-form" onSubmit=${submit.onSubmit} aria-label=${`Run trigger ${trigger.name}`}>
    <h3>${trigger.name} <span class="muted">(${trigger.type})</span></h3>
    <${FormError} submit=${submit} />
    ${
      trigger.type === 'Request'
        ? html`<${TextField} label="Request body (JSON, optional)" multiline rows=${3} value=${body} onInput=${setBody}
            error=${bodyError ?? submit.fieldError('body')} />`
        : null
    }
    <${FormButtons} submit=${submit} label=${`Run ${trigger.name}`}
      busyLabel="Running… (waits up to 120 s for its Response)" />
    ${
      answer
        ? html`<div class="run-answer" role="status">
            <p>
              Outcome: <${Status} value=${answer.outcome} />
              ${' — run '}<a href=${runHref(workflow.name, answer.run.name)}><code>${answer.run.name}</code></a>${' '}
              <${Status} value=${answer.run.status} />
            </p>
            ${
              answer.response
                ? html`<p>Response: <strong>${answer.response.statusCode}</strong></p>
                  <${JsonBlock} summary="Response body" value=${answer.response.body} />`
                : null
            }
            ${answer.outcome === 'timeout' ? html`<p class="note">No Response within 120 s; the run goes on in the server.</p>` : null}
          </div>`
        : null
    }
  </form>`;
}

function Secured({
  record,
}: {
  record: { secured?: string[] | readonly string[]; truncated?: string[] | readonly string[] };
}) {
  return html`${(record.secured ?? []).map((s) => html`<span class="badge badge-secured" title="secureData: not recorded">${s} secured</span> `)}
  ${(record.truncated ?? []).map((s) => html`<span class="badge">${s} truncated</span> `)}`;
}

function RunDetail({ tenant, workflow, run }: { tenant: string; workflow: string; run: string }): Html {
  const rec = useLoad(
    (signal) => get<RunRecord>(`${wfPath(tenant, workflow)}/runs/${encodeURIComponent(run)}`, { signal }),
    [tenant, workflow, run],
  );
  if (rec.error) return html`<${ErrorNote} error=${rec.error} title="The run could not be read." />`;
  if (!rec.data) return html`<${Loading} what="the run" />`;
  const r = rec.data;
  const depth = (a: ActionRecord) => Math.max(0, a.path.split('.actions.').length - 1);
  const columns: Column<ActionRecord>[] = [
    {
      header: 'Action',
      cell: (a) =>
        html`<span class=${`indent-${Math.min(depth(a), 4)}`}>${a.name}${
          a.repetitionIndexes?.length
            ? html` <span class="muted">[${a.repetitionIndexes.map((i) => i.itemIndex).join(', ')}]</span>`
            : null
        }</span>`,
    },
    { header: 'Type', cell: (a) => a.type },
    { header: 'Status', cell: (a) => html`<${Status} value=${a.status} />` },
    { header: 'Code', cell: (a) => a.code },
    { header: 'Duration', cell: (a) => formatDuration(a.startTime, a.endTime), className: 'num' },
    {
      header: 'Error',
      cell: (a) => (a.error ? html`<span class="error-text">${a.error.code}: ${a.error.message}</span>` : ''),
    },
    {
      header: 'Data',
      cell: (a) => html`<${Secured} record=${a} />
        ${a.retryHistory?.length ? html`<span class="badge">${a.retryHistory.length} retries</span>` : null}
        ${a.inputs !== undefined ? html`<${JsonBlock} summary="inputs" value=${a.inputs} />` : null}
        ${a.outputs !== undefined ? html`<${JsonBlock} summary="outputs" value=${a.outputs} />` : null}`,
    },
  ];
  return html`<section class="card detail" aria-labelledby="run-h">
    <h3 id="run-h">Run <code>${r.name}</code></h3>
    <${Facts}
      items=${[
        ['Status', html`<${Status} value=${r.status} />`],
        ['Code', r.code],
        ['Error', r.error ? `${r.error.code}: ${r.error.message}` : ''],
        ['Started', formatTime(r.startTime)],
        ['Duration', formatDuration(r.startTime, r.endTime)],
        ['Workflow version', r.version],
        ['Correlation', r.correlation.clientTrackingId],
        [
          'Trigger',
          html`${r.trigger.name} (${r.trigger.type}) <${Status} value=${r.trigger.status} /> <${Secured} record=${r.trigger} />`,
        ],
        ['Response', r.response ? String(r.response.statusCode) : ''],
      ]}
    />
    ${r.trigger.outputs !== undefined ? html`<${JsonBlock} summary="Trigger outputs" value=${r.trigger.outputs} />` : null}
    <${DataTable} caption="Actions" columns=${columns} rows=${r.actions} rowKey=${(a: ActionRecord) => a.trackingId} limit=${1000} />
    ${r.response?.body !== undefined ? html`<${JsonBlock} summary="Response body" value=${r.response.body} />` : null}
    ${Object.keys(r.outputs).length > 0 ? html`<${JsonBlock} summary="Outputs" value=${r.outputs} />` : null}
  </section>`;
}

function WorkflowDetail({
  tenant,
  workflow,
  run,
  onChanged,
}: {
  tenant: string;
  workflow: Workflow;
  run?: string | undefined;
  onChanged: () => void;
}): Html {
  const [status, setStatus] = useState('');
  const runs = useLoad(
    (signal) =>
      get<RunSummary[]>(`${wfPath(tenant, workflow.name)}/runs`, { signal, query: { top: 50, status } }),
    [tenant, workflow.name, status],
  );
  const toggle = useSubmit(async () => {
    await post(`${wfPath(tenant, workflow.name)}/${workflow.state === 'Enabled' ? 'disable' : 'enable'}`);
    onChanged();
  });
  const write = canWrite();
  const columns: Column<RunSummary>[] = [
    {
      header: 'Run',
      cell: (r) => html`<a href=${runHref(workflow.name, r.name)}><code>${r.name}</code></a>`,
    },
    { header: 'Status', cell: (r) => html`<${Status} value=${r.status} />` },
    { header: 'Trigger', cell: (r) => r.trigger.name },
    { header: 'Started', cell: (r) => formatTime(r.startTime) },
    { header: 'Duration', cell: (r) => formatDuration(r.startTime, r.endTime), className: 'num' },
    { header: 'Error', cell: (r) => (r.error ? `${r.error.code}: ${r.error.message}` : (r.code ?? '')) },
  ];
  return html`<section class="card detail" aria-labelledby="wf-h">
    <h2 id="wf-h">${workflow.name}</h2>
    <${Facts}
      items=${[
        ['State', html`<${Status} value=${workflow.state} />`],
        ['Version', workflow.version],
        ['Workflow id', html`<code>${workflow.workflowId}</code>`],
        ['Resource', html`<code>${workflow.armId}</code>`],
        ['Changed', formatTime(workflow.changedAt)],
      ]}
    />
    ${
      write
        ? html`<div class="actions">
            <button type="button" disabled=${toggle.busy} onClick=${() => {
              if (
                workflow.state === 'Disabled' ||
                confirm(`Disable ${workflow.name}? Its triggers stop firing.`)
              )
                void toggle.run();
            }}>${workflow.state === 'Enabled' ? 'Disable' : 'Enable'}</button>
            <${FormError} submit=${toggle} />
          </div>
          ${
            workflow.state === 'Enabled'
              ? html`<div class="run-buttons">${workflow.triggers.map(
                  (t) =>
                    html`<${RunButton} key=${t.name} tenant=${tenant} workflow=${workflow} trigger=${t} onRan=${runs.reload} />`,
                )}</div>`
              : html`<p class="note">Enable the workflow to run it.</p>`
          }`
        : null
    }
    ${run ? html`<${RunDetail} key=${run} tenant=${tenant} workflow=${workflow.name} run=${run} />` : null}
    <div class="toolbar">
      <${SelectField} label="Runs with status" value=${status} onChange=${setStatus}
        options=${[{ value: '', label: 'any' }, 'Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut']} />
      <button type="button" onClick=${runs.reload}>Refresh</button>
    </div>
    <${ErrorNote} error=${runs.error} />
    ${
      runs.data
        ? html`<${DataTable} caption="Run history (newest 50)" columns=${columns} rows=${runs.data}
      rowKey=${(r: RunSummary) => r.name} selected=${run} empty="No runs yet." />`
        : html`<${Loading} what="runs" />`
    }
  </section>`;
}

function WorkflowsPart({ tenant, route }: { tenant: string; route: Route }): Html {
  const list = useLoad(
    (signal) => get<Workflow[]>(path`/admin/tenants/${tenant}/workflows`, { signal }),
    [tenant],
  );
  const selected = route.params.workflow;
  const current = list.data?.find((w) => w.name === selected);
  const columns: Column<Workflow>[] = [
    {
      header: 'Workflow',
      cell: (w) => html`<a href=${hashFor('workflows', [], { workflow: w.name })}>${w.name}</a>`,
    },
    { header: 'State', cell: (w) => html`<${Status} value=${w.state} />` },
    { header: 'Triggers', cell: (w) => w.triggers.map((t) => `${t.name} (${t.type})`).join(', ') },
    { header: 'Version', cell: (w) => w.version, className: 'mono' },
    { header: 'Changed', cell: (w) => formatTime(w.changedAt) },
  ];
  return html`<section aria-labelledby="wfs-h">
    <h2 id="wfs-h">Workflows</h2>
    ${current ? html`<${WorkflowDetail} key=${current.name} tenant=${tenant} workflow=${current} run=${route.params.run} onChanged=${list.reload} />` : null}
    ${selected && list.data && !current ? html`<p class="note">No workflow named ${selected} in this tenant.</p>` : null}
    <${ErrorNote} error=${list.error} />
    ${
      list.data
        ? html`<${DataTable} caption="Workflows" columns=${columns} rows=${list.data} rowKey=${(w: Workflow) => w.name}
      selected=${current?.name} empty="No workflows: declare one under workflows: in lanyard.yaml, or lanyard workflow set." />`
        : html`<${Loading} what="workflows" />`
    }
  </section>`;
}

function JobDetail({ tenant, job }: { tenant: string; job: string }): Html {
  const rec = useLoad(
    (signal) => get<Job>(path`/admin/tenants/${tenant}/jobs/${job}`, { signal }),
    [tenant, job],
  );
  if (rec.error) return html`<${ErrorNote} error=${rec.error} />`;
  if (!rec.data) return html`<${Loading} what="the job" />`;
  const j = rec.data;
  return html`<section class="card detail" aria-labelledby="job-h">
    <h3 id="job-h">Job <code>${j.id}</code></h3>
    <${Facts}
      items=${[
        ['Status', html`<${Status} value=${j.status} />`],
        ['Started by', j.startedBy],
        ['Started', formatTime(j.startTime)],
        ['Duration', formatDuration(j.startTime, j.endTime)],
        ['Exit code', j.exitCode === null ? '' : String(j.exitCode)],
        ['Exception', j.exception ?? ''],
      ]}
    />
    <button type="button" onClick=${rec.reload}>Refresh</button>
    <pre class="job-output" tabindex="0" aria-label="Job output">${
      (j.streams ?? []).map((s) => `${s.streamType === 'Error' ? 'ERR ' : ''}${s.streamText}`).join('\n') ||
      '(no output)'
    }</pre>
  </section>`;
}

function RunbookDetail({
  tenant,
  runbook,
  job,
  onChanged,
}: {
  tenant: string;
  runbook: Runbook;
  job?: string | undefined;
  onChanged: () => void;
}): Html {
  const base = path`/admin/tenants/${tenant}/automation/${runbook.resource}/runbooks/${runbook.name}`;
  const jobs = useLoad((signal) => get<Job[]>(`${base}/jobs`, { signal }), [base]);
  const jobHref = (id: string) =>
    hashFor('workflows', ['runbooks'], { account: runbook.resource, runbook: runbook.name, job: id });
  const start = useSubmit(async () => {
    const made = await post<Job>(`${base}/start`);
    jobs.reload();
    navigate(jobHref(made.id));
  });
  const toggle = useSubmit(async () => {
    await put(base, {
      command: runbook.command,
      cwd: runbook.cwd,
      env: runbook.env,
      timeoutSeconds: runbook.timeoutSeconds,
      schedule: runbook.schedule,
      timeZone: runbook.timeZone,
      catchUp: runbook.catchUp,
      enabled: !runbook.enabled,
    });
    onChanged();
  });
  const columns: Column<Job>[] = [
    { header: 'Job', cell: (j) => html`<a href=${jobHref(j.id)}><code>${j.id}</code></a>` },
    { header: 'Status', cell: (j) => html`<${Status} value=${j.status} />` },
    { header: 'Started by', cell: (j) => j.startedBy },
    { header: 'Started', cell: (j) => formatTime(j.startTime ?? j.creationTime) },
    { header: 'Duration', cell: (j) => formatDuration(j.startTime, j.endTime), className: 'num' },
    { header: 'Exit', cell: (j) => (j.exitCode === null ? '' : String(j.exitCode)), className: 'num' },
  ];
  return html`<section class="card detail" aria-labelledby="rb-h">
    <h2 id="rb-h">${runbook.resource} / ${runbook.name}</h2>
    <${Facts}
      items=${[
        ['Enabled', html`<${Status} value=${runbook.enabled ? 'Enabled' : 'Disabled'} />`],
        ['Command', html`<code>${runbook.command.join(' ')}</code>`],
        [
          'Schedule',
          runbook.schedule
            ? `${runbook.schedule}${runbook.timeZone ? ` (${runbook.timeZone})` : ''}`
            : 'by hand only',
        ],
        ['Timeout', `${runbook.timeoutSeconds} s`],
      ]}
    />
    ${
      canWrite()
        ? html`<div class="actions">
            <button type="button" class="primary" disabled=${start.busy} onClick=${() => void start.run()}>Start</button>
            <button type="button" disabled=${toggle.busy} onClick=${() => void toggle.run()}>${runbook.enabled ? 'Disable' : 'Enable'}</button>
          </div>
          <${FormError} submit=${start} />
          <${FormError} submit=${toggle} />`
        : null
    }
    ${job ? html`<${JobDetail} key=${job} tenant=${tenant} job=${job} />` : null}
    <${ErrorNote} error=${jobs.error} />
    ${jobs.data ? html`<${DataTable} caption="Jobs" columns=${columns} rows=${jobs.data} rowKey=${(j: Job) => j.id} selected=${job} empty="No jobs yet." />` : html`<${Loading} what="jobs" />`}
  </section>`;
}

function RunbooksPart({ tenant, route }: { tenant: string; route: Route }): Html {
  const list = useLoad(
    (signal) => get<Runbook[]>(path`/admin/tenants/${tenant}/runbooks`, { signal }),
    [tenant],
  );
  const { account, runbook } = route.params;
  const current = list.data?.find((r) => r.resource === account && r.name === runbook);
  const columns: Column<Runbook>[] = [
    {
      header: 'Runbook',
      cell: (r) =>
        html`<a href=${hashFor('workflows', ['runbooks'], { account: r.resource, runbook: r.name })}>${r.resource} / ${r.name}</a>`,
    },
    { header: 'Enabled', cell: (r) => html`<${Status} value=${r.enabled ? 'Enabled' : 'Disabled'} />` },
    { header: 'Schedule', cell: (r) => r.schedule ?? '' },
    { header: 'Command', cell: (r) => html`<code>${r.command.join(' ')}</code>` },
    { header: 'Updated', cell: (r) => formatTime(r.updatedAt) },
  ];
  return html`<section aria-labelledby="rbs-h">
    <h2 id="rbs-h">Runbooks</h2>
    ${current ? html`<${RunbookDetail} key=${`${current.resource}/${current.name}`} tenant=${tenant} runbook=${current} job=${route.params.job} onChanged=${list.reload} />` : null}
    <${ErrorNote} error=${list.error} />
    ${
      list.data
        ? html`<${DataTable} caption="Runbooks" columns=${columns} rows=${list.data} rowKey=${(r: Runbook) => `${r.resource}/${r.name}`}
      selected=${current ? `${current.resource}/${current.name}` : undefined} empty="No runbooks: declare one under runbooks: in lanyard.yaml." />`
        : html`<${Loading} what="runbooks" />`
    }
  </section>`;
}

export function View({ route }: { route: Route }): Html {
  const t = useStore(tenants);
  const part = route.rest[0] === 'runbooks' ? 'runbooks' : 'workflows';
  return html`<h1>Workflows and runbooks</h1>
    <${SubNav} label="Workflows and runbooks" current=${part} items=${[
      ['workflows', hashFor('workflows'), 'Workflows'],
      ['runbooks', hashFor('workflows', ['runbooks']), 'Runbooks'],
    ]} />
    <${ReadOnlyNote} />
    ${
      t.current === undefined
        ? html`<p class="empty">No tenant yet.</p>`
        : part === 'runbooks'
          ? html`<${RunbooksPart} key=${t.current} tenant=${t.current} route=${route} />`
          : html`<${WorkflowsPart} key=${t.current} tenant=${t.current} route=${route} />`
    }`;
}
