/**
 * @module console/web/components
 * The pieces every view is built of, each accessible on its own: errors as the CLI prints them (code, message,
 * hint) in an alert region, labelled form fields whose error is tied to the control (`aria-describedby`,
 * `aria-invalid`), tables with a caption and column headers, a copy button that says it copied, a status
 * word with its colour from console.css (never colour alone: the word is always there).
 */
import { type ApiError, asApiError } from './api.ts';
import { formatJson } from './format.ts';
import { canWrite } from './session.ts';
import { type ComponentChildren, type Html, html, useId, useState } from './vendor.ts';

export function ErrorNote({ error, title }: { error: ApiError | undefined; title?: string }): Html | null {
  if (!error) return null;
  return html`<div class="error-note" role="alert">
    ${title ? html`<p class="error-title">${title}</p>` : null}
    <p><span class="error-code">${error.code}</span> ${error.message}</p>
    ${error.hint ? html`<p class="error-hint">hint: ${error.hint}</p>` : null}
  </div>`;
}

export function Loading({ what }: { what: string }): Html {
  return html`<p class="loading" role="status" aria-live="polite">Loading ${what}…</p>`;
}

/** Says why write controls are missing, once per view, for a read-only session. */
export function ReadOnlyNote(): Html | null {
  if (canWrite()) return null;
  return html`<p class="note">Read-only session: you can look at everything; changes need the admin token.</p>`;
}

interface FieldBase {
  label: string;
  error?: string | undefined;
  help?: string | undefined;
}

function describedBy(id: string, error: string | undefined, help: string | undefined): string | undefined {
  const ids = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter((s) => s !== '');
  return ids.length === 0 ? undefined : ids.join(' ');
}

function FieldNotes({
  id,
  error,
  help,
}: {
  id: string;
  error?: string | undefined;
  help?: string | undefined;
}) {
  return html`${help ? html`<p class="field-help" id=${`${id}-help`}>${help}</p>` : null}
  ${error ? html`<p class="field-error" id=${`${id}-error`}>${error}</p>` : null}`;
}

