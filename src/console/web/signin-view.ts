/**
 * @module console/web/signin-view
 * The sign-in form: the admin token (every view, every change) or a read-only token (`lanyard console token
 * --read-only`: every view, no change). The token goes once to `/console/api/session` in a POST body, is never
 * put in the address, stored or logged, and the field is emptied as soon as it is sent.
 */
import { type ApiError, asApiError } from './api.ts';
import { ErrorNote } from './components.ts';
import { signIn } from './session.ts';
import { type Html, html, useEffect, useRef, useState } from './vendor.ts';

export function SignInView({ notice }: { notice?: string | undefined }): Html {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in — Lanyard console';
    input.current?.focus();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    const given = token;
    setToken('');
    if (input.current) input.current.value = '';
    setBusy(true);
    setError(undefined);
    try {
      await signIn(given);
    } catch (err) {
      setError(asApiError(err));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="signin" tabindex="-1">
    <h1>Lanyard console</h1>
    ${notice ? html`<p class="note" role="status">${notice}</p>` : null}
    <form class="card" onSubmit=${submit} autocomplete="off" method="post" action="/console/api/session">
      <div class="field">
        <label for="signin-token">Token</label>
        <input
          id="signin-token"
          ref=${input}
          type="password"
          name="token"
          required
          autocomplete="off"
          spellcheck=${false}
          aria-describedby="signin-help"
          value=${token}
          onInput=${(e: Event) => setToken((e.currentTarget as HTMLInputElement).value)}
        />
        <p class="field-help" id="signin-help">
          The admin token (the file <code>lanyard up</code> names, or <code>LANYARD_ADMIN_TOKEN</code>) to see and change
          everything, or a read-only token from <code>lanyard console token --read-only</code> to look only. It is sent
          once to sign in and kept nowhere in this page.
        </p>
      </div>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <${ErrorNote} error=${error} />
    </form>
  </main>`;
}
