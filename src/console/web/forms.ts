/**
 * @module console/web/forms
 * What every create/edit form does the same way: send, keep the server's refusal (its message and hint at
 * the top, and each field's own message next to that field: ApiError.fieldErrors), and say what happened.
 * Validation is the server's — the same schemas and messages as the CLI and lanyard.yaml — not a second copy.
 */
import { type ApiError, asApiError } from './api.ts';
import { CopyButton, ErrorNote } from './components.ts';
import { type Html, html, useState } from './vendor.ts';

export interface Submit {
  busy: boolean;
  error: ApiError | undefined;
  /** The server's message for a field, by the body's field name. */
  fieldError(name: string): string | undefined;
  /** For `onSubmit`: prevents the page from navigating, then runs the action. */
  onSubmit(e: Event): void;
  /** Runs the action without a form event (buttons). */
  run(): Promise<void>;
  reset(): void;
}

export function useSubmit(action: () => Promise<void>): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const run = async () => {
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
  const fields = error?.fieldErrors() ?? {};
  return {
    busy,
    error,
    fieldError: (name) => fields[name],
    onSubmit(e) {
      e.preventDefault();
      void run();
    },
    run,
    reset: () => setError(undefined),
  };
}

/** The error summary at the top of a form (fields carry their own messages too). */
export function FormError({ submit }: { submit: Submit }): Html | null {
  return html`<${ErrorNote} error=${submit.error} />`;
}

/** A form's buttons: the submit (busy while it runs) and, optionally, cancel. */
export function FormButtons({
  submit,
  label,
  onCancel,
  cancelLabel = 'Cancel',
  busyLabel = 'Working…',
}: {
  submit: Submit;
  label: string;
  busyLabel?: string;
  onCancel?: (() => void) | undefined;
  cancelLabel?: string;
}): Html {
  return html`<div class="form-buttons">
    <button type="submit" class="primary" disabled=${submit.busy}>${submit.busy ? busyLabel : label}</button>
    ${onCancel ? html`<button type="button" onClick=${onCancel}>${cancelLabel}</button>` : null}
  </div>`;
}

/** Shows a secret once, right after it was made: copy it now, it is not shown again and not kept by the page. */
export function SecretOnce({
  title,
  value,
  onDismiss,
}: {
  title: string;
  value: string;
  onDismiss: () => void;
}): Html {
  return html`<section class="secret-once card" role="alert" aria-labelledby="secret-once-title">
    <h3 id="secret-once-title">${title}</h3>
    <p class="warning">
      Copy it now. This is the only time it is shown: Lanyard keeps only what verifies it, and this page forgets it
      when you close this box.
    </p>
    <p><code class="secret-value" tabindex="0">${value}</code></p>
    <${CopyButton} text=${value} />
    <button type="button" onClick=${onDismiss}>I have copied it — close</button>
  </section>`;
}