export function TextField(
  props: FieldBase & {
    value: string;
    onInput: (v: string) => void;
    type?: string;
    required?: boolean;
    placeholder?: string;
    autocomplete?: string;
    multiline?: boolean;
    rows?: number;
  },
): Html {
  const id = useId();
  const common = {
    id,
    value: props.value,
    required: props.required ?? false,
    placeholder: props.placeholder,
    autocomplete: props.autocomplete ?? 'off',
    spellcheck: false,
    'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': describedBy(id, props.error, props.help),
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return html`<div class="field">
    <label for=${id}>${props.label}${props.required ? html`<span class="required" aria-hidden="true"> *</span>` : null}</label>
    ${
      props.multiline
        ? html`<textarea ...${common} rows=${props.rows ?? 4}></textarea>`
        : html`<input ...${common} type=${props.type ?? 'text'} />`
    }
    <${FieldNotes} id=${id} error=${props.error} help=${props.help} />
  </div>`;
}

export function SelectField(
  props: FieldBase & {
    value: string;
    onChange: (v: string) => void;
    options: readonly (string | { value: string; label: string })[];
    required?: boolean;
  },
): Html {
  const id = useId();
  return html`<div class="field">
    <label for=${id}>${props.label}</label>
    <select
      id=${id}
      value=${props.value}
      required=${props.required ?? false}
      aria-invalid=${props.error ? 'true' : undefined}
      aria-describedby=${describedBy(id, props.error, props.help)}
      onChange=${(e: Event) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
    >
      ${props.options.map((o) => {
        const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
        return html`<option value=${value} selected=${value === props.value}>${label}</option>`;
      })}
    </select>
    <${FieldNotes} id=${id} error=${props.error} help=${props.help} />
  </div>`;
}

export function CheckboxField(props: FieldBase & { checked: boolean; onChange: (v: boolean) => void }): Html {
  const id = useId();
  return html`<div class="field field-check">
    <input
      id=${id}
      type="checkbox"
      checked=${props.checked}
      aria-describedby=${describedBy(id, props.error, props.help)}
      onChange=${(e: Event) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
    />
    <label for=${id}>${props.label}</label>
    <${FieldNotes} id=${id} error=${props.error} help=${props.help} />
  </div>`;
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
  /** A class for the column's cells (e.g. `num`, `mono`). */
  className?: string;
}

/** A table with a caption; rows beyond `limit` are counted rather than drawn (1,000 rows stay quick). */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
  limit = 200,
  selected,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  empty?: string;
  limit?: number;
  selected?: string | undefined;
}): Html {
  if (rows.length === 0) return html`<p class="empty">${empty ?? `No ${caption.toLowerCase()}.`}</p>`;
  const shown = rows.slice(0, limit);
  return html`<div class="table-wrap">
    <table>
      <caption>${caption} <span class="count">(${rows.length})</span></caption>
      <thead>
        <tr>${columns.map((c) => html`<th scope="col" class=${c.className}>${c.header}</th>`)}</tr>
      </thead>
      <tbody>
        ${shown.map(
          (r) => html`<tr key=${rowKey(r)} class=${selected === rowKey(r) ? 'selected' : undefined}
            aria-selected=${selected === undefined ? undefined : selected === rowKey(r) ? 'true' : 'false'}>
            ${columns.map((c) => html`<td class=${c.className}>${c.cell(r)}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
    ${
      rows.length > shown.length
        ? html`<p class="note">Showing ${shown.length} of ${rows.length}; narrow the list with the filter.</p>`
        : null
    }
  </div>`;
}

export function FilterBox({
  label,
  value,
  onInput,
}: {
  label: string;
  value: string;
  onInput: (v: string) => void;
}) {
  const id = useId();
  return html`<div class="filter">
    <label for=${id}>${label}</label>
    <input id=${id} type="search" value=${value} autocomplete="off" spellcheck=${false}
      onInput=${(e: Event) => onInput((e.currentTarget as HTMLInputElement).value)} />
  </div>`;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }): Html {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return html`<span class="copy">
    <button type="button" onClick=${copy}>${label}</button>
    <span role="status" aria-live="polite" class="copy-status">${
      copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Could not copy: select the text and copy it.' : ''
    }</span>
  </span>`;
}

/** A status word (Succeeded, Failed, allowed, active …) coloured by console.css, never by colour alone. */
export function Status({ value }: { value: string | boolean }): Html {
  const text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : value;
  return html`<span class=${`status status-${text.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}>${text}</span>`;
}

export function JsonBlock({ value, summary }: { value: unknown; summary: string }): Html {
  return html`<details class="json"><summary>${summary}</summary><pre tabindex="0">${formatJson(value)}</pre></details>`;
}

/** A definition list of label → value pairs; empty values are left out. */
export function Facts({ items }: { items: readonly [string, ComponentChildren][] }): Html {
  return html`<dl class="facts">
    ${items
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => html`<div class="fact"><dt>${k}</dt><dd>${v}</dd></div>`)}
  </dl>`;
}

/** Sub-navigation of a view: links with `aria-current` on the one shown. */
export function SubNav({
  label,
  items,
  current,
}: {
  label: string;
  items: readonly [string, string, string][];
  current: string;
}) {
  return html`<nav class="subnav" aria-label=${label}>
    <ul>
      ${items.map(
        ([key, href, text]) =>
          html`<li><a href=${href} aria-current=${key === current ? 'page' : undefined}>${text}</a></li>`,
      )}
    </ul>
  </nav>`;
}

/** A button that asks before it acts (deletes, disables); shows the server's refusal next to itself. */
export function ConfirmButton({
  label,
  question,
  action,
  className,
}: {
  label: string;
  question: string;
  action: () => Promise<unknown>;
  className?: string;
}): Html {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = async () => {
    if (!confirm(question)) return;
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="confirm-button">
    <button type="button" class=${className ?? 'danger'} disabled=${busy} onClick=${run}>${label}</button>
    <${ErrorNote} error=${error} />
  </span>`;
}
